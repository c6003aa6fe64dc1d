import { createPublicKey, generateKeyPairSync, createVerify } from 'node:crypto';
import { ConfigError, TidewatchError } from '@tidewatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { PROVIDER_UID, SHA, eventWith, startFakeForge, successEvent } from '../../test/forge-harness.js';
import type { FakeForge } from '../../test/forge-harness.js';
import { github } from './github.js';

describeNotifierContract({
  definition: github,
  spec: ({ url, token }) => ({
    type: 'github',
    address: `${url}/org/repo`,
    uid: PROVIDER_UID,
    secret: { token },
  }),
  invalid: [
    { type: 'github', address: 'https://github.com/org/repo' },
    { type: 'github', address: 'https://github.com/org', secret: { token: 't' } },
    { type: 'github', address: 'https://github.com/a/b/c', secret: { token: 't' } },
    { type: 'github', secret: { token: 't' } },
  ],
});

describe('github commit status (spec §5.1)', () => {
  let forge: FakeForge;
  beforeAll(async () => {
    forge = await startFakeForge();
  });
  afterAll(() => forge.close());

  const enterprise = () =>
    forge.notifier({
      type: 'github',
      address: `${forge.url}/org/repo.git`,
      uid: PROVIDER_UID,
      secret: { token: 'ghp_tok' },
    });

  it('lists the statuses, then posts success with the default context', async () => {
    forge.reset();
    await expect(enterprise().send(successEvent)).resolves.toEqual({ skipped: false });
    expect(forge.calls()).toEqual([
      `GET /api/v3/repos/org/repo/commits/${SHA}/statuses?per_page=50`,
      `POST /api/v3/repos/org/repo/statuses/${SHA}`,
    ]);
    const post = forge.requests[1]!;
    expect(post.headers.authorization).toBe('Bearer ghp_tok');
    expect(post.headers['content-type']).toBe('application/json');
    expect(post.json()).toEqual({
      state: 'success',
      description: 'reconciliation succeeded',
      context: 'kustomization/webapp/0c9c2e41',
    });
    expect(post.text()).toBe(
      '{"state":"success","description":"reconciliation succeeded","context":"kustomization/webapp/0c9c2e41"}\n',
    );
  });

  it('maps error to failure and prefers the commit metadata', async () => {
    forge.reset();
    const other = 'ffffffffffffffffffffffffffffffffffffffff';
    const event = eventWith({
      severity: 'error',
      reason: 'HealthCheckFailed',
      metadata: { commit: SHA, originRevision: `main@sha1:${other}`, revision: `main@sha1:${other}` },
    });
    await enterprise().send(event);
    expect(forge.calls()[1]).toBe(`POST /api/v3/repos/org/repo/statuses/${SHA}`);
    expect(forge.requests[1]!.json()).toMatchObject({ state: 'failure', description: 'health check failed' });
  });

  it('skips the write when the first status with the same context is identical', async () => {
    forge.reset({
      'GET /api/v3/repos/org/repo/commits/': {
        json: [
          { context: 'other', state: 'failure', description: 'x' },
          {
            context: 'kustomization/webapp/0c9c2e41',
            state: 'success',
            description: 'reconciliation succeeded',
          },
        ],
      },
    });
    await expect(enterprise().send(successEvent)).resolves.toMatchObject({ skipped: true });
    expect(forge.calls()).toHaveLength(1);
  });

  it('only the newest status with our context counts', async () => {
    forge.reset({
      'GET /api/v3/repos/org/repo/commits/': {
        json: [
          { context: 'kustomization/webapp/0c9c2e41', state: 'failure', description: 'health check failed' },
          {
            context: 'kustomization/webapp/0c9c2e41',
            state: 'success',
            description: 'reconciliation succeeded',
          },
        ],
      },
    });
    await enterprise().send(successEvent);
    expect(forge.calls()).toHaveLength(2);
  });

  it('skips Progressing events without any request', async () => {
    forge.reset();
    await expect(enterprise().send(eventWith({ reason: 'Progressing' }))).resolves.toMatchObject({
      skipped: true,
    });
    expect(forge.calls()).toEqual([]);
  });

  it('fails with Flux texts on missing or unusable revisions, and on other severities', async () => {
    forge.reset();
    const n = enterprise();
    await expect(n.send(eventWith({ metadata: {} }))).rejects.toThrow('missing revision metadata');
    await expect(n.send(eventWith({ metadata: { revision: 'latest@sha256:abc' } }))).rejects.toThrow(
      "failed to extract commit hash from 'latest@sha256:abc' revision",
    );
    await expect(n.send(eventWith({ severity: 'trace' }))).rejects.toThrow("can't convert to github state");
    expect(forge.calls()).toEqual([]);
  });

  it('talks to api.github.com for github.com addresses (https, ssh and scp forms)', async () => {
    for (const address of [
      'https://github.com/org/repo',
      'ssh://git@github.com/org/repo.git',
      'git@github.com:org/repo.git',
    ]) {
      const o = github.parseOptions({ type: 'github', address, uid: PROVIDER_UID, secret: { token: 't' } });
      expect(o.github).toMatchObject({ apiBase: 'https://api.github.com/', owner: 'org', repo: 'repo' });
    }
    forge.reset();
    const fetchLog: string[] = [];
    const { createNotifier } = await import('../notifier.js');
    await createNotifier(
      { type: 'github', address: 'https://github.com/org/repo', uid: PROVIDER_UID, secret: { token: 't' } },
      {
        fetch: (input, init) => {
          fetchLog.push(input instanceof Request ? input.url : input.toString());
          return forge.fetch(input, init);
        },
      },
    ).send(successEvent);
    expect(fetchLog[0]).toBe(`https://api.github.com/repos/org/repo/commits/${SHA}/statuses?per_page=50`);
  });

  it('does not append /api/v3 for API hosts', () => {
    const o = github.parseOptions({
      type: 'github',
      address: 'https://api.example.com/org/repo',
      secret: { token: 't' },
    });
    expect(o.github.apiBase).toBe('https://api.example.com/');
  });

  it('uses the Secret password when there is no token', async () => {
    forge.reset();
    await forge
      .notifier({
        type: 'github',
        address: `${forge.url}/org/repo`,
        uid: PROVIDER_UID,
        secret: { username: 'git', password: 'pw-token' },
      })
      .send(successEvent);
    expect(forge.requests[0]!.headers.authorization).toBe('Bearer pw-token');
  });

  it('uses a CEL commitStatusExpr for the context', async () => {
    forge.reset();
    await forge
      .notifier({
        type: 'github',
        address: `${forge.url}/org/repo`,
        uid: PROVIDER_UID,
        commitStatusExpr: "event.involvedObject.namespace + '/' + event.involvedObject.name",
        secret: { token: 't' },
      })
      .send(successEvent);
    expect(forge.requests[1]!.json()).toMatchObject({ context: 'flux-system/webapp' });
  });

  it('a failing CEL expression is a delivery error and nothing is sent', async () => {
    forge.reset();
    const n = forge.notifier({
      type: 'github',
      address: `${forge.url}/org/repo`,
      uid: PROVIDER_UID,
      commitStatusExpr: 'event.metadata.missing',
      secret: { token: 't' },
    });
    await expect(n.send(successEvent)).rejects.toThrow(
      /failed to evaluate the spec.commitStatusExpr CEL expression for the event/,
    );
    expect(forge.calls()).toEqual([]);
  });

  it('reports a listing failure with Flux text and without the token', async () => {
    forge.reset({ 'GET /': { status: 401, json: { message: 'Bad credentials ghp_tok' } } });
    const err = await enterprise()
      .send(successEvent)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TidewatchError);
    expect((err as Error).message).toMatch(/^\[notify:github\] could not list commit statuses: GET /);
    expect((err as Error).message).toContain('401');
    expect((err as Error).message).not.toContain('ghp_tok');
  });
});

