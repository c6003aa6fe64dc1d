import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { PROVIDER_UID, SHA, eventWith, startFakeForge, successEvent } from '../../test/forge-harness.js';
import type { FakeForge } from '../../test/forge-harness.js';
import { createNotifier } from '../notifier.js';
import { bitbucket } from './bitbucket.js';

describeNotifierContract({
  definition: bitbucket,
  spec: ({ token }) => ({
    type: 'bitbucket',
    address: 'https://bitbucket.org/owner/repo',
    uid: PROVIDER_UID,
    secret: { token: `user:${token}` },
  }),
  invalid: [
    { type: 'bitbucket', address: 'https://bitbucket.org/owner/repo' },
    { type: 'bitbucket', address: 'https://bitbucket.org/owner/repo', secret: { token: 'no-colon' } },
    { type: 'bitbucket', address: 'https://bitbucket.org/owner/repo', secret: { token: 'a:b:c' } },
    { type: 'bitbucket', address: 'https://bitbucket.org/owner', secret: { token: 'a:b' } },
  ],
});

describe('bitbucket cloud build status (spec §5.1)', () => {
  let forge: FakeForge;
  beforeAll(async () => {
    forge = await startFakeForge();
  });
  afterAll(() => forge.close());
  const key = createHash('sha1').update('kustomization/webapp/0c9c2e41').digest('hex');
  const base = `/2.0/repositories/owner/repo/commit/${SHA}/statuses/build`;
  const make = (log?: string[]) =>
    createNotifier(
      // The host of the address is ignored: Bitbucket Cloud's API is always api.bitbucket.org.
      {
        type: 'bitbucket',
        address: 'git@example.com:owner/repo.git',
        uid: PROVIDER_UID,
        secret: { token: 'me:app-pw' },
      },
      {
        fetch: (input, init) => {
          log?.push(input instanceof Request ? input.url : input.toString());
          return forge.fetch(input, init);
        },
        retry: { retries: 0 },
      },
    );

  it('reads the status by key (404 = none), then posts with Basic auth and sorted keys', async () => {
    forge.reset({ 'GET /': { status: 404, json: { type: 'error' } } });
    const log: string[] = [];
    await expect(make(log).send(successEvent)).resolves.toEqual({ skipped: false });
    expect(log[0]).toBe(`https://api.bitbucket.org${base}/${key}`);
    expect(forge.calls()).toEqual([`GET ${base}/${key}`, `POST ${base}`]);
    expect(forge.requests[1]!.headers.authorization).toBe(
      `Basic ${Buffer.from('me:app-pw').toString('base64')}`,
    );
    expect(forge.requests[1]!.text()).toBe(
      `{"description":"reconciliation succeeded","key":"${key}","name":"kustomization/webapp","state":"SUCCESSFUL","url":"https://bitbucket.org"}`,
    );
  });

  it('skips an identical status and posts FAILED for errors', async () => {
    forge.reset({ 'GET /': { json: { key, state: 'SUCCESSFUL', description: 'reconciliation succeeded' } } });
    await expect(make().send(successEvent)).resolves.toMatchObject({ skipped: true });
    await make().send(eventWith({ severity: 'error', reason: 'HealthCheckFailed' }));
    expect(forge.calls()).toHaveLength(3);
    expect(forge.requests[2]!.json()).toMatchObject({ state: 'FAILED', description: 'health check failed' });
  });

  it('fails on other errors while reading the status', async () => {
    forge.reset({ 'GET /': { status: 403, json: { error: 'forbidden' } } });
    await expect(make().send(successEvent)).rejects.toThrow(/could not get commit status/);
  });
});
