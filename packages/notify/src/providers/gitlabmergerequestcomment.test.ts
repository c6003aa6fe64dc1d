import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { PROVIDER_UID, eventWith, startFakeForge } from '../../test/forge-harness.js';
import type { FakeForge } from '../../test/forge-harness.js';
import { gitlabmergerequestcomment } from './gitlabmergerequestcomment.js';

describeNotifierContract({
  definition: gitlabmergerequestcomment,
  spec: ({ url, token }) => ({
    type: 'gitlabmergerequestcomment',
    address: `${url}/group/repo`,
    uid: PROVIDER_UID,
    secret: { token },
  }),
  invalid: [{ type: 'gitlabmergerequestcomment', address: 'https://gitlab.com/g/r', uid: PROVIDER_UID }],
});

const event = eventWith({ metadata: { change_request: '3', revision: 'r' } });
const marker = `<!-- flux-mr-comment-key:${PROVIDER_UID}/Kustomization/flux-system/webapp -->`;

describe('gitlabmergerequestcomment (spec §5.2)', () => {
  let forge: FakeForge;
  beforeAll(async () => {
    forge = await startFakeForge();
  });
  afterAll(() => forge.close());
  const notes = '/api/v4/projects/group%2Fsub%2Frepo/merge_requests/3/notes';
  const make = () =>
    forge.notifier({
      type: 'gitlabmergerequestcomment',
      address: `${forge.url}/group/sub/repo`,
      uid: PROVIDER_UID,
      secret: { token: 'glpat' },
    });

  it('creates a note, then updates ours in place', async () => {
    forge.reset({ 'GET /api/v4/user': { json: { username: 'flux' } } });
    await make().send(event);
    expect(forge.calls()).toEqual([
      'GET /api/v4/user',
      `GET ${notes}?order_by=created_at&per_page=100&sort=asc`,
      `POST ${notes}`,
    ]);
    const body = (forge.requests[2]!.json() as { body: string }).body;
    expect(
      body.startsWith(`${marker}\n\n## Flux Status\n\n\u2139\ufe0f Kustomization/flux-system/webapp\n\n`),
    ).toBe(true);
    expect(body).not.toContain('change_request');
    // GitLab's client uses json.Marshal: HTML characters are escaped on the wire.
    expect(forge.requests[2]!.text()).toContain('\\u003c!-- flux-mr-comment-key');

    forge.reset({
      'GET /api/v4/user': { json: { username: 'flux' } },
      [`GET ${notes}`]: { json: [{ id: 5, author: { username: 'flux' }, body: `x ${marker} y` }] },
    });
    await make().send(event);
    expect(forge.calls().at(-1)).toBe(`PUT ${notes}/5`);
    expect(forge.requests.at(-1)!.headers['private-token']).toBe('glpat');
  });
});
