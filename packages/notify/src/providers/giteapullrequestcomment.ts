/**
 * `giteapullrequestcomment`: one status comment per Flux object on the Gitea pull request named
 * by the `change_request` metadata, created once and then edited in place.
 *
 * @packageDocumentation
 */
import { goJson } from '../event.js';
import {
  PR_COMMENT_PREFIX,
  changeRequestNumber,
  commentBody,
  commentMarker,
  requireProviderUid,
} from '../forge/change-request.js';
import { createGiteaSession, parseGiteaOptions } from '../forge/gitea.js';
import { list, obj, str } from '../forge/http.js';
import { defineNotifier } from '../provider.js';

/** The `giteapullrequestcomment` provider. */
export const giteapullrequestcomment = defineNotifier({
  id: 'giteapullrequestcomment',
  capabilities: { transport: 'http', gate: 'change-request', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireProviderUid(config, problems);
    return { gitea: parseGiteaOptions(config, problems) };
  },
  create: (options, ctx) => {
    const session = createGiteaSession(options.gitea, ctx);
    return {
      async post(event, { signal } = {}) {
        const me = await session.login(signal);
        const body = commentBody(PR_COMMENT_PREFIX, options.uid, event);
        const number = changeRequestNumber(event, ctx.scope);
        const client = await session.client(signal);
        const listed = await client.request(
          {
            method: 'GET',
            url: `${session.repoUrl}issues/${number}/comments?limit=100&page=1`,
            what: 'failed to list pull request comments',
          },
          signal,
        );
        const marker = commentMarker(PR_COMMENT_PREFIX, options.uid, event);
        const existing = list(listed.json).find(
          (c) => str(obj(c, 'user'), 'login') === me && (str(c, 'body') ?? '').includes(marker),
        );
        if (existing !== undefined) {
          await client.request(
            {
              method: 'PATCH',
              url: `${session.repoUrl}issues/comments/${str(existing, 'id') ?? ''}`,
              body: goJson({ body }),
              what: 'failed to update pull request comment',
            },
            signal,
          );
        } else {
          await client.request(
            {
              method: 'POST',
              url: `${session.repoUrl}issues/${number}/comments`,
              body: goJson({ body }),
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
