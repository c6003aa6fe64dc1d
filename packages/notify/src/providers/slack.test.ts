import { describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { errorEvent, infoEvent, useRecorder } from '../../test/fixtures.js';
import { createNotifier } from '../notifier.js';
import { discord } from './discord.js';
import { rocket } from './rocket.js';
import { slack } from './slack.js';

describeNotifierContract({
  definition: slack,
  spec: ({ url, token }) => ({ type: 'slack', address: `${url}/services/T/B/X`, secret: { token } }),
  invalid: [{ type: 'slack' }, { type: 'slack', address: 'hooks.slack.com/x' }],
});
describeNotifierContract({
  definition: discord,
  spec: ({ url }) => ({ type: 'discord', address: `${url}/api/webhooks/1/abc` }),
  invalid: [{ type: 'discord', address: '::' }],
});
describeNotifierContract({
  definition: rocket,
  spec: ({ url }) => ({ type: 'rocket', address: `${url}/hooks/abc` }),
  invalid: [{ type: 'rocket' }],
});

const META_FIELDS =
  '[{"title":"revision","value":"main@sha1:0123456789abcdef0123456789abcdef01234567","short":false},{"title":"summary","value":"Cluster: prod","short":false}]';

describe('slack-shaped requests', () => {
  const rec = useRecorder();

  it('slack: channel, username defaulted to the controller, good colour, fallback = first line', async () => {
    await createNotifier({
      type: 'slack',
      address: `${rec.server().url}/services/T/B/X`,
      channel: 'general',
      secret: { token: 'xoxb-123456' },
    }).send(infoEvent);
    const [req] = rec.requests();
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/services/T/B/X');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers.authorization).toBe('Bearer xoxb-123456');
    expect(req!.text()).toBe(
      '{"channel":"general","username":"source-controller","icon_url":"","icon_emoji":"","attachments":[{' +
        '"fallback":"gitrepository/webapp.flux-system: stored artifact for commit \\"Merge pull request #1\\"",' +
        '"color":"good","author_name":"gitrepository/webapp.flux-system",' +
        '"text":"stored artifact for commit \\"Merge pull request #1\\"","mrkdwn_in":["text"],' +
        `"fields":${META_FIELDS}}]}`,
    );
  });

  it('slack: error is danger, no metadata gives fields [], no token gives no Authorization', async () => {
    await createNotifier({ type: 'slack', address: rec.server().url, username: 'flux' }).send(errorEvent);
    const [req] = rec.requests();
    expect(req!.headers.authorization).toBeUndefined();
    const body = req!.json() as { channel: string; username: string; attachments: Record<string, unknown>[] };
    expect(body.channel).toBe('');
    expect(body.username).toBe('flux');
    expect(body.attachments[0]).toMatchObject({
      fallback: 'kustomization/podinfo.apps: Health check failed',
      color: 'danger',
      fields: [],
    });
  });

  it("slack: chat.postMessage ok:false is an error naming Slack's error", async () => {
    const fetch = () => Promise.resolve(new Response('{"ok":false,"error":"channel_not_found"}'));
    const n = createNotifier(
      { type: 'slack', address: 'https://slack.com/api/chat.postMessage', secret: { token: 'xoxb-abcdef' } },
      { fetch },
    );
    await expect(n.send(infoEvent)).rejects.toThrow('Slack responded with error: channel_not_found');
    const ok = createNotifier(
      { type: 'slack', address: 'https://slack.com/api/chat.postMessage' },
      { fetch: () => Promise.resolve(new Response('{"ok":true}')) },
    );
    await expect(ok.send(infoEvent)).resolves.toEqual({ skipped: false });
  });

  it('a webhook address from the Secret never appears in errors or their causes', async () => {
    const fetch = () => Promise.resolve(new Response('nope', { status: 500 }));
    const address = 'https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX';
    const err = await createNotifier(
      { type: 'slack', secret: { address } },
      { fetch, retry: { retries: 1, baseMs: 1, maxMs: 1 } },
    )
      .send(infoEvent)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(Error);
    let e: unknown = err;
    while (e instanceof Error) {
      expect(e.message).not.toContain('XXXXSECRETXXXX');
      e = e.cause;
    }
    expect(JSON.stringify(err)).not.toContain('XXXXSECRETXXXX');
  });

  it('discord: /slack appended (query kept), channel ignored, fallback empty', async () => {
    await createNotifier({
      type: 'discord',
      address: `${rec.server().url}/api/webhooks/1/abc/?wait=true`,
      channel: 'ignored',
    }).send(errorEvent);
    const [req] = rec.requests();
    expect(req!.url).toBe('/api/webhooks/1/abc/slack?wait=true');
    expect(req!.text()).toBe(
      '{"channel":"","username":"kustomize-controller","icon_url":"","icon_emoji":"","attachments":[{' +
        '"fallback":"","color":"danger","author_name":"kustomization/podinfo.apps",' +
        '"text":"Health check failed\\nsecond line","mrkdwn_in":["text"],"fields":[]}]}',
    );
  });

  it('discord: an address ending in /slack is kept', async () => {
    await createNotifier({ type: 'discord', address: `${rec.server().url}/api/webhooks/1/abc/slack` }).send(
      errorEvent,
    );
    expect(rec.requests()[0]!.url).toBe('/api/webhooks/1/abc/slack');
  });

  it('rocket: channel kept, username not defaulted, Rocket colours', async () => {
    await createNotifier({ type: 'rocket', address: `${rec.server().url}/hooks/x`, channel: 'ops' }).send(
      infoEvent,
    );
    const body = rec.requests()[0]!.json() as { channel: string; username: string; attachments: unknown[] };
    expect(body.channel).toBe('ops');
    expect(body.username).toBe('');
    expect(body.attachments[0]).toMatchObject({ fallback: '', color: '#0076D7' });
    await createNotifier({ type: 'rocket', address: `${rec.server().url}/hooks/x` }).send(errorEvent);
    expect((rec.requests()[1]!.json() as { attachments: { color: string }[] }).attachments[0]!.color).toBe(
      '#FF0000',
    );
  });
});
