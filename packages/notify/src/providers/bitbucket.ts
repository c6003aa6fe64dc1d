/**
 * `bitbucket`: a build status on Bitbucket Cloud (`https://api.bitbucket.org/2.0`; the address
 * host is ignored, as in Flux). The token is `<user>:<app password>`.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { goJson, goMap } from '../event.js';
import {
  SKIPPED_PROGRESSING,
  createStatusIdResolver,
  parseAddressOption,
  stateOf,
  statusInputs,
} from '../forge/common.js';
import type { ForgeSendOptions } from '../forge/common.js';
import { createForgeClient, str } from '../forge/http.js';
import { statusName } from '../forge/revision.js';
import { defineNotifier } from '../provider.js';

/** Bitbucket Cloud's API base (fixed, as in go-bitbucket). */
export const BITBUCKET_API = 'https://api.bitbucket.org/2.0';

/** Status keys are limited to 40 characters, so Flux uses the hex SHA-1 of the status id. */
export function bitbucketKey(statusId: string): string {
  return createHash('sha1').update(statusId, 'utf8').digest('hex');
}

/** The `bitbucket` commit-status provider. */
export const bitbucket = defineNotifier({
  id: 'bitbucket',
  capabilities: { transport: 'http', gate: 'commit-status', proxy: false, tls: true, headers: false },
  parse: (config, problems) => {
    const token = config.token ?? '';
    let username = '';
    let password = '';
    if (token === '') problems.push({ path: 'secret.token', message: 'bitbucket token cannot be empty' });
    else {
      const parts = token.split(':');
      if (parts.length !== 2) {
        problems.push({
          path: 'secret.token',
          message: 'invalid token format, expected to be <user>:<password>',
        });
      } else [username, password] = parts as [string, string];
    }
    const address = parseAddressOption(config, problems);
    let owner = '';
    let repo = '';
    if (address) {
      const parts = address.id.split('/');
      if (parts.length !== 2)
        problems.push({ path: 'address', message: `invalid repository id "${address.id}"` });
      else [owner, repo] = parts as [string, string];
    }
    return { bitbucket: { username, password, owner, repo } };
  },
  create: (options, ctx) => {
    const { username, password, owner, repo } = options.bitbucket;
    const client = createForgeClient({
      scope: ctx.scope,
      request: ctx.request,
      secrets: ctx.secrets,
      headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    });
    const resolveId = createStatusIdResolver(options, ctx.scope);
    const commitUrl = (sha: string): string =>
      `${BITBUCKET_API}/repositories/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/commit/${sha}/statuses/build`;
    return {
      async post(event, sendOptions: ForgeSendOptions = {}) {
        const { signal } = sendOptions;
        const inputs = await statusInputs(event, sendOptions, resolveId, ctx.scope);
        if (!inputs) return SKIPPED_PROGRESSING;
        const state = stateOf(
          event,
          { info: 'SUCCESSFUL', error: 'FAILED' },
          ctx.scope,
          "can't convert to bitbucket state",
        );
        const key = bitbucketKey(inputs.id);
        const existing = await client.request(
          {
            method: 'GET',
            url: `${commitUrl(inputs.sha)}/${key}`,
            accept: [404],
            what: 'could not get commit status',
          },
          signal,
        );
        if (
          existing.status !== 404 &&
          (str(existing.json, 'state') ?? '') === state &&
          (str(existing.json, 'description') ?? '') === inputs.description
        ) {
          return { skipped: true, reason: 'an identical commit status exists' };
        }
        // go-bitbucket sends a map, so the keys are sorted.
        const body = goJson(
          goMap({
            key,
            url: 'https://bitbucket.org',
            state,
            name: statusName(event),
            description: inputs.description,
          }),
        );
        await client.request(
          { method: 'POST', url: commitUrl(inputs.sha), body, what: 'could not create commit status' },
          signal,
        );
        return { skipped: false };
      },
    };
  },
});
