/**
 * One authenticated conversation with one registry: the `/v2/` ping, the challenge, Basic or
 * Bearer auth with a token cache (80 % of a token's life), a refresh on 401, and the guards on
 * where credentials may go.
 *
 * @packageDocumentation
 */
import { HttpError, redactUrl } from '@tidewatch/core';
import type { HttpClient, HttpResponse, Logger, SecretRegistry } from '@tidewatch/core';
import { parseWwwAuthenticate, pickChallenge } from './challenge.js';
import type { AuthChallenge } from './challenge.js';
import { RegistryError } from './errors.js';
import type { RateLimitInfo } from './errors.js';
import type { CredentialProvider, RegistryCredentials } from './types.js';
import { allowsHttpByDefault, realmProblem } from './url-safety.js';

/** Token responses larger than this are refused (go-containerregistry uses the same cap). */
const MAX_TOKEN_BYTES = 64 * 1024;
/** `expires_in` when a token server does not say (Docker token spec). */
const DEFAULT_TOKEN_SECONDS = 60;
const MAX_REALM_REDIRECTS = 5;

/** What the session needs from its owner. */
export interface SessionOptions {
  /** `registry:<engine>` for messages. */
  readonly scope: string;
  /** Registry host[:port]. */
  readonly registry: string;
  /** HTTP client (shared, keep-alive). */
  readonly http: HttpClient;
  /** Where credentials come from (cached by the caller); gets the registry's base URL. */
  readonly credentials: (
    registryUrl: string,
    repository: string,
    signal?: AbortSignal,
  ) => Promise<RegistryCredentials>;
  /** Allow plain HTTP to the registry and to its token realm. */
  readonly insecure: boolean;
  /** Secrets to redact (tokens are added as they arrive). */
  readonly secrets: SecretRegistry;
  readonly logger: Logger;
  /** Clock in ms. */
  readonly now: () => number;
}

interface CachedToken {
  readonly token: string;
  readonly refreshAtMs: number;
}

type Ping =
  | { readonly base: URL; readonly kind: 'none' }
  | { readonly base: URL; readonly kind: 'basic' }
  | {
      readonly base: URL;
      readonly kind: 'bearer';
      readonly realm: string;
      readonly service: string | undefined;
    };

/** A request through the session. */
export interface SessionRequest {
  /** Path below the registry base (`/v2/...`) or an absolute URL on the registry's origin. */
  readonly url: string | URL;
  readonly method?: 'GET' | 'HEAD';
  readonly accept?: string;
  /** Token scopes, e.g. `repository:org/app:pull`. */
  readonly scopes: readonly string[];
  /** The repository the request is about (credentials may depend on it). */
  readonly repository: string;
  readonly maxBodyBytes?: number;
  readonly signal?: AbortSignal;
}

