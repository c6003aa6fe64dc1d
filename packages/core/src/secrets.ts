/**
 * Secrets outside a cluster: where Flux reads a Kubernetes Secret, tidewatch asks a
 * {@link SecretResolver}. Implementations read Secret manifests, environment variables or a
 * callback, and chain. Resolved values never show in logs, errors, `util.inspect` or `JSON.stringify`.
 *
 * @packageDocumentation
 */
import type { ConfigProblem } from './errors.js';
import { AbortError, ConfigError, TidewatchError } from './errors.js';
import { maskedRecord } from './flux/mask.js';
import type { SecretManifest } from './flux/types.js';
import type { LoadManifestsOptions, ManifestIndex } from './manifest.js';
import { loadManifests } from './manifest.js';
import type { SecretRegistry } from './redact.js';

/** Options of {@link SecretResolver.get}. */
export interface SecretGetOptions {
  /** Cancels the lookup. */
  readonly signal?: AbortSignal;
}

/**
 * A Secret's content, decoded. `data` holds every key as UTF-8 text (`stringData` merged over
 * base64 `data`, as Kubernetes does); {@link ResolvedSecret.bytes} gives the raw bytes.
 * Printing or serialising the object shows `***` for every value.
 */
export interface ResolvedSecret {
  /** Secret name. */
  readonly name: string;
  /** Secret namespace. */
  readonly namespace: string;
  /** Secret type, e.g. `Opaque` or `kubernetes.io/dockerconfigjson`. */
  readonly type: string;
  /** Every key's value as UTF-8 text (values mask themselves when printed). */
  readonly data: Readonly<Record<string, string>>;
  /** The raw bytes of a key, or `undefined` when the key is absent. */
  bytes(key: string): Uint8Array | undefined;
  /** `[ResolvedSecret <namespace>/<name>]`: never a value. */
  toString(): string;
}

/**
 * Looks Secrets up by namespace and name.
 *
 * @example
 * ```ts
 * const secret = await resolver.get('flux-system', 'slack-webhook');
 * const address = secret.data.address;
 * ```
 */
export interface SecretResolver {
  /**
   * Resolves a Secret.
   * @throws {@link SecretNotFoundError} (`SECRET_NOT_FOUND`) when this resolver has no such Secret.
   * @throws {@link SecretInvalidError} (`SECRET_INVALID`) when its content is invalid.
   */
  get(namespace: string, name: string, options?: SecretGetOptions): Promise<ResolvedSecret>;
}

/** No Secret with that namespace and name. */
export class SecretNotFoundError extends TidewatchError {
  /** Namespace asked for. */
  readonly namespace: string;
  /** Name asked for. */
  readonly secretName: string;

  constructor(
    namespace: string,
    name: string,
    options: { readonly cause?: unknown; readonly where?: string } = {},
  ) {
    const where = options.where ? ` (${options.where})` : '';
    super('SECRET_NOT_FOUND', `[core:secrets] secret not found: ${namespace}/${name}${where}`, options);
    this.namespace = namespace;
    this.secretName = name;
  }
}

/** A Secret's content is invalid (bad base64, a dockerconfigjson that is not JSON, …). */
export class SecretInvalidError extends ConfigError {
  override readonly code = 'SECRET_INVALID' as const;

  constructor(problems: readonly ConfigProblem[], options: { readonly cause?: unknown } = {}) {
    super('core:secrets', problems, options);
  }
}

/** Content of a Secret as a {@link createCallbackSecretResolver} callback returns it. */
export interface SecretInput {
  /** The Secret's type, e.g. `kubernetes.io/basic-auth`. @default 'Opaque' */
  readonly type?: string;
  /** Values: strings are taken as UTF-8 text (not base64), byte arrays as is. */
  readonly data: Readonly<Record<string, string | Uint8Array>>;
}

/** Options shared by every resolver factory. */
export interface SecretResolverOptions {
  /** Every resolved value (and derived forms such as `user:password` in base64) is added here. */
  readonly registry?: SecretRegistry;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

class Resolved implements ResolvedSecret {
  readonly name: string;
  readonly namespace: string;
  readonly type: string;
  readonly data: Readonly<Record<string, string>>;
  readonly #bytes: ReadonlyMap<string, Uint8Array>;

