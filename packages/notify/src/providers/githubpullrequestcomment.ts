/**
 * `githubpullrequestcomment`: one status comment per Flux object on the GitHub pull request named
 * by the `change_request` metadata, created once and then edited in place.
 *
 * @packageDocumentation
 */
import {
  PR_COMMENT_PREFIX,
  changeRequestNumber,
  commentBody,
  commentMarker,
  requireProviderUid,
} from '../forge/change-request.js';
import { encoderJson } from '../forge/common.js';
import { createGitHubSession, parseGitHubOptions } from '../forge/github.js';
import { list, obj, str } from '../forge/http.js';
import { defineNotifier } from '../provider.js';

/** The `githubpullrequestcomment` provider. */
export const githubpullrequestcomment = defineNotifier({
  id: 'githubpullrequestcomment',
  capabilities: { transport: 'http', gate: 'change-request', proxy: false, tls: true, headers: false },
  secretFields: ['githubAppPrivateKey'],
  parse: (config, problems) => {
    requireProviderUid(config, problems);
    return { github: parseGitHubOptions(config, problems) };
  },
  create: (options, ctx) => {
    const session = createGitHubSession(options.github, ctx, true);
    return {
      async post(event, { signal } = {}) {
        const body = commentBody(PR_COMMENT_PREFIX, options.uid, event);
        const number = changeRequestNumber(event, ctx.scope);
        const login = await session.login(signal);
        const client = await session.client(signal);
        const listed = await client.request(
          {
            method: 'GET',
            url: `${session.repoUrl}issues/${number}/comments?direction=asc&per_page=100&sort=created`,
            what: 'failed to list pull request comments',
          },
          signal,
        );
        const marker = commentMarker(PR_COMMENT_PREFIX, options.uid, event);
        const existing = list(listed.json).find(
          (c) => str(obj(c, 'user'), 'login') === login && (str(c, 'body') ?? '').includes(marker),
        );
        if (existing !== undefined) {
          await client.request(
            {
              method: 'PATCH',
              url: `${session.repoUrl}issues/comments/${str(existing, 'id') ?? ''}`,
              body: encoderJson({ body }),
              what: 'failed to update pull request comment',
            },
            signal,
          );
        } else {
          await client.request(
            {
              method: 'POST',
              url: `${session.repoUrl}issues/${number}/comments`,
              body: encoderJson({ body }),
              what: 'failed to create pull request comment',
            },
            signal,
          );
        }
        return { skipped: false };
      },
    };
  },
});