/** Reads Docker Hub's `ratelimit-*` headers (and `Retry-After`). */
export function readRateLimit(headers: Headers, now: number): RateLimitInfo | undefined {
  const limit = headers.get('ratelimit-limit');
  const remaining = headers.get('ratelimit-remaining');
  const source = headers.get('docker-ratelimit-source');
  const retryAfter = headers.get('retry-after');
  if (limit === null && remaining === null && source === null && retryAfter === null) return undefined;
  const parse = (v: string | null): { n?: number; w?: number } => {
    if (v === null) return {};
    const [num, ...params] = v.split(';');
    const n = Number.parseInt(num?.trim() ?? '', 10);
    const w = params.map((p) => /^\s*w\s*=\s*(\d+)/.exec(p)?.[1]).find((x) => x !== undefined);
    return { ...(Number.isFinite(n) ? { n } : {}), ...(w === undefined ? {} : { w: Number(w) }) };
  };
  const l = parse(limit);
  const r = parse(remaining);
  let retryAfterMs: number | undefined;
  if (retryAfter !== null) {
    const secs = Number(retryAfter);
    if (Number.isFinite(secs)) retryAfterMs = Math.max(0, secs * 1000);
    else {
      const at = Date.parse(retryAfter);
      if (!Number.isNaN(at)) retryAfterMs = Math.max(0, at - now);
    }
  }
  const windowSeconds = l.w ?? r.w;
  return {
    ...(l.n === undefined ? {} : { limit: l.n }),
    ...(r.n === undefined ? {} : { remaining: r.n }),
    ...(windowSeconds === undefined ? {} : { windowSeconds }),
    ...(source === null ? {} : { source }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/** Parses the `errors` array of a registry error body into one short line (redacted by the caller). */
export function registryErrorDetail(body: Uint8Array): string | undefined {
  if (body.byteLength === 0 || body.byteLength > 64 * 1024) return undefined;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return undefined;
    const parts = parsed.errors
      .map((e: unknown) => {
        if (e === null || typeof e !== 'object') return undefined;
        const { code, message } = e as { code?: unknown; message?: unknown };
        return [typeof code === 'string' ? code : '', typeof message === 'string' ? message : '']
          .filter(Boolean)
          .join(': ');
      })
      .filter((s): s is string => !!s);
    return parts.length > 0 ? parts.join('; ').slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** A registry conversation. Create one per (registry, credentials) and reuse it. */
export class RegistrySession {
  readonly #o: SessionOptions;
  #ping: Promise<Ping> | undefined;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #pending = new Map<string, Promise<CachedToken>>();
  /** The last rate-limit figures seen on any response. */
  rateLimit: RateLimitInfo | undefined;

  constructor(options: SessionOptions) {
    this.#o = options;
  }

  /** The registry base URL (`https://host`) once pinged. */
  async base(signal?: AbortSignal): Promise<URL> {
    return (await this.#pinged(signal)).base;
  }

  #pinged(signal?: AbortSignal): Promise<Ping> {
    if (!this.#ping) {
      const p = this.#doPing(signal);
      this.#ping = p;
      // A failed ping is not cached: the next call tries again.
      p.catch(() => {
        if (this.#ping === p) this.#ping = undefined;
      });
    }
    return this.#ping;
  }

  async #doPing(signal?: AbortSignal): Promise<Ping> {
    const { registry, http, scope } = this.#o;
    const httpAllowed = this.#o.insecure || allowsHttpByDefault(registry);
    const schemes = httpAllowed ? ['https', 'http'] : ['https'];
    let lastError: HttpError | undefined;
    for (const [i, scheme] of schemes.entries()) {
      const base = new URL(`${scheme}://${registry}`);
      const last = i === schemes.length - 1;
      let res: HttpResponse;
      try {
        res = await http.request({
          url: new URL('/v2/', base),
          throwOnStatus: false,
          // When plain HTTP is the fallback, a TLS failure on https is expected: do not retry it.
          ...(last ? {} : { retries: 0 }),
          ...(signal ? { signal } : {}),
        });
      } catch (err) {
        const network =
          err instanceof HttpError && (err.code === 'HTTP_NETWORK' || err.code === 'HTTP_TIMEOUT');
        if (!last && network) {
          lastError = err;
          continue;
        }
        throw err;
      }
      this.#noteRateLimit(res);
      if (res.status >= 200 && res.status < 300) return { base, kind: 'none' };
      if (res.status === 401) {
        const challenge = pickChallenge(parseWwwAuthenticate(res.headers.get('www-authenticate')));
        if (!challenge) {
          throw new RegistryError(
            'REGISTRY_AUTH',
            scope,
            `authentication failed: ${registry} answered 401 without a Basic or Bearer challenge`,
            { status: 401 },
          );
        }
        return this.#fromChallenge(base, challenge);
      }
      if (res.status === 429) throw this.#rateLimited(res, new URL('/v2/', base));
      // https failed to connect and plain http got a non-registry answer (say, a TLS port saying
      // "HTTP request to an HTTPS server"): the https failure is the one worth reporting.
      if (lastError !== undefined) throw lastError;
      throw this.#statusError(res, 'GET', new URL('/v2/', base), 'registry ping');
    }
    throw (
      lastError ??
      new RegistryError('REGISTRY_PROTOCOL', this.#o.scope, `registry ping of ${registry} failed`)
    );
  }

  #fromChallenge(base: URL, challenge: AuthChallenge): Ping {
    if (challenge.scheme === 'basic') return { base, kind: 'basic' };
    const realm = challenge.params.realm;
    if (!realm) {
      throw new RegistryError(
        'REGISTRY_AUTH',
        this.#o.scope,
        `authentication failed: the Bearer challenge of ${this.#o.registry} names no realm`,
      );
    }
    return { base, kind: 'bearer', realm, service: challenge.params.service };
  }

  /**
   * Sends a request with the registry's auth. On a 401 the token is exchanged again once (with any
   * scope the new challenge names first, as go-containerregistry does); a second 401 is an error.
   */
  async request(req: SessionRequest): Promise<HttpResponse> {
    let ping = await this.#pinged(req.signal);
    const url = new URL(req.url, ping.base);
    let scopes = [...req.scopes];
    for (let attempt = 0; ; attempt++) {
      // An anonymous registry needs no credentials: no async call (and no promise) per request.
      const auth =
        ping.kind === 'none'
          ? undefined
          : await this.#authorization(ping, scopes, req.repository, attempt > 0, req.signal);
      const headers: Record<string, string> = {};
      if (req.accept) headers.accept = req.accept;
      if (auth) headers.authorization = auth;
      const res = await this.#send({
        url,
        method: req.method ?? 'GET',
        headers,
        throwOnStatus: false,
        ...(req.maxBodyBytes === undefined ? {} : { maxBodyBytes: req.maxBodyBytes }),
        ...(req.signal ? { signal: req.signal } : {}),
      });
      if (res.status !== 401) return res;
      const challenge = pickChallenge(parseWwwAuthenticate(res.headers.get('www-authenticate')));
      if (attempt > 0 || !challenge) {
        const detail = registryErrorDetail(res.body);
        const creds = await this.#o.credentials(ping.base.origin, req.repository, req.signal);
        const anonymous = !creds.username && !creds.password && !creds.identityToken && !creds.registryToken;
        throw new RegistryError(
          'REGISTRY_AUTH',
          this.#o.scope,
          `authentication failed: ${req.method ?? 'GET'} ${redactUrl(url)} answered 401${anonymous ? ' to an anonymous request' : ''}${detail ? `: ${this.#o.secrets.redact(detail)}` : ''}`,
          { status: 401 },
        );
      }
      // A challenge on a real resource carries the scope the registry wants: ask for it first.
      if (challenge.scheme === 'bearer') {
        const wanted = challenge.params.scope;
        if (wanted)
          scopes = [
            ...wanted.split(' ').filter(Boolean),
            ...scopes.filter((s) => !wanted.split(' ').includes(s)),
          ];
        if (ping.kind !== 'bearer' || (challenge.params.realm && challenge.params.realm !== ping.realm)) {
          ping = this.#fromChallenge(ping.base, challenge);
        }
      } else if (ping.kind !== 'basic') {
        ping = this.#fromChallenge(ping.base, challenge);
      }
      this.#tokens.clear();
    }
  }

  async #send(req: Parameters<HttpClient['request']>[0]): Promise<HttpResponse> {
    let res: HttpResponse;
    try {
      res = await this.#o.http.request(req);
    } catch (err) {
      if (err instanceof HttpError && err.status === 429) {
        throw new RegistryError(
          'REGISTRY_RATE_LIMITED',
          this.#o.scope,
          `rate limited: ${err.message.replace(/^\[[^\]]*\]\s*/, '')}`,
          {
            cause: err,
            retryable: true,
            status: 429,
            ...(this.rateLimit ? { rateLimit: this.rateLimit } : {}),
          },
        );
      }
      throw err;
    }
    this.#noteRateLimit(res);
    return res;
  }

  #noteRateLimit(res: HttpResponse): void {
    const info = readRateLimit(res.headers, this.#o.now());
    if (info && (info.limit !== undefined || info.remaining !== undefined)) this.rateLimit = info;
  }

  /** Builds the error for a final 429. */
  #rateLimited(res: HttpResponse, url: URL): RegistryError {
    const info = readRateLimit(res.headers, this.#o.now()) ?? this.rateLimit;
    const detail = registryErrorDetail(res.body);
    return new RegistryError(
      'REGISTRY_RATE_LIMITED',
      this.#o.scope,
      `rate limited: GET ${redactUrl(url)} answered 429${detail ? `: ${this.#o.secrets.redact(detail)}` : ''}`,
      { retryable: true, status: 429, ...(info ? { rateLimit: info } : {}) },
    );
  }

  /** Turns a final non-2xx response into a typed error. */
  statusError(res: HttpResponse, method: string, url: URL, what: string): Error {
    return this.#statusError(res, method, url, what);
  }

  #statusError(res: HttpResponse, method: string, url: URL, what: string): Error {
    if (res.status === 429) return this.#rateLimited(res, url);
    const detail = registryErrorDetail(res.body);
    const safe = detail ? this.#o.secrets.redact(detail) : undefined;
    if (res.status === 404) {
      return new RegistryError(
        'REGISTRY_NOT_FOUND',
        this.#o.scope,
        `${what} failed: ${method} ${redactUrl(url)} answered 404${safe ? `: ${safe}` : ''}`,
        { status: 404 },
      );
    }
    if (res.status === 403) {
      return new RegistryError(
        'REGISTRY_AUTH',
        this.#o.scope,
        `${what} failed: access denied (403)${safe ? `: ${safe}` : ''}`,
        { status: 403 },
      );
    }
    return new HttpError({
      scope: this.#o.scope,
      url,
      method,
      status: res.status,
      retryable: res.status >= 500 || res.status === 408,
      detail: `${what}${safe ? `: ${safe}` : ''}`,
    });
  }

  /** The `Authorization` value for a registry that asks for credentials (the caller skips anonymous ones). */
  async #authorization(
    ping: Exclude<Ping, { kind: 'none' }>,
    scopes: readonly string[],
    repository: string,
    refresh: boolean,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const creds = await this.#o.credentials(ping.base.origin, repository, signal);
    if (ping.kind === 'basic') {
      if (creds.username !== undefined && creds.password !== undefined)
        return basicHeader(creds.username, creds.password);
      if (creds.registryToken) return `Bearer ${creds.registryToken}`;
      return undefined;
    }
    if (creds.registryToken) return `Bearer ${creds.registryToken}`;
    const key = `${ping.realm}\n${ping.service ?? ''}\n${[...scopes].sort().join(' ')}\n${credentialId(creds)}`;
    const now = this.#o.now();
    const cached = this.#tokens.get(key);
    if (!refresh && cached && cached.refreshAtMs > now) return `Bearer ${cached.token}`;
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#exchange(ping, scopes, creds, signal).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    const token = await pending;
    this.#tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  /** The token exchange: POST with an identity token (falling back to GET on 404), else GET. */
  async #exchange(
    ping: Extract<Ping, { kind: 'bearer' }>,
    scopes: readonly string[],
    creds: RegistryCredentials,
    signal?: AbortSignal,
  ): Promise<CachedToken> {
    const { scope } = this.#o;
    let realm: URL;
    try {
      realm = new URL(ping.realm);
    } catch (err) {
      throw new RegistryError('REGISTRY_AUTH', scope, `authentication failed: the token realm is not a URL`, {
        cause: err,
      });
    }
    const problem = realmProblem(realm, ping.base, { insecure: this.#o.insecure });
    if (problem) {
      throw new RegistryError(
        'REGISTRY_UNSAFE_URL',
        scope,
        `token realm ${redactUrl(realm)} refused: ${problem}; no credentials were sent`,
      );
    }
    if (creds.identityToken) {
      const body = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: creds.identityToken,
        client_id: 'tidewatch',
      });
      if (ping.service) body.set('service', ping.service);
      if (scopes.length > 0) body.set('scope', scopes.join(' '));
      const res = await this.#realmRequest(realm, ping.base, { method: 'POST', body, signal });
      if (res.status !== 404) return this.#readToken(res, realm);
      // Not every token server speaks OAuth2: fall back to the GET form.
    }
    const url = new URL(realm);
    if (ping.service) url.searchParams.set('service', ping.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const auth =
      creds.username !== undefined && creds.password !== undefined
        ? basicHeader(creds.username, creds.password)
        : undefined;
    const res = await this.#realmRequest(url, ping.base, { method: 'GET', auth, signal });
    return this.#readToken(res, realm);
  }

  /** One request to the token realm, following redirects by hand so that every hop is checked. */
  async #realmRequest(
    start: URL,
    registryBase: URL,
    req: {
      method: 'GET' | 'POST';
      body?: URLSearchParams;
      auth?: string | undefined;
      signal?: AbortSignal | undefined;
    },
  ): Promise<HttpResponse> {
    let url = start;
    let auth = req.auth;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (auth) headers.authorization = auth;
      const res = await this.#send({
        url,
        method: req.method,
        headers,
        throwOnStatus: false,
        followRedirects: false,
        maxBodyBytes: MAX_TOKEN_BYTES,
        ...(req.body ? { body: req.body } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      });
      if (res.status < 300 || res.status >= 400) return res;
      const location = res.headers.get('location');
      if (!location || hop >= MAX_REALM_REDIRECTS) return res;
      const next = new URL(location, url);
      const problem = realmProblem(next, registryBase, { insecure: this.#o.insecure });
      if (problem) {
        throw new RegistryError(
          'REGISTRY_UNSAFE_URL',
          this.#o.scope,
          `token realm redirect to ${redactUrl(next)} refused: ${problem}`,
        );
      }
      if (next.origin !== url.origin) auth = undefined;
      url = next;
    }
  }

  #readToken(res: HttpResponse, realm: URL): CachedToken {
    const { scope } = this.#o;
    if (res.status === 401 || res.status === 403) {
      const detail = registryErrorDetail(res.body);
      throw new RegistryError(
        'REGISTRY_AUTH',
        scope,
        `authentication failed: the token server ${redactUrl(realm)} answered ${res.status}${detail ? `: ${this.#o.secrets.redact(detail)}` : ''}`,
        { status: res.status },
      );
    }
    if (res.status < 200 || res.status >= 300) throw this.#statusError(res, 'GET', realm, 'token request');
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(res.body));
    } catch (err) {
      throw new RegistryError(
        'REGISTRY_PROTOCOL',
        scope,
        `token request failed: ${redactUrl(realm)} answered invalid JSON`,
        {
          cause: new Error(
            err instanceof Error ? this.#o.secrets.redact(err.message.slice(0, 200)) : 'invalid JSON',
          ),
        },
      );
    }
    const o = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
    const token =
      typeof o.token === 'string' && o.token
        ? o.token
        : typeof o.access_token === 'string'
          ? o.access_token
          : '';
    if (!token) {
      throw new RegistryError(
        'REGISTRY_AUTH',
        scope,
        `authentication failed: the token server ${redactUrl(realm)} returned no token`,
      );
    }
    this.#o.secrets.add(token);
    if (typeof o.refresh_token === 'string') this.#o.secrets.add(o.refresh_token);
    const expiresIn =
      typeof o.expires_in === 'number' && o.expires_in > 0 ? o.expires_in : DEFAULT_TOKEN_SECONDS;
    const issued = typeof o.issued_at === 'string' ? Date.parse(o.issued_at) : Number.NaN;
    const issuedMs = Number.isNaN(issued) ? this.#o.now() : Math.min(issued, this.#o.now());
    return { token, refreshAtMs: issuedMs + expiresIn * 1000 * 0.8 };
  }
}

