/**
 * `bitbucketserver`: a build status on Bitbucket Server / Data Center, addressed by the https
 * clone URL (`https://host[/context]/scm/<PROJECT>/<repo>.git`).
 *
 * @packageDocumentation
 */
import { goJson } from '../event.js';
import { parseBitbucketServerAddress } from '../forge/address.js';
import type { GitAddressError } from '../forge/address.js';
import { createStatusIdResolver, SKIPPED_PROGRESSING, stateOf, statusInputs } from '../forge/common.js';
import type { ForgeSendOptions } from '../forge/common.js';
import { createForgeClient, str } from '../forge/http.js';
import { statusName } from '../forge/revision.js';
import { defineNotifier } from '../provider.js';
import { bitbucketKey } from './bitbucket.js';

/** The `bitbucketserver` commit-status provider. */
export const bitbucketserver = defineNotifier({
  id: 'bitbucketserver',
  capabilities: { transport: 'http', gate: 'commit-status', proxy: false, tls: true, headers: false },
  parse: (config, problems) => {
    let commitsUrl = '';
    if (config.address === '')
      problems.push({ path: 'address', message: 'is required (the https clone URL)' });
    else {
      try {
        commitsUrl = parseBitbucketServerAddress(config.address).commitsUrl;
      } catch (err) {
        problems.push({ path: 'address', message: (err as GitAddressError).message });
      }
    }
    const token = config.token ?? '';
    const password = config.password ?? '';
    if (token === '' && (config.username === '' || password === '')) {
      problems.push({
        path: 'secret',
        message: 'invalid credentials, expected to be one of username/password or API Token',
      });
    }
    return { bitbucketServer: { commitsUrl, token, password } };
  },
  create: (options, ctx) => {
    const { commitsUrl, token, password } = options.bitbucketServer;
    const authorization =
      token !== ''
        ? `Bearer ${token}`
        : `Basic ${Buffer.from(`${options.username}:${password}`).toString('base64')}`;
    const client = createForgeClient({
      scope: ctx.scope,
      request: ctx.request,
      secrets: ctx.secrets,
      headers: {
        Authorization: authorization,
        'x-atlassian-token': 'no-check',
        'x-requested-with': 'XMLHttpRequest',
      },
    });
    const resolveId = createStatusIdResolver(options, ctx.scope);
    return {
      async post(event, sendOptions: ForgeSendOptions = {}) {
        const { signal } = sendOptions;
        const inputs = await statusInputs(event, sendOptions, resolveId, ctx.scope);
        if (!inputs) return SKIPPED_PROGRESSING;
        const state = stateOf(
          event,
          { info: 'SUCCESSFUL', error: 'FAILED' },
          ctx.scope,
          "couldn't convert to bitbucket server state: bitbucket server state generated on info or error events only",
        );
        const name = `${statusName(event)} [${inputs.description}]`;
        const key = bitbucketKey(inputs.id);
        const buildsUrl = `${commitsUrl}/${inputs.sha}/builds`;
        const existing = await client.request(
          {
            method: 'GET',
            url: `${buildsUrl}?key=${key}`,
            accept: [404],
            what: 'could not get existing commit status: failed api call to check duplicate commit status',
          },
          signal,
        );
        if (
          existing.status === 200 &&
          str(existing.json, 'key') === key &&
          str(existing.json, 'state') === state &&
          (str(existing.json, 'description') ?? '') === inputs.description &&
          (str(existing.json, 'name') ?? '') === name
        ) {
          return { skipped: true, reason: 'an identical commit status exists' };
        }
        // Struct field order of Flux's request type; empty description/name are omitted; Encoder adds "\n".
        const body = `${goJson({
          description: inputs.description || undefined,
          key,
          name,
          state,
          url: options.address,
        })}\n`;
        await client.request(
          {
            method: 'POST',
            url: buildsUrl,
            body,
            what: 'could not post build status: could not post build commit status',
          },
          signal,
        );
        return { skipped: false };
      },
    };
  },
});
