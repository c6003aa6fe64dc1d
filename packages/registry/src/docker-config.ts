/**
 * Credentials from a Docker config (`~/.docker/config.json`, a Kubernetes
 * `kubernetes.io/dockerconfigjson` Secret's `.dockerconfigjson`, or a legacy `.dockercfg`), looked
 * up with the Kubernetes keyring rules that Flux's ImageRepository uses.
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { AbortError, ConfigError } from '@tidewatch/core';
import type { ConfigProblem } from '@tidewatch/core';
import { RegistryError } from './errors.js';
import { DOCKER_HUB_REGISTRY, isDockerHubHost } from './reference.js';
import type { CredentialRequest, RegistryCredentials } from './types.js';

const SCOPE = 'registry:docker-config';
/** The server URL Docker uses for Docker Hub in configs and credential helpers. */
const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';
/** What a docker-credential-helpers program prints when it has nothing for the server. */
const HELPER_NOT_FOUND = 'credentials not found in native keychain';
/** A helper name is the suffix of `docker-credential-<name>`: no path separators, no shell syntax. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Most output read from a helper; a credential is a few KiB at most. */
const MAX_HELPER_OUTPUT = 64 * 1024;
/** A helper's answer has no lifetime: treat it as valid this long (asked again at 80 %). */
const HELPER_CREDENTIAL_LIFE_MS = 10 * 60_000;

/** Options of {@link credentialsFromDockerConfig}. */
export interface DockerConfigOptions {
  /**
   * Run the credential helpers the config names: `credHelpers[<host>]`, else `credsStore`, as the
   * docker CLI does (`docker-credential-<name> get`, found on `PATH`, run without a shell). This
   * executes programs named in the config file, so it is off unless you turn it on; when off,
   * `credHelpers` and `credsStore` are ignored, as Flux ignores them.
   * @default false
   */
  readonly credentialHelpers?: boolean;
  /** How long one helper run may take before it is killed, in ms. @default 10000 */
  readonly credentialHelperTimeoutMs?: number;
}

/** One usable entry of a Docker config. */
export interface DockerConfigEntry {
  /** The key as written in the config, e.g. `https://index.docker.io/v1/`. */
  readonly key: string;
  /** Normalised host (`index.docker.io` for every Docker Hub spelling), lower case, with port. */
  readonly host: string;
  /** Path prefix the entry is limited to (`''` for the whole registry). */
  readonly path: string;
  /** The credentials (secret). */
  readonly credentials: RegistryCredentials;
}

/** Credentials parsed from a Docker config; usable directly as `auth`. */
export interface DockerConfigCredentials {
  /** Marker for `auth` dispatch. */
  readonly kind: 'docker-config';
  /** Entries, most specific first (reverse lexicographic order of normalised keys, as Kubernetes sorts them). */
  readonly entries: readonly DockerConfigEntry[];
  /**
   * The credentials for `registry` (host[:port]) and `repository`, or `undefined` (anonymous)
   * when no entry matches.
   */
  lookup(registry: string, repository?: string): RegistryCredentials | undefined;
  /**
   * The helper that answers for `registry` (host[:port]): `credHelpers[host]`, else `credsStore`;
   * `undefined` when there is none or `credentialHelpers` is off.
   */
  helperFor(registry: string): string | undefined;
  /**
   * The credentials for the request, as the docker CLI resolves them: the registry's helper when
   * there is one (with `credentialHelpers: true`; a helper that has nothing means anonymous, even if
   * `auths` has an entry), else {@link lookup}. Helper answers are kept per registry for 8 minutes.
   *
   * @throws {@link RegistryError} `CREDENTIAL_PROVIDER` when a helper is missing from `PATH`, exits
   * with an error, times out, or prints something that is not credentials (never with the secret).
   */
  getCredentials(request: CredentialRequest): Promise<RegistryCredentials>;
}

interface RawEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
  registrytoken?: unknown;
}

