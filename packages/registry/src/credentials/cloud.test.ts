// Cloud credential providers beyond the shared contract: failures, optional peers, caching, and the
// ACR refresh token working end to end against a fake ACR.
import { defaultPluginContext } from '@tidewatch/core';
import { startFakeAcr, startFakeEcr, startFakeEcrPublic, startFakeRegistry } from '@tidewatch/testkit';
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

describe('aws: ECR Public (public.ecr.aws)', () => {
  const PASSWORD = 'ecr-public-password-1';
  const b64 = (s: string): string => Buffer.from(s).toString('base64');

  it('gets a token from ecr-public GetAuthorizationToken in us-east-1 and logs in as AWS', async () => {
    const api = await startFakeEcrPublic({
      keys: { AKIDPUBLIC: 'public-secret-key' },
      password: PASSWORD,
      expiresAt: new Date(Date.now() + 12 * 3600_000),
    });
    const registry = await startFakeRegistry({
      repositories: { 'team/app': ['1.0.0', '1.2.0', '1.1.0'] },
      auth: { kind: 'basic', username: 'AWS', password: PASSWORD },
    });
    try {
      const provider = aws.create(
        aws.parseOptions({
          accessKeyId: 'AKIDPUBLIC',
          secretAccessKey: 'public-secret-key',
          // A private-ECR region and endpoint must not be used for ECR Public.
          region: 'eu-west-1',
          endpoint: 'http://127.0.0.1:9/',
          publicEndpoint: api.url,
        }),
        defaultPluginContext(),
      );
      // The scan reaches the loopback registry, but the provider is asked for public.ecr.aws.
      const scan = await scanImageTags({
        image: `${registry.host}/team/app`,
        auth: { getCredentials: (req) => provider.getCredentials({ ...req, registry: 'public.ecr.aws' }) },
        retries: 0,
      });
      expect(scan.tags).toEqual(['1.2.0', '1.1.0', '1.0.0']);
      // The fake checked the SigV4 signature with the secret; scope names us-east-1 and ecr-public.
      expect(api.requests).toHaveLength(1);
      const sig = String(api.requests[0]!.headers.authorization);
      expect(sig).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDPUBLIC\/\d{8}\/us-east-1\/ecr-public\/aws4_request,/,
      );
      expect(api.requests[0]!.headers['x-amz-target']).toBe('SpencerFrontendService.GetAuthorizationToken');
      const tagRequest = registry.server.requests.find((r) => r.url.startsWith('/v2/team/app/tags/list'))!;
      expect(tagRequest.headers.authorization).toBe(`Basic ${b64(`AWS:${PASSWORD}`)}`);
    } finally {
      await Promise.all([api.close(), registry.close()]);
    }
  });

  it('keeps the token until 80 % of its life, one call for many repositories', async () => {
    const api = await startFakeEcrPublic({
      keys: { AKIDPUBLIC: 'public-secret-key' },
      password: PASSWORD,
      expiresAt: new Date(Date.now() + 1000 * 1000),
    });
    let now = Date.now();
    try {
      const provider = aws.create(
        aws.parseOptions({
          accessKeyId: 'AKIDPUBLIC',
          secretAccessKey: 'public-secret-key',
          publicEndpoint: api.url,
        }),
        defaultPluginContext({ now: () => new Date(now) }),
      );
      const ask = (repository: string): Promise<unknown> =>
        provider.getCredentials({
          registry: 'public.ecr.aws',
          repository,
          registryUrl: 'https://public.ecr.aws',
        });
      const [a, b] = await Promise.all([ask('x/one'), ask('x/two')]);
      expect(a).toEqual(b);
      expect(a).toMatchObject({ username: 'AWS', password: PASSWORD });
      expect(api.requests).toHaveLength(1);
      now += 790_000; // 79 % of 1000 s
      await ask('x/three');
      expect(api.requests).toHaveLength(1);
      now += 20_000; // 81 %
      await ask('x/three');
      expect(api.requests).toHaveLength(2);
    } finally {
      await api.close();
    }
  });

  it('a wrong secret is a retryable CREDENTIAL_PROVIDER error (signature refused), and it is not cached', async () => {
    const api = await startFakeEcrPublic({ keys: { AKIDPUBLIC: 'public-secret-key' }, password: PASSWORD });
    try {
      const provider = aws.create(
        aws.parseOptions({
          accessKeyId: 'AKIDPUBLIC',
          secretAccessKey: 'wrong-secret-value',
          publicEndpoint: api.url,
        }),
        defaultPluginContext(),
      );
      const request = { registry: 'public.ecr.aws', repository: 'a', registryUrl: 'https://public.ecr.aws' };
      const err = await provider.getCredentials(request).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CREDENTIAL_PROVIDER', retryable: true });
      expect(String(err)).toContain(
        'ECR Public GetAuthorizationToken for public.ecr.aws failed: InvalidSignatureException',
      );
      expect(String(err)).not.toContain('wrong-secret-value');
      await provider.getCredentials(request).catch(() => undefined);
      expect(api.requests).toHaveLength(2);
    } finally {
      await api.close();
    }
  });

  it('the contract host list names public.ecr.aws and other public hosts are still refused', async () => {
    expect(aws.capabilities.hosts).toContain('public.ecr.aws');
    const provider = aws.create(aws.parseOptions({}), defaultPluginContext());
    const err = await provider
      .getCredentials({ registry: 'public.ecr.aws.evil.com', repository: 'a', registryUrl: 'https://x' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CREDENTIAL_PROVIDER' });
    expect(String(err)).toContain("invalid AWS registry 'public.ecr.aws.evil.com'");
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
