// The `azure` provider's default credential chain on its two keyless routes, for real: the installed
// @azure/identity + MSAL run in child processes (the provider through testdata/azure-default-chain.ts,
// as in azure-identity.test.ts) against loopback fakes.
//
// - Workload identity (AKS, what Flux's `azure` provider uses): AZURE_FEDERATED_TOKEN_FILE holds a
//   projected service-account JWT that the test signs; MSAL posts it as a jwt-bearer client assertion
//   to the fake Entra ID (HTTPS, reached as login.microsoftonline.com through a loopback CONNECT proxy
//   that tunnels that one name and refuses every other), which checks it against a federated identity
//   credential. The Entra token is then exchanged at the fake ACR and lists tags.
// - Managed identity: the App Service endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER) and the Azure
//   Machine Learning one (MSI_ENDPOINT + MSI_SECRET), both plain HTTP on loopback. IMDS
//   (169.254.169.254) cannot be bound here, and Azure Arc reads its challenge key only under
//   /var/opt/azcmagent/tokens/, so neither is run.
//
// MSAL keeps the managed-identity source (endpoint and secret header, chosen on first use) and its
// token cache in static fields, so each managed-identity environment gets its own child (three in
// all, run concurrently); each scenario creates a fresh provider with its own variables.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTestCa,
  issueTestCertificate,
  startConnectProxy,
  startFakeAcr,
  startFakeEntra,
  startFakeManagedIdentity,
  tempDir,
} from '@tidewatch/testkit';
import type { ConnectProxy, FakeAcr, FakeManagedIdentity, TempDir, TestHttpServer } from '@tidewatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanImageTags } from '../scan.js';
import { runAzureChild } from '../test-support/azure-child.js';
import type { ChildResult, Scenario } from '../test-support/azure-child.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const WI_CLIENT = '0d4c8f1e-6a2b-4f7c-9e3d-5b1a2c3d4e5f';
const ISSUER =
  'https://westeurope.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/0c9e6a1b-1111-4222-8333-944455566677/';
const SUBJECT = 'system:serviceaccount:flux-system:image-reflector-controller';
const ENTRA_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra-workload-token.sig';
const MI_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.managed-identity-token.sig';
const IDENTITY_HEADER = 'app-service-identity-header-value';
const WRONG_HEADER = 'wrong-identity-header-value';
const MSI_SECRET = 'machine-learning-msi-secret';
const SYSTEM_ID = '5e29463d-71da-4fe0-8e69-999b57db23b0';
const UAMI_ID = '9eba17f1-2c3d-4e5f-8a9b-0c1d2e3f4a5b';
const UNKNOWN_ID = '11111111-2222-4333-8444-555555555555';
const ACR_RESOURCE = 'https://containerregistry.azure.net';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let dir: TempDir;
let entra: TestHttpServer;
let proxy: ConnectProxy;
let miProxy: ConnectProxy;
let acrWi: FakeAcr;
let acrMi: FakeAcr;
let appService: FakeManagedIdentity;
let machineLearning: FakeManagedIdentity;
const files = { good: '', wrongSubject: '', forged: '', missing: '', directory: '', empty: '' };
const tokens = { good: '', wrongSubject: '', forged: '' };
let wi: Record<'good' | 'wrongSubject' | 'forged' | 'missing' | 'directory' | 'empty', ChildResult>;
let mi: Record<'system' | 'user' | 'unknown', ChildResult>;
let miWrongHeader: ChildResult;
let ml: ChildResult;

/** A projected service-account token as the AKS kubelet writes it (RS256, one hour). */
function serviceAccountToken(key: KeyObject, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const head = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'test-key', typ: 'JWT' })).toString(
    'base64url',
  );
  const body = Buffer.from(
    JSON.stringify({
      aud: ['api://AzureADTokenExchange'],
      iss: ISSUER,
      sub: SUBJECT,
      iat: now,
      nbf: now,
      exp: now + 3600,
      'kubernetes.io': { namespace: 'flux-system', serviceaccount: { name: 'image-reflector-controller' } },
      ...claims,
    }),
  ).toString('base64url');
  return `${head}.${body}.${sign('sha256', Buffer.from(`${head}.${body}`), key).toString('base64url')}`;
}

