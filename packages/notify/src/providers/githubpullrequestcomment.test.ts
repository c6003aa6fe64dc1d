import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { PROVIDER_UID, eventWith, startFakeForge } from '../../test/forge-harness.js';
import type { FakeForge } from '../../test/forge-harness.js';
import { githubpullrequestcomment } from './githubpullrequestcomment.js';

describeNotifierContract({
  definition: githubpullrequestcomment,
  spec: ({ url, token }) => ({
    type: 'githubpullrequestcomment',
    address: `${url}/org/repo`,
    uid: PROVIDER_UID,
    secret: { token },
  }),
  invalid: [
    { type: 'githubpullrequestcomment', address: 'https://github.com/org/repo', secret: { token: 't' } },
  ],
});

const event = eventWith({
  severity: 'error',
  message: 'Health check failed',
  reason: 'HealthCheckFailed',
  metadata: { change_request: '7', revision: 'main@sha1:abc', a: '1' },
});
const marker = `<!-- flux-pr-comment-key:${PROVIDER_UID}/Kustomization/flux-system/webapp -->`;
const body = `${marker}\n\n## Flux Status\n\n\u26a0\ufe0f Kustomization/flux-system/webapp\n\nHealth check failed\n\nMetadata:\n* \`a\`: 1\n* \`revision\`: main@sha1:abc\n`;

describe('githubpullrequestcomment (spec §5.2)', () => {
  let forge: FakeForge;
  beforeAll(async () => {
    forge = await startFakeForge();
  });
  afterAll(() => forge.close());
  const make = () =>
    forge.notifier({
      type: 'githubpullrequestcomment',
      address: `${forge.url}/org/repo`,
      uid: PROVIDER_UID,
      secret: { token: 'ghp_c' },
    });

  it('creates the comment when none of ours carries the marker', async () => {
    forge.reset({
      'GET /api/v3/user': { json: { login: 'flux-bot' } },
      'GET /api/v3/repos/org/repo/issues/7/comments': {
        json: [
          { id: 1, user: { login: 'someone' }, body: marker },
          { id: 2, user: { login: 'flux-bot' }, body: 'unrelated' },
        ],
      },
    });
    await make().send(event);
    expect(forge.calls()).toEqual([
      'GET /api/v3/user',
      'GET /api/v3/repos/org/repo/issues/7/comments?direction=asc&per_page=100&sort=created',
      'POST /api/v3/repos/org/repo/issues/7/comments',
    ]);
    // go-github does not HTML-escape, and Encoder adds a newline.
    expect(forge.requests[2]!.text()).toBe(`${JSON.stringify({ body })}\n`);
    expect(forge.requests[2]!.text()).toContain('<!--');
  });

  it('edits our first marked comment, and looks the user up only once', async () => {
    forge.reset({
      'GET /api/v3/user': { json: { login: 'flux-bot' } },
      'GET /api/v3/repos/org/repo/issues/7/comments': {
        json: [
          { id: 11, user: { login: 'flux-bot' }, body: `${marker}\nold` },
          { id: 12, user: { login: 'flux-bot' }, body: `${marker}\nolder` },
        ],
      },
    });
    const n = make();
    await n.send(event);
    await n.send(event);
    expect(forge.calls().filter((c) => c === 'GET /api/v3/user')).toHaveLength(1);
    expect(forge.calls()).toContain('PATCH /api/v3/repos/org/repo/issues/comments/11');
    expect(forge.requests.at(-1)!.json()).toEqual({ body });
  });

  it('as a GitHub App, recognises its own comments as <app-slug>[bot]', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    forge.reset({
      'GET /api/v3/app': { json: { slug: 'flux-app' } },
      'POST /api/v3/app/installations/7/access_tokens': { status: 201, json: { token: 'ghs_app' } },
      'GET /api/v3/repos/org/repo/issues/7/comments': {
        json: [{ id: 31, user: { login: 'flux-app[bot]' }, body: marker }],
      },
    });
    await forge
      .notifier({
        type: 'githubpullrequestcomment',
        address: `${forge.url}/org/repo`,
        uid: PROVIDER_UID,
        secret: {
          githubAppID: '3',
          githubAppInstallationID: '7',
          githubAppPrivateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          githubAppBaseURL: forge.url,
        },
      })
      .send(event);
    expect(forge.calls()).toEqual([
      'GET /api/v3/app',
      'POST /api/v3/app/installations/7/access_tokens',
      'GET /api/v3/repos/org/repo/issues/7/comments?direction=asc&per_page=100&sort=created',
      'PATCH /api/v3/repos/org/repo/issues/comments/31',
    ]);
    expect(forge.requests[3]!.headers.authorization).toBe('Bearer ghs_app');
  });

  it('rejects a non-numeric change_request with Flux text', async () => {
    forge.reset({ 'GET /api/v3/user': { json: { login: 'x' } } });
    await expect(make().send(eventWith({ metadata: { change_request: 'abc' } }))).rejects.toThrow(
      'invalid "change_request" metadata value "abc"',
    );
  });

  it('requires the provider UID', () => {
    expect(() =>
      githubpullrequestcomment.parseOptions({
        type: 'githubpullrequestcomment',
        address: 'https://github.com/o/r',
        secret: { token: 't' },
      }),
    ).toThrow('provider UID cannot be empty');
  });
});