/** Normalises a config key or a registry host to `{ host, path }`. */
function normaliseKey(key: string): { host: string; path: string } {
  let k = key.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = k.indexOf('/');
  let path = '';
  if (slash >= 0) {
    path = k.slice(slash);
    k = k.slice(0, slash);
  }
  // `/v1/`, `/v2/` (and a bare `/`) mean the whole registry.
  if (/^\/(v[12]\/?)?$/.test(path)) path = '';
  path = path.replace(/^\//, '').replace(/\/$/, '');
  let host = k.toLowerCase();
  if (isDockerHubHost(host)) host = DOCKER_HUB_REGISTRY;
  return { host, path };
}

function splitHostPort(host: string): { name: string; port: string } {
  const m = /^(.*?)(?::(\d+))?$/.exec(host);
  return { name: m?.[1] ?? host, port: m?.[2] ?? '' };
}

/** Kubernetes keyring matching: same port, same label count, `*` globs one label, path prefix. */
function matches(entry: DockerConfigEntry, registry: string, repository: string): boolean {
  const target = normaliseKey(registry);
  const a = splitHostPort(entry.host);
  const b = splitHostPort(target.host);
  if (a.port !== b.port) return false;
  const al = a.name.split('.');
  const bl = b.name.split('.');
  if (al.length !== bl.length) return false;
  for (let i = 0; i < al.length; i++) {
    const pattern = al[i]!;
    if (pattern === '*') continue;
    if (pattern.includes('*')) {
      const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('[^.]*')}$`);
      if (!re.test(bl[i]!)) return false;
    } else if (pattern !== bl[i]) return false;
  }
  return repository.startsWith(entry.path);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Parses a Docker config and returns its credentials with Kubernetes keyring lookup rules: keys
 * lose their scheme and a `/v1/`/`/v2/` path, every Docker Hub spelling (`docker.io`,
 * `index.docker.io`, `registry-1.docker.io`, `https://index.docker.io/v1/`) is one host, a key
 * may carry a path prefix (`host/ns`) and `*` globs (`*.example.com`), ports must match, and the
 * most specific key wins. `auth` is base64 `user:pass` split at the first colon; `identitytoken`
 * and `registrytoken` are kept. `credHelpers`/`credsStore` are ignored unless
 * `options.credentialHelpers` is `true` (see {@link DockerConfigOptions}).
 *
 * Accepts the JSON text or the parsed object, either `{ "auths": { … } }` or a legacy
 * `.dockercfg` map.
 *
 * @throws {@link ConfigError} listing every malformed entry (and, with helpers on, every invalid
 * helper name or option) at once, never the secret values.
 *
 * @example
 * ```ts
 * const creds = credentialsFromDockerConfig(fs.readFileSync('config.json', 'utf8'));
 * await scanImageTags({ image: 'ghcr.io/org/app', auth: creds });
 * // On a workstation or CI runner whose ~/.docker/config.json uses `credsStore`/`credHelpers`:
 * const mine = credentialsFromDockerConfig(fs.readFileSync(`${os.homedir()}/.docker/config.json`, 'utf8'), {
 *   credentialHelpers: true,
 * });
 * ```
 */
export function credentialsFromDockerConfig(
  json: string | object,
  options: DockerConfigOptions = {},
): DockerConfigCredentials {
  const scope = SCOPE;
  const problems: ConfigProblem[] = [];
  const helperOptions = parseDockerConfigOptions(options, problems);
  let parsed: unknown = json;
  if (typeof json === 'string') {
    try {
      parsed = JSON.parse(json) as unknown;
    } catch (err) {
      throw new ConfigError(scope, [...problems, { path: '', message: 'is not valid JSON' }], { cause: err });
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(scope, [...problems, { path: '', message: 'must be a JSON object' }]);
  }
  const root = parsed as Record<string, unknown>;
  // A config with `credHelpers`/`credsStore` but no `auths` (what `gcloud auth configure-docker`
  // writes) is a modern config, not a legacy `.dockercfg` map.
  const hasAuths = 'auths' in root || 'credHelpers' in root || 'credsStore' in root;
  const auths = hasAuths ? (root.auths ?? {}) : root;
  const base = hasAuths ? 'auths' : '';
  const entries: DockerConfigEntry[] = [];
  if (auths === null || typeof auths !== 'object' || Array.isArray(auths)) {
    throw new ConfigError(scope, [
      ...problems,
      { path: base, message: 'must be an object of registry entries' },
    ]);
  }
  for (const [key, value] of Object.entries(auths as Record<string, unknown>)) {
    if (!hasAuths && (key === 'credHelpers' || key === 'credsStore' || key === 'HttpHeaders')) continue;
    const path = base ? `${base}.${key}` : key;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ path, message: 'must be an object' });
      continue;
    }
    const raw = value as RawEntry;
    let username = str(raw.username);
    let password = str(raw.password);
    if (raw.auth !== undefined && raw.auth !== '') {
      const decoded = typeof raw.auth === 'string' ? decodeAuth(raw.auth) : undefined;
      if (!decoded) {
        problems.push({ path: `${path}.auth`, message: 'must be base64 of "username:password"' });
        continue;
      }
      username = decoded.username || username;
      password = decoded.password || password;
    }
    const identityToken = str(raw.identitytoken);
    const registryToken = str(raw.registrytoken);
    if (!identityToken && !registryToken && (username === undefined) !== (password === undefined)) {
      problems.push({ path, message: 'needs both a username and a password (only one is set)' });
      continue;
    }
    const { host, path: keyPath } = normaliseKey(key);
    if (!host) {
      problems.push({ path, message: 'the key names no registry host' });
      continue;
    }
    entries.push({
      key,
      host,
      path: keyPath,
      credentials: {
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        ...(identityToken === undefined ? {} : { identityToken }),
        ...(registryToken === undefined ? {} : { registryToken }),
      },
    });
  }
  const helpers = helperOptions.enabled ? readHelpers(root, problems) : { byHost: new Map<string, string>() };
  if (problems.length > 0) throw new ConfigError(scope, problems);
  const sortKey = (e: DockerConfigEntry): string => (e.path ? `${e.host}/${e.path}` : e.host);
  entries.sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : sortKey(a) > sortKey(b) ? -1 : 0));
  const lookup = (registry: string, repository = ''): RegistryCredentials | undefined =>
    entries.find((e) => matches(e, registry, repository))?.credentials;
  const helperFor = (registry: string): string | undefined =>
    helpers.byHost.get(normaliseKey(registry).host) ?? helpers.store;
  // Helper answers per server URL; concurrent requests share one run; failures are not kept.
  const answers = new Map<string, { value: Promise<RegistryCredentials>; refreshAtMs: number }>();
  const fromHelper = (
    helper: string,
    registry: string,
    signal?: AbortSignal,
  ): Promise<RegistryCredentials> => {
    const host = normaliseKey(registry).host;
    const serverUrl = host === DOCKER_HUB_REGISTRY ? DOCKER_HUB_SERVER_URL : host;
    const key = `${helper}\n${serverUrl}`;
    const hit = answers.get(key);
    if (hit && hit.refreshAtMs > Date.now()) return hit.value;
    const startedAt = Date.now();
    const entry = {
      value: runCredentialHelper(helper, serverUrl, helperOptions.timeoutMs, signal).then((creds) =>
        Object.keys(creds).length === 0
          ? creds
          : { ...creds, expiresAt: new Date(startedAt + HELPER_CREDENTIAL_LIFE_MS) },
      ),
      refreshAtMs: startedAt + HELPER_CREDENTIAL_LIFE_MS * 0.8,
    };
    answers.set(key, entry);
    entry.value.catch(() => {
      if (answers.get(key) === entry) answers.delete(key);
    });
    return entry.value;
  };
  return {
    kind: 'docker-config',
    entries,
    lookup,
    helperFor,
    getCredentials(request) {
      const helper = helperFor(request.registry);
      if (helper !== undefined) return fromHelper(helper, request.registry, request.signal);
      return Promise.resolve(lookup(request.registry, request.repository) ?? {});
    },
  };
}

