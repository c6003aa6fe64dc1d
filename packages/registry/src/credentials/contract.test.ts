/**
 * The shared contract every credential provider runs: definition shape, strict option parsing
 * (every problem at once), working credentials for a matching registry, typed errors for a
 * registry it does not serve, and no secret in any error. Cloud providers talk to loopback fakes
 * of their services (testkit `cloud-registry-auth.ts`) through their real SDKs where one is used.
 */
import { ConfigError, defaultPluginContext } from '@tidewatch/core';
import { startFakeAcr, startFakeEcr, startFakeGcpMetadata, tempDir } from '@tidewatch/testkit';
import type { FakeAcr, TempDir, TestHttpServer } from '@tidewatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryError } from '../errors.js';
import type { CredentialProviderDefinition, RegistryCredentials } from '../types.js';
import { credentialProviders } from './index.js';

interface Fixture {
  /** Valid options. */
  options(): unknown;
  /** Options with at least two problems. */
  readonly invalid: unknown;
  /** How many problems `invalid` has. */
  readonly invalidCount: number;
  /** A registry the provider serves, and where it is reached. */
  registry(): { registry: string; registryUrl: string };
  /** A registry it does not serve (`undefined`: it serves any). */
  readonly foreign?: string;
  /** What the credentials must be. */
  expected(): RegistryCredentials | ((c: RegistryCredentials) => void);
  /** Secrets that must never show in errors. */
  readonly secrets: readonly string[];
}

let ecr: TestHttpServer;
let metadata: TestHttpServer;
let acr: FakeAcr;
let home: TempDir;
const saved = { ...process.env };

const fixtures: Record<string, Fixture> = {
  aws: {
    options: () => ({ accessKeyId: 'AKIDTESTKEY', secretAccessKey: 'aws-secret-key-xyz', endpoint: ecr.url }),
    invalid: { accessKeyId: 5, endpoint: 'not a url', bogus: true },
    invalidCount: 3,
    registry: () => ({
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      registryUrl: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    }),
    foreign: 'ghcr.io',
    expected: () => (c) => {
      expect(c.username).toBe('AWS');
      expect(c.password).toBe('ecr-password-123');
      expect(c.expiresAt).toBeInstanceOf(Date);
    },
    secrets: ['aws-secret-key-xyz'],
  },
  azure: {
    options: () => ({
      tokenSource: () =>
        Promise.resolve({ token: 'entra-token-abc', expiresAt: new Date(Date.now() + 3600_000) }),
    }),
    invalid: { tokenSource: 'not a function', tenantId: 7 },
    invalidCount: 2,
    registry: () => ({ registry: 'myreg.azurecr.io', registryUrl: acr.url }),
    foreign: 'ghcr.io',
    expected: () => (c) => {
      expect(c.username).toBe('00000000-0000-0000-0000-000000000000');
      expect(c.password).toBe(acr.refreshTokens[acr.refreshTokens.length - 1]);
      // expiry from the refresh token's exp claim (3 h)
      expect(Math.abs(c.expiresAt!.getTime() - (Date.now() + 3 * 3600_000))).toBeLessThan(60_000);
    },
    secrets: ['entra-token-abc'],
  },
  callback: {
    options: () => ({
      getCredentials: ({ registry }: { registry: string }) => ({
        username: `u@${registry}`,
        password: 'cb-pass',
      }),
    }),
    invalid: { getCredentials: 1, extra: 2 },
    invalidCount: 2,
    registry: () => ({ registry: 'r.example.com', registryUrl: 'https://r.example.com' }),
    expected: () => ({ username: 'u@r.example.com', password: 'cb-pass' }),
    secrets: ['cb-pass'],
  },
  'docker-config': {
    options: () => ({
      config: { auths: { 'r.example.com': { auth: Buffer.from('dc-user:dc-pass').toString('base64') } } },
    }),
    invalid: { config: 5, other: 1 },
    invalidCount: 2,
    registry: () => ({ registry: 'r.example.com', registryUrl: 'https://r.example.com' }),
    expected: () => ({ username: 'dc-user', password: 'dc-pass' }),
    secrets: ['dc-pass'],
  },
  gcp: {
    // The real google-auth-library, reaching the fake metadata server through GCE_METADATA_HOST.
    options: () => ({}),
    invalid: { tokenSource: 42, x: 1 },
    invalidCount: 2,
    registry: () => ({ registry: 'europe-docker.pkg.dev', registryUrl: 'https://europe-docker.pkg.dev' }),
    foreign: 'ghcr.io',
    expected: () => (c) => {
      expect(c.username).toBe('oauth2accesstoken');
      expect(c.password).toBe('gcp-access-token-1');
      expect(c.expiresAt).toBeInstanceOf(Date);
    },
    secrets: ['gcp-access-token-1'],
  },
  static: {
    options: () => ({ username: 'st-user', password: 'st-pass' }),
    invalid: { username: 3, password: '' },
    invalidCount: 2,
    registry: () => ({ registry: 'r.example.com', registryUrl: 'https://r.example.com' }),
    expected: () => ({ username: 'st-user', password: 'st-pass' }),
    secrets: ['st-pass'],
  },
};

