import { ConfigError } from '@tidewatch/core';
import { startHttpServer } from '@tidewatch/testkit';
import type { TestHttpServer } from '@tidewatch/testkit';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReceiverError } from '../errors.js';
import { validateReceiver, verifyReceiver } from './index.js';
import type { ReceiverSpec } from './index.js';
import { createOidcDiscovery } from './oidc.js';

/**
 * A loopback OIDC issuer: discovery at `/.well-known/openid-configuration` and a JWKS at
 * `/keys`, for tokens signed with a key the test generates.
 */
let issuer: TestHttpServer;
let key: CryptoKey;
let otherKey: CryptoKey;
let jwk: JWK;
let discoveryIssuer: (() => string) | undefined;

beforeAll(async () => {
  ({ privateKey: otherKey } = await generateKeyPair('RS256'));
  const pair = await generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  issuer = await startHttpServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer: discoveryIssuer ? discoveryIssuer() : issuer.url,
          jwks_uri: `${issuer.url}/keys`,
          id_token_signing_alg_values_supported: ['RS256', 'HS256'],
        }),
      );
    } else if (req.url === '/keys') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    } else res.writeHead(404).end();
  });
});
afterAll(() => issuer?.close());
beforeEach(() => {
  issuer.requests.length = 0;
  discoveryIssuer = undefined;
});

interface TokenOptions {
  readonly iss?: string;
  readonly aud?: string | string[];
  readonly exp?: number;
  readonly claims?: Record<string, unknown>;
  readonly signWith?: CryptoKey;
}
const nowS = () => Math.floor(Date.now() / 1000);
async function token(o: TokenOptions = {}): Promise<string> {
  return new SignJWT({ repository_owner: 'tidewatch', ref: 'refs/heads/main', ...o.claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(o.iss ?? issuer.url)
    .setAudience(o.aud ?? 'notification-controller')
    .setSubject('repo:tidewatch/app:ref:refs/heads/main')
    .setIssuedAt()
    .setExpirationTime(o.exp ?? nowS() + 300)
    .sign(o.signWith ?? key);
}

const receiver = (overrides: Partial<ReceiverSpec> = {}): ReceiverSpec => ({
  type: 'generic-oidc',
  name: 'ci',
  namespace: 'flux-system',
  oidcProviders: [
    {
      issuerURL: issuer.url,
      variables: [{ name: 'owner', expression: 'claims.repository_owner' }],
      validations: [
        { expression: "vars.owner == 'tidewatch'", message: 'wrong owner' },
        { expression: "claims.ref.startsWith('refs/heads/')", message: 'not a branch' },
      ],
    },
  ],
  ...overrides,
});
const body = '{"image":"registry.local/app"}';
const hook = (jwt: string | undefined) => ({
  headers: {
    'content-type': 'application/json',
    ...(jwt === undefined ? {} : { authorization: `Bearer ${jwt}` }),
  },
  body,
});

async function rejected(p: Promise<unknown>, jwt?: string): Promise<ReceiverError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ReceiverError);
  expect((err as ReceiverError).status).toBe(400);
  if (jwt) expect((err as Error).message).not.toContain(jwt);
  return err as ReceiverError;
}

