/**
 * Credentials from a Docker config (`~/.docker/config.json`, a Kubernetes
 * `kubernetes.io/dockerconfigjson` Secret's `.dockerconfigjson`, or a legacy `.dockercfg`), looked
 * up with the Kubernetes keyring rules that Flux's ImageRepository uses.
 *
 * @packageDocumentation
 */
import { ConfigError } from '@tidewatch/core';
import type { ConfigProblem } from '@tidewatch/core';
import { DOCKER_HUB_REGISTRY, isDockerHubHost } from './reference.js';
import type { CredentialRequest, RegistryCredentials } from './types.js';

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
  /** Same as {@link lookup}, in the shape of a credential provider. */
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
 * and `registrytoken` are kept. `credHelpers`/`credsStore` are ignored (tidewatch runs no helper
 * binaries).
 *
 * Accepts the JSON text or the parsed object, either `{ "auths": { … } }` or a legacy
 * `.dockercfg` map.
 *
 * @throws {@link ConfigError} listing every malformed entry at once (never the secret values).
 *
 * @example
 * ```ts
 * const creds = credentialsFromDockerConfig(fs.readFileSync('config.json', 'utf8'));
 * await scanImageTags({ image: 'ghcr.io/org/app', auth: creds });
 * ```
 */
export function credentialsFromDockerConfig(json: string | object): DockerConfigCredentials {
  const scope = 'registry:docker-config';
  let parsed: unknown = json;
  if (typeof json === 'string') {
    try {
      parsed = JSON.parse(json) as unknown;
    } catch (err) {
      throw new ConfigError(scope, [{ path: '', message: 'is not valid JSON' }], { cause: err });
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(scope, [{ path: '', message: 'must be a JSON object' }]);
  }
  const root = parsed as Record<string, unknown>;
  const hasAuths = 'auths' in root;
  const auths = hasAuths ? root.auths : root;
  const base = hasAuths ? 'auths' : '';
  const problems: ConfigProblem[] = [];
  const entries: DockerConfigEntry[] = [];
  if (auths === null || typeof auths !== 'object' || Array.isArray(auths)) {
    throw new ConfigError(scope, [{ path: base, message: 'must be an object of registry entries' }]);
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
  if (problems.length > 0) throw new ConfigError(scope, problems);
  const sortKey = (e: DockerConfigEntry): string => (e.path ? `${e.host}/${e.path}` : e.host);
  entries.sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : sortKey(a) > sortKey(b) ? -1 : 0));
  const lookup = (registry: string, repository = ''): RegistryCredentials | undefined =>
    entries.find((e) => matches(e, registry, repository))?.credentials;
  return {
    kind: 'docker-config',
    entries,
    lookup,
    getCredentials: (request) => Promise.resolve(lookup(request.registry, request.repository) ?? {}),
  };
}

function decodeAuth(auth: string): { username: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(auth.trim())) return undefined;
  const text = Buffer.from(auth.trim(), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