describe('github App authentication', () => {
  let forge: FakeForge;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  beforeAll(async () => {
    forge = await startFakeForge();
  });
  afterAll(() => forge.close());

  const verifyJwt = (authorization: string | string[] | undefined) => {
    const jwt = String(authorization).replace(/^Bearer /, '');
    const [h, c, s] = jwt.split('.') as [string, string, string];
    const v = createVerify('RSA-SHA256');
    v.update(`${h}.${c}`);
    expect(
      v.verify(
        createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })),
        Buffer.from(s, 'base64url'),
      ),
    ).toBe(true);
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' });
    return JSON.parse(Buffer.from(c, 'base64url').toString()) as { iss: string; iat: number; exp: number };
  };

  it('mints an installation token with an RS256 app JWT and uses it', async () => {
    forge.reset({
      'POST /api/v3/app/installations/': {
        status: 201,
        json: { token: 'ghs_installation', expires_at: '2099-01-01T00:00:00Z' },
      },
    });
    const before = Math.floor(Date.now() / 1000);
    const n = forge.notifier({
      type: 'github',
      address: `${forge.url}/org/repo`,
      uid: PROVIDER_UID,
      secret: {
        githubAppID: '1234',
        githubAppInstallationID: '5678',
        githubAppPrivateKey: pem,
        githubAppBaseURL: forge.url,
      },
    });
    await n.send(successEvent);
    await n.send(successEvent);
    expect(forge.calls()).toEqual([
      'POST /api/v3/app/installations/5678/access_tokens',
      `GET /api/v3/repos/org/repo/commits/${SHA}/statuses?per_page=50`,
      `POST /api/v3/repos/org/repo/statuses/${SHA}`,
      // the token is cached
      `GET /api/v3/repos/org/repo/commits/${SHA}/statuses?per_page=50`,
      `POST /api/v3/repos/org/repo/statuses/${SHA}`,
    ]);
    const claims = verifyJwt(forge.requests[0]!.headers.authorization);
    expect(claims.iss).toBe('1234');
    expect(claims.iat).toBeGreaterThanOrEqual(before - 31);
    expect(claims.iat).toBeLessThanOrEqual(before - 29 + 2);
    expect(claims.exp - claims.iat).toBe(120);
    expect(forge.requests[1]!.headers.authorization).toBe('Bearer ghs_installation');
  });

  it('finds the installation by owner (organisation, then user)', async () => {
    forge.reset({
      'GET /api/v3/orgs/': { status: 404, json: { message: 'Not Found' } },
      'GET /api/v3/users/someone/installation': { json: { id: 99 } },
      'POST /api/v3/app/installations/99/access_tokens': { status: 201, json: { token: 'ghs_u' } },
    });
    await forge
      .notifier({
        type: 'githubdispatch',
        address: `${forge.url}/org/repo`,
        secret: {
          githubAppID: '1',
          githubAppInstallationOwner: 'someone',
          githubAppPrivateKey: pem,
          githubAppBaseURL: `${forge.url}/api/v3`,
        },
      })
      .send(successEvent);
    expect(forge.calls()).toEqual([
      'GET /api/v3/orgs/someone/installation',
      'GET /api/v3/users/someone/installation',
      'POST /api/v3/app/installations/99/access_tokens',
      'POST /api/v3/repos/org/repo/dispatches',
    ]);
    expect(forge.requests[3]!.headers.authorization).toBe('Bearer ghs_u');
  });

  it('reports every App problem at once, with Flux texts', () => {
    try {
      github.parseOptions({
        type: 'github',
        address: 'https://github.com/org/repo',
        secret: { githubAppID: 'x', githubAppPrivateKey: 'not a key' },
      });
      expect.fail('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const messages = (err as ConfigError).problems.map((p) => p.message);
      expect(messages).toContain('app ID or client ID must be provided to use github app authentication');
      expect(messages).toContain(
        'app installation owner or ID must be provided to use github app authentication',
      );
      expect(messages.some((m) => m.startsWith('could not parse private key'))).toBe(true);
    }
    expect(() =>
      github.parseOptions({
        type: 'github',
        address: 'https://github.com/org/repo',
        secret: {
          githubAppID: '1',
          githubAppInstallationID: '2',
          githubAppInstallationOwner: 'o',
          githubAppPrivateKey: pem,
        },
      }),
    ).toThrow('only one of app installation owner or ID must be provided');
  });
});
