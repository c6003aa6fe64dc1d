/**
 * The machinery shared by every call in one scan (or one batch of scans): one keep-alive HTTP
 * client with a per-registry concurrency limit, one session per (registry, credentials), and the
 * secret registry that keeps tokens out of messages.
 *
 * @packageDocumentation
 */
import { ConfigError, SecretRegistry, createHttpClient, silentLogger } from '@tidewatch/core';
import type {
  BackoffOptions,
  FetchLike,
  HttpClient,
  HttpThreadMode,
  Logger,
  PluginContext,
} from '@tidewatch/core';
import { getCredentialProvider } from './credentials/index.js';
import { parseStaticCredentials } from './credentials/static.js';
import { RegistryError } from './errors.js';
import { RegistrySession, cachedCredentials } from './session.js';
import type {
  CredentialProvider,
  CredentialProviderDefinition,
  RegistryAuth,
  RegistryTlsOptions,
} from './types.js';

/** Connection settings shared by every registry call. */
export interface RegistryConnectionOptions {
  /** How to authenticate. @default anonymous */
  readonly auth?: RegistryAuth;
  /** Extra CA (added to the system roots) and client certificate. */
  readonly tls?: RegistryTlsOptions;
  /**
   * Allow plain HTTP to the registry (and to its token realm). Loopback, `*.localhost`, `*.local`
   * and RFC 1918 registries may always fall back to HTTP, as in Flux.
   * @default false
   */
  readonly insecure?: boolean;
  /** Per-attempt timeout of each HTTP request, in ms. @default 30000 */
  readonly timeoutMs?: number;
  /** Retries of each request on 408/429/5xx and network errors. @default 3 */
  readonly retries?: number;
  /** Backoff between retries. @default `{ baseMs: 500, maxMs: 30000, factor: 2 }` */
  readonly backoff?: BackoffOptions;
  /** Longest `Retry-After` honoured; a longer one fails at once with `REGISTRY_RATE_LIMITED`. @default 60000 */
  readonly maxRetryAfterMs?: number;
  /** Requests in flight per registry host. @default 16 */
  readonly concurrencyPerRegistry?: number;
  /** HTTP(S) proxy URL. */
  readonly proxy?: string;
  /** Where debug lines go (already redacted). @default silent */
  readonly logger?: Logger;
  /** Transport. @default the built-in one (undici, keep-alive) */
  readonly fetch?: FetchLike;
  /**
   * Where the built-in transport runs (`HttpClientOptions.thread` of `@tidewatch/core`): `'auto'`
   * moves it to a worker thread once the process has 8 requests in flight at once, so that the
   * main thread only parses what comes back (and back to the main thread for a while when that
   * thread was mostly waiting on the worker); `'on'` always, `'off'` never.
   * @default the `TIDEWATCH_HTTP_THREAD` environment variable, else 'auto'
   */
  readonly thread?: HttpThreadMode;
  /** Cancels everything. */
  readonly signal?: AbortSignal;
}

const SCOPE = 'registry:oci';

/** Adapts an {@link HttpClient} to the `fetch` shape plug-ins receive. */
function fetchOver(http: HttpClient): FetchLike {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : input;
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const body = init?.body;
    const res = await http.request({
      url,
      method: init?.method ?? 'GET',
      headers,
      throwOnStatus: false,
      ...(typeof body === 'string' || body instanceof URLSearchParams || body instanceof Uint8Array
        ? { body }
        : {}),
      ...(init?.signal ? { signal: init.signal } : {}),
    });
    const nullBody =
      res.status === 204 || res.status === 205 || res.status === 304 || res.body.byteLength === 0;
    return new Response(nullBody ? null : res.body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
}

function isProvider(auth: object): auth is CredentialProvider {
  return typeof (auth as { getCredentials?: unknown }).getCredentials === 'function';
}

/** Shared state of a scan or a batch of scans. */
export class RegistryContext {
  readonly http: HttpClient;
  readonly secrets = new SecretRegistry();
  readonly logger: Logger;
  readonly now: () => number;
  readonly #sessions = new Map<string, RegistrySession>();
  readonly #providers = new WeakMap<object, { id: number; provider: CredentialProvider }>();
  #nextId = 1;
  readonly #pluginContext: PluginContext;

  constructor(options: RegistryConnectionOptions) {
    this.logger = options.logger ?? silentLogger;
    this.now = Date.now;
    this.http = createHttpClient({
      scope: SCOPE,
      secrets: this.secrets,
      logger: this.logger,
      perHostConcurrency: options.concurrencyPerRegistry ?? 16,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs: options.maxRetryAfterMs }),
      ...(options.proxy ? { proxy: options.proxy } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.thread === undefined ? {} : { thread: options.thread }),
    });
    this.#pluginContext = {
      fetch: fetchOver(this.http),
      logger: this.logger,
      now: () => new Date(this.now()),
    };
  }

  /** Turns `auth` into a provider (memoised per auth object, so caches are shared). */
  provider(auth: RegistryAuth | undefined): { id: number; provider: CredentialProvider } {
    if (auth === undefined) return { id: 0, provider: { getCredentials: () => Promise.resolve({}) } };
    const known = this.#providers.get(auth);
    if (known) return known;
    let provider: CredentialProvider;
    if (isProvider(auth)) provider = auth;
    else if ('provider' in auth) {
      const def: CredentialProviderDefinition | undefined =
        typeof auth.provider === 'string' ? getCredentialProvider(auth.provider) : auth.provider;
      if (!def) {
        throw new ConfigError(SCOPE, [
          {
            path: 'auth.provider',
            message: `unknown credential provider '${typeof auth.provider === 'string' ? auth.provider : auth.provider.id}' (built in: aws, azure, callback, docker-config, gcp, static)`,
          },
        ]);
      }
      const options = def.parseOptions(auth.options ?? {});
      if (options !== null && typeof options === 'object') {
        for (const field of def.secretFields) {
          const v = (options as Record<string, unknown>)[field];
          if (typeof v === 'string') this.secrets.add(v);
        }
      }
      provider = def.create(options, this.#pluginContext);
    } else {
      const creds = parseStaticCredentials(auth, SCOPE);
      this.secrets.add(creds.password);
      this.secrets.add(creds.identityToken);
      this.secrets.add(creds.registryToken);
      if (creds.username !== undefined && creds.password)
        this.secrets.add(`${creds.username}:${creds.password}`);
      provider = { getCredentials: () => Promise.resolve(creds) };
    }
    const entry = { id: this.#nextId++, provider };
    this.#providers.set(auth, entry);
    return entry;
  }

  /** The session for a registry with the given auth (created on first use). */
  session(registry: string, auth: RegistryAuth | undefined, insecure: boolean): RegistrySession {
    const { id, provider } = this.provider(auth);
    const key = `${registry}\n${id}\n${insecure}`;
    let session = this.#sessions.get(key);
    if (!session) {
      session = new RegistrySession({
        scope: SCOPE,
        registry,
        http: this.http,
        insecure,
        secrets: this.secrets,
        logger: this.logger,
        now: this.now,
        credentials: cachedCredentials(provider, registry, { now: this.now, secrets: this.secrets }),
      });
      this.#sessions.set(key, session);
    }
    return session;
  }
}

/** Wraps a credential provider failure so that it reads as one (and is never mistaken for ours). */
export function asCredentialError(err: unknown, registry: string): unknown {
  if (err instanceof RegistryError || err instanceof ConfigError) return err;
  return new RegistryError('CREDENTIAL_PROVIDER', SCOPE, `getting credentials for ${registry} failed`, {
    cause: err,
  });
}
