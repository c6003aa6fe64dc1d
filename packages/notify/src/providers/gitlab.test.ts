import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { PROVIDER_UID, SHA, eventWith, startFakeForge, successEvent } from '../../test/forge-harness.js';
import type { FakeForge } from '../../test/forge-harness.js';
import { gitlab } from './gitlab.js';

describeNotifierContract({
  definition: gitlab,
  spec: ({ url, token }) => ({
    type: 'gitlab',
    address: `${url}/group/repo`,
    uid: PROVIDER_UID,
    secret: { token },
  }),
  invalid: [
    { type: 'gitlab', address: 'https://gitlab.com/group/repo' },
    { type: 'gitlab', address: 'nope', secret: { token: 't' } },
  ],
});

describe('gitlab commit status (spec §5.1)', () => {
  let forge: FakeForge;
  beforeAll(async () => {
    forge = await startFakeForge();
  });
  afterAll(() => forge.close());
  const project = 'group%2Fsub%2Frepo';
  const make = () =>
    forge.notifier({
      type: 'gitlab',
      address: `${forge.url}/group/sub/repo.git`,
      uid: PROVIDER_UID,
      secret: { token: 'glpat-x' },
    });

  it('lists statuses by name, then posts with PRIVATE-TOKEN (subgroups URL-encoded)', async () => {
    forge.reset();
    await expect(make().send(successEvent)).resolves.toEqual({ skipped: false });
    expect(forge.calls()).toEqual([
      `GET /api/v4/projects/${project}/repository/commits/${SHA}/statuses?name=kustomization%2Fwebapp%2F0c9c2e41`,
      `POST /api/v4/projects/${project}/statuses/${SHA}`,
    ]);
    expect(forge.requests[0]!.headers['private-token']).toBe('glpat-x');
    expect(forge.requests[1]!.text()).toBe(
      '{"state":"success","name":"kustomization/webapp/0c9c2e41","description":"reconciliation succeeded"}',
    );
  });

  it('maps error to failed', async () => {
    forge.reset();
    await make().send(eventWith({ severity: 'error', reason: 'HealthCheckFailed' }));
    expect(forge.requests[1]!.json()).toMatchObject({ state: 'failed', description: 'health check failed' });
  });

  it('skips when any listed status has the same sha, status, description and name', async () => {
    forge.reset({
      'GET /': {
        json: [
          { sha: SHA, status: 'failed', description: 'x', name: 'kustomization/webapp/0c9c2e41' },
          {
            sha: SHA,
            status: 'success',
            description: 'reconciliation succeeded',
            name: 'kustomization/webapp/0c9c2e41',
          },
        ],
      },
    });
    await expect(make().send(successEvent)).resolves.toMatchObject({ skipped: true });
    expect(forge.calls()).toHaveLength(1);
  });

  it('skips Progressing and uses the Secret password as token', async () => {
    forge.reset();
    const n = forge.notifier({
      type: 'gitlab',
      address: `${forge.url}/g/r`,
      uid: PROVIDER_UID,
      secret: { username: 'u', password: 'pw-as-token' },
    });
    await expect(n.send(eventWith({ reason: 'Progressing' }))).resolves.toMatchObject({ skipped: true });
    await n.send(successEvent);
    expect(forge.requests[0]!.headers['private-token']).toBe('pw-as-token');
  });

  it('reports a missing token with Flux text', () => {
    expect(() => gitlab.parseOptions({ type: 'gitlab', address: 'https://gitlab.com/g/r' })).toThrow(
      'gitlab token cannot be empty',
    );
  });
});
