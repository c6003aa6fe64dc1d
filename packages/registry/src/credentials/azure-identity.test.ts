// The `azure` provider's default credential chain, for real: @azure/identity (EnvironmentCredential
// with a client secret, through MSAL) gets a token from a loopback HTTPS fake of Entra ID, and the
// provider exchanges it at the fake ACR's /oauth2/exchange. Node reads NODE_EXTRA_CA_CERTS only at
// start-up, so the provider runs in a child process (tsx over the sources). The child reaches
// `login.microsoftonline.com:443` only through HTTPS_PROXY, a loopback CONNECT proxy that tunnels that
// one name to the fake (whose certificate, for that name, is signed by the test CA); nothing else is
// tunnelled, so no request can leave the machine.
import {
  createTestCa,
  issueTestCertificate,
  startConnectProxy,
  startFakeAcr,
  startFakeEntra,
  tempDir,
} from '@tidewatch/testkit';
import type { ConnectProxy, FakeAcr, TempDir, TestCertificates, TestHttpServer } from '@tidewatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanImageTags } from '../scan.js';
import { runAzureChild } from '../test-support/azure-child.js';
import type { ChildResult } from '../test-support/azure-child.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = 'b1c3a7f0-1d2e-4c5b-9a8f-0e1d2c3b4a59';
const SECRET = 'entra-client-secret-value';
const ENTRA_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra-access-token.sig';

let dir: TempDir;
let ca: TestCertificates;
let entra: TestHttpServer;
let proxy: ConnectProxy;
let acr: FakeAcr;
let good: ChildResult;
let refused: ChildResult;
let china: ChildResult;
let acrChina: FakeAcr;
const WRONG_SECRET = 'wrong-client-secret-value';

beforeAll(async () => {
  dir = await tempDir('tidewatch-entra-');
  ca = await createTestCa(dir.path);
  const leaf = await issueTestCertificate(dir.path, [
    'login.microsoftonline.com',
    'login.chinacloudapi.cn',
    'login.partner.microsoftonline.cn',
  ]);
  entra = await startFakeEntra({
    tenantId: TENANT,
    clientId: CLIENT,
    clientSecret: SECRET,
    accessToken: ENTRA_TOKEN,
    tls: leaf,
  });
  proxy = await startConnectProxy({
    'login.microsoftonline.com:443': entra.port,
    'login.chinacloudapi.cn:443': entra.port,
    'login.partner.microsoftonline.cn:443': entra.port,
  });
  acr = await startFakeAcr({
    service: 'myreg.azurecr.io',
    aadToken: ENTRA_TOKEN,
    repositories: { 'team/app': ['1.0.0', '1.2.0'] },
  });
  acrChina = await startFakeAcr({
    service: 'myreg.azurecr.cn',
    aadToken: ENTRA_TOKEN,
    repositories: { 'team/app': ['3.0.0'] },
  });
  const io = { registry: 'myreg.azurecr.io', registryUrl: acr.url };
  [good, refused, china] = (await runAzureChild(
    dir.path,
    { NODE_EXTRA_CA_CERTS: ca.files.ca, HTTPS_PROXY: proxy.url },
    [
      { env: { ...identity(), AZURE_CLIENT_SECRET: SECRET }, ...io },
      { env: { ...identity(), AZURE_CLIENT_SECRET: WRONG_SECRET }, ...io },
      {
        env: {
          ...identity(),
          AZURE_CLIENT_SECRET: SECRET,
          AZURE_AUTHORITY_HOST: 'https://login.chinacloudapi.cn',
        },
        registry: 'myreg.azurecr.cn',
        registryUrl: acrChina.url,
      },
    ],
  )) as [ChildResult, ChildResult, ChildResult];
});
afterAll(async () => {
  await Promise.all([entra?.close(), proxy?.close(), acr?.close(), acrChina?.close()]);
  await dir?.cleanup();
});

const identity = (): Record<string, string> => ({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT });

describe('azure: the default @azure/identity chain', () => {
  it('gets an Entra token with the client secret from the environment and exchanges it for an ACR refresh token', async () => {
    const result = good;
    expect(result).toMatchObject({ ok: true, username: '00000000-0000-0000-0000-000000000000' });
    expect(acr.refreshTokens).toContain(result.password);
    // Expiry from the refresh token's exp claim (3 h).
    expect(Math.abs(Date.parse(result.expiresAt!) - (Date.now() + 3 * 3600_000))).toBeLessThan(120_000);

    // MSAL asked Entra's token endpoint for a client-credentials token for the ACR audience (it
    // knows the public cloud's endpoints without discovery), through the proxy to
    // login.microsoftonline.com and nowhere else.
    expect(new Set(proxy.connects)).toEqual(
      new Set(['login.microsoftonline.com:443', 'login.partner.microsoftonline.cn:443']),
    );
    const token = entra.requests.find(
      (r) =>
        r.method === 'POST' &&
        new URLSearchParams(r.text()).get('client_secret') === SECRET &&
        r.headers.host === 'login.microsoftonline.com',
    )!;
    expect(new URL(token.url, 'https://x').pathname).toBe(`/${TENANT}/oauth2/v2.0/token`);
    const form = new URLSearchParams(token.text());
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('client_id')).toBe(CLIENT);
    expect(form.get('client_secret')).toBe(SECRET);
    expect(form.get('scope')).toBe('https://containerregistry.azure.net/.default');
    // The exchange carried that Entra token.
    const exchange = acr.server.requests.find((r) => r.url === '/oauth2/exchange')!;
    expect(new URLSearchParams(exchange.text()).get('access_token')).toBe(ENTRA_TOKEN);

    // The refresh token lists tags through the ACR token realm.
    const scan = await scanImageTags({
      image: `${acr.host}/team/app`,
      auth: { username: result.username!, password: result.password! },
      retries: 0,
    });
    expect(scan.tags).toEqual(['1.2.0', '1.0.0']);
  });

  it('a secret Entra refuses is a CREDENTIAL_PROVIDER error that does not contain the secret', async () => {
    const wrong = WRONG_SECRET;
    const result = refused;
    expect(result).toMatchObject({ ok: false, code: 'CREDENTIAL_PROVIDER', retryable: true });
    expect(result.message).toContain(
      '[registry:azure] getting a Microsoft Entra token for myreg.azurecr.io failed',
    );
    expect(result.message).toContain('AADSTS7000215');
    expect(result.message).not.toContain(wrong);
  });

  it("honours AZURE_AUTHORITY_HOST (a sovereign cloud) and asks for that cloud's ACR audience", async () => {
    // AZURE_AUTHORITY_HOST is Azure China's documented host; MSAL sends to its preferred network alias.
    expect(china).toMatchObject({ ok: true, username: '00000000-0000-0000-0000-000000000000' });
    expect(acrChina.refreshTokens).toContain(china.password);
    const token = entra.requests.find(
      (r) => r.method === 'POST' && r.headers.host === 'login.partner.microsoftonline.cn',
    )!;
    expect(new URL(token.url, 'https://x').pathname).toBe(`/${TENANT}/oauth2/v2.0/token`);
    expect(new URLSearchParams(token.text()).get('scope')).toBe(
      'https://containerregistry.azure.cn/.default',
    );
  });
});
