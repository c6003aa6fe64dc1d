/**
 * `WWW-Authenticate` parsing (RFC 7235): several challenges per header and several headers,
 * case-insensitive schemes and parameter names, quoted strings with `\"` escapes.
 *
 * @packageDocumentation
 */

/** One authentication challenge. */
export interface AuthChallenge {
  /** Scheme in lower case: `bearer`, `basic`, … */
  readonly scheme: string;
  /** Parameters; names in lower case, values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/**
 * Parses one or more `WWW-Authenticate` header values into challenges, in order. Unparsable
 * fragments are skipped (remote data is parsed leniently).
 *
 * @example
 * ```ts
 * parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="reg",Basic realm="x"');
 * // [{ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'reg' } },
 * //  { scheme: 'basic', params: { realm: 'x' } }]
 * ```
 */
export function parseWwwAuthenticate(values: string | readonly string[] | null | undefined): AuthChallenge[] {
  const list = values == null ? [] : typeof values === 'string' ? [values] : values;
  const out: AuthChallenge[] = [];
  for (const value of list) parseOne(value, out);
  return out;
}

function parseOne(s: string, out: AuthChallenge[]): void {
  let i = 0;
  const n = s.length;
  const skipWs = (): void => {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  let current: { scheme: string; params: Record<string, string> } | undefined;
  while (i < n) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const word = readToken();
    if (word === '') {
      i++; // garbage character: skip it
      continue;
    }
    skipWs();
    if (s[i] === '=' && current) {
      // A parameter of the current challenge (or a token68 ending in '=').
      i++;
      skipWs();
      let value: string;
      if (s[i] === '"') {
        i++;
        value = '';
        while (i < n && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < n) i++;
          value += s[i];
          i++;
        }
        i++; // closing quote
      } else {
        const vstart = i;
        while (i < n && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
        value = s.slice(vstart, i);
      }
      current.params[word.toLowerCase()] = value;
      continue;
    }
    if (s[i] === '=' && !current) {
      i = start + word.length + 1;
      continue;
    }
    // A new challenge: `scheme` followed by params or a token68.
    current = { scheme: word.toLowerCase(), params: {} };
    out.push(current);
    skipWs();
    // token68 form (`Negotiate abc==`): keep it under `token68` and move on.
    const save = i;
    const t68 = /^[A-Za-z0-9._~+/-]+=*/.exec(s.slice(i));
    if (
      t68 &&
      !/^[A-Za-z0-9._~+/-]+\s*=[^=]/.test(s.slice(i)) &&
      !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*=\s*"/.test(s.slice(i))
    ) {
      const after = s.slice(i + t68[0].length).trimStart();
      if (after === '' || after.startsWith(',')) {
        current.params.token68 = t68[0];
        i += t68[0].length;
        continue;
      }
    }
    i = save;
  }
}

/**
 * Picks the challenge tidewatch answers: the first `bearer` or `basic` one (as
 * go-containerregistry does).
 */
export function pickChallenge(challenges: readonly AuthChallenge[]): AuthChallenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer' || c.scheme === 'basic');
}
