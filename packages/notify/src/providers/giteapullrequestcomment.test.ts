import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { PROVIDER_UID, eventWith, startFakeForge } from '../../test/forge-harness.js';
import type { FakeForge } from '../../test/forge-harness.js';
import { giteapullrequestcomment } from './giteapullrequestcomment.js';

describeNotifierContract({
  definition: giteapullrequestcomment,
  spec: ({ url, token }) => ({
    type: 'giteapullrequestcomment',
    address: `${url}/org/repo`,
    uid: PROVIDER_UID,
    secret: { token },
  }),
  invalid: [{ type: 'giteapullrequestcomment', address: 'https://gitea.io/o/r', secret: { token: 't' } }],
});

const event = eventWith({ metadata: { change_request: '12' } });
const marker = `<!-- flux-pr-comment-key:${PROVIDER_UID}/Kustomization/flux-system/webapp -->`;

describe('giteapullrequestcomment (spec §5.2)', () => {
  let forge: FakeForge;
  beforeAll(async () => {
    forge = await startFakeForge();
  });
  afterAll(() => forge.close());

  it('finds our marked comment by poster login and edits it', async () => {
    forge.reset({
      'GET /api/v1/user': { json: { login: 'fluxbot' } },
      'GET /api/v1/repos/org/repo/issues/12/comments': {
        json: [
          { id: 4, user: { login: 'other' }, body: marker },
          { id: 9, user: { login: 'fluxbot' }, body: marker },
        ],
      },
    });
    await forge
      .notifier({
        type: 'giteapullrequestcomment',
        address: `${forge.url}/org/repo`,
        uid: PROVIDER_UID,
        secret: { token: 'gt' },
      })
      .send(event);
    expect(forge.calls()).toEqual([
      'GET /api/v1/version',
      'GET /api/v1/user',
      'GET /api/v1/repos/org/repo/issues/12/comments?limit=100&page=1',
      'PATCH /api/v1/repos/org/repo/issues/comments/9',
    ]);
    expect(forge.requests[3]!.headers.authorization).toBe('token gt');
    expect(
      (forge.requests[3]!.json() as { body: string }).body.startsWith(`${marker}\n\n## Flux Status`),
    ).toBe(true);
  });

  it('creates a comment when there is none', async () => {
    forge.reset({ 'GET /api/v1/user': { json: { login: 'fluxbot' } } });
    await forge
      .notifier({
        type: 'giteapullrequestcomment',
        address: `${forge.url}/org/repo`,
        uid: PROVIDER_UID,
        secret: { token: 'gt' },
      })
      .send(event);
    expect(forge.calls().at(-1)).toBe('POST /api/v1/repos/org/repo/issues/12/comments');
  });
});