/** Caches a provider's credentials per repository until 80 % of their life (at most 1 h), fetching them lazily. */
export function cachedCredentials(
  provider: CredentialProvider,
  registry: string,
  options: { now: () => number; secrets: SecretRegistry },
): (registryUrl: string, repository: string, signal?: AbortSignal) => Promise<RegistryCredentials> {
  const { now, secrets } = options;
  const values = new Map<string, { creds: RegistryCredentials; refreshAtMs: number }>();
  const pendings = new Map<string, Promise<RegistryCredentials>>();
  return (registryUrl, repository, signal) => {
    const value = values.get(repository);
    if (value && value.refreshAtMs > now()) return Promise.resolve(value.creds);
    let pending = pendings.get(repository);
    if (!pending) {
      pending = (async () => {
        const fetchedAt = now();
        const creds = await provider.getCredentials({
          registry,
          repository,
          registryUrl,
          ...(signal ? { signal } : {}),
        });
        secrets.add(creds.password);
        if (creds.username !== undefined && creds.password)
          secrets.add(`${creds.username}:${creds.password}`);
        secrets.add(creds.identityToken);
        secrets.add(creds.registryToken);
        const lifeMs = creds.expiresAt ? creds.expiresAt.getTime() - fetchedAt : Number.POSITIVE_INFINITY;
        values.set(repository, { creds, refreshAtMs: fetchedAt + Math.min(lifeMs * 0.8, 3_600_000) });
        return creds;
      })().finally(() => pendings.delete(repository));
      pendings.set(repository, pending);
    }
    return pending;
  };
}

const credentialIds = new WeakMap<RegistryCredentials, number>();
let nextCredentialId = 1;
/** A stable id per credentials object, so that tokens are never shared across credentials. */
function credentialId(creds: RegistryCredentials): number {
  let id = credentialIds.get(creds);
  if (id === undefined) {
    id = nextCredentialId++;
    credentialIds.set(creds, id);
  }
  return id;
}
