/**
 * `generic-oidc` receivers: a bearer JWT whose `iss` names one configured provider, verified
 * through OIDC discovery (`<issuer>/.well-known/openid-configuration` → `jwks_uri`) for
 * signature, audience and expiry as Flux's go-oidc verifier does, then every CEL validation
 * over the claims (and the provider's named variables) must hold. Signatures are checked with
 * `jose`.
 *
 * @packageDocumentation
 */
import { compactVerify, createRemoteJWKSet, customFetch } from 'jose';
import type { ConfigProblem, FetchLike } from '@tidewatch/core';
import { compileCel, evaluateBoolean } from './cel.js';

/** The audience a `generic-oidc` token must carry when the provider sets none. */
export const DEFAULT_OIDC_AUDIENCE = 'notification-controller';

/** A named CEL expression, exposed to later variables and to validations as `vars.<name>`. */
export interface OidcVariable {
  /** The variable name (a CEL identifier). */
  readonly name: string;
  /** The expression; reads `claims` and earlier `vars`. */
  readonly expression: string;
}

/** A CEL boolean expression over `claims` and `vars` that must be true. */
export interface OidcValidation {
  /** The expression. */
  readonly expression: string;
  /** What the caller is told when it is false. */
  readonly message: string;
}

/** Flux's `OIDCProvider` (Receiver `spec.oidcProviders[]`). */
export interface OidcProviderSpec {
  /** The issuer: discovery starts here, and the token's `iss` must equal it. Starts with `http://` or `https://`. */
  readonly issuerURL: string;
  /**
   * The audience (`aud`) tokens must carry.
   * @default 'notification-controller'
   */
  readonly audience?: string;
  /** Named expressions evaluated in order before the validations. */
  readonly variables?: readonly OidcVariable[];
  /** At least one: a valid signature alone authorises nothing. */
  readonly validations: readonly OidcValidation[];
}

/** What discovery yields for one issuer: the accepted algorithms and its key set. */
export interface OidcDiscoveredProvider {
  /** Signing algorithms from `id_token_signing_alg_values_supported` that go-oidc supports (RS256 when none). */
  readonly algorithms: readonly string[];
  /** The issuer's `jwks_uri` key set (refetched when a token names an unknown key id). */
  readonly keys: ReturnType<typeof createRemoteJWKSet>;
}

/** Options of {@link createOidcDiscovery}. */
export interface OidcDiscoveryOptions {
  /**
   * Transport for the discovery document and the key set.
   * @default globalThis.fetch
   */
  readonly fetch?: FetchLike;
  /**
   * How long a discovery document is reused; the key set refetches on an unknown key id.
   * @default 600000 (10 minutes)
   */
  readonly ttlMs?: number;
}

/**
 * Discovery results per issuer. One per receiver handler keeps keys across requests; Flux
 * discovers on every request.
 */
export interface OidcDiscovery {
  /** Discovers an issuer (cached); rejects with go-oidc's texts. */
  provider(issuerURL: string, signal?: AbortSignal): Promise<OidcDiscoveredProvider>;
}

/** The signing algorithms go-oidc accepts from a discovery document. */
const SUPPORTED_ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
]);