beforeAll(async () => {
  dir = await tempDir('tidewatch-entra-routes-');
  const issuerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ca = await createTestCa(dir.path);
  const leaf = await issueTestCertificate(dir.path, ['login.microsoftonline.com']);
  entra = await startFakeEntra({
    tenantId: TENANT,
    clientId: WI_CLIENT,
    accessToken: ENTRA_TOKEN,
    tls: leaf,
    federatedCredential: {
      issuer: ISSUER,
      subject: SUBJECT,
      issuerPublicKeyPem: issuerKey.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
  });
  proxy = await startConnectProxy({ 'login.microsoftonline.com:443': entra.port });
  miProxy = await startConnectProxy({});
  acrWi = await startFakeAcr({
    service: 'myreg.azurecr.io',
    aadToken: ENTRA_TOKEN,
    repositories: { 'team/app': ['1.0.0', '1.2.0'] },
  });
  acrMi = await startFakeAcr({
    service: 'myreg.azurecr.io',
    aadToken: MI_TOKEN,
    repositories: { 'team/app': ['2.0.0', '2.1.0'] },
  });
  appService = await startFakeManagedIdentity({
    secret: IDENTITY_HEADER,
    accessToken: MI_TOKEN,
    systemAssignedClientId: SYSTEM_ID,
    userAssignedClientIds: [UAMI_ID],
  });
  machineLearning = await startFakeManagedIdentity({
    protocol: 'machine-learning',
    secret: MSI_SECRET,
    accessToken: MI_TOKEN,
    systemAssignedClientId: SYSTEM_ID,
  });

  tokens.good = serviceAccountToken(issuerKey.privateKey, {});
  tokens.wrongSubject = serviceAccountToken(issuerKey.privateKey, {
    sub: 'system:serviceaccount:default:other',
  });
  // The good token with a longer life written into its claims: the issuer's signature no longer fits.
  const [head, , signature] = tokens.good.split('.');
  const claims = JSON.parse(Buffer.from(tokens.good.split('.')[1]!, 'base64url').toString('utf8')) as {
    exp: number;
  };
  const stretched = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86400 })).toString('base64url');
  tokens.forged = `${head}.${stretched}.${signature}`;
  files.good = join(dir.path, 'azure-identity-token');
  files.wrongSubject = join(dir.path, 'wrong-subject-token');
  files.forged = join(dir.path, 'forged-token');
  files.missing = join(dir.path, 'no-such-token');
  files.directory = join(dir.path, 'token-dir');
  files.empty = join(dir.path, 'empty-token');
  await writeFile(files.good, tokens.good);
  await writeFile(files.wrongSubject, tokens.wrongSubject);
  await writeFile(files.forged, tokens.forged);
  await writeFile(files.empty, '');
  await mkdir(files.directory);

  const io = { registry: 'myreg.azurecr.io', registryUrl: acrWi.url };
  const workload = (file: string): Scenario => ({
    env: {
      HTTPS_PROXY: proxy.url,
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: WI_CLIENT,
      AZURE_FEDERATED_TOKEN_FILE: file,
    },
    ...io,
  });
  const miIo = { registry: 'myreg.azurecr.io', registryUrl: acrMi.url };
  // Managed-identity scenarios use a proxy that tunnels nothing: no request may leave for Entra.
  // NO_PROXY: @azure/identity sends even a loopback identity endpoint through HTTPS_PROXY unless
  // NO_PROXY names it (a real host with a proxy needs the same setting).
  const miEnv = { HTTPS_PROXY: miProxy.url, NO_PROXY: '127.0.0.1' };
  const appServiceEnv = { ...miEnv, IDENTITY_ENDPOINT: appService.endpoint };
  const [first, wrongHeaderResults, mlResults] = await Promise.all([
    // Workload identity never reaches MSAL's managed-identity client (with a token file,
    // ManagedIdentityCredential runs workload identity again), so App Service can follow it here.
    runAzureChild(dir.path, { NODE_EXTRA_CA_CERTS: ca.files.ca, NO_PROXY: '127.0.0.1' }, [
      workload(files.good),
      workload(files.wrongSubject),
      workload(files.forged),
      workload(files.missing),
      workload(files.directory),
      workload(files.empty),
      { env: { ...appServiceEnv, IDENTITY_HEADER }, ...miIo },
      { env: { ...appServiceEnv, IDENTITY_HEADER, AZURE_CLIENT_ID: UAMI_ID }, ...miIo },
      { env: { ...appServiceEnv, IDENTITY_HEADER, AZURE_CLIENT_ID: UNKNOWN_ID }, ...miIo },
    ]),
    runAzureChild(dir.path, { ...appServiceEnv, IDENTITY_HEADER: WRONG_HEADER }, [{ env: {}, ...miIo }]),
    runAzureChild(
      dir.path,
      { ...miEnv, MSI_ENDPOINT: machineLearning.endpoint, MSI_SECRET, DEFAULT_IDENTITY_CLIENT_ID: SYSTEM_ID },
      [{ env: {}, ...miIo }],
    ),
  ]);
  const at = (i: number): ChildResult => first[i] ?? { ok: false, message: `no result ${i}` };
  wi = { good: at(0), wrongSubject: at(1), forged: at(2), missing: at(3), directory: at(4), empty: at(5) };
  mi = { system: at(6), user: at(7), unknown: at(8) };
  miWrongHeader = wrongHeaderResults[0]!;
  ml = mlResults[0]!;
}, 60_000);