beforeAll(async () => {
  ecr = await startFakeEcr({ accessKeyIds: ['AKIDTESTKEY'], password: 'ecr-password-123' });
  metadata = await startFakeGcpMetadata({ accessToken: 'gcp-access-token-1' });
  acr = await startFakeAcr({
    service: 'myreg.azurecr.io',
    aadToken: 'entra-token-abc',
    repositories: { 'team/app': ['1.0.0', '2.0.0'] },
  });
  home = await tempDir();
  // No ambient cloud credentials: ADC must find the (fake) metadata server.
  for (const k of Object.keys(process.env))
    if (/^(AWS_|GOOGLE_|GCLOUD|AZURE_)/.test(k)) delete process.env[k];
  process.env.HOME = home.path;
  process.env.GCE_METADATA_HOST = `127.0.0.1:${metadata.port}`;
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([ecr?.close(), metadata?.close(), acr?.close(), home?.cleanup()]);
});

describe('every credential provider has a contract fixture', () => {
  it('covers exactly the registered ids', () => {
    expect(Object.keys(fixtures).sort()).toEqual(credentialProviders.map((p) => p.id).sort());
  });
});

describe.each(credentialProviders.map((p) => [p.id, p] as const))(
  'credential provider %s',
  (id, def: CredentialProviderDefinition<unknown>) => {
    const fx = (): Fixture => fixtures[id]!;

    it('has a well-formed definition', () => {
      expect(def.id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(Array.isArray(def.secretFields)).toBe(true);
      expect(def.capabilities.hosts.length).toBeGreaterThan(0);
    });

    it('reports every invalid option at once with a ConfigError', () => {
      let err: unknown;
      try {
        def.parseOptions(fx().invalid);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toHaveLength(fx().invalidCount);
      expect(() => def.parseOptions('not an object')).toThrow(ConfigError);
    });

    it('returns credentials for a registry it serves', async () => {
      const provider = def.create(def.parseOptions(fx().options()), defaultPluginContext());
      const creds = await provider.getCredentials({ ...fx().registry(), repository: 'team/app' });
      const expected = fx().expected();
      if (typeof expected === 'function') expected(creds);
      else expect(creds).toEqual(expected);
    });

    it('refuses a registry it does not serve with CREDENTIAL_PROVIDER, leaking no secret', async () => {
      const foreign = fx().foreign;
      if (foreign === undefined) {
        expect(def.capabilities.hosts).toEqual(['*']);
        return;
      }
      const provider = def.create(def.parseOptions(fx().options()), defaultPluginContext());
      const err = await provider
        .getCredentials({ registry: foreign, repository: 'a/b', registryUrl: `https://${foreign}` })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as RegistryError).code).toBe('CREDENTIAL_PROVIDER');
      for (const s of fx().secrets) expect(String(err)).not.toContain(s);
    });
  },
);
