/**
 * GitHub App authentication: sign the app JWT with `node:crypto` (RS256) and exchange it for an
 * installation access token, as fluxcd/pkg `auth/githubapp` does.
 *
 * @packageDocumentation
 */
import { createPrivateKey, createSign, type KeyObject } from 'node:crypto';
import type { SecretRegistry } from '@tidewatch/core';
import type { NotifyTransport } from '../provider.js';
import type { ProviderSecret } from '../types.js';
import { createForgeClient, str } from './http.js';

/** The Secret keys of GitHub App authentication. */
export const GITHUB_APP_KEYS = {
  appId: 'githubAppID',
  clientId: 'githubAppClientID',
  installationId: 'githubAppInstallationID',
  installationOwner: 'githubAppInstallationOwner',
  privateKey: 'githubAppPrivateKey',
  baseUrl: 'githubAppBaseURL',
} as const;

/** Validated GitHub App credentials. */
export interface GitHubAppCredentials {
  /** JWT issuer: the client id when given, else the numeric app id. */
  readonly issuer: string;
  /** Installation id, when given. */
  readonly installationId?: string;
  /** Installation owner (org or user), when given instead of the id. */
  readonly installationOwner?: string;
  /** The parsed private key. */
  readonly key: KeyObject;
  /** API base URL ending in `/`. @default 'https://api.github.com/' */
  readonly apiBase: string;
}

