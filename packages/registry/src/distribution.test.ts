/**
 * Against the real CNCF distribution registry (Debian's docker-registry 2.8): anonymous,
 * htpasswd Basic, token auth with a test token server, and TLS with a test CA.
 */
import { createHttpClient } from '@tidewatch/core';
import { createTestCa, pushImage, startRegistry, startTokenServer, tempDir } from '@tidewatch/testkit';
import type { TestRegistry, TestTokenServer } from '@tidewatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryError, resolveDigest, scanImageRepositories, scanImageTags } from './index.js';

const FAST = { retries: 0, timeoutMs: 10_000 } as const;

describe('anonymous distribution registry', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
    for (const tag of ['1.0.0', '1.2.0', '0.9.0', 'latest', 'sha256-abc.sig'])
      await pushImage(reg.url, 'team/app', tag);
    await pushImage(reg.url, 'team/multi', 'v2', {
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
    });
  });
  afterAll(() => reg?.stop());

  it('lists tags, drops cosign signatures, sorts descending and computes the Flux revision', async () => {
    const scan = await scanImageTags({ image: `${reg.host}/team/app`, ...FAST });
    expect(scan.canonicalImage).toBe(`${reg.host}/team/app`);
    // distribution returns tags unsorted; Flux stores them descending by bytes.
    expect(scan.tags).toEqual(['latest', '1.2.0', '1.0.0', '0.9.0']);
    expect(scan.tagCount).toBe(4);
    expect(scan.latestTags).toEqual(['latest', '1.2.0', '1.0.0', '0.9.0']);
    expect(scan.truncated).toBe(false);
    expect(scan.revision).toMatch(/^\d+$/);
    expect(scan.condition).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'Succeeded',
      message: `successful scan: found 4 tags with checksum ${scan.revision}`,
    });
    expect(scan.events).toEqual([{ type: 'Normal', reason: 'Succeeded', message: scan.condition.message }]);
    const again = await scanImageTags({
      image: `${reg.host}/team/app`,
      ...FAST,
      previous: { revision: scan.revision },
    });
    expect(again.changed).toBe(false);
    expect(again.events).toEqual([]);
  });

  it('reports the sha256 revision form on request', async () => {
    const scan = await scanImageTags({
      image: `${reg.host}/team/app`,
      revisionFormat: 'sha256',
      exclusionList: ['^latest$'],
      ...FAST,
    });
    expect(scan.tags).toEqual(['sha256-abc.sig', '1.2.0', '1.0.0', '0.9.0']);
    expect(scan.revision).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('resolves a single-platform digest with HEAD', async () => {
    const pushed = await pushImage(reg.url, 'team/single', '3.0.0');
    const d = await resolveDigest({ image: `${reg.host}/team/single`, tag: '3.0.0', ...FAST });
    expect(d.digest).toBe(pushed.digest);
    expect(d.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  });

  it('resolves the index digest of a multi-arch image, and a platform digest on request', async () => {
    const image = `${reg.host}/team/multi`;
    const d = await resolveDigest({ image, tag: 'v2', ...FAST });
    expect(d.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    const arm = await resolveDigest({
      image,
      tag: 'v2',
      platform: { os: 'linux', architecture: 'arm64' },
      ...FAST,
    });
    expect(arm.digest).toBe(d.digest);
    expect(arm.platforms?.map((p) => p.architecture)).toEqual(['amd64', 'arm64']);
    expect(arm.platformDigest).not.toBe(d.digest);
    await expect(
      resolveDigest({ image, tag: 'v2', platform: { os: 'windows', architecture: 'amd64' }, ...FAST }),
    ).rejects.toMatchObject({
      code: 'REGISTRY_NOT_FOUND',
    });
  });

  it('gives the same answers with the transport on its thread (scans, HEAD and GET digests, errors)', async () => {
    const image = `${reg.host}/team/multi`;
    const platform = { os: 'linux', architecture: 'arm64' };
    const run = async (thread: 'on' | 'off'): Promise<unknown[]> => {
      const scans = await scanImageRepositories(
        [`${reg.host}/team/app`, `${reg.host}/team/multi`, `${reg.host}/team/missing`],
        { ...FAST, thread, concurrency: 3 },
      );
      return [
        scans.map((o) => (o.ok ? { ...o.result, scanTime: 0 } : { image: o.image, condition: o.condition })),
        await resolveDigest({ image: `${reg.host}/team/app`, tag: '1.2.0', ...FAST, thread }),
        await resolveDigest({ image, tag: 'v2', platform, ...FAST, thread }),
      ];
    };
    const [onThread, inline] = [await run('on'), await run('off')];
    expect(onThread).toEqual(inline);
    expect(JSON.stringify(onThread)).toContain('1.2.0');
    expect(JSON.stringify(onThread)).toContain('ReadOperationFailed');
    // The option reaches core's client (which refuses an unknown mode).
    await expect(
      scanImageTags({ image: `${reg.host}/team/app`, ...FAST, thread: 'sometimes' as never }),
    ).rejects.toThrow(/thread: must be one of/);
  });

  it('reports an unknown repository and an unknown tag as REGISTRY_NOT_FOUND', async () => {
    await expect(scanImageTags({ image: `${reg.host}/team/missing`, ...FAST })).rejects.toMatchObject({
      code: 'REGISTRY_NOT_FOUND',
    });
    await expect(
      resolveDigest({ image: `${reg.host}/team/app`, tag: 'nope', ...FAST }),
    ).rejects.toMatchObject({ code: 'REGISTRY_NOT_FOUND' });
  });
});

describe('htpasswd (Basic) registry', () => {
  let reg: TestRegistry;
  const basic = `Basic ${Buffer.from('testuser:s3cret-pass').toString('base64')}`;
  beforeAll(async () => {
    reg = await startRegistry({ auth: { kind: 'htpasswd', username: 'testuser', password: 's3cret-pass' } });
    await pushImage(reg.url, 'private/app', '2.0.0', { authorization: basic });
  });
  afterAll(() => reg?.stop());

  it('scans with Basic credentials', async () => {
    const scan = await scanImageTags({
      image: `${reg.host}/private/app`,
      auth: { username: 'testuser', password: 's3cret-pass' },
      ...FAST,
    });
    expect(scan.tags).toEqual(['2.0.0']);
  });

  it('fails anonymously and with a wrong password with REGISTRY_AUTH, never echoing the password', async () => {
    await expect(scanImageTags({ image: `${reg.host}/private/app`, ...FAST })).rejects.toMatchObject({
      code: 'REGISTRY_AUTH',
    });
    const err = await scanImageTags({
      image: `${reg.host}/private/app`,
      auth: { username: 'testuser', password: 'wrong-password-123' },
      ...FAST,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).code).toBe('REGISTRY_AUTH');
    expect(String(err)).not.toContain('wrong-password-123');
  });

  it('takes credentials from a Docker config', async () => {
    const { credentialsFromDockerConfig } = await import('./index.js');
    const config = {
      auths: { [`http://${reg.host}/v2/`]: { auth: Buffer.from('testuser:s3cret-pass').toString('base64') } },
    };
    const scan = await scanImageTags({
      image: `${reg.host}/private/app`,
      auth: credentialsFromDockerConfig(JSON.stringify(config)),
      ...FAST,
    });
    expect(scan.tagCount).toBe(1);
  });
});

describe('token-auth registry', () => {
  let reg: TestRegistry;
  let tokens: TestTokenServer;
  beforeAll(async () => {
    tokens = await startTokenServer({
      issuer: 'test-issuer',
      service: 'test-registry',
      users: { robot: 'robot-secret-pw' },
      refreshTokens: { 'refresh-abc-123': 'robot' },
    });
    reg = await startRegistry({
      auth: {
        kind: 'token',
        realm: tokens.realm,
        service: 'test-registry',
        issuer: 'test-issuer',
        certPem: tokens.certPem,
      },
    });
    const authorization = async (scope: string): Promise<string> => {
      const res = await fetch(`${tokens.realm}?service=test-registry&scope=${encodeURIComponent(scope)}`, {
        headers: { authorization: `Basic ${Buffer.from('robot:robot-secret-pw').toString('base64')}` },
      });
      return `Bearer ${((await res.json()) as { token: string }).token}`;
    };
    await pushImage(reg.url, 'org/svc', '1.0.0', { authorization });
    await pushImage(reg.url, 'org/svc', '1.1.0', { authorization });
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.close();
  });

  it('exchanges Basic credentials for a bearer token (GET with scope) and reuses it', async () => {
    const before = tokens.server.requests.length;
    const scan = await scanImageTags({
      image: `${reg.host}/org/svc`,
      auth: { username: 'robot', password: 'robot-secret-pw' },
      ...FAST,
    });
    expect(scan.tags).toEqual(['1.1.0', '1.0.0']);
    const reqs = tokens.server.requests.slice(before);
    expect(reqs).toHaveLength(1);
    const url = new URL(reqs[0]!.url, 'http://x');
    expect(url.searchParams.get('service')).toBe('test-registry');
    expect(url.searchParams.getAll('scope')).toEqual(['repository:org/svc:pull']);
    expect(reqs[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('robot:robot-secret-pw').toString('base64')}`,
    );
  });

  it('exchanges the credentials from the transport thread as well', async () => {
    const before = tokens.server.requests.length;
    const scan = await scanImageTags({
      image: `${reg.host}/org/svc`,
      auth: { username: 'robot', password: 'robot-secret-pw' },
      thread: 'on',
      ...FAST,
    });
    expect(scan.tags).toEqual(['1.1.0', '1.0.0']);
    expect(tokens.server.requests.length - before).toBe(1);
  });

  it('uses the OAuth2 POST form for an identity token', async () => {
    const before = tokens.server.requests.length;
    const scan = await scanImageTags({
      image: `${reg.host}/org/svc`,
      auth: { identityToken: 'refresh-abc-123' },
      ...FAST,
    });
    expect(scan.tagCount).toBe(2);
    const post = tokens.server.requests.slice(before).find((r) => r.method === 'POST')!;
    const form = new URLSearchParams(post.text());
    expect(form.get('grant_type')).toBe('refresh_token');
    expect(form.get('refresh_token')).toBe('refresh-abc-123');
    expect(form.get('scope')).toBe('repository:org/svc:pull');
    expect(form.get('service')).toBe('test-registry');
  });

  it('refuses bad credentials at the token server with REGISTRY_AUTH', async () => {
    const err = await scanImageTags({
      image: `${reg.host}/org/svc`,
      auth: { username: 'robot', password: 'not-the-password' },
      ...FAST,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REGISTRY_AUTH' });
    expect(String(err)).not.toContain('not-the-password');
  });
});

describe('TLS registry with a test CA', () => {
  let reg: TestRegistry;
  let ca: Awaited<ReturnType<typeof createTestCa>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir();
    ca = await createTestCa(dir.path);
    reg = await startRegistry({ tls: { certPem: ca.certPem, keyPem: ca.keyPem } });
    // Push through core's HTTP client, which trusts the test CA.
    const client = createHttpClient({ tls: { ca: ca.caPem }, retries: 0 });
    const f = (async (input: string | URL, init?: RequestInit) => {
      const res = await client.request({
        url: input,
        method: init?.method ?? 'GET',
        headers: Object.fromEntries(new Headers(init?.headers).entries()),
        throwOnStatus: false,
        ...(init?.body ? { body: init.body as string | Uint8Array } : {}),
      });
      return new Response(res.body.byteLength > 0 ? res.body : null, {
        status: res.status,
        headers: res.headers,
      });
    }) as typeof fetch;
    await pushImage(reg.url, 'secure/app', '5.0.0', { fetch: f });
  });
  afterAll(async () => {
    await reg?.stop();
    await dir?.cleanup();
  });

  it('scans over https with the CA added to the system roots', async () => {
    // The registry host is 127.0.0.1, so Flux would allow http; https must win when it works.
    const scan = await scanImageTags({ image: `${reg.host}/secure/app`, tls: { ca: ca.caPem }, ...FAST });
    expect(scan.tags).toEqual(['5.0.0']);
  });

  it('takes the CA to the transport thread, where verification stays on without it', async () => {
    const scan = await scanImageTags({
      image: `${reg.host}/secure/app`,
      tls: { ca: Buffer.from(ca.caPem) },
      thread: 'on',
      ...FAST,
    });
    expect(scan.tags).toEqual(['5.0.0']);
    const err = await scanImageTags({ image: `${reg.host}/secure/app`, thread: 'on', ...FAST }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'HTTP_NETWORK', retryable: false });
  });

  it('does not trust the test CA unless told to (verification stays on), and says so', async () => {
    const err = await scanImageTags({ image: `${reg.host}/secure/app`, ...FAST }).catch((e: unknown) => e);
    // The TLS failure is reported, not the 400 the TLS port gives the plain-http fallback.
    expect(err).toMatchObject({ code: 'HTTP_NETWORK' });
    expect(String(err)).toMatch(/https:\/\/127\.0\.0\.1/);
  });
});

describe('TLS registry requiring client certificates', () => {
  let reg: TestRegistry;
  let ca: Awaited<ReturnType<typeof createTestCa>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir();
    ca = await createTestCa(dir.path);
    reg = await startRegistry({ tls: { certPem: ca.certPem, keyPem: ca.keyPem, clientCaPem: ca.caPem } });
  });
  afterAll(async () => {
    await reg?.stop();
    await dir?.cleanup();
  });

  it('connects with a client certificate and is refused without one', async () => {
    // The leaf certificate is signed by the CA the registry trusts for clients.
    const tls = { ca: ca.caPem, cert: ca.certPem, key: ca.keyPem };
    await expect(scanImageTags({ image: `${reg.host}/none/yet`, tls, ...FAST })).rejects.toMatchObject({
      code: 'REGISTRY_NOT_FOUND',
    });
    const err = await scanImageTags({ image: `${reg.host}/none/yet`, tls: { ca: ca.caPem }, ...FAST }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: expect.stringMatching(/^HTTP_/) });
  });
});
