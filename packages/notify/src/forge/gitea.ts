/**
 * Gitea client setup shared by `gitea` and `giteapullrequestcomment`: `<host>/api/v1`,
 * `Authorization: token <token>`, and the Gitea SDK's server-version probe on first use.
 *
 * @packageDocumentation
 */
import type { ConfigProblem } from '@tidewatch/core';
import type { NotifierContext, ProviderConfig } from '../provider.js';
import { parseAddressOption } from './common.js';
import { createForgeClient, str, type ForgeClient } from './http.js';

/** Validated Gitea settings. */
export interface GiteaOptions {
  /** `<scheme>://<host>/api/v1` (no trailing slash). */
  readonly apiBase: string;
  /** Repository owner. */
  readonly owner: string;
  /** Repository name. */
  readonly repo: string;
  /** Token (Secret `token`, else `password`). */
  readonly token: string;
}

/** Validates the Gitea part of a Provider (Flux's texts). */
export function parseGiteaOptions(config: ProviderConfig, problems: ConfigProblem[]): GiteaOptions {
  const token = config.token !== undefined && config.token !== '' ? config.token : (config.password ?? '');
  if (token === '') problems.push({ path: 'secret.token', message: 'gitea token cannot be empty' });
  const address = parseAddressOption(config, problems);
  let owner = '';
  let repo = '';
  if (address) {
    const parts = address.id.split('/');
    if (parts.length !== 2)
      problems.push({ path: 'address', message: `invalid repository id "${address.id}"` });
    else [owner, repo] = parts as [string, string];
  }
  return { apiBase: address ? `${address.host}/api/v1` : '', owner, repo, token };
}

/** A Gitea session: the client, created after the SDK's `GET /api/v1/version` probe. */
export interface GiteaSession {
  /** The API client (probes the server version once). */
  client(signal?: AbortSignal): Promise<ForgeClient>;
  /** `GET /api/v1/user`'s `login`, once. */
  login(signal?: AbortSignal): Promise<string>;
  /** `<apiBase>/repos/<owner>/<repo>/` */
  readonly repoUrl: string;
}

/** Creates a {@link GiteaSession}. */
export function createGiteaSession(options: GiteaOptions, ctx: NotifierContext): GiteaSession {
  const client = createForgeClient({
    scope: ctx.scope,
    request: ctx.request,
    secrets: ctx.secrets,
    headers: { Authorization: `token ${options.token}` },
  });
  let probed: Promise<void> | undefined;
  let login: Promise<string> | undefined;
  const ready = async (signal?: AbortSignal): Promise<ForgeClient> => {
    probed ??= client
      .request(
        { method: 'GET', url: `${options.apiBase}/version`, what: 'failed creating Gitea client' },
        signal,
      )
      .then(() => undefined);
    try {
      await probed;
    } catch (err) {
      probed = undefined;
      throw err;
    }
    return client;
  };
  return {
    repoUrl: `${options.apiBase}/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.repo)}/`,
    client: ready,
    async login(signal) {
      login ??= ready(signal).then(async (c) => {
        const res = await c.request(
          { method: 'GET', url: `${options.apiBase}/user`, what: 'failed to get authenticated user info' },
          signal,
        );
        return str(res.json, 'login') ?? str(res.json, 'username') ?? '';
      });
      try {
        return await login;
      } catch (err) {
        login = undefined;
        throw err;
      }
    },
  };
}