function secretString(secret: ProviderSecret | undefined, key: string): string | undefined {
  const v = secret?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** Whether the Secret asks for GitHub App authentication (Flux checks for `githubAppID`). */
export function hasGitHubApp(secret: ProviderSecret | undefined): boolean {
  return secretString(secret, GITHUB_APP_KEYS.appId) !== undefined;
}

/**
 * Reads and checks GitHub App credentials from a Provider Secret. Returns the problems found
 * (Flux's texts) instead of throwing, so that callers can report them together.
 */
export function parseGitHubApp(secret: ProviderSecret | undefined): {
  readonly credentials?: GitHubAppCredentials;
  readonly problems: readonly string[];
} {
  const problems: string[] = [];
  const appIdRaw = secretString(secret, GITHUB_APP_KEYS.appId);
  const appId = appIdRaw !== undefined && /^[+-]?\d+$/.test(appIdRaw) ? BigInt(appIdRaw) : 0n;
  const clientId = secretString(secret, GITHUB_APP_KEYS.clientId) ?? '';
  const owner = secretString(secret, GITHUB_APP_KEYS.installationOwner) ?? '';
  const instRaw = secretString(secret, GITHUB_APP_KEYS.installationId);
  const installationId = instRaw !== undefined && /^[+-]?\d+$/.test(instRaw) ? BigInt(instRaw) : 0n;
  const pem = secretString(secret, GITHUB_APP_KEYS.privateKey) ?? '';
  const base = secretString(secret, GITHUB_APP_KEYS.baseUrl);
  if (appId === 0n && clientId === '') {
    problems.push('app ID or client ID must be provided to use github app authentication');
  }
  if (owner === '' && installationId === 0n) {
    problems.push('app installation owner or ID must be provided to use github app authentication');
  }
  if (owner !== '' && installationId !== 0n) {
    problems.push(
      'only one of app installation owner or ID must be provided to use github app authentication',
    );
  }
  let key: KeyObject | undefined;
  if (pem === '') {
    problems.push('private key must be provided to use github app authentication');
  } else {
    try {
      key = createPrivateKey(pem);
      if (key.asymmetricKeyType !== 'rsa') throw new Error('key is not an RSA private key');
    } catch (err) {
      key = undefined;
      problems.push(`could not parse private key: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0 || !key) return { problems };
  return {
    problems,
    credentials: {
      issuer: clientId !== '' ? clientId : appId.toString(),
      ...(installationId !== 0n ? { installationId: installationId.toString() } : {}),
      ...(owner !== '' ? { installationOwner: owner } : {}),
      key,
      apiBase: githubAppApiBase(base),
    },
  };
}

/**
 * The API base for the token exchange: `https://api.github.com/` by default; a custom base gets
 * `/api/v3/` appended unless its host is an API host (`api.*`, `*.api.*`) or it already ends so.
 */
export function githubAppApiBase(baseUrl: string | undefined): string {
  if (!baseUrl) return 'https://api.github.com/';
  const url = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  const apiHost = url.hostname.startsWith('api.') || url.hostname.includes('.api.');
  if (!apiHost && !url.pathname.endsWith('/api/v3/'))
    url.pathname = `${url.pathname.replace(/\/$/, '')}/api/v3/`;
  return url.toString();
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/**
 * Signs the short-lived app JWT (RS256): `iat` = now − 30 s (clock drift), `exp` = `iat` + 2 min,
 * `iss` = client id or app id; timestamps in whole seconds.
 */
export function signGitHubAppJwt(credentials: GitHubAppCredentials, now: Date): string {
  const iat = Math.floor(now.getTime() / 1000) - 30;
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = b64url(JSON.stringify({ iss: credentials.issuer, exp: iat + 120, iat }));
  const signer = createSign('RSA-SHA256');
  signer.update(`${header}.${claims}`);
  return `${header}.${claims}.${b64url(signer.sign(credentials.key))}`;
}

/** An installation access token. */
export interface GitHubAppToken {
  /** The token, used as `Authorization: Bearer <token>`. */
  readonly token: string;
  /** The app slug (only when requested). */
  readonly slug?: string;
  /** Expiry, when GitHub told it. */
  readonly expiresAt?: Date;
}

/** Options of {@link mintInstallationToken}. */
export interface MintInstallationTokenOptions {
  /** Validated credentials. */
  readonly credentials: GitHubAppCredentials;
  /** The provider's transport. */
  readonly request: NotifyTransport;
  /** The provider's secrets (the JWT is added to it). */
  readonly secrets: SecretRegistry;
  /** Clock. */
  readonly now: () => Date;
  /** Also read the app slug (`GET /app`), for recognising the app's own comments. */
  readonly reflectSlug?: boolean;
  /** Error scope, e.g. `notify:github`. */
  readonly scope: string;
  /** Cancels the exchange. */
  readonly signal?: AbortSignal;
}

/**
 * Mints an installation access token: optionally `GET app` (slug), then the installation id
 * (given, or `GET orgs/<owner>/installation`, falling back to `GET users/<owner>/installation`),
 * then `POST app/installations/<id>/access_tokens`.
 */
export async function mintInstallationToken(options: MintInstallationTokenOptions): Promise<GitHubAppToken> {
  const { credentials: c, signal } = options;
  const jwt = signGitHubAppJwt(c, options.now());
  options.secrets.add(jwt);
  const client = createForgeClient({
    scope: options.scope,
    request: options.request,
    secrets: options.secrets,
    headers: {
      Authorization: `Bearer ${jwt}`,
      Accept: 'application/vnd.github.v3+json',
      'X-GitHub-Api-Version': '2022-11-28',
    },
  });
  let slug: string | undefined;
  if (options.reflectSlug) {
    const app = await client.request(
      { method: 'GET', url: `${c.apiBase}app`, what: 'failed to get app information' },
      signal,
    );
    slug = str(app.json, 'slug');
  }
  let id = c.installationId;
  if (id === undefined) {
    const owner = encodeURIComponent(c.installationOwner ?? '');
    const org = await client.request(
      {
        method: 'GET',
        url: `${c.apiBase}orgs/${owner}/installation`,
        accept: [404],
        what: 'failed to find organization installation',
      },
      signal,
    );
    id = org.status === 200 ? str(org.json, 'id') : undefined;
    if (id === undefined) {
      const user = await client.request(
        {
          method: 'GET',
          url: `${c.apiBase}users/${owner}/installation`,
          what: 'failed to find user installation',
        },
        signal,
      );
      id = str(user.json, 'id');
    }
  }
  const res = await client.request(
    {
      method: 'POST',
      url: `${c.apiBase}app/installations/${id ?? ''}/access_tokens`,
      what: 'failed to create installation token',
    },
    signal,
  );
  const token = str(res.json, 'token') ?? '';
  options.secrets.add(token);
  const expires = str(res.json, 'expires_at');
  return {
    token,
    ...(slug !== undefined ? { slug } : {}),
    ...(expires !== undefined && !Number.isNaN(Date.parse(expires)) ? { expiresAt: new Date(expires) } : {}),
  };
}
