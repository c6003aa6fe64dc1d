/**
 * The GitHub client setup shared by `github`, `githubdispatch` and `githubpullrequestcomment`:
 * owner/repo from the address, the API base (github.com or Enterprise), and the token (Secret
 * `token`, else `password`, else a GitHub App installation token).
 *
 * @packageDocumentation
 */
import type { ConfigProblem } from '@tidewatch/core';
import type { NotifierContext, ProviderConfig } from '../provider.js';
import type { GitAddress } from './address.js';
import { parseAddressOption } from './common.js';
import {
  hasGitHubApp,
  mintInstallationToken,
  parseGitHubApp,
  type GitHubAppCredentials,
} from './github-app.js';
import { createForgeClient, str, type ForgeClient } from './http.js';

/** Validated GitHub settings of a Provider. */
export interface GitHubOptions {
  /** API base ending in `/`. */
  readonly apiBase: string;
  /** Repository owner. */
  readonly owner: string;
  /** Repository name. */
  readonly repo: string;
  /** Static token (Secret `token`, else `password`). */
  readonly staticToken?: string;
  /** GitHub App credentials, used when there is no static token. */
  readonly app?: GitHubAppCredentials;
}

/**
 * go-github's base URL for a repository host: `https://api.github.com/` for exactly
 * `github.com`, else `<scheme>://<host>/api/v3/` (unless the host is an API host).
 */
export function githubApiBase(address: GitAddress): string {
  if (address.hostname === 'github.com') return 'https://api.github.com/';
  const apiHost = address.hostname.startsWith('api.') || address.hostname.includes('.api.');
  return apiHost ? `${address.host}/` : `${address.host}/api/v3/`;
}

/** Validates the GitHub part of a Provider, pushing every problem (Flux's texts). */
export function parseGitHubOptions(config: ProviderConfig, problems: ConfigProblem[]): GitHubOptions {
  const token =
    config.token !== undefined && config.token !== '' ? config.token : config.password || undefined;
  let app: GitHubAppCredentials | undefined;
  if (token === undefined) {
    if (!hasGitHubApp(config.secret)) {
      problems.push({
        path: 'secret.token',
        message: 'github token or github app details must be specified',
      });
    } else {
      const parsed = parseGitHubApp(config.secret);
      for (const message of parsed.problems) problems.push({ path: 'secret', message });
      app = parsed.credentials;
    }
  }
  const address = parseAddressOption(config, problems);
  let owner = '';
  let repo = '';
  if (address) {
    const parts = address.id.split('/');
    if (parts.length !== 2)
      problems.push({ path: 'address', message: `invalid repository id: '${address.id}'` });
    else [owner, repo] = parts as [string, string];
  }
  return {
    apiBase: address ? githubApiBase(address) : '',
    owner,
    repo,
    ...(token !== undefined ? { staticToken: token } : {}),
    ...(app ? { app } : {}),
  };
}

/** An authenticated GitHub API session. */
export interface GitHubSession {
  /** A client whose requests carry the current token. */
  client(signal?: AbortSignal): Promise<ForgeClient>;
  /** The login comments by us appear under: `<slug>[bot]` for an App, else `GET user`'s login. */
  login(signal?: AbortSignal): Promise<string>;
  /** `repos/<owner>/<repo>/` under the API base. */
  readonly repoUrl: string;
}

/** Headers go-github sends with every request. */
const GITHUB_HEADERS = { Accept: 'application/vnd.github.v3+json', 'X-GitHub-Api-Version': '2022-11-28' };

/**
 * Creates a session: static tokens are used as they are; App installation tokens are minted on
 * first use and cached until one minute before they expire.
 */
export function createGitHubSession(
  options: GitHubOptions,
  ctx: NotifierContext,
  reflectSlug = false,
): GitHubSession {
  let cached: { token: string; slug?: string; until: number } | undefined;
  let userLogin: Promise<string> | undefined;
  const token = async (signal?: AbortSignal): Promise<{ token: string; slug?: string }> => {
    if (options.staticToken !== undefined) return { token: options.staticToken };
    const now = ctx.now().getTime();
    if (cached && cached.until > now) return cached;
    const minted = await mintInstallationToken({
      credentials: options.app!,
      request: ctx.request,
      secrets: ctx.secrets,
      now: ctx.now,
      reflectSlug,
      scope: ctx.scope,
      ...(signal ? { signal } : {}),
    });
    const until = minted.expiresAt ? minted.expiresAt.getTime() - 60_000 : now + 5 * 60_000;
    cached = { token: minted.token, ...(minted.slug !== undefined ? { slug: minted.slug } : {}), until };
    return cached;
  };
  const client = async (signal?: AbortSignal): Promise<ForgeClient> => {
    const t = await token(signal);
    return createForgeClient({
      scope: ctx.scope,
      request: ctx.request,
      secrets: ctx.secrets,
      headers: { ...GITHUB_HEADERS, Authorization: `Bearer ${t.token}` },
    });
  };
  return {
    repoUrl: `${options.apiBase}repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.repo)}/`,
    client,
    async login(signal) {
      if (options.staticToken === undefined) {
        const t = await token(signal);
        if (t.slug) return `${t.slug}[bot]`;
      }
      userLogin ??= (async () => {
        const c = await client(signal);
        const res = await c.request(
          { method: 'GET', url: `${options.apiBase}user`, what: 'failed to get authenticated user info' },
          signal,
        );
        return str(res.json, 'login') ?? '';
      })();
      try {
        return await userLogin;
      } catch (err) {
        userLogin = undefined;
        throw err;
      }
    },
  };
}
