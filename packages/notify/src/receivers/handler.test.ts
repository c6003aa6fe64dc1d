import { createHash, createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@tidewatch/core';
import { startHttpServer } from '@tidewatch/testkit';
import type { TestHttpServer } from '@tidewatch/testkit';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createReceiverHandler } from './handler.js';
import type {
  CreateReceiverHandlerOptions,
  ObjectQuery,
  ReceiverHandler,
  ReceiverHookEvent,
  ReconcileObject,
} from './handler.js';
import type { ReceiverSpec } from './index.js';

const TOKEN = 'hook-t0ken-secret';
const hookPath = (name: string, namespace: string, token = TOKEN) =>
  `/hook/${createHash('sha256').update(`${token}${name}${namespace}`).digest('hex')}`;

/** Serves `handler` on a loopback port for one test. */
let server: Server | undefined;
async function serve(handler: ReceiverHandler, next?: (res: ServerResponse) => void) {
  server = createServer((req, res) => handler(req, res, next ? () => next(res) : undefined));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** Records each onReconcile call. */
function recorder() {
  const calls: ReceiverHookEvent[] = [];
  const onReconcile: CreateReceiverHandlerOptions['onReconcile'] = (event) => {
    calls.push(event);
  };
  return { calls, onReconcile };
}

const dockerhub: ReceiverSpec = {
  type: 'dockerhub',
  name: 'app',
  namespace: 'apps',
  secret: { token: TOKEN },
  resources: [
    { kind: 'ImageRepository', name: 'app' },
    { kind: 'GitRepository', name: 'fleet', namespace: 'flux-system' },
    { kind: 'Kustomization', name: 'apps', apiVersion: 'kustomize.toolkit.fluxcd.io/v1' },
  ],
};
const pushBody = JSON.stringify({
  push_data: { tag: '1.2.0', pusher: 'ci' },
  repository: { repo_name: 'team/app', repo_url: 'https://hub.docker.com/r/team/app' },
});
const post = (url: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('createReceiverHandler (§6) over loopback HTTP', () => {
  it('routes /hook/<sha256(token+name+namespace)> and requests every resource, namespaces and apiVersions defaulted', async () => {
    const { calls, onReconcile } = recorder();
    const requestedAt = new Date('2026-01-02T03:04:05Z');
    const handler = await createReceiverHandler({
      receivers: [dockerhub],
      onReconcile,
      now: () => requestedAt,
    });
    expect([...handler.paths.keys()]).toEqual([hookPath('app', 'apps')]);
    const url = await serve(handler);

    const res = await post(`${url}${hookPath('app', 'apps')}`, pushBody);
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.receiver.name).toBe('app');
    expect(call.requestedAt).toEqual(requestedAt);
    expect(call.webhook).toMatchObject({ type: 'dockerhub', payload: { push_data: { tag: '1.2.0' } } });
    expect(
      call.requests.map(({ apiVersion, kind, namespace, name }) => [apiVersion, kind, namespace, name]),
    ).toEqual([
      ['image.toolkit.fluxcd.io/v1', 'ImageRepository', 'apps', 'app'],
      ['source.toolkit.fluxcd.io/v1', 'GitRepository', 'flux-system', 'fleet'],
      ['kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'apps', 'apps'],
    ]);
    expect(call.requests[0]!.object).toEqual({
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImageRepository',
      metadata: { name: 'app', namespace: 'apps' },
    });
  });

  it('unknown path → 404 (the query string is part of the match, as in Flux); nothing called', async () => {
    const { calls, onReconcile } = recorder();
    const url = await serve(await createReceiverHandler({ receivers: [dockerhub], onReconcile }));
    expect((await post(`${url}${hookPath('app', 'other')}`, pushBody)).status).toBe(404);
    expect((await post(`${url}${hookPath('app', 'apps')}?x=1`, pushBody)).status).toBe(404);
    expect((await post(`${url}/`, pushBody)).status).toBe(404);
    expect(calls).toHaveLength(0);
  });

  it('with next, paths outside /hook/ are passed on', async () => {
    const { onReconcile } = recorder();
    const handler = await createReceiverHandler({ receivers: [dockerhub], onReconcile });
    const url = await serve(handler, (res) => void res.writeHead(204).end());
    expect((await fetch(`${url}/healthz`)).status).toBe(204);
    expect((await post(`${url}/hook/nope`, '{}')).status).toBe(404);
  });

  it('a body already consumed by an earlier body parser → 400, never a hang', async () => {
    const { calls, onReconcile } = recorder();
    const handler = await createReceiverHandler({ receivers: [dockerhub], onReconcile });
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => handler(req, res));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await post(`${url}${hookPath('app', 'apps')}`, pushBody)).status).toBe(400);
    expect(calls).toHaveLength(0);
  });

  it('suspended receiver → 503', async () => {
    const { calls, onReconcile } = recorder();
    const url = await serve(
      await createReceiverHandler({ receivers: [{ ...dockerhub, suspend: true }], onReconcile }),
    );
    expect((await post(`${url}${hookPath('app', 'apps')}`, pushBody)).status).toBe(503);
    expect(calls).toHaveLength(0);
  });

  it('validation failure → 400 (bad GitHub signature, undecodable Docker Hub body, unauthorised event)', async () => {
    const { calls, onReconcile } = recorder();
    const github: ReceiverSpec = {
      type: 'github',
      name: 'gh',
      namespace: 'apps',
      events: ['push'],
      secret: { token: TOKEN },
      resources: [{ kind: 'GitRepository', name: 'fleet' }],
    };
    const url = await serve(await createReceiverHandler({ receivers: [dockerhub, github], onReconcile }));
    const body = '{"ref":"refs/heads/main"}';
    const sig = (b: string) => `sha256=${createHmac('sha256', TOKEN).update(b).digest('hex')}`;
    const gh = `${url}${hookPath('gh', 'apps')}`;
    expect(
      (await post(gh, body, { 'x-github-event': 'push', 'x-hub-signature-256': sig(`${body} `) })).status,
    ).toBe(400);
    expect(
      (await post(gh, body, { 'x-github-event': 'issues', 'x-hub-signature-256': sig(body) })).status,
    ).toBe(400);
    expect((await post(`${url}${hookPath('app', 'apps')}`, '{"push_data":{"tag":1}}')).status).toBe(400);
    expect(calls).toHaveLength(0);
    expect(
      (await post(gh, body, { 'x-github-event': 'push', 'x-hub-signature-256': sig(body) })).status,
    ).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it('body over 3 MiB → 413 (before the path is even looked up), 3 MiB exactly is read', async () => {
    const { calls, onReconcile } = recorder();
    const generic: ReceiverSpec = {
      type: 'generic',
      name: 'g',
      namespace: 'apps',
      secret: { token: TOKEN },
      resources: [{ kind: 'GitRepository', name: 'fleet' }],
    };
    const url = await serve(await createReceiverHandler({ receivers: [generic], onReconcile }));
    const big = new Uint8Array(3 * 1024 * 1024 + 1).fill(0x20);
    expect((await post(`${url}${hookPath('g', 'apps')}`, big)).status).toBe(413);
    expect((await post(`${url}/hook/unknown`, big)).status).toBe(413);
    expect(calls).toHaveLength(0);
    expect((await post(`${url}${hookPath('g', 'apps')}`, big.subarray(1))).status).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it('callback errors → 500', async () => {
    const url = await serve(
      await createReceiverHandler({
        receivers: [dockerhub],
        onReconcile: () => Promise.reject(new Error('scan failed')),
      }),
    );
    expect((await post(`${url}${hookPath('app', 'apps')}`, pushBody)).status).toBe(500);
  });

  it('resourceFilter and per-resource filter (CEL over res and req) choose what is requested', async () => {
    const { calls, onReconcile } = recorder();
    const receiver: ReceiverSpec = {
      ...dockerhub,
      resourceFilter: "req.push_data.tag.startsWith('1.')",
      resources: [
        { kind: 'ImageRepository', name: 'app' },
        {
          kind: 'ImageRepository',
          name: 'web',
          filter: "res.metadata.name == req.repository.repo_name.split('/')[1]",
        },
        { kind: 'ImageRepository', name: 'team', filter: "res.metadata.name == 'app'" },
      ],
    };
    const url = await serve(await createReceiverHandler({ receivers: [receiver], onReconcile }));
    const path = `${url}${hookPath('app', 'apps')}`;
    expect((await post(path, pushBody)).status).toBe(200);
    expect(calls.at(-1)!.requests.map((r) => r.name)).toEqual(['app']);
    const web = JSON.stringify({ push_data: { tag: '1.3.0' }, repository: { repo_name: 'team/web' } });
    expect((await post(path, web)).status).toBe(200);
    expect(calls.at(-1)!.requests.map((r) => r.name)).toEqual(['app', 'web']);
    // Every resource filtered out: 200, and no call.
    const v2 = JSON.stringify({ push_data: { tag: '2.0.0' }, repository: { repo_name: 'team/web' } });
    expect((await post(path, v2)).status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('wildcard resources list objects by matchLabels through resolveObjects; a missing named object → 500, the rest still requested', async () => {
    const { calls, onReconcile } = recorder();
    const queries: ObjectQuery[] = [];
    const objects: ReconcileObject[] = [
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImageRepository',
        metadata: { name: 'a', namespace: 'apps', labels: { team: 'x', tier: 'web' } },
      },
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImageRepository',
        metadata: { name: 'b', namespace: 'apps', labels: { team: 'x', tier: 'db' } },
      },
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImageRepository',
        metadata: { name: 'c', namespace: 'apps', labels: { team: 'y' } },
      },
    ];
    const resolveObjects: CreateReceiverHandlerOptions['resolveObjects'] = (q) => {
      queries.push(q);
      return objects.filter(
        (o) =>
          o.kind === q.kind &&
          o.metadata.namespace === q.namespace &&
          (q.name === undefined || o.metadata.name === q.name) &&
          Object.entries(q.matchLabels ?? {}).every(([k, v]) => o.metadata.labels?.[k] === v),
      );
    };
    const receiver: ReceiverSpec = {
      ...dockerhub,
      resources: [
        {
          kind: 'ImageRepository',
          name: '*',
          matchLabels: { team: 'x' },
          filter: "res.metadata.labels.tier == 'web'",
        },
        { kind: 'ImageRepository', name: 'gone' },
        { kind: 'ImageRepository', name: 'c' },
      ],
    };
    const url = await serve(
      await createReceiverHandler({ receivers: [receiver], onReconcile, resolveObjects }),
    );
    expect((await post(`${url}${hookPath('app', 'apps')}`, pushBody)).status).toBe(500);
    expect(queries).toEqual([
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImageRepository',
        namespace: 'apps',
        name: undefined,
        matchLabels: { team: 'x' },
      },
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImageRepository',
        namespace: 'apps',
        name: 'gone',
        matchLabels: undefined,
      },
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImageRepository',
        namespace: 'apps',
        name: 'c',
        matchLabels: undefined,
      },
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.requests.map((r) => r.name)).toEqual(['a', 'c']);
    expect(calls[0]!.requests[0]!.object.metadata.labels).toEqual({ team: 'x', tier: 'web' });
  });

  it('a filter over a JSON body that does not parse → 500', async () => {
    const { calls, onReconcile } = recorder();
    const receiver: ReceiverSpec = {
      type: 'generic',
      name: 'g',
      namespace: 'apps',
      secret: { token: TOKEN },
      resourceFilter: 'true',
      resources: [{ kind: 'GitRepository', name: 'fleet' }],
    };
    const url = await serve(await createReceiverHandler({ receivers: [receiver], onReconcile }));
    expect((await post(`${url}${hookPath('g', 'apps')}`, 'not json')).status).toBe(500);
    // Not declared as JSON: req is {} and the filter runs.
    expect(
      (await post(`${url}${hookPath('g', 'apps')}`, 'not json', { 'content-type': 'text/plain' })).status,
    ).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it('rejects invalid receivers at creation, every problem at once', async () => {
    const err = await createReceiverHandler({
      receivers: [
        {
          type: 'generic',
          name: 'g',
          namespace: 'apps',
          secret: { token: TOKEN },
          resourceFilter: 'res.metadata.name ==',
          resources: [
            { kind: 'ImageRepository', name: '*' },
            { kind: 'Widget', name: 'w' },
            { kind: 'ImageRepository', name: 'x', filter: "'not a bool'" },
            { kind: 'ImageRepository', name: 'y', namespace: 'other' },
          ],
        },
        { type: 'generic', name: 'g', namespace: 'apps', secret: { token: TOKEN } },
      ],
      onReconcile: () => undefined,
      noCrossNamespaceRefs: true,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      "receivers[0].resources[0].name: a wildcard '*' resource needs the resolveObjects option to list objects by labels",
      'receivers[0].resources[3].namespace: cross-namespace references are not allowed',
      "receivers[0].resources[0].matchLabels: matchLabels field not set when using wildcard '*' as name",
      'receivers[0].resources[1].apiVersion: apiVersion must be specified for kind "Widget"',
      expect.stringMatching(/^receivers\[0\]\.resourceFilter: invalid resourceFilter expression: /),
      'receivers[0].resources[2].filter: invalid filter expression: expression must return a boolean, got string',
    ]);
    const duplicate = await createReceiverHandler({
      receivers: [dockerhub, { ...dockerhub, type: 'quay' }],
      onReconcile: () => undefined,
    }).catch((e: unknown) => e);
    expect((duplicate as ConfigError).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'receivers[1]: receiver apps/app has the same webhook path as apps/app',
    ]);
    const wildcard = await createReceiverHandler({
      receivers: [{ ...dockerhub, resources: [{ kind: 'ImageRepository', name: '*', matchLabels: {} }] }],
      onReconcile: () => undefined,
    }).catch((e: unknown) => e);
    expect((wildcard as ConfigError).problems.map((p) => p.message)).toEqual([
      "a wildcard '*' resource needs the resolveObjects option to list objects by labels",
    ]);
    const cross = await createReceiverHandler({
      receivers: [dockerhub],
      onReconcile: () => undefined,
      noCrossNamespaceRefs: true,
    }).catch((e: unknown) => e);
    expect((cross as ConfigError).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'receivers[0].resources[1].namespace: cross-namespace references are not allowed',
    ]);
  });
});

describe('createReceiverHandler with generic-oidc: claims in filters', () => {
  let issuer: TestHttpServer;
  let key: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'e1', alg: 'ES256' };
    issuer = await startHttpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          req.url === '/keys'
            ? { keys: [jwk] }
            : {
                issuer: issuer.url,
                jwks_uri: `${issuer.url}/keys`,
                id_token_signing_alg_values_supported: ['ES256'],
              },
        ),
      );
    });
  });
  afterAll(() => issuer?.close());

  it('verifies the token (no Secret: the path is sha256(name+namespace)) and exposes claims to filters', async () => {
    const { calls, onReconcile } = recorder();
    const receiver: ReceiverSpec = {
      type: 'generic-oidc',
      name: 'ci',
      namespace: 'apps',
      oidcProviders: [
        {
          issuerURL: issuer.url,
          validations: [{ expression: "claims.repository_owner == 'tidewatch'", message: 'owner' }],
        },
      ],
      resourceFilter: 'res.metadata.name == claims.app',
      resources: [
        { kind: 'ImageRepository', name: 'web' },
        { kind: 'ImageRepository', name: 'api' },
      ],
    };
    const url = await serve(await createReceiverHandler({ receivers: [receiver], onReconcile }));
    const jwt = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'e1' })
        .setIssuer(issuer.url)
        .setAudience('notification-controller')
        .setExpirationTime('5m')
        .sign(key);
    const path = `${url}${hookPath('ci', 'apps', '')}`;
    const ok = await post(path, '{}', {
      authorization: `Bearer ${await jwt({ repository_owner: 'tidewatch', app: 'api' })}`,
    });
    expect(ok.status).toBe(200);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.requests.map((r) => r.name)).toEqual(['api']);
    expect(calls[0]!.webhook.claims).toMatchObject({ repository_owner: 'tidewatch', app: 'api' });
    const denied = await post(path, '{}', {
      authorization: `Bearer ${await jwt({ repository_owner: 'mallory', app: 'api' })}`,
    });
    expect(denied.status).toBe(400);
    expect((await post(path, '{}')).status).toBe(400);
    expect(calls).toHaveLength(1);
  });
});
