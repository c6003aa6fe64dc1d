/**
 * `gitlabmergerequestcomment`: one status note per Flux object on the GitLab merge request named
 * by the `change_request` metadata, created once and then updated in place.
 *
 * @packageDocumentation
 */
import { goJson } from '../event.js';
import {
  MR_COMMENT_PREFIX,
  changeRequestNumber,
  commentBody,
  commentMarker,
  requireProviderUid,
} from '../forge/change-request.js';
import { createGitLabClient, parseGitLabOptions } from '../forge/gitlab.js';
import { list, obj, str } from '../forge/http.js';
import { defineNotifier } from '../provider.js';

/** The `gitlabmergerequestcomment` provider. */
export const gitlabmergerequestcomment = defineNotifier({
  id: 'gitlabmergerequestcomment',
  capabilities: { transport: 'http', gate: 'change-request', proxy: false, tls: true, headers: false },
  parse: (config, problems) => {
    requireProviderUid(config, problems);
    return { gitlab: parseGitLabOptions(config, problems) };
  },
  create: (options, ctx) => {
    const client = createGitLabClient(options.gitlab, ctx);
    const project = `${options.gitlab.apiBase}projects/${options.gitlab.projectId}`;
    let username: Promise<string> | undefined;
    const currentUser = async (signal?: AbortSignal): Promise<string> => {
      username ??= client
        .request(
          {
            method: 'GET',
            url: `${options.gitlab.apiBase}user`,
            what: 'failed to get authenticated user info',
          },
          signal,
        )
        .then((res) => str(res.json, 'username') ?? '');
      try {
        return await username;
      } catch (err) {
        username = undefined;
        throw err;
      }
    };
    return {
      async post(event, { signal } = {}) {
        const me = await currentUser(signal);
        const body = commentBody(MR_COMMENT_PREFIX, options.uid, event);
        const iid = changeRequestNumber(event, ctx.scope);
        const notesUrl = `${project}/merge_requests/${iid}/notes`;
        const listed = await client.request(
          {
            method: 'GET',
            url: `${notesUrl}?order_by=created_at&per_page=100&sort=asc`,
            what: 'failed to list merge request notes',
          },
          signal,
        );
        const marker = commentMarker(MR_COMMENT_PREFIX, options.uid, event);
        const existing = list(listed.json).find(
          (n) => str(obj(n, 'author'), 'username') === me && (str(n, 'body') ?? '').includes(marker),
        );
        if (existing !== undefined) {
          await client.request(
            {
              method: 'PUT',
              url: `${notesUrl}/${str(existing, 'id') ?? ''}`,
              body: goJson({ body }),
              what: 'failed to update merge request note',
            },
            signal,
          );
        } else {
          await client.request(
            {
              method: 'POST',
              url: notesUrl,
              body: goJson({ body }),
              what: 'failed to create merge request note',
            },
            signal,
          );
        }
        return { skipped: false };
      },
    };
  },
});