  constructor(namespace: string, name: string, type: string, bytes: ReadonlyMap<string, Uint8Array>) {
    this.name = name;
    this.namespace = namespace;
    this.type = type;
    this.#bytes = bytes;
    const text: Record<string, string> = {};
    for (const [k, v] of bytes) text[k] = Buffer.from(v).toString('utf8');
    this.data = maskedRecord(text);
  }

  bytes(key: string): Uint8Array | undefined {
    const value = this.#bytes.get(key);
    return value === undefined ? undefined : new Uint8Array(value);
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, namespace: this.namespace, type: this.type, data: this.data };
  }

  [INSPECT](): Record<string, unknown> {
    return this.toJSON();
  }

  toString(): string {
    return `[ResolvedSecret ${this.namespace}/${this.name}]`;
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('core:secrets', { cause: signal.reason });
}

/** Where a Secret's problems are reported. */
interface ProblemSite {
  readonly file?: string;
  readonly line?: number;
  readonly keyLines?: Readonly<Record<string, number>>;
}

function problem(site: ProblemSite, path: string, message: string, lineKey?: string): ConfigProblem {
  const line = (lineKey === undefined ? undefined : site.keyLines?.[lineKey]) ?? site.line;
  return {
    path,
    message,
    ...(site.file === undefined ? {} : { file: site.file }),
    ...(line === undefined ? {} : { line }),
  };
}

/**
 * Kubernetes' checks of a Secret's content by type. Messages name keys, never values (and JSON
 * parse errors are not passed on as `cause`: Node's message quotes the text).
 */
function validateContent(
  label: string,
  type: string,
  bytes: ReadonlyMap<string, Uint8Array>,
  site: ProblemSite,
  problems: ConfigProblem[],
): void {
  const requireKeys = (keys: readonly string[]) => {
    for (const k of keys) {
      if (!bytes.has(k)) problems.push(problem(site, `${label}.data`, `type ${type} requires key "${k}"`));
    }
  };
  const json = (k: string): unknown => {
    const raw = bytes.get(k);
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(Buffer.from(raw).toString('utf8')) as unknown;
    } catch {
      problems.push(problem(site, `${label}.data.${k}`, 'is not valid JSON', k));
      return undefined;
    }
  };
  switch (type) {
    case 'kubernetes.io/dockerconfigjson': {
      requireKeys(['.dockerconfigjson']);
      const value = json('.dockerconfigjson');
      const auths = (value as { auths?: unknown } | undefined)?.auths;
      if (
        bytes.has('.dockerconfigjson') &&
        value !== undefined &&
        (typeof auths !== 'object' || auths === null || Array.isArray(auths))
      ) {
        problems.push(
          problem(
            site,
            `${label}.data..dockerconfigjson`,
            'must be a JSON object with an "auths" object',
            '.dockerconfigjson',
          ),
        );
      }
      break;
    }
    case 'kubernetes.io/dockercfg':
      requireKeys(['.dockercfg']);
      json('.dockercfg');
      break;
    case 'kubernetes.io/basic-auth':
      if (!bytes.has('username') && !bytes.has('password')) {
        problems.push(problem(site, `${label}.data`, `type ${type} requires key "username" or "password"`));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      requireKeys(['ssh-privatekey']);
      break;
    case 'kubernetes.io/tls':
      requireKeys(['tls.crt', 'tls.key']);
      break;
    default:
      break;
  }
}

/** Go's `base64.StdEncoding` as Kubernetes decodes Secret `data`: padded, `\r` and `\n` ignored. */
function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

/** Adds a Secret's values, and forms derived from them, to a registry. */
function register(
  registry: SecretRegistry | undefined,
  type: string,
  bytes: ReadonlyMap<string, Uint8Array>,
): void {
  if (!registry) return;
  for (const value of bytes.values()) {
    const text = Buffer.from(value).toString('utf8');
    registry.add(text);
    if (text.trim() !== text) registry.add(text.trim());
  }
  const username = bytes.get('username');
  const password = bytes.get('password');
  if (username && password)
    registry.add(`${Buffer.from(username).toString('utf8')}:${Buffer.from(password).toString('utf8')}`);
  const config = bytes.get(type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson');
  if (config) {
    try {
      const parsed = JSON.parse(Buffer.from(config).toString('utf8')) as {
        auths?: Record<string, Record<string, unknown>>;
      };
      const entries = parsed.auths ?? parsed;
      for (const entry of Object.values(entries ?? {})) {
        if (typeof entry !== 'object' || entry === null) continue;
        for (const field of ['password', 'auth', 'identitytoken', 'registrytoken']) {
          if (typeof entry[field] === 'string') registry.add(entry[field]);
        }
        if (typeof entry.username === 'string' && typeof entry.password === 'string') {
          registry.add(`${entry.username}:${entry.password}`);
        }
      }
    } catch {
      /* validated elsewhere */
    }
  }
}

/** Decodes one Secret manifest, collecting problems. */
function decodeManifest(secret: SecretManifest, problems: ConfigProblem[]): Map<string, Uint8Array> {
  const label = `Secret ${secret.metadata.namespace}/${secret.metadata.name}`;
  const site: ProblemSite = { file: secret.source.file, line: secret.source.line, keyLines: secret.keyLines };
  const bytes = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(secret.data)) {
    const decoded = decodeBase64(v);
    if (decoded === undefined) {
      problems.push(
        problem(
          { ...site, keyLines: secret.keyLines },
          `${label}.data.${k}`,
          'is not valid base64',
          `data.${k}`,
        ),
      );
    } else {
      bytes.set(k, decoded);
    }
  }
  for (const [k, v] of Object.entries(secret.stringData)) bytes.set(k, Buffer.from(v, 'utf8')); // stringData wins
  validateContent(label, secret.type, bytes, { ...site, keyLines: prefixLines(secret.keyLines) }, problems);
  return bytes;
}

/** Maps `data.k`/`stringData.k` lines to `k` (stringData wins, as for values). */
function prefixLines(lines: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [path, line] of Object.entries(lines)) if (path.startsWith('data.')) out[path.slice(5)] = line;
  for (const [path, line] of Object.entries(lines))
    if (path.startsWith('stringData.')) out[path.slice(11)] = line;
  return out;
}

