/**
 * Loading of optional peer dependencies (cloud SDKs) on first use, with a clear error when one is
 * missing.
 *
 * @packageDocumentation
 */
import { RegistryError } from './errors.js';

/**
 * Imports an optional peer dependency. A missing package becomes a `CREDENTIAL_PROVIDER`
 * {@link RegistryError} telling the user what to install.
 */
export async function loadPeer<T>(name: string, scope: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    throw new RegistryError(
      'CREDENTIAL_PROVIDER',
      scope,
      missing
        ? `optional peer dependency '${name}' is not installed: add it to your project (npm install ${name}) to use this credential provider`
        : `loading '${name}' failed: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** Reads the `exp` claim of a JWT without verifying it (as Flux does for ACR refresh tokens). */
export function jwtExpiry(token: string): Date | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/** A token with an optional expiry, as token sources return it. */
export interface AccessToken {
  /** The bearer token (secret). */
  readonly token: string;
  /** When it expires. */
  readonly expiresAt?: Date;
}