function parseDockerConfigOptions(
  options: unknown,
  problems: ConfigProblem[],
): { enabled: boolean; timeoutMs: number } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    problems.push({ path: '', message: 'options must be an object' });
    return { enabled: false, timeoutMs: 10_000 };
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'credentialHelpers' && key !== 'credentialHelperTimeoutMs')
      problems.push({
        path: key,
        message: 'unknown option (allowed: credentialHelpers, credentialHelperTimeoutMs)',
      });
  }
  if (o.credentialHelpers !== undefined && typeof o.credentialHelpers !== 'boolean')
    problems.push({ path: 'credentialHelpers', message: 'must be true or false' });
  const timeout = o.credentialHelperTimeoutMs;
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0))
    problems.push({
      path: 'credentialHelperTimeoutMs',
      message: 'must be a positive integer (milliseconds)',
    });
  return { enabled: o.credentialHelpers === true, timeoutMs: typeof timeout === 'number' ? timeout : 10_000 };
}

/** Reads `credHelpers` (keys normalised like `auths` keys) and `credsStore`, checking helper names. */
function readHelpers(
  root: Record<string, unknown>,
  problems: ConfigProblem[],
): { byHost: Map<string, string>; store?: string } {
  const byHost = new Map<string, string>();
  const checkName = (name: unknown, path: string): name is string => {
    if (typeof name === 'string' && HELPER_NAME.test(name)) return true;
    problems.push({
      path,
      message:
        'must name a credential helper: the <name> of docker-credential-<name> (letters, digits, . _ -)',
    });
    return false;
  };
  const raw = root.credHelpers;
  if (raw !== undefined) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ path: 'credHelpers', message: 'must be an object of registry host → helper name' });
    } else {
      for (const [key, name] of Object.entries(raw as Record<string, unknown>)) {
        const { host } = normaliseKey(key);
        if (checkName(name, `credHelpers.${key}`) && host) byHost.set(host, name);
      }
    }
  }
  const store = root.credsStore;
  // An empty credsStore means none, as in the docker CLI.
  if (store === undefined || store === '') return { byHost };
  return checkName(store, 'credsStore') ? { byHost, store } : { byHost };
}

