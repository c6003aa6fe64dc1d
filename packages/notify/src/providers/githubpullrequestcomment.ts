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
  upsertIssueComment,
} from '../forge/change-request.js';
import { encoderJson } from '../forge/common.js';
import { createGitHubSession, parseGitHubOptions } from '../forge/github.js';
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
        await upsertIssueComment({
          client,
          repoUrl: session.repoUrl,
          number,
          listQuery: 'direction=asc&per_page=100&sort=created',
          login: login,
          marker: commentMarker(PR_COMMENT_PREFIX, options.uid, event),
          body: encoderJson({ body }),
          signal,
        });
        return { skipped: false };
      },
    };
  },
});
