import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { PROVIDER_UID, SHA, eventWith, startFakeForge, successEvent } from '../../test/forge-harness.js';
import type { FakeForge } from '../../test/forge-harness.js';
import { azuredevops } from './azuredevops.js';

describeNotifierContract({
  definition: azuredevops,
  spec: ({ url, token }) => ({
    type: 'azuredevops',
    address: `${url}/Org/Project/_git/Repo`,
    uid: PROVIDER_UID,
    secret: { token },
  }),
  invalid: [
    { type: 'azuredevops', address: 'https://dev.azure.com/org/project/_git/repo' },
    { type: 'azuredevops', address: 'https://dev.azure.com/org/project/repo', secret: { token: 't' } },
  ],
});

describe('azure devops commit status (spec §5.1)', () => {
  let forge: FakeForge;
  beforeAll(async () => {
    forge = await startFakeForge();
  });
  afterAll(() => forge.close());
  const path = `/org/My%20Project/_apis/git/repositories/Repo/commits/${SHA}/statuses`;
  const make = () =>
    forge.notifier({
      type: 'azuredevops',
      address: `${forge.url}/Org/My Project/_git/Repo`,
      uid: PROVIDER_UID,
      secret: { token: 'pat' },
    });

  it('lists, then posts with an empty-user Basic PAT and api-version 6.0 (org lower-cased)', async () => {
    forge.reset();
    await make().send(successEvent);
    expect(forge.calls()).toEqual([`GET ${path}`, `POST ${path}`]);
    const post = forge.requests[1]!;
    expect(post.headers.authorization).toBe(`Basic ${Buffer.from(':pat').toString('base64')}`);
    expect(post.headers.accept).toBe('application/json;api-version=6.0');
    expect(post.text()).toBe(
      '{"context":{"genre":"fluxcd","name":"kustomization/webapp/0c9c2e41"},"description":"reconciliation succeeded","state":"succeeded"}',
    );
  });

  it('maps error to error and adds the summary to the genre', async () => {
    forge.reset();
    await make().send(
      eventWith({
        severity: 'error',
        reason: 'HealthCheckFailed',
        metadata: { commit: SHA, summary: 'prod' },
      }),
    );
    expect(forge.requests[1]!.json()).toEqual({
      context: { genre: 'fluxcd:prod', name: 'kustomization/webapp/0c9c2e41' },
      description: 'health check failed',
      state: 'error',
    });
  });

  it('skips when the first status with the same name and genre is identical', async () => {
    forge.reset({
      'GET /': {
        json: {
          count: 1,
          value: [
            {
              context: { genre: 'fluxcd', name: 'kustomization/webapp/0c9c2e41' },
              state: 'succeeded',
              description: 'reconciliation succeeded',
            },
          ],
        },
      },
    });
    await expect(make().send(successEvent)).resolves.toMatchObject({ skipped: true });
    expect(forge.calls()).toHaveLength(1);
  });
});
