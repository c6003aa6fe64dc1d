/**
 * Google OIDC ID-token validation for gcr receivers (Pub/Sub push with authentication): RS256
 * signature against Google's keys, expiry, audience, issuer `accounts.google.com`, and the
 * service-account `email` (verified).
 *
 * @packageDocumentation
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { FetchLike } from '@tidewatch/core';

/** A JSON Web Key Set (`{ keys: [...] }`). */
export interface JsonWebKeySet {
  /** The keys. */
  readonly keys: readonly Record<string, unknown>[];
}

/** Where Google publishes the keys that sign its ID tokens. */
export const GOOGLE_CERTS_URL = 'https://www.googleapis.com/oauth2/v3/certs';

/** Options of {@link verifyGoogleIdToken}. */
export interface VerifyGoogleIdTokenOptions {
  /** Expected `aud`. */
  readonly audience: string;
  /** Expected service-account `email` (must be verified). */
  readonly email: string;
  /** Google's keys; fetched from {@link GOOGLE_CERTS_URL} when absent. */
  readonly keys?: JsonWebKeySet;
  /** Transport for the key download. @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /** Cancels the key download. */
  readonly signal?: AbortSignal;
  /** The clock. @default () => new Date() */
  readonly now?: () => Date;
}

/** Validates a Google ID token; throws an `Error` whose message says what failed (no token in it). */
export async function verifyGoogleIdToken(token: string, options: VerifyGoogleIdTokenOptions): Promise<void> {
  let keys = options.keys;
  if (!keys) {
    const fetch = options.fetch ?? ((i, init) => globalThis.fetch(i, init));
    const res = await fetch(GOOGLE_CERTS_URL, options.signal ? { signal: options.signal } : {});
    if (!res.ok) throw new Error(`cannot fetch Google signing keys: status ${res.status}`);
    keys = (await res.json()) as JsonWebKeySet;
  }
  const jwks = createLocalJWKSet(keys as Parameters<typeof createLocalJWKSet>[0]);
  let payload: Record<string, unknown>;
  try {
    const now = options.now?.();
    ({ payload } = await jwtVerify(token, jwks, {
      algorithms: ['RS256'],
      audience: options.audience,
      clockTolerance: 300,
      ...(now ? { currentDate: now } : {}),
    }));
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'ERR_JWT_INVALID';
    throw new Error(`invalid ID token: ${code}: ${(err as Error).message}`);
  }
  const iss = typeof payload.iss === 'string' ? payload.iss : '';
  if (iss !== 'accounts.google.com' && iss !== 'https://accounts.google.com') {
    throw new Error(`token issuer is '${iss}', want 'accounts.google.com' or 'https://accounts.google.com'`);
  }
  const email = typeof payload.email === 'string' ? payload.email : '';
  if (email !== options.email) throw new Error(`token email is '${email}', want '${options.email}'`);
  if (payload.email_verified !== true) throw new Error(`token email '${email}' is not verified`);
}
