/**
 * What the PR/MR comment providers share (Flux's `changeRequestComment`): the hidden marker that
 * identifies our comment, the comment body, and the change-request number from the metadata.
 *
 * @packageDocumentation
 */
import type { ConfigProblem } from '@tidewatch/core';
import { NotifyError } from '../errors.js';
import { markdownPost } from '../event.js';
import { list, obj, str } from './http.js';
import type { ForgeClient } from './http.js';
import type { ProviderConfig } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** Marker prefix of GitHub and Gitea pull-request comments. */
export const PR_COMMENT_PREFIX = 'flux-pr-comment-key';
/** Marker prefix of GitLab merge-request notes. */
export const MR_COMMENT_PREFIX = 'flux-mr-comment-key';

/** `<!-- <prefix>:<providerUID>/<Kind>/<namespace>/<name> -->` */
export function commentMarker(prefix: string, providerUid: string, event: FluxEvent): string {
  const ref = event.involvedObject;
  return `<!-- ${prefix}:${providerUid}/${ref.kind}/${ref.namespace ?? ''}/${ref.name} -->`;
}

/** The comment body: the marker, a blank line, then the shared Markdown post. */
export function commentBody(prefix: string, providerUid: string, event: FluxEvent): string {
  return `${commentMarker(prefix, providerUid, event)}\n\n${markdownPost(event)}`;
}

/** Pushes `provider UID cannot be empty` when the Provider has no UID. */
export function requireProviderUid(config: ProviderConfig, problems: ConfigProblem[]): void {
  if (config.uid === '') problems.push({ path: 'uid', message: 'provider UID cannot be empty' });
}

/**
 * The change-request number from metadata `change_request`, parsed like Go's `strconv.Atoi`
 * (optional sign, decimal digits). Errors carry Flux's texts.
 */
export function changeRequestNumber(event: FluxEvent, scope: string): number {
  const raw = event.metadata?.change_request;
  if (raw === undefined) {
    throw new NotifyError('NOTIFY_UNSUPPORTED', `[${scope}] missing "change_request" metadata key`);
  }
  if (!/^[+-]?[0-9]+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    const why = /^[+-]?[0-9]+$/.test(raw) ? 'value out of range' : 'invalid syntax';
    throw new NotifyError(
      'NOTIFY_UNSUPPORTED',
      `[${scope}] invalid "change_request" metadata value ${JSON.stringify(raw)}: strconv.Atoi: parsing ${JSON.stringify(raw)}: ${why}`,
    );
  }
  return Number(raw);
}

/** What {@link upsertIssueComment} needs. */
export interface UpsertIssueCommentInput {
  /** The forge API client. */
  readonly client: ForgeClient;
  /** Repository API base, ending in `/` (`…/repos/<owner>/<repo>/`). */
  readonly repoUrl: string;
  /** The pull request number. */
  readonly number: number;
  /** Query string of the comment listing (the forges page differently). */
  readonly listQuery: string;
  /** Our own login: only our comments are edited. */
  readonly login: string;
  /** The hidden marker that identifies the comment of this object. */
  readonly marker: string;
  /** The JSON request body, already encoded as the forge's Go client encodes it. */
  readonly body: string;
  readonly signal?: AbortSignal | undefined;
}

/**
 * GitHub's and Gitea's shared issue-comment API: list the pull request's comments, edit ours that
 * carries the marker (`PATCH issues/comments/<id>`), or create one (`POST issues/<n>/comments`).
 */
export async function upsertIssueComment(input: UpsertIssueCommentInput): Promise<void> {
  const { client, repoUrl, number, signal } = input;
  const listed = await client.request(
    {
      method: 'GET',
      url: `${repoUrl}issues/${number}/comments?${input.listQuery}`,
      what: 'failed to list pull request comments',
    },
    signal,
  );
  const existing = list(listed.json).find(
    (c) => str(obj(c, 'user'), 'login') === input.login && (str(c, 'body') ?? '').includes(input.marker),
  );
  await client.request(
    existing !== undefined
      ? {
          method: 'PATCH',
          url: `${repoUrl}issues/comments/${str(existing, 'id') ?? ''}`,
          body: input.body,
          what: 'failed to update pull request comment',
        }
      : {
          method: 'POST',
          url: `${repoUrl}issues/${number}/comments`,
          body: input.body,
          what: 'failed to create pull request comment',
        },
    signal,
  );
}