/** Options of {@link createManifestSecretResolver}: where the manifests are, or an index already loaded. */
export type ManifestSecretResolverOptions = (LoadManifestsOptions | { readonly manifests: ManifestIndex }) &
  SecretResolverOptions;

/**
 * A resolver over Secret manifests (`kind: Secret`, `apiVersion: v1`) read from a directory,
 * files or a YAML string through {@link loadManifests}, or from an already loaded index.
 * Every Secret is decoded and checked up front: `data` must be base64, `stringData` wins over
 * `data` for the same key, `kubernetes.io/dockerconfigjson` must hold JSON with an `auths` object
 * (and the other built-in types their required keys).
 *
 * @throws {@link SecretInvalidError} listing every bad key of every Secret (file, line, key; never the value).
 * @throws {@link ManifestError} when the manifests themselves do not load.
 * @example
 * ```ts
 * const secrets = await createManifestSecretResolver({ dir: './secrets' });
 * const { data } = await secrets.get('flux-system', 'ghcr-credentials');
 * ```
 */
export async function createManifestSecretResolver(
  options: ManifestSecretResolverOptions,
): Promise<SecretResolver> {
  const index = 'manifests' in options ? options.manifests : await loadManifests(options);
  const problems: ConfigProblem[] = [];
  const secrets = new Map<string, Resolved>();
  for (const secret of index.byKind.Secret) {
    const bytes = decodeManifest(secret, problems);
    secrets.set(
      `${secret.metadata.namespace}/${secret.metadata.name}`,
      new Resolved(secret.metadata.namespace, secret.metadata.name, secret.type, bytes),
    );
  }
  if (problems.length > 0) throw new SecretInvalidError(problems);
  const registry = options.registry;
  return {
    get(namespace, name, getOptions = {}) {
      checkAborted(getOptions.signal);
      const found = secrets.get(`${namespace}/${name}`);
      if (!found)
        return Promise.reject(new SecretNotFoundError(namespace, name, { where: 'in the Secret manifests' }));
      register(registry, found.type, toBytes(found));
      return Promise.resolve(found);
    },
  };
}