/** Creates a discovery cache (see {@link OidcDiscovery}). */
export function createOidcDiscovery(options: OidcDiscoveryOptions = {}): OidcDiscovery {
  const fetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const ttl = options.ttlMs ?? 600_000;
  const cache = new Map<string, { readonly at: number; readonly value: Promise<OidcDiscoveredProvider> }>();

  async function discover(issuer: string, signal: AbortSignal | undefined): Promise<OidcDiscoveredProvider> {
    const wellKnown = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(wellKnown, signal ? { signal } : {});
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${res.status} ${res.statusText}: ${body.slice(0, 512)}`);
    let doc: { issuer?: unknown; jwks_uri?: unknown; id_token_signing_alg_values_supported?: unknown };
    try {
      doc = JSON.parse(body) as typeof doc;
      if (typeof doc !== 'object' || doc === null) throw new Error('not an object');
    } catch (err) {
      throw new Error(`oidc: failed to decode provider discovery object: ${(err as Error).message}`);
    }
    const got = typeof doc.issuer === 'string' ? doc.issuer : '';
    if (got !== issuer) {
      throw new Error(
        `oidc: issuer did not match the issuer returned by provider, expected ${JSON.stringify(issuer)} got ${JSON.stringify(got)}`,
      );
    }
    let jwksUri: URL;
    try {
      jwksUri = new URL(typeof doc.jwks_uri === 'string' ? doc.jwks_uri : '');
    } catch {
      throw new Error('oidc: the discovery document has no valid jwks_uri');
    }
    const advertised = Array.isArray(doc.id_token_signing_alg_values_supported)
      ? doc.id_token_signing_alg_values_supported
      : [];
    const algorithms = advertised.filter(
      (a): a is string => typeof a === 'string' && SUPPORTED_ALGORITHMS.has(a),
    );
    const keys = createRemoteJWKSet(jwksUri, {
      [customFetch]: (url: string, init: RequestInit) => fetch(url, init),
    });
    return { algorithms, keys };
  }

  return {
    provider(issuerURL, signal) {
      const hit = cache.get(issuerURL);
      if (hit && Date.now() - hit.at < ttl) return hit.value;
      const value = discover(issuerURL, signal);
      cache.set(issuerURL, { at: Date.now(), value });
      value.catch(() => {
        if (cache.get(issuerURL)?.value === value) cache.delete(issuerURL);
      });
      return value;
    },
  };
}

/**
 * Checks `oidcProviders` as Flux's `ValidateOIDCProvidersSpec` does (issuer pattern and
 * uniqueness, at least one validation, named variables, messages), pushing every problem.
 */
export function checkOidcProviders(
  providers: unknown,
  problems: ConfigProblem[],
  path = 'oidcProviders',
): void {
  if (!Array.isArray(providers) || providers.length === 0) {
    problems.push({ path, message: 'generic-oidc receiver requires at least one oidcProvider' });
    return;
  }
  const seen = new Set<string>();
  providers.forEach((raw: unknown, i) => {
    const p = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const at = `${path}[${i}]`;
    const issuer = typeof p.issuerURL === 'string' ? p.issuerURL : '';
    if (issuer === '') problems.push({ path: `${at}.issuerURL`, message: 'issuerURL is required' });
    else if (!/^https?:\/\//.test(issuer)) {
      problems.push({
        path: `${at}.issuerURL`,
        message: `issuerURL ${JSON.stringify(issuer)} must start with http:// or https://`,
      });
    } else if (seen.has(issuer)) {
      problems.push({ path: `${at}.issuerURL`, message: `duplicate issuerURL ${JSON.stringify(issuer)}` });
    }
    seen.add(issuer);
    if (p.audience !== undefined && typeof p.audience !== 'string') {
      problems.push({ path: `${at}.audience`, message: 'must be a string' });
    }
    const variables: unknown[] = Array.isArray(p.variables) ? p.variables : [];
    if (p.variables !== undefined && !Array.isArray(p.variables))
      problems.push({ path: `${at}.variables`, message: 'must be a list' });
    variables.forEach((v: unknown, j) => {
      const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
      if (typeof o.name !== 'string' || o.name === '')
        problems.push({ path: `${at}.variables[${j}].name`, message: 'name is required' });
      else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.name))
        problems.push({ path: `${at}.variables[${j}].name`, message: 'must be a valid CEL identifier' });
      if (typeof o.expression !== 'string' || o.expression === '')
        problems.push({ path: `${at}.variables[${j}].expression`, message: 'expression is required' });
    });
    const validations: unknown[] = Array.isArray(p.validations) ? p.validations : [];
    if (validations.length === 0) {
      problems.push({
        path: `${at}.validations`,
        message:
          'at least one validation is required; without validations any caller able to obtain a token from this issuer can trigger the Receiver',
      });
    }
    validations.forEach((v: unknown, j) => {
      const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
      if (typeof o.expression !== 'string' || o.expression === '')
        problems.push({ path: `${at}.validations[${j}].expression`, message: 'expression is required' });
      if (typeof o.message !== 'string' || o.message === '')
        problems.push({ path: `${at}.validations[${j}].message`, message: 'message is required' });
    });
  });
}

/** Compiles every CEL expression of the providers, pushing a problem per failure. */
export async function compileOidcProviders(
  providers: readonly OidcProviderSpec[],
  problems: ConfigProblem[],
  path = 'oidcProviders',
): Promise<void> {
  // One at a time, so that problems are listed in a stable order.
  for (const [i, p] of providers.entries()) {
    for (const [j, v] of (p.variables ?? []).entries()) {
      try {
        await compileCel(v.expression, ['claims', 'vars']);
      } catch (err) {
        problems.push({
          path: `${path}[${i}].variables[${j}].expression`,
          message: `invalid expression for variable ${JSON.stringify(v.name)}: ${(err as Error).message}`,
        });
      }
    }
    for (const [j, v] of p.validations.entries()) {
      try {
        await compileCel(v.expression, ['claims', 'vars'], { bool: true });
      } catch (err) {
        problems.push({
          path: `${path}[${i}].validations[${j}].expression`,
          message: `invalid expression for validation ${JSON.stringify(v.message)}: ${(err as Error).message}`,
        });
      }
    }
  }
}

/** Options of {@link verifyOidcRequest}. */
export interface VerifyOidcRequestOptions {
  /** The discovery cache. @default a fresh one (discovery on every call, as Flux) */
  readonly discovery?: OidcDiscovery;
  /** Transport when no `discovery` is given. @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /** The clock. @default () => new Date() */
  readonly now?: () => Date;
  /** Cancels discovery and key downloads. */
  readonly signal?: AbortSignal;
}