afterAll(async () => {
  await Promise.all([
    entra?.close(),
    proxy?.close(),
    miProxy?.close(),
    acrWi?.close(),
    acrMi?.close(),
    appService?.close(),
    machineLearning?.close(),
  ]);
  await dir?.cleanup();
});

/** Every secret of these scenarios: none may appear in an error message. */
const secrets = (): string[] => [
  tokens.good,
  tokens.wrongSubject,
  tokens.forged,
  ...[tokens.good, tokens.wrongSubject, tokens.forged].map((t) => t.split('.')[2]!),
  IDENTITY_HEADER,
  WRONG_HEADER,
  MSI_SECRET,
  ENTRA_TOKEN,
  MI_TOKEN,
];

function expectCleanError(result: ChildResult, registry = 'myreg.azurecr.io'): void {
  expect(result).toMatchObject({ ok: false, code: 'CREDENTIAL_PROVIDER' });
  expect(result.message).toContain(`[registry:azure] getting a Microsoft Entra token for ${registry} failed`);
  for (const secret of secrets()) expect(result.message).not.toContain(secret);
}

describe('azure: workload identity (AZURE_FEDERATED_TOKEN_FILE)', () => {
  it('posts the token file as a jwt-bearer client assertion, exchanges the Entra token at ACR and lists tags', async () => {
    expect(wi.good).toMatchObject({ ok: true, username: '00000000-0000-0000-0000-000000000000' });
    expect(acrWi.refreshTokens).toContain(wi.good.password);

    const posts = entra.requests.filter((r) => r.method === 'POST');
    const granted = posts.find((r) => new URLSearchParams(r.text()).get('client_assertion') === tokens.good)!;
    expect(granted.headers.host).toBe('login.microsoftonline.com');
    expect(new URL(granted.url, 'https://x').pathname).toBe(`/${TENANT}/oauth2/v2.0/token`);
    const form = new URLSearchParams(granted.text());
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('client_id')).toBe(WI_CLIENT);
    expect(form.get('client_assertion_type')).toBe(JWT_BEARER);
    expect(form.get('scope')).toBe(`${ACR_RESOURCE}/.default`);
    expect(form.has('client_secret')).toBe(false);
    // Only Entra's public host was asked for, and only through the proxy.
    expect(new Set(proxy.connects)).toEqual(new Set(['login.microsoftonline.com:443']));

    const exchange = acrWi.server.requests.find((r) => r.url === '/oauth2/exchange')!;
    expect(new URLSearchParams(exchange.text()).get('access_token')).toBe(ENTRA_TOKEN);
    const scan = await scanImageTags({
      image: `${acrWi.host}/team/app`,
      auth: { username: wi.good.username!, password: wi.good.password! },
      retries: 0,
    });
    expect(scan.tags).toEqual(['1.2.0', '1.0.0']);
  });

  it("a token whose subject has no federated credential gets Entra's AADSTS700213, without the token", () => {
    expectCleanError(wi.wrongSubject);
    expect(wi.wrongSubject.message).toContain('AADSTS700213');
    // Entra saw exactly that file's content, once (the managed-identity link is not chained after
    // workload identity: on AKS it would send the same assertion again), and ACR exchanged nothing
    // but the good token.
    const sent = (token: string): number =>
      entra.requests.filter((r) => new URLSearchParams(r.text()).get('client_assertion') === token).length;
    expect(sent(tokens.wrongSubject)).toBe(1);
    expect(sent(tokens.forged)).toBe(1);
    expect(sent(tokens.good)).toBe(1);
    const exchanged = acrWi.server.requests.filter((r) => r.url === '/oauth2/exchange');
    expect(exchanged.map((r) => new URLSearchParams(r.text()).get('access_token'))).toEqual([ENTRA_TOKEN]);
  });

  it("a token altered after the issuer signed it gets Entra's AADSTS700027, without the token", () => {
    expectCleanError(wi.forged);
    expect(wi.forged.message).toContain('AADSTS700027');
  });

  it('a missing, unreadable (a directory) or empty token file is a CREDENTIAL_PROVIDER error naming the cause', () => {
    expectCleanError(wi.missing);
    expect(wi.missing.message).toMatch(/ENOENT|no such file/);
    expectCleanError(wi.directory);
    expect(wi.directory.message).toMatch(/EISDIR|directory/);
    expectCleanError(wi.empty);
    expect(wi.empty.message).toContain('No content on the file');
    // None of them reached Entra with an assertion.
    const assertions = entra.requests.map((r) => new URLSearchParams(r.text()).get('client_assertion'));
    expect(
      assertions.filter(
        (a) => a !== null && a !== tokens.good && a !== tokens.wrongSubject && a !== tokens.forged,
      ),
    ).toEqual([]);
  });
});

