// Cloud credential providers beyond the shared contract: failures, optional peers, caching, and the
// ACR refresh token working end to end against a fake ACR.
import { defaultPluginContext } from '@tidewatch/core';
import { startFakeAcr, startFakeEcr } from '@tidewatch/testkit';
import { describe, expect, it } from 'vitest';
import { scanImageTags } from '../scan.js';
import { loadPeer } from '../peer.js';
import { cachedCredentials } from '../session.js';
import { SecretRegistry } from '@tidewatch/core';
import { aws, azure } from './index.js';

describe('aws', () => {
  it('turns a rejected key into a retryable CREDENTIAL_PROVIDER error without the secret', async () => {
    const ecr = await startFakeEcr({ accessKeyIds: ['AKIDGOOD'], password: 'pw' });
    try {
      const provider = aws.create(
        aws.parseOptions({
          accessKeyId: 'AKIDBAD',
          secretAccessKey: 'very-secret-aws-key',
          endpoint: ecr.url,
        }),
        defaultPluginContext(),
      );
      const err = await provider
        .getCredentials({
          registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
          repository: 'a',
          registryUrl: 'https://x',
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CREDENTIAL_PROVIDER', retryable: true });
      expect(String(err)).toContain('UnrecognizedClientException');
      expect(String(err)).not.toContain('very-secret-aws-key');
      // The region came from the host.
      expect(String(ecr.requests[0]!.headers.authorization)).toContain('/us-east-1/ecr/aws4_request');
    } finally {
      await ecr.close();
    }
  });
});

describe('optional peer dependencies', () => {
  it('a missing SDK is a CREDENTIAL_PROVIDER error naming the package', async () => {
    const name = '@tidewatch/not-installed-sdk';
    const err = await loadPeer(name, 'registry:test', () => import(/* @vite-ignore */ name)).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'CREDENTIAL_PROVIDER' });
    expect(String(err)).toContain("optional peer dependency '@tidewatch/not-installed-sdk' is not installed");
  });
});

describe('credential caching', () => {
  it('refreshes at 80 % of the lifetime, and at most after 1 h', async () => {
    let now = 1_000_000;
    let calls = 0;
    const provider = {
      getCredentials: () => {
        calls++;
        return Promise.resolve({ username: 'u', password: `p${calls}`, expiresAt: new Date(now + 100_000) });
      },
    };
    const get = cachedCredentials(provider, 'r.io', { now: () => now, secrets: new SecretRegistry() });
    await get('https://r.io', 'a');
    now += 79_000;
    expect((await get('https://r.io', 'a')).password).toBe('p1');
    now += 2_000;
    expect((await get('https://r.io', 'a')).password).toBe('p2');
    const forever = cachedCredentials(
      { getCredentials: () => Promise.resolve({ username: 'u', password: `q${++calls}` }) },
      'r.io',
      {
        now: () => now,
        secrets: new SecretRegistry(),
      },
    );
    const first = (await forever('https://r.io', 'a')).password;
    now += 3_599_000;
    expect((await forever('https://r.io', 'a')).password).toBe(first);
    now += 2_000;
    expect((await forever('https://r.io', 'a')).password).not.toBe(first);
  });
});

describe('azure end to end', () => {
  it('exchanges an Entra token for a refresh token that lists tags through the ACR token realm', async () => {
    const acr = await startFakeAcr({
      service: 'myreg.azurecr.io',
      aadToken: 'entra-xyz',
      repositories: { 'team/app': ['1.0.0', '1.1.0'] },
    });
    try {
      const provider = azure.create(
        azure.parseOptions({
          tokenSource: (scope: string) =>
            Promise.resolve({
              token: scope === 'https://containerregistry.azure.net/.default' ? 'entra-xyz' : 'wrong',
            }),
        }),
        defaultPluginContext(),
      );
      const creds = await provider.getCredentials({
        registry: 'myreg.azurecr.io',
        repository: 'team/app',
        registryUrl: acr.url,
      });
      const scan = await scanImageTags({ image: `${acr.host}/team/app`, auth: creds, retries: 0 });
      expect(scan.tags).toEqual(['1.1.0', '1.0.0']);
      const exchange = acr.server.requests.find((r) => r.url === '/oauth2/exchange')!;
      expect(Object.fromEntries(new URLSearchParams(exchange.text()))).toEqual({
        grant_type: 'access_token',
        service: 'myreg.azurecr.io',
        access_token: 'entra-xyz',
      });
    } finally {
      await acr.close();
    }
  });
});