/**
 * Runs `docker-credential-<helper> get` with the server URL on stdin (the docker-credential-helpers
 * protocol): no shell, the environment passed as is, a timeout, bounded output. JSON
 * `{ServerURL, Username, Secret}` on stdout is the answer; a `<token>` username means the secret is
 * an identity token; "credentials not found in native keychain" means anonymous.
 */
function runCredentialHelper(
  helper: string,
  serverUrl: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<RegistryCredentials> {
  const program = `docker-credential-${helper}`;
  const fail = (what: string, extra: { cause?: unknown; retryable?: boolean } = {}): RegistryError =>
    new RegistryError(
      'CREDENTIAL_PROVIDER',
      SCOPE,
      `credential helper ${program} for ${serverUrl}: ${what}`,
      extra,
    );
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError(SCOPE, { cause: signal.reason }));
      return;
    }
    const child = spawn(program, ['get'], {
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let settled = false;
    const settle = (err: Error | undefined, creds?: RegistryCredentials): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
        reject(err);
      } else resolve(creds ?? {});
    };
    const onAbort = (): void => settle(new AbortError(SCOPE, { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => settle(fail(`no answer within ${timeoutMs} ms (killed)`, { retryable: true })),
      timeoutMs,
    );
    child.on('error', (err: NodeJS.ErrnoException) => {
      const what =
        err.code === 'ENOENT'
          ? `not found on PATH (install it, or turn credentialHelpers off)`
          : err.code === 'EACCES'
            ? 'is not executable'
            : `could not be run: ${err.code ?? err.message}`;
      settle(fail(what, { cause: err }));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_HELPER_OUTPUT) settle(fail(`printed more than ${MAX_HELPER_OUTPUT} bytes`));
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errBytes < 4096) stderr.push(chunk);
      errBytes += chunk.length;
    });
    // A helper that exits without reading stdin must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(serverUrl);
    child.on('close', (code, killedBy) => {
      const out = Buffer.concat(stdout).toString('utf8').trim();
      const errText = Buffer.concat(stderr).toString('utf8').trim();
      if (code !== 0) {
        if (out === HELPER_NOT_FOUND || errText === HELPER_NOT_FOUND) {
          settle(undefined, {});
          return;
        }
        settle(
          fail(`${killedBy ? `killed by ${killedBy}` : `exit code ${code}`}${helperMessage(out || errText)}`),
        );
        return;
      }
      const creds = parseHelperAnswer(out);
      if (creds) settle(undefined, creds);
      else
        settle(
          fail(
            `printed ${Buffer.byteLength(out)} bytes that are not JSON credentials ({"ServerURL","Username","Secret"})`,
          ),
        );
    });
  });
}

/** A helper's error text for our message: first line, short, and never anything that looks like JSON. */
function helperMessage(text: string): string {
  const line = text.split(/\r?\n/, 1)[0]!.trim();
  if (line === '' || line.startsWith('{') || line.startsWith('[')) return '';
  return `: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`;
}

/** Parses `{ServerURL, Username, Secret}` leniently (missing fields are empty, as in Go); `undefined` for garbage. */
function parseHelperAnswer(text: string): RegistryCredentials | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { Username: user = '', Secret: secret = '' } = value as { Username?: unknown; Secret?: unknown };
  if (typeof user !== 'string' || typeof secret !== 'string') return undefined;
  if (secret === '') return {};
  return user === '<token>' ? { identityToken: secret } : { username: user, password: secret };
}

function decodeAuth(auth: string): { username: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(auth.trim())) return undefined;
  const text = Buffer.from(auth.trim(), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