describe('azure: managed identity', () => {
  it('App Service: GETs IDENTITY_ENDPOINT with X-IDENTITY-HEADER, api-version 2019-08-01 and the ACR resource, then exchanges', async () => {
    expect(mi.system).toMatchObject({ ok: true, username: '00000000-0000-0000-0000-000000000000' });
    expect(acrMi.refreshTokens).toContain(mi.system.password);
    const asks = appService.server.requests.filter((r) => r.headers['x-identity-header'] === IDENTITY_HEADER);
    const first = new URL(asks[0]!.url, 'http://x');
    expect(asks[0]!.method).toBe('GET');
    expect(first.pathname).toBe('/msi/token');
    expect(first.searchParams.get('api-version')).toBe('2019-08-01');
    expect(first.searchParams.get('resource')).toBe(ACR_RESOURCE);
    expect(first.searchParams.has('client_id')).toBe(false);
    const exchange = acrMi.server.requests.find((r) => r.url === '/oauth2/exchange')!;
    expect(new URLSearchParams(exchange.text()).get('access_token')).toBe(MI_TOKEN);

    const scan = await scanImageTags({
      image: `${acrMi.host}/team/app`,
      auth: { username: mi.system.username!, password: mi.system.password! },
      retries: 0,
    });
    expect(scan.tags).toEqual(['2.1.0', '2.0.0']);
    // Nothing went to Entra (or anywhere else) through the proxy.
    expect(miProxy.connects).toEqual([]);
  });

  it('App Service, user-assigned: AZURE_CLIENT_ID is sent as client_id', () => {
    expect(mi.user).toMatchObject({ ok: true });
    expect(acrMi.refreshTokens).toContain(mi.user.password);
    const ids = appService.server.requests.map((r) =>
      new URL(r.url, 'http://x').searchParams.get('client_id'),
    );
    expect(ids).toContain(UAMI_ID);
  });

  it("App Service: an identity the app does not have is a CREDENTIAL_PROVIDER error with the endpoint's message", () => {
    expectCleanError(mi.unknown);
    expect(mi.unknown.message).toContain('Unable to load the proper Managed Identity');
  });

  it('App Service: a wrong IDENTITY_HEADER is a CREDENTIAL_PROVIDER error that does not contain it', () => {
    expectCleanError(miWrongHeader);
    expect(appService.server.requests.some((r) => r.headers['x-identity-header'] === WRONG_HEADER)).toBe(
      true,
    );
  });

  it('Machine Learning (MSI_ENDPOINT + MSI_SECRET): the secret header, api-version 2017-09-01 and clientid', () => {
    expect(ml).toMatchObject({ ok: true, username: '00000000-0000-0000-0000-000000000000' });
    expect(acrMi.refreshTokens).toContain(ml.password);
    const ask = machineLearning.server.requests[0]!;
    const url = new URL(ask.url, 'http://x');
    expect(ask.headers.secret).toBe(MSI_SECRET);
    expect(ask.headers.metadata).toBe('true');
    expect(url.searchParams.get('api-version')).toBe('2017-09-01');
    expect(url.searchParams.get('resource')).toBe(ACR_RESOURCE);
    expect(url.searchParams.get('clientid')).toBe(SYSTEM_ID);
  });
});
