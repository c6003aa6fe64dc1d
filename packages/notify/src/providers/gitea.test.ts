import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { PROVIDER_UID, SHA, eventWith, startFakeForge, successEvent } from '../../test/forge-harness.js';
import type { FakeForge } from '../../test/forge-harness.js';
import { gitea } from './gitea.js';

describeNotifierContract({
  definition: gitea,
  spec: ({ url, token }) => ({
    type: 'gitea',
    address: `${url}/org/repo`,
    uid: PROVIDER_UID,
    secret: { token },
  }),
  invalid: [
    { type: 'gitea', address: 'https://gitea.example.com/org/repo' },
    { type: 'gitea', address: 'https://gitea.example.com/org/sub/repo', secret: { token: 't' } },
  ],
});

describe('gitea commit status (spec §5.1)', () => {
  let forge: FakeForge;
  beforeAll(async () => {
    forge = await startFakeForge();
  });
  afterAll(() => forge.close());
  const make = () =>
    forge.notifier({
      type: 'gitea',
      address: `${forge.url}/org/repo.git`,
      uid: PROVIDER_UID,
      secret: { token: 'gt' },
    });

  it('probes the version once, lists, then posts with target_url ""', async () => {
    forge.reset({ 'GET /api/v1/version': { json: { version: '1.22.0' } } });
    const n = make();
    await n.send(successEvent);
    await n.send(eventWith({ severity: 'error', reason: 'HealthCheckFailed' }));
    expect(forge.calls()).toEqual([
      'GET /api/v1/version',
      `GET /api/v1/repos/org/repo/commits/${SHA}/statuses?limit=50&page=1`,
      `POST /api/v1/repos/org/repo/statuses/${SHA}`,
      `GET /api/v1/repos/org/repo/commits/${SHA}/statuses?limit=50&page=1`,
      `POST /api/v1/repos/org/repo/statuses/${SHA}`,
    ]);
    expect(forge.requests[2]!.headers.authorization).toBe('token gt');
    expect(forge.requests[2]!.text()).toBe(
      '{"state":"success","target_url":"","description":"reconciliation succeeded","context":"kustomization/webapp/0c9c2e41"}',
    );
    expect(forge.requests[4]!.json()).toMatchObject({ state: 'failure', description: 'health check failed' });
  });

  it('posts Progressing as pending', async () => {
    forge.reset();
    await expect(make().send(eventWith({ reason: 'Progressing' }))).resolves.toEqual({ skipped: false });
    expect(forge.requests[2]!.json()).toMatchObject({ state: 'pending', description: 'progressing' });
  });

  it('skips when the first status with our context is identical (Gitea answers `status`)', async () => {
    forge.reset({
      'GET /api/v1/repos/': {
        json: [
          {
            context: 'kustomization/webapp/0c9c2e41',
            status: 'success',
            description: 'reconciliation succeeded',
          },
        ],
      },
    });
    await expect(make().send(successEvent)).resolves.toMatchObject({ skipped: true });
    expect(forge.calls()).toHaveLength(2);
  });
});