describe('generic-oidc receiver (spec §6)', () => {
  it('accepts a good token: discovery, JWKS, signature, audience, expiry, validations; returns the claims', async () => {
    const jwt = await token();
    const verified = await verifyReceiver(receiver(), hook(jwt));
    expect(verified.type).toBe('generic-oidc');
    expect(verified.payload).toEqual({ image: 'registry.local/app' });
    expect(verified.claims).toMatchObject({
      iss: issuer.url,
      aud: 'notification-controller',
      repository_owner: 'tidewatch',
      sub: 'repo:tidewatch/app:ref:refs/heads/main',
    });
    // Discovery then the key set, both from the issuer.
    expect(issuer.requests.map((r) => r.url)).toEqual(['/.well-known/openid-configuration', '/keys']);
  });

  it('needs no Secret and rejects one; needs at least one provider with validations (ConfigError lists all)', async () => {
    const err = await validateReceiver({
      type: 'generic-oidc',
      secret: { token: 't' },
      oidcProviders: [
        { issuerURL: 'ftp://x', validations: [] },
        { issuerURL: 'https://a', validations: [{ expression: 'claims.sub ==', message: '' }] },
      ],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'secret: secretRef cannot be set when type is generic-oidc',
      'oidcProviders[0].issuerURL: issuerURL "ftp://x" must start with http:// or https://',
      'oidcProviders[0].validations: at least one validation is required; without validations any caller able to obtain a token from this issuer can trigger the Receiver',
      'oidcProviders[1].validations[0].message: message is required',
    ]);
    const none = await validateReceiver({ type: 'generic-oidc' }).catch((e: unknown) => e);
    expect((none as ConfigError).problems.map((p) => p.message)).toEqual([
      'generic-oidc receiver requires at least one oidcProvider',
    ]);
    const cel = await validateReceiver(
      receiver({
        oidcProviders: [
          { issuerURL: 'https://a', validations: [{ expression: 'claims.sub ==', message: 'm' }] },
          { issuerURL: 'https://b', validations: [{ expression: '1 + 2', message: 'n' }] },
        ],
      }),
    ).catch((e: unknown) => e);
    expect((cel as ConfigError).problems.map((p) => p.path)).toEqual([
      'oidcProviders[0].validations[0].expression',
      'oidcProviders[1].validations[0].expression',
    ]);
    expect((cel as ConfigError).problems[1]!.message).toBe(
      'invalid expression for validation "n": expression must return a boolean, got int',
    );
    await expect(validateReceiver(receiver())).resolves.toMatchObject({ type: 'generic-oidc' });
    await expect(
      validateReceiver({ type: 'generic', secret: { token: 't' }, oidcProviders: receiver().oidcProviders }),
    ).rejects.toThrow('oidcProviders can only be set when type is generic-oidc');
  });

  it('rejects a token from an issuer that is not configured', async () => {
    const jwt = await token({ iss: 'https://token.actions.example.com' });
    const err = await rejected(verifyReceiver(receiver(), hook(jwt)), jwt);
    expect(err.message).toBe(
      '[notify:receiver:generic-oidc] no oidcProvider configured for issuer "https://token.actions.example.com"',
    );
    expect(issuer.requests).toHaveLength(0); // nothing fetched for an unknown issuer
  });

  it('rejects when discovery names another issuer', async () => {
    discoveryIssuer = () => 'https://elsewhere.example.com';
    const jwt = await token();
    const err = await rejected(verifyReceiver(receiver(), hook(jwt)), jwt);
    expect(err.message).toBe(
      `[notify:receiver:generic-oidc] failed to initialize OIDC provider for issuer "${issuer.url}": oidc: issuer did not match the issuer returned by provider, expected "${issuer.url}" got "https://elsewhere.example.com"`,
    );
  });

  it('rejects an expired token', async () => {
    const jwt = await token({ exp: nowS() - 10 });
    const err = await rejected(verifyReceiver(receiver(), hook(jwt)), jwt);
    expect(err.message).toMatch(
      /^\[notify:receiver:generic-oidc\] failed to verify OIDC token: oidc: token is expired \(Token Expiry: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC\)$/,
    );
  });

  it('rejects a wrong audience; the default is notification-controller, a provider can set its own', async () => {
    const jwt = await token({ aud: ['sts.amazonaws.com', 'other'] });
    const err = await rejected(verifyReceiver(receiver(), hook(jwt)), jwt);
    expect(err.message).toBe(
      '[notify:receiver:generic-oidc] failed to verify OIDC token: oidc: expected audience "notification-controller" got ["sts.amazonaws.com" "other"]',
    );
    const custom = receiver({
      oidcProviders: [{ ...receiver().oidcProviders![0]!, audience: 'sts.amazonaws.com' }],
    });
    await expect(verifyReceiver(custom, hook(jwt))).resolves.toMatchObject({ type: 'generic-oidc' });
    const plain = await token();
    await rejected(verifyReceiver(custom, hook(plain)), plain);
  });

  it('rejects a bad signature (a key the issuer does not publish, same kid)', async () => {
    const jwt = await token({ signWith: otherKey });
    const err = await rejected(verifyReceiver(receiver(), hook(jwt)), jwt);
    expect(err.message).toMatch(
      /^\[notify:receiver:generic-oidc\] failed to verify OIDC token: failed to verify signature: /,
    );
    // A tampered payload under a valid signature fails the same way.
    const good = await token();
    const [h, , sig] = good.split('.');
    const forged = `${h}.${Buffer.from(
      JSON.stringify({
        iss: issuer.url,
        aud: 'notification-controller',
        exp: nowS() + 300,
        repository_owner: 'tidewatch',
        ref: 'refs/heads/main',
      }),
    ).toString('base64url')}.${sig}`;
    await rejected(verifyReceiver(receiver(), hook(forged)), forged);
  });

  it('rejects when a CEL validation is false, listing every failed message', async () => {
    const jwt = await token({ claims: { repository_owner: 'mallory', ref: 'refs/tags/v1' } });
    const err = await rejected(verifyReceiver(receiver(), hook(jwt)), jwt);
    expect(err.message).toBe(
      '[notify:receiver:generic-oidc] token validation failed: wrong owner; not a branch',
    );
    const one = await token({ claims: { ref: 'refs/pull/1/merge' } });
    expect((await rejected(verifyReceiver(receiver(), hook(one)), one)).message).toBe(
      '[notify:receiver:generic-oidc] token validation failed: not a branch',
    );
  });

  it('rejects a missing or malformed Authorization header and non-JWT tokens', async () => {
    expect((await rejected(verifyReceiver(receiver(), hook(undefined)))).message).toBe(
      '[notify:receiver:generic-oidc] the Authorization header is missing or malformed',
    );
    expect((await rejected(verifyReceiver(receiver(), hook('  ')))).message).toBe(
      '[notify:receiver:generic-oidc] the Authorization header is missing a bearer token',
    );
    expect((await rejected(verifyReceiver(receiver(), hook('abc.def')))).message).toBe(
      '[notify:receiver:generic-oidc] failed to parse bearer token: token is not a JWT',
    );
    const noIss = `e30.${Buffer.from('{"aud":"x"}').toString('base64url')}.c2ln`;
    expect((await rejected(verifyReceiver(receiver(), hook(noIss)))).message).toBe(
      "[notify:receiver:generic-oidc] failed to parse bearer token: token is missing the 'iss' claim",
    );
  });

  it('a shared discovery cache fetches the issuer once across requests', async () => {
    const oidcDiscovery = createOidcDiscovery();
    for (let i = 0; i < 3; i++) {
      await verifyReceiver(receiver(), hook(await token()), { oidcDiscovery });
    }
    expect(issuer.requests.map((r) => r.url)).toEqual(['/.well-known/openid-configuration', '/keys']);
  });
});

it('verifyReceiver alone reports a receiver whose CEL does not compile as a ConfigError, not a rejection', async () => {
  const bad: ReceiverSpec = {
    type: 'generic-oidc',
    oidcProviders: [
      { issuerURL: 'https://issuer.example', validations: [{ expression: 'claims.', message: 'm' }] },
    ],
  };
  await expect(verifyReceiver(bad, { headers: {}, body: '' })).rejects.toBeInstanceOf(ConfigError);
});
