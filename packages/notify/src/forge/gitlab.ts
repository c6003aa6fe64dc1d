/**
 * GitLab client setup shared by `gitlab` and `gitlabmergerequestcomment`: `<host>/api/v4/`, the
 * URL-encoded project path (subgroups allowed) and `PRIVATE-TOKEN` auth.
 *
 * @packageDocumentation
 */
import type { ConfigProblem } from '@tidewatch/core';
import type { NotifierContext, ProviderConfig } from '../provider.js';
import { parseAddressOption } from './common.js';
import { createForgeClient, type ForgeClient } from './http.js';

/** Validated GitLab settings. */
export interface GitLabOptions {
  /** `<scheme>://<host>/api/v4/` */
  readonly apiBase: string;
  /** Project path, URL-encoded (`group%2Fsub%2Frepo`). */
  readonly projectId: string;
  /** Token (Secret `token`, else `password`). */
  readonly token: string;
}

/** Validates the GitLab part of a Provider (Flux's texts). */
export function parseGitLabOptions(config: ProviderConfig, problems: ConfigProblem[]): GitLabOptions {
  const token = config.token !== undefined && config.token !== '' ? config.token : (config.password ?? '');
  if (token === '') problems.push({ path: 'secret.token', message: 'gitlab token cannot be empty' });
  const address = parseAddressOption(config, problems);
  return {
    apiBase: address ? `${address.host}/api/v4/` : '',
    projectId: address ? encodeURIComponent(address.id) : '',
    token,
  };
}

/** A GitLab API client for one Provider. */
export function createGitLabClient(options: GitLabOptions, ctx: NotifierContext): ForgeClient {
  return createForgeClient({
    scope: ctx.scope,
    request: ctx.request,
    secrets: ctx.secrets,
    headers: { 'PRIVATE-TOKEN': options.token, Accept: 'application/json' },
  });
}