function decodeSegment(segment: string, what: string): Record<string, unknown> {
  let json: string;
  try {
    json = Buffer.from(segment, 'base64url').toString('utf8');
  } catch (err) {
    throw new Error(`failed to decode token ${what}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`failed to parse token ${what}: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`failed to parse token ${what}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Go's `time.Time.String()` form of a Unix time, for go-oidc's expiry message. */
function goTime(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}

/**
 * Verifies the `Authorization: Bearer <JWT>` of a `generic-oidc` webhook against `providers`
 * and returns the verified claims. Throws an `Error` whose message is Flux's (never the token).
 */
export async function verifyOidcRequest(
  providers: readonly OidcProviderSpec[],
  authorization: string | undefined,
  options: VerifyOidcRequestOptions = {},
): Promise<Record<string, unknown>> {
  if (providers.length === 0) throw new Error('generic-oidc receiver has no oidcProviders configured');
  const bearer = authorization ?? '';
  if (!bearer.startsWith('Bearer ')) throw new Error('the Authorization header is missing or malformed');
  const raw = bearer.slice('Bearer '.length).trim();
  if (raw === '') throw new Error('the Authorization header is missing a bearer token');

  // The issuer picks the provider before anything is trusted; the token is verified below.
  const parts = raw.split('.');
  let unverified: Record<string, unknown>;
  try {
    if (parts.length !== 3) throw new Error('token is not a JWT');
    unverified = decodeSegment(parts[1]!, 'payload');
    if (typeof unverified.iss !== 'string' || unverified.iss === '')
      throw new Error("token is missing the 'iss' claim");
  } catch (err) {
    throw new Error(`failed to parse bearer token: ${(err as Error).message}`);
  }
  const iss = unverified.iss;
  const provider = providers.find((p) => p.issuerURL === iss);
  if (!provider) throw new Error(`no oidcProvider configured for issuer ${JSON.stringify(iss)}`);

  const discovery = options.discovery ?? createOidcDiscovery(options.fetch ? { fetch: options.fetch } : {});
  let discovered: OidcDiscoveredProvider;
  try {
    discovered = await discovery.provider(provider.issuerURL, options.signal);
  } catch (err) {
    throw new Error(
      `failed to initialize OIDC provider for issuer ${JSON.stringify(provider.issuerURL)}: ${(err as Error).message}`,
      { cause: err },
    );
  }

  // go-oidc's order: issuer (matched above), audience, expiry, not-before, then the signature.
  const fail = (what: string, cause?: unknown): Error =>
    new Error(`failed to verify OIDC token: ${what}`, cause === undefined ? {} : { cause });
  const audience = provider.audience || DEFAULT_OIDC_AUDIENCE;
  const aud = unverified.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.map(String) : [];
  if (!audiences.includes(audience)) {
    throw fail(
      `oidc: expected audience ${JSON.stringify(audience)} got [${audiences.map((a) => JSON.stringify(a)).join(' ')}]`,
    );
  }
  const now = (options.now?.() ?? new Date()).getTime() / 1000;
  const exp = typeof unverified.exp === 'number' ? unverified.exp : undefined;
  if (exp === undefined || exp < now) {
    throw fail(
      `oidc: token is expired (Token Expiry: ${exp === undefined ? '0001-01-01 00:00:00 +0000 UTC' : goTime(exp)})`,
    );
  }
  if (typeof unverified.nbf === 'number' && now + 300 < unverified.nbf) {
    throw fail(
      `oidc: current time ${goTime(now)} before the nbf (not before) time: ${goTime(unverified.nbf)}`,
    );
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(raw, discovered.keys, {
      algorithms: discovered.algorithms.length > 0 ? [...discovered.algorithms] : ['RS256'],
    }));
  } catch (err) {
    throw fail(`failed to verify signature: ${(err as Error).message}`, err);
  }
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`failed to extract OIDC token claims: ${(err as Error).message}`);
  }

  const vars: Record<string, unknown> = {};
  const data = { claims, vars };
  for (const v of provider.variables ?? []) {
    try {
      vars[v.name] = (await compileCel(v.expression, ['claims', 'vars'])).evaluate(data);
    } catch (err) {
      throw new Error(`failed to evaluate variable ${JSON.stringify(v.name)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const failures: string[] = [];
  for (const v of provider.validations) {
    let ok: boolean;
    try {
      ok = evaluateBoolean(await compileCel(v.expression, ['claims', 'vars'], { bool: true }), data);
    } catch (err) {
      throw new Error(`failed to evaluate validation: ${(err as Error).message}`, { cause: err });
    }
    if (!ok) failures.push(v.message);
  }
  if (failures.length > 0) throw new Error(`token validation failed: ${failures.join('; ')}`);
  return claims;
}
