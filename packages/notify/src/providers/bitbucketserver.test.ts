import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { PROVIDER_UID, SHA, eventWith, startFakeForge, successEvent } from '../../test/forge-harness.js';
import type { FakeForge } from '../../test/forge-harness.js';
import { bitbucketserver } from './bitbucketserver.js';

describeNotifierContract({
  definition: bitbucketserver,
  spec: ({ url, token }) => ({
    type: 'bitbucketserver',
    address: `${url}/scm/PROJ/repo.git`,
    uid: PROVIDER_UID,
    secret: { token },
  }),
  invalid: [
    { type: 'bitbucketserver', address: 'https://bb.example.com/scm/PROJ/repo.git' },
    { type: 'bitbucketserver', address: 'https://bb.example.com/scm/PROJ/repo.git', username: 'u' },
    { type: 'bitbucketserver', address: 'https://bb.example.com/PROJ/repo.git', secret: { token: 't' } },
    {
      type: 'bitbucketserver',
      address: 'ssh://git@bb.example.com/scm/PROJ/repo.git',
      secret: { token: 't' },
    },
  ],
});

describe('bitbucket server build status (spec §5.1)', () => {
  let forge: FakeForge;
  beforeAll(async () => {
    forge = await startFakeForge();
  });
  afterAll(() => forge.close());
  const key = createHash('sha1').update('kustomization/webapp/0c9c2e41').digest('hex');
  const builds = `/ctx/rest/api/latest/projects/PROJ/repos/repo/commits/${SHA}/builds`;

  it('reads by key (404 = none), then posts with Bearer and the Atlassian headers', async () => {
    forge.reset({ 'GET /': { status: 404, json: {} } });
    const address = `${forge.url}/ctx/scm/PROJ/repo.git`;
    await forge
      .notifier({ type: 'bitbucketserver', address, uid: PROVIDER_UID, secret: { token: 'bbtok' } })
      .send(successEvent);
    expect(forge.calls()).toEqual([`GET ${builds}?key=${key}`, `POST ${builds}`]);
    const post = forge.requests[1]!;
    expect(post.headers.authorization).toBe('Bearer bbtok');
    expect(post.headers['x-atlassian-token']).toBe('no-check');
    expect(post.headers['x-requested-with']).toBe('XMLHttpRequest');
    expect(post.text()).toBe(
      `{"description":"reconciliation succeeded","key":"${key}","name":"kustomization/webapp [reconciliation succeeded]","state":"SUCCESSFUL","url":"${address}"}\n`,
    );
  });

  it('uses Basic auth from username + password and skips an identical status', async () => {
    forge.reset({
      'GET /': {
        json: {
          key,
          state: 'FAILED',
          description: 'health check failed',
          name: 'kustomization/webapp [health check failed]',
        },
      },
    });
    const n = forge.notifier({
      type: 'bitbucketserver',
      address: `${forge.url}/ctx/scm/PROJ/repo.git`,
      uid: PROVIDER_UID,
      secret: { username: 'alice', password: 's3cret' },
    });
    await expect(
      n.send(eventWith({ severity: 'error', reason: 'HealthCheckFailed' })),
    ).resolves.toMatchObject({
      skipped: true,
    });
    expect(forge.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('alice:s3cret').toString('base64')}`,
    );
    await n.send(successEvent);
    expect(forge.calls()).toHaveLength(3);
  });

  it('requires a token or username + password (Flux text)', () => {
    expect(() =>
      bitbucketserver.parseOptions({
        type: 'bitbucketserver',
        address: 'https://bb/scm/P/r.git',
        username: 'u',
      }),
    ).toThrow('invalid credentials, expected to be one of username/password or API Token');
  });
});
