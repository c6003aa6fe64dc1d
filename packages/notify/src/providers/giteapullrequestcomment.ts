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
  upsertIssueComment,
} from '../forge/change-request.js';
import { createGiteaSession, parseGiteaOptions } from '../forge/gitea.js';
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
        await upsertIssueComment({
          client,
          repoUrl: session.repoUrl,
          number,
          listQuery: 'limit=100&page=1',
          login: me,
          marker: commentMarker(PR_COMMENT_PREFIX, options.uid, event),
          body: goJson({ body }),
          signal,
        });
        return { skipped: false };
      },
    };
  },
});
