import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@tidewatch/core';
import { startHttpServer } from '@tidewatch/testkit';
import { SignJWT, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { ReceiverError } from '../errors.js';
import { receiverPath, verifyReceiver } from './index.js';
import type { ReceiverSpec } from './index.js';

const TOKEN = 'receiver-t0ken-secret-123';
const body = '{"ref":"refs/heads/main","repository":{"name":"app"}}';
const hmac = (algo: string, data: string, key = TOKEN): string =>
  createHmac(algo, key).update(data).digest('hex');

async function rejection(p: Promise<unknown>): Promise<ReceiverError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ReceiverError);
  expect((err as Error).message).not.toContain(TOKEN);
  return err as ReceiverError;
}

describe('verifyReceiver (§6)', () => {
  it('path is /hook/ + sha256(token + name + namespace)', () => {
    const digest = createHash('sha256').update(`${TOKEN}appflux-system`).digest('hex');
    expect(
      receiverPath({ type: 'generic', name: 'app', namespace: 'flux-system', secret: { token: TOKEN } }),
    ).toBe(`/hook/${digest}`);
  });

  it('a token is required; unknown types and gcr without email/audience are ConfigErrors listing all', async () => {
    await expect(
      verifyReceiver({ type: 'generic', secret: {} }, { headers: {}, body }),
    ).rejects.toBeInstanceOf(ConfigError);
    const err = await verifyReceiver(
      { type: 'gcr', secret: {} },
      {
        headers: {},
        body,
      },
    ).catch((e: unknown) => e);
    expect((err as ConfigError).problems.map((p) => p.path)).toEqual([
      'secret.token',
      'secret.email',
      'secret.audience',
    ]);
  });

  it('generic accepts anything; a body over 3 MiB is 413', async () => {
    await expect(
      verifyReceiver({ type: 'generic', secret: { token: TOKEN } }, { headers: {}, body: 'not json' }),
    ).resolves.toMatchObject({ payload: {} });
    const big = new Uint8Array(3 * 1024 * 1024 + 1);
    const err = await rejection(
      verifyReceiver({ type: 'generic', secret: { token: TOKEN } }, { headers: {}, body: big }),
    );
    expect(err.status).toBe(413);
  });

  it('generic-hmac: X-Signature sha1/sha256/sha512 over the raw body', async () => {
    const r: ReceiverSpec = { type: 'generic-hmac', secret: { token: TOKEN } };
    for (const algo of ['sha1', 'sha256', 'sha512']) {
      await expect(
        verifyReceiver(r, { headers: { 'x-signature': `${algo}=${hmac(algo, body)}` }, body }),
      ).resolves.toMatchObject({ payload: { ref: 'refs/heads/main' } });
    }
    const bad = await rejection(
      verifyReceiver(r, { headers: { 'X-Signature': `sha256=${hmac('sha256', `${body} `)}` }, body }),
    );
    expect(bad.status).toBe(400);
    expect(bad.message).toContain('unable to validate HMAC signature');
    await rejection(verifyReceiver(r, { headers: {}, body }));
    await rejection(verifyReceiver(r, { headers: { 'X-Signature': 'md5=00' }, body }));
  });

  it('github: X-Hub-Signature-256 preferred, events filtered case-insensitively, form payloads', async () => {
    const r: ReceiverSpec = { type: 'github', events: ['Push'], secret: { token: TOKEN } };
    const headers = {
      'Content-Type': 'application/json',
      'X-Hub-Signature-256': `sha256=${hmac('sha256', body)}`,
      'X-Hub-Signature': 'sha1=0000',
      'X-GitHub-Event': 'push',
    };
    await expect(verifyReceiver(r, { headers, body })).resolves.toMatchObject({
      event: 'push',
      payload: { repository: { name: 'app' } },
    });
    const other = await rejection(
      verifyReceiver(r, { headers: { ...headers, 'X-GitHub-Event': 'issues' }, body }),
    );
    expect(other.message).toContain('the GitHub event "issues" is not authorised');
    const form = `payload=${encodeURIComponent(body)}`;
    await expect(
      verifyReceiver(r, {
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-hub-signature': `sha1=${hmac('sha1', form)}`,
          'x-github-event': 'push',
        },
        body: form,
      }),
    ).resolves.toMatchObject({ payload: { ref: 'refs/heads/main' } });
    await rejection(verifyReceiver(r, { headers: { ...headers, 'Content-Type': 'text/plain' }, body }));
    await rejection(
      verifyReceiver(r, {
        headers: { ...headers, 'X-Hub-Signature-256': `sha256=${hmac('sha256', body, 'wrong')}` },
        body,
      }),
    );
  });

  it('bitbucket: github-style signature, event key from X-Event-Key', async () => {
    const r: ReceiverSpec = { type: 'bitbucket', events: ['repo:refs_changed'], secret: { token: TOKEN } };
    const headers = {
      'content-type': 'application/json',
      'x-hub-signature': `sha256=${hmac('sha256', body)}`,
      'x-event-key': 'repo:refs_changed',
    };
    await expect(verifyReceiver(r, { headers, body })).resolves.toMatchObject({ event: 'repo:refs_changed' });
    await rejection(verifyReceiver(r, { headers: { ...headers, 'x-event-key': 'pr:opened' }, body }));
  });

  it('gitlab: X-Gitlab-Token must equal the token; X-Gitlab-Event filtered', async () => {
    const r: ReceiverSpec = { type: 'gitlab', events: ['Push Hook'], secret: { token: TOKEN } };
    await expect(
      verifyReceiver(r, { headers: { 'X-Gitlab-Token': TOKEN, 'X-Gitlab-Event': 'Push Hook' }, body }),
    ).resolves.toMatchObject({ event: 'Push Hook' });
    const bad = await rejection(
      verifyReceiver(r, { headers: { 'X-Gitlab-Token': `${TOKEN}x`, 'X-Gitlab-Event': 'Push Hook' }, body }),
    );
    expect(bad.message).toContain('X-Gitlab-Token header value does not match');
    await rejection(
      verifyReceiver(r, { headers: { 'X-Gitlab-Token': TOKEN, 'X-Gitlab-Event': 'Tag Push Hook' }, body }),
    );
  });

  it('harbor: Authorization must equal the token exactly', async () => {
    const r: ReceiverSpec = { type: 'harbor', secret: { token: TOKEN } };
    await expect(verifyReceiver(r, { headers: { authorization: TOKEN }, body })).resolves.toBeDefined();
    await rejection(verifyReceiver(r, { headers: { authorization: `Bearer ${TOKEN}` }, body }));
  });

  it('nexus: X-Nexus-Webhook-Signature = hex HMAC-SHA1, and a Nexus JSON payload', async () => {
    const r: ReceiverSpec = { type: 'nexus', secret: { token: TOKEN } };
    const nb = '{"action":"CREATED","repositoryName":"docker-hosted"}';
    await expect(
      verifyReceiver(r, { headers: { 'X-Nexus-Webhook-Signature': hmac('sha1', nb) }, body: nb }),
    ).resolves.toMatchObject({ payload: { repositoryName: 'docker-hosted' } });
    expect((await rejection(verifyReceiver(r, { headers: {}, body: nb }))).message).toContain(
      'signature is missing',
    );
    expect(
      (
        await rejection(
          verifyReceiver(r, { headers: { 'X-Nexus-Webhook-Signature': hmac('sha1', 'x') }, body: nb }),
        )
      ).message,
    ).toContain('invalid Nexus signature');
  });

  it('dockerhub, quay, acr: no auth, but the body must decode as the vendor JSON', async () => {
    const t = { token: TOKEN };
    await expect(
      verifyReceiver(
        { type: 'dockerhub', secret: t },
        { headers: {}, body: '{"push_data":{"tag":"v1"},"repository":{"repo_url":"u"}}' },
      ),
    ).resolves.toMatchObject({ payload: { push_data: { tag: 'v1' } } });
    await rejection(
      verifyReceiver({ type: 'dockerhub', secret: t }, { headers: {}, body: '{"push_data":"x"}' }),
    );
    await rejection(verifyReceiver({ type: 'dockerhub', secret: t }, { headers: {}, body: 'garbage' }));
    await expect(
      verifyReceiver(
        { type: 'quay', secret: t },
        { headers: {}, body: '{"docker_url":"quay.io/a/b","updated_tags":["v1"]}' },
      ),
    ).resolves.toBeDefined();
    await rejection(
      verifyReceiver({ type: 'quay', secret: t }, { headers: {}, body: '{"updated_tags":"v1"}' }),
    );
    await expect(
      verifyReceiver(
        { type: 'acr', secret: t },
        { headers: {}, body: '{"action":"push","target":{"repository":"r","tag":"v1"}}' },
      ),
    ).resolves.toBeDefined();
    await rejection(verifyReceiver({ type: 'acr', secret: t }, { headers: {}, body: '{"target":[]}' }));
  });

  it('cdevents: a structurally valid CDEvent, Ce-Type filtered', async () => {
    const r: ReceiverSpec = {
      type: 'cdevents',
      events: ['dev.cdevents.change.merged.0.1.2'],
      secret: { token: TOKEN },
    };
    const ce = JSON.stringify({
      context: {
        version: '0.4.1',
        id: '1',
        source: '/repo',
        type: 'dev.cdevents.change.merged.0.1.2',
        timestamp: '2024-01-01T00:00:00Z',
      },
      subject: { id: 'c1', content: {} },
    });
    await expect(
      verifyReceiver(r, { headers: { 'Ce-Type': 'dev.cdevents.change.merged.0.1.2' }, body: ce }),
    ).resolves.toMatchObject({ event: 'dev.cdevents.change.merged.0.1.2' });
    await rejection(
      verifyReceiver(r, {
        headers: { 'Ce-Type': 'dev.cdevents.change.merged.0.1.2' },
        body: '{"context":{}}',
      }),
    );
  });

  describe('gcr (Google OIDC ID token)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const envelope = JSON.stringify({
      message: {
        data: Buffer.from(
          '{"action":"INSERT","digest":"gcr.io/p/app@sha256:ab","tag":"gcr.io/p/app:v1"}',
        ).toString('base64'),
        messageId: '1',
      },
    });
    const r: ReceiverSpec = {
      type: 'gcr',
      secret: {
        token: TOKEN,
        email: 'push@p.iam.gserviceaccount.com',
        audience: 'https://hooks.example.com',
      },
    };
    const sign = (claims: Record<string, unknown>, key = privateKey) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(key);
    const good = {
      iss: 'https://accounts.google.com',
      aud: 'https://hooks.example.com',
      email: 'push@p.iam.gserviceaccount.com',
      email_verified: true,
    };

    it('accepts a valid token (keys fetched from a loopback stand-in for Google) and unwraps the data', async () => {
      const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
      const google = await startHttpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [jwk] }));
      });
      try {
        const fetch = (_i: string | URL | Request, init?: RequestInit) =>
          globalThis.fetch(`${google.url}/certs`, init);
        const hook = await verifyReceiver(
          r,
          { headers: { Authorization: `Bearer ${await sign(good)}` }, body: envelope },
          { fetch },
        );
        expect(hook.payload).toEqual({
          action: 'INSERT',
          digest: 'gcr.io/p/app@sha256:ab',
          tag: 'gcr.io/p/app:v1',
        });
        expect(google.requests).toHaveLength(1);
      } finally {
        await google.close();
      }
    });

    it('rejects a wrong audience, issuer, email, unverified email, foreign key and no bearer', async () => {
      const keys = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] };
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const cases = [
        await sign({ ...good, aud: 'other' }),
        await sign({ ...good, iss: 'evil.example.com' }),
        await sign({ ...good, email: 'x@y' }),
        await sign({ ...good, email_verified: false }),
        await sign(good, other),
      ];
      for (const jwt of cases) {
        await rejection(
          verifyReceiver(
            r,
            { headers: { Authorization: `Bearer ${jwt}` }, body: envelope },
            { googleKeys: keys },
          ),
        );
      }
      await rejection(verifyReceiver(r, { headers: {}, body: envelope }, { googleKeys: keys }));
    });
  });
});