function toBytes(secret: ResolvedSecret): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const key of Object.keys(secret.data)) out.set(key, secret.bytes(key)!);
  return out;
}

/**
 * Secret keys the environment resolver knows by name, so that their spelling survives the
 * upper-casing of variable names (`CA_CRT` → `ca.crt`, `GITHUBAPPID` → `githubAppID`).
 */
export const WELL_KNOWN_SECRET_KEYS: readonly string[] = [
  'address',
  'token',
  'username',
  'password',
  'headers',
  'proxy',
  'identity',
  'identity.pub',
  'known_hosts',
  'bearerToken',
  'ca.crt',
  'tls.crt',
  'tls.key',
  'caFile',
  'certFile',
  'keyFile',
  '.dockerconfigjson',
  '.dockercfg',
  'accesskey',
  'secretkey',
  'serviceaccount',
  'accountKey',
  'sasKey',
  'tenantId',
  'clientId',
  'clientSecret',
  'clientCertificate',
  'clientCertificatePassword',
  'clientCertificateSendChain',
  'authorityHost',
  'githubAppID',
  'githubAppInstallationID',
  'githubAppInstallationOwner',
  'githubAppPrivateKey',
  'githubAppBaseURL',
  'git.asc',
  'passphrase',
  'creds',
  'nkey',
  'ssh-privatekey',
  'ssh-publickey',
];

