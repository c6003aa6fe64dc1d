import { createHash } from 'node:crypto';
import { pushImage, startRegistry } from '@tidewatch/testkit';
import type { TestRegistry } from '@tidewatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookScan } from './webhook-scan.js';
import type { WebhookScan } from './webhook-scan.js';

const TOKEN = 'example-webhook-t0ken';
let reg: TestRegistry;
let app: WebhookScan | undefined;

beforeAll(async () => {
  reg = await startRegistry();
  for (const tag of ['1.0.0', '1.0.1']) await pushImage(reg.url, 'team/app', tag);
});
afterAll(async () => {
  await app?.close();
  await reg?.stop();
});

/** What Docker Hub posts after a push (the fields Flux's dockerhub receiver decodes, and more). */
const dockerHubPush = (tag: string) =>
  JSON.stringify({
    callback_url: 'https://registry.hub.docker.com/u/team/app/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/',
    push_data: { pushed_at: 1_764_450_000, pusher: 'ci-bot', tag },
    repository: {
      name: 'app',
      namespace: 'team',
      repo_name: 'team/app',
      repo_url: 'https://hub.docker.com/r/team/app',
    },
  });

describe('example: a registry webhook triggers a scan', () => {
  it('scans at start, then picks up a newly pushed tag when the webhook arrives', async () => {
    const image = `${reg.host}/team/app`;
    app = await startWebhookScan({ repositories: { 'flux-system/app': image }, token: TOKEN });
    // The path Flux would serve this Receiver at: /hook/ + sha256(token + name + namespace).
    const digest = createHash('sha256').update(`${TOKEN}registry-pushflux-system`).digest('hex');
    expect(new URL(app.hookUrl).pathname).toBe(`/hook/${digest}`);
    expect(app.scans).toHaveLength(1);
    expect(app.scans[0]).toMatchObject({ trigger: 'start', tags: ['1.0.1', '1.0.0'], changed: true });

    await pushImage(reg.url, 'team/app', '1.1.0');
    expect(app.scans).toHaveLength(1); // nothing polls: only the webhook triggers a scan

    // A body that is not a Docker Hub push is rejected (400) and scans nothing.
    const bad = await fetch(app.hookUrl, { method: 'POST', body: '{"push_data":{"tag":110}}' });
    expect(bad.status).toBe(400);
    // A wrong path is 404.
    const lost = await fetch(new URL('/hook/0000', app.hookUrl), {
      method: 'POST',
      body: dockerHubPush('1.1.0'),
    });
    expect(lost.status).toBe(404);
    expect(app.scans).toHaveLength(1);

    const res = await fetch(app.hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: dockerHubPush('1.1.0'),
    });
    expect(res.status).toBe(200);
    expect(app.scans).toHaveLength(2);
    expect(app.scans[1]).toMatchObject({
      repository: 'flux-system/app',
      trigger: { webhook: 'dockerhub', pushedTag: '1.1.0' },
      tags: ['1.1.0', '1.0.1', '1.0.0'],
      newTags: ['1.1.0'],
      changed: true,
    });

    // The same webhook again: the scan runs, finds nothing new, and the revision is unchanged.
    expect((await fetch(app.hookUrl, { method: 'POST', body: dockerHubPush('1.1.0') })).status).toBe(200);
    expect(app.scans[2]).toMatchObject({ newTags: [], changed: false });
  });

  it('answers the webhook with 500 when the rescan fails (the registry went away)', async () => {
    const other = await startRegistry();
    await pushImage(other.url, 'team/db', '5.0.0');
    const db = await startWebhookScan({
      repositories: { 'flux-system/db': `${other.host}/team/db` },
      token: TOKEN,
      receiver: { name: 'db', namespace: 'flux-system' },
    });
    try {
      expect(db.scans.map((s) => s.tags)).toEqual([['5.0.0']]);
      await other.stop();
      const res = await fetch(db.hookUrl, { method: 'POST', body: dockerHubPush('5.0.1') });
      expect(res.status).toBe(500);
      expect(db.scans).toHaveLength(1);
    } finally {
      await db.close();
      await other.stop();
    }
  });
});
