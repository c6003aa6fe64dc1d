/**
 * Redaction of credentials from URLs, headers and free text. Every error message and log line in
 * tidewatch passes through these helpers.
 *
 * @packageDocumentation
 */

/** What replaces a secret. */
export const REDACTED = '***';

/**
 * Query parameter names whose values are credentials. Compared case-insensitively; a name also
 * matches when it ends in one of these after a `_`, `-` or `.` (e.g. `x-amz-security-token`).
 */
const SECRET_PARAMS = [
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'key',
  'secret',
  'password',
  'passwd',
  'sig',
  'signature',
  'code',
  'auth',
  'authorization',
  'credential',
  'credentials',
  'client_secret',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
];

/** Header names whose values are credentials (lower case). */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'private-token',
  'x-gitlab-token',
  'x-registry-auth',
  'x-amz-security-token',
  'x-signature',
  'x-hub-signature',
  'x-hub-signature-256',
  'ocp-apim-subscription-key',
  'dd-api-key',
  'x-sentry-auth',
  'x-vault-token',
]);

/** Whether a query parameter name carries a credential. */
export function isSecretParam(name: string): boolean {
  const n = name.toLowerCase();
  return SECRET_PARAMS.some(
    (p) => n === p || n.endsWith(`_${p}`) || n.endsWith(`-${p}`) || n.endsWith(`.${p}`),
  );
}

/** Whether a header name carries a credential. */
export function isSecretHeader(name: string): boolean {
  const n = name.toLowerCase();
  return SECRET_HEADERS.has(n) || n.includes('token') || n.includes('secret') || n.includes('password');
}

/**
 * Removes credentials from a URL: userinfo becomes `***` (or is dropped when empty) and the values
 * of secret-bearing query parameters become `***`. Slack/Discord/Teams-style webhook paths whose
 * path *is* the secret are kept only up to the host when `opaquePath` is true.
 *
 * Never throws: a string that does not parse as a URL is redacted as text.
 *
 * @example
 * ```ts
 * redactUrl('https://user:pw@example.com/x?token=abc&n=1'); // 'https://***@example.com/x?token=***&n=1'
 * ```
 */
export function redactUrl(input: string | URL, options: { readonly opaquePath?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    return redactText(String(input));
  }
  const hadUser = url.username !== '' || url.password !== '';
  url.username = '';
  url.password = '';
  if ([...url.searchParams.keys()].some(isSecretParam)) {
    // Rebuild the query in its original order, masking only the secret values.
    const params = [...url.searchParams].map(([name, value]): [string, string] => [
      name,
      isSecretParam(name) ? REDACTED : value,
    ]);
    url.search = new URLSearchParams(params).toString();
  }
  let out = options.opaquePath ? `${url.protocol}//${url.host}/${REDACTED}` : url.toString();
  // URLSearchParams percent-encodes the asterisks; keep them readable.
  out = out.replaceAll('%2A%2A%2A', REDACTED);
  if (hadUser) out = out.replace(`${url.protocol}//`, `${url.protocol}//${REDACTED}@`);
  return out;
}

function formatHeaderValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Returns a copy of the headers in which every credential-bearing value is `***`. */
export function redactHeaders(
  headers:
    | ConstructorParameters<typeof Headers>[0]
    | Record<string, string | readonly string[] | undefined>
    | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  const entries: Iterable<[string, unknown]> =
    headers instanceof Headers
      ? headers.entries()
      : Array.isArray(headers)
        ? (headers as [string, string][])
        : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    out[name] = isSecretHeader(name)
      ? REDACTED
      : Array.isArray(value)
        ? value.join(', ')
        : formatHeaderValue(value);
  }
  return out;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
const BEARER_IN_TEXT = /\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/g;

/**
 * Field names that hold a credential when they appear as a JSON key or a `name=value` pair in free
 * text (a token response, an echoed form body). Narrower than the query-parameter list: `code` and
 * `key` are ordinary words in error bodies (`{"errors":[{"code":"DENIED"}]}`).
 */
const TEXT_SECRET_FIELDS =
  'access_token|refresh_token|id_token|token|password|passwd|client_secret|secret|api_key|apikey|private_token';

/** `"token": "value"` (the closing quote may be cut off, as in an excerpt or a JSON.parse message). */
const JSON_SECRET_FIELD = new RegExp(`("(?:${TEXT_SECRET_FIELDS})"\\s*:\\s*")((?:[^"\\\\]|\\\\.)*)`, 'gi');
/** `token=value` at the start of text or after a separator. */
const PAIR_SECRET_FIELD = new RegExp(`(^|[\\s?&;,({\\[])((?:${TEXT_SECRET_FIELDS})=)([^&\\s"'<>]+)`, 'gi');
/** `?name=value` / `&name=value` in a path without a scheme (an echoed request line). */
const QUERY_PAIR = /([?&])([A-Za-z0-9_.-]+)=([^&\s"'<>#]+)/g;

/**
 * Redacts, in free text: every literal secret passed in `secrets` (values shorter than 4
 * characters are ignored, as they would mask ordinary words); URLs with userinfo or token-like
 * query parameters; token-like parameters of scheme-less paths (`/v2/x?access_token=…`);
 * `Bearer …`/`Basic …` credentials; and credential fields of JSON or form text
 * (`"access_token":"…"`, `password=…`).
 *
 * @example
 * ```ts
 * redactText('GET /v2/?access_token=abc: 401 {"token":"eyJ…"}'); // 'GET /v2/?access_token=***: 401 {"token":"***"}'
 * ```
 */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(URL_IN_TEXT, (match) => {
    try {
      const u = new URL(match);
      if (u.username || u.password || [...u.searchParams.keys()].some(isSecretParam)) return redactUrl(u);
    } catch {
      /* not a URL after all: keep it */
    }
    return match;
  });
  out = out.replace(QUERY_PAIR, (match, sep: string, name: string, value: string) =>
    isSecretParam(name) && value !== REDACTED ? `${sep}${name}=${REDACTED}` : match,
  );
  out = out.replace(JSON_SECRET_FIELD, (_m, head: string, value: string) =>
    value === '' ? `${head}` : `${head}${REDACTED}`,
  );
  out = out.replace(PAIR_SECRET_FIELD, (_m, lead: string, name: string) => `${lead}${name}${REDACTED}`);
  return out.replace(BEARER_IN_TEXT, (_m, scheme: string) => `${scheme} ${REDACTED}`);
}

/**
 * A set of secret values known at run time (tokens, passwords) that must be masked wherever
 * they might appear. Plug-ins register the values of their `secretFields` here.
 */
export class SecretRegistry {
  readonly #values = new Set<string>();

  /**
   * Remembers a secret value, its base64 form (which often ends up in headers) and its
   * percent-encoded form (URLs, form bodies).
   */
  add(value: string | undefined): void {
    if (!value || value.length < 4) return;
    this.#values.add(value);
    this.#values.add(Buffer.from(value, 'utf8').toString('base64'));
    // The percent-encoded form is what appears in URLs and form bodies.
    const encoded = encodeURIComponent(value);
    if (encoded !== value) this.#values.add(encoded);
  }

  /** Masks every known secret and every URL credential in `text`. */
  redact(text: string): string {
    return redactText(
      text,
      [...this.#values].sort((a, b) => b.length - a.length),
    );
  }

  /** Number of distinct values held (including derived forms). */
  get size(): number {
    return this.#values.size;
  }
}