/** Upper-cases and turns every character outside `[A-Z0-9]` into `_`. */
export function envSecretSegment(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** Options of {@link createEnvSecretResolver}. */
export interface EnvSecretResolverOptions extends SecretResolverOptions {
  /**
   * The environment to read.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Variable name prefix.
   * @default 'TIDEWATCH_SECRET_'
   */
  readonly prefix?: string;
  /** Extra key spellings to recover, beyond {@link WELL_KNOWN_SECRET_KEYS}. */
  readonly keys?: readonly string[];
}

/**
 * A resolver over environment variables named `<prefix><NS>_<NAME>_<KEY>`, each part upper-cased
 * with every non-alphanumeric character as `_`: the key `address` of Secret `flux-system/slack-webhook`
 * is `TIDEWATCH_SECRET_FLUX_SYSTEM_SLACK_WEBHOOK_ADDRESS`. Values are plain text (not base64).
 * Key spellings are recovered from {@link WELL_KNOWN_SECRET_KEYS} plus `keys`; other keys become
 * lower case. A Secret with a `.dockerconfigjson` key gets type `kubernetes.io/dockerconfigjson`,
 * any other `Opaque`. The environment is read at each `get`.
 *
 * @example
 * ```ts
 * const secrets = createEnvSecretResolver();
 * // TIDEWATCH_SECRET_FLUX_SYSTEM_GHCR_CREDENTIALS__DOCKERCONFIGJSON='{"auths":{…}}'
 * const ghcr = await secrets.get('flux-system', 'ghcr-credentials');
 * ```
 */
export function createEnvSecretResolver(options: EnvSecretResolverOptions = {}): SecretResolver {
  const prefix = options.prefix ?? 'TIDEWATCH_SECRET_';
  const known = new Map<string, string>();
  for (const k of [...WELL_KNOWN_SECRET_KEYS, ...(options.keys ?? [])]) known.set(envSecretSegment(k), k);
  return {
    get(namespace, name, getOptions = {}) {
      checkAborted(getOptions.signal);
      const env = options.env ?? process.env;
      const start = `${prefix}${envSecretSegment(namespace)}_${envSecretSegment(name)}_`;
      const bytes = new Map<string, Uint8Array>();
      for (const variable of Object.keys(env).sort()) {
        const value = env[variable];
        if (!variable.startsWith(start) || value === undefined || variable.length === start.length) continue;
        const segment = variable.slice(start.length);
        bytes.set(known.get(segment) ?? segment.toLowerCase(), Buffer.from(value, 'utf8'));
      }
      if (bytes.size === 0) {
        return Promise.reject(
          new SecretNotFoundError(namespace, name, { where: `no ${start}* environment variable` }),
        );
      }
      const type = bytes.has('.dockerconfigjson') ? 'kubernetes.io/dockerconfigjson' : 'Opaque';
      const problems: ConfigProblem[] = [];
      validateContent(`Secret ${namespace}/${name}`, type, bytes, { file: `env ${start}*` }, problems);
      if (problems.length > 0) return Promise.reject(new SecretInvalidError(problems));
      register(options.registry, type, bytes);
      return Promise.resolve(new Resolved(namespace, name, type, bytes));
    },
  };
}

/** The callback of {@link createCallbackSecretResolver}: `undefined` means "no such Secret". */
export type SecretCallback = (
  ref: { readonly namespace: string; readonly name: string },
  options: SecretGetOptions,
) => Promise<SecretInput | undefined> | SecretInput | undefined;

/**
 * A resolver that asks a function (a vault client, a test fixture, …). Its answer is checked like
 * a Secret manifest's content (`SECRET_INVALID` on a bad dockerconfigjson).
 *
 * @example
 * ```ts
 * const secrets = createCallbackSecretResolver(async ({ namespace, name }) =>
 *   name === 'slack-webhook' ? { data: { address: await vault.read('slack') } } : undefined);
 * ```
 */
export function createCallbackSecretResolver(
  callback: SecretCallback,
  options: SecretResolverOptions = {},
): SecretResolver {
  return {
    async get(namespace, name, getOptions = {}) {
      checkAborted(getOptions.signal);
      const input = await callback({ namespace, name }, getOptions);
      checkAborted(getOptions.signal);
      if (input === undefined)
        throw new SecretNotFoundError(namespace, name, { where: 'callback returned nothing' });
      const type = input.type ?? 'Opaque';
      const bytes = new Map<string, Uint8Array>();
      for (const [k, v] of Object.entries(input.data)) {
        bytes.set(k, typeof v === 'string' ? Buffer.from(v, 'utf8') : new Uint8Array(v));
      }
      const problems: ConfigProblem[] = [];
      validateContent(`Secret ${namespace}/${name}`, type, bytes, {}, problems);
      if (problems.length > 0) throw new SecretInvalidError(problems);
      register(options.registry, type, bytes);
      return new Resolved(namespace, name, type, bytes);
    },
  };
}

/**
 * Tries resolvers in order: the first that has the Secret answers. A `SECRET_NOT_FOUND` moves on
 * to the next; any other error stops the chain. When none has it, `SECRET_NOT_FOUND`.
 *
 * @example
 * ```ts
 * const secrets = createSecretResolverChain([createEnvSecretResolver(), await createManifestSecretResolver({ dir: 'secrets' })]);
 * ```
 */
export function createSecretResolverChain(resolvers: readonly SecretResolver[]): SecretResolver {
  return {
    async get(namespace, name, getOptions = {}) {
      const misses: SecretNotFoundError[] = [];
      for (const resolver of resolvers) {
        checkAborted(getOptions.signal);
        try {
          return await resolver.get(namespace, name, getOptions);
        } catch (error) {
          if (error instanceof TidewatchError && error.code === 'SECRET_NOT_FOUND') {
            misses.push(error as SecretNotFoundError);
            continue;
          }
          throw error;
        }
      }
      throw new SecretNotFoundError(namespace, name, {
        where: `tried ${resolvers.length} resolver${resolvers.length === 1 ? '' : 's'}`,
        cause: misses.length === 1 ? misses[0] : new AggregateError(misses, 'no resolver has the secret'),
      });
    },
  };
}
