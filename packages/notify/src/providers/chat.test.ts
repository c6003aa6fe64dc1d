import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { errorEvent, infoEvent, useRecorder } from '../../test/fixtures.js';
import { createNotifier } from '../notifier.js';
import type { FluxEvent } from '../types.js';
import { googlechat } from './googlechat.js';
import { lark } from './lark.js';
import { matrix } from './matrix.js';
import { msteams } from './msteams.js';
import { telegram } from './telegram.js';
import { webex } from './webex.js';
import { zoom } from './zoom.js';
import { zulip } from './zulip.js';

describeNotifierContract({
  definition: msteams,
  spec: ({ url }) => ({ type: 'msteams', address: `${url}/workflows/x` }),
});
describeNotifierContract({
  definition: googlechat,
  spec: ({ url }) => ({ type: 'googlechat', address: `${url}/v1/spaces/x` }),
});
describeNotifierContract({
  definition: webex,
  spec: ({ url, token }) => ({
    type: 'webex',
    address: `${url}/v1/messages`,
    channel: 'room',
    secret: { token },
  }),
});
describeNotifierContract({
  definition: telegram,
  spec: ({ token }) => ({ type: 'telegram', channel: '@flux', secret: { token } }),
  invalid: [
    { type: 'telegram', channel: 'c' },
    { type: 'telegram', secret: { token: 't' } },
  ],
});
describeNotifierContract({
  definition: lark,
  spec: ({ url }) => ({ type: 'lark', address: `${url}/open-apis/bot/v2/hook/x` }),
});
describeNotifierContract({
  definition: matrix,
  spec: ({ url, token }) => ({
    type: 'matrix',
    address: url,
    channel: '!room:example.org',
    secret: { token },
  }),
});
describeNotifierContract({
  definition: zoom,
  spec: ({ url, token }) => ({ type: 'zoom', address: `${url}/inbound/x`, secret: { token } }),
  invalid: [{ type: 'zoom', address: 'https://zoom.example.com/x' }],
});
describeNotifierContract({
  definition: zulip,
  spec: ({ url, password }) => ({
    type: 'zulip',
    address: url,
    channel: 'flux/alerts',
    secret: { username: 'bot@example.com', password },
  }),
  invalid: [
    { type: 'zulip', address: 'https://z.example.com', channel: 'no-topic' },
    { type: 'zulip', address: 'https://z.example.com', channel: '/topic' },
  ],
});

/** Loosely typed parsed JSON, for drilling into payloads. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test-only drilling into JSON
type Json = any;

const REV = 'main@sha1:0123456789abcdef0123456789abcdef01234567';
const MSG = 'stored artifact for commit \\"Merge pull request #1\\"';

describe('chat provider requests (§5)', () => {
  const rec = useRecorder();
  const send = (spec: Parameters<typeof createNotifier>[0], event: FluxEvent) =>
    createNotifier(spec, { fetch: rec.loopback }).send(event);

  it('msteams: Adaptive Card 1.4 for workflow URLs, summary fact first, attention colour for errors', async () => {
    await send(
      { type: 'msteams', address: 'https://prod.westeurope.logic.azure.com/workflows/1' },
      infoEvent,
    );
    expect(rec.requests()[0]!.text()).toBe(
      '{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{' +
        '"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4",' +
        '"body":[{"type":"Container","items":[' +
        '{"type":"TextBlock","text":"gitrepository/webapp.flux-system","size":"large","weight":"bolder","wrap":true},' +
        `{"type":"TextBlock","text":"${MSG}","wrap":true},` +
        `{"type":"FactSet","facts":[{"title":"summary","value":"Cluster: prod"},{"title":"revision","value":"${REV}"}]}]}],` +
        '"msteams":{"width":"Full"}}}]}',
    );
    await send(
      { type: 'msteams', address: 'https://prod.westeurope.logic.azure.com/workflows/1' },
      errorEvent,
    );
    const items = (rec.requests()[1]!.json() as Json).attachments[0].content.body[0].items;
    expect(items[1]).toEqual({
      type: 'TextBlock',
      text: 'Health check failed\nsecond line',
      color: 'attention',
      wrap: true,
    });
    expect(items[2]).toEqual({ type: 'FactSet' });
  });

  it('msteams: legacy MessageCard for *.webhook.office.com (port ignored)', async () => {
    await send({ type: 'msteams', address: 'https://contoso.webhook.office.com:443/webhookb2/x' }, infoEvent);
    expect(rec.requests()[0]!.text()).toBe(
      '{"@type":"MessageCard","@context":"http://schema.org/extensions","themeColor":"0076D7",' +
        '"summary":"gitrepository/webapp.flux-system","sections":[{' +
        `"activityTitle":"${MSG}","activitySubtitle":"gitrepository/webapp.flux-system",` +
        `"facts":[{"name":"revision","value":"${REV}"},{"name":"summary","value":"Cluster: prod"}]}]}`,
    );
    await send({ type: 'msteams', address: 'https://contoso.webhook.office.com/webhookb2/x' }, errorEvent);
    expect(rec.requests()[1]!.json()).toMatchObject({ themeColor: 'FF0000', sections: [{ facts: [] }] });
  });

  it('googlechat: explicit nulls, red font for errors (HTML-escaped as Go does), no metadata section', async () => {
    await send({ type: 'googlechat', address: 'https://chat.googleapis.com/v1/spaces/x' }, errorEvent);
    expect(rec.requests()[0]!.text()).toBe(
      '{"cards":[{"header":{"title":"kustomization/podinfo.apps","subtitle":"kustomize-controller","imageUrl":null,"imageStyle":null},' +
        '"sections":[{"header":"","widgets":[{"textParagraph":{"text":"\\u003cfont color=\\"#ff0000\\"\\u003eHealth check failed\\nsecond line\\u003c/font\\u003e"},"keyValue":null}]}]}]}',
    );
    await send({ type: 'googlechat', address: 'https://chat.googleapis.com/v1/spaces/x' }, infoEvent);
    expect((rec.requests()[1]!.json() as Json).cards[0].sections[1]).toEqual({
      header: '',
      widgets: [
        {
          textParagraph: null,
          keyValue: {
            topLabel: 'revision',
            content: REV,
            contentMultiline: false,
            bottomLabel: null,
            icon: null,
          },
        },
        {
          textParagraph: null,
          keyValue: {
            topLabel: 'summary',
            content: 'Cluster: prod',
            contentMultiline: false,
            bottomLabel: null,
            icon: null,
          },
        },
      ],
    });
  });

  it('webex: roomId + markdown, Bearer always sent, roomId omitted when empty', async () => {
    await send(
      {
        type: 'webex',
        address: 'https://webexapis.com/v1/messages',
        channel: 'room1',
        secret: { token: 'wtok1234' },
      },
      infoEvent,
    );
    const [req] = rec.requests();
    expect(req!.headers.authorization).toBe('Bearer wtok1234');
    expect(req!.text()).toBe(
      `{"roomId":"room1","markdown":"✅ **gitrepository/webapp.flux-system**\\n${MSG}\\n\\u003e**revision**: ${REV}\\n\\u003e**summary**: Cluster: prod\\n"}`,
    );
    await send({ type: 'webex', address: 'https://webexapis.com/v1/messages' }, errorEvent);
    expect(rec.requests()[1]!.headers.authorization).toBe('Bearer');
    expect(rec.requests()[1]!.text()).toBe(
      '{"markdown":"💣 **kustomization/podinfo.apps**\\nHealth check failed\\nsecond line\\n"}',
    );
  });

  it('telegram: fixed URL with the token, chat:thread split, MarkdownV2 escaping of every special', async () => {
    const event: FluxEvent = {
      ...errorEvent,
      involvedObject: { kind: 'Kustomization', namespace: 'apps', name: 'my-app' },
      message: 'a_b *c* [d](e) ~f~ `g` #h +i -j =k |l {m} .n !o >p \\q /r <s &t',
      metadata: { 'x.y': '1-2' },
    };
    await send(
      {
        type: 'telegram',
        address: 'https://ignored.example.com',
        channel: '-100123:42',
        secret: { token: '123:ABC' },
      },
      event,
    );
    expect(rec.urls()[0]).toBe('https://api.telegram.org/bot123:ABC/sendMessage');
    const body = rec.requests()[0]!.json() as Record<string, string>;
    expect(Object.keys(body)).toEqual(['chat_id', 'message_thread_id', 'text', 'parse_mode']);
    expect(body.chat_id).toBe('-100123');
    expect(body.message_thread_id).toBe('42');
    expect(body.parse_mode).toBe('MarkdownV2');
    expect(body.text).toBe(
      '*🚨 kustomization/my\\-app/apps*\n' +
        'a\\_b \\*c\\* \\[d\\]\\(e\\) \\~f\\~ \\`g\\` \\#h \\+i \\-j \\=k \\|l \\{m\\} \\.n \\!o \\>p \\\\q /r <s &t\n' +
        '\\- *x\\.y*: 1\\-2\n',
    );
    await send({ type: 'telegram', channel: '@chan', secret: { token: '123:ABC' } }, infoEvent);
    expect(Object.keys(rec.requests()[1]!.json() as object)).toEqual(['chat_id', 'text', 'parse_mode']);
  });

  it('lark: interactive card with emoji title and template colour', async () => {
    await send({ type: 'lark', address: 'https://open.feishu.cn/open-apis/bot/v2/hook/x' }, infoEvent);
    expect(rec.requests()[0]!.text()).toBe(
      '{"msg_type":"interactive","card":{"config":{"wide_screen_mode":true},' +
        '"header":{"title":{"tag":"plain_text","content":"💫 gitrepository/webapp.flux-system"},"template":"turquoise"},' +
        `"elements":[{"tag":"div","text":{"tag":"lark_md","content":"**${MSG}**\\n\\nrevision: ${REV}\\nsummary: Cluster: prod\\n"}}]}}`,
    );
    await send({ type: 'lark', address: 'https://open.feishu.cn/x' }, errorEvent);
    expect((rec.requests()[1]!.json() as Json).card.header).toEqual({
      title: { tag: 'plain_text', content: '🚨 kustomization/podinfo.apps' },
      template: 'red',
    });
  });

  it('matrix: PUT with txn id = SHA-1 of the event JSON, raw room id, Bearer token', async () => {
    const vector: FluxEvent = {
      involvedObject: { kind: 'GitRepository', namespace: 'gitops-system', name: 'webapp' },
      severity: 'info',
      timestamp: '2022-09-30T06:40:29Z',
      message: 'message',
      reason: 'reason',
      metadata: { test: 'metadata' },
      reportingController: 'source-controller',
      reportingInstance: 'source-controller-xyz',
    };
    const vectorBody =
      '{"involvedObject":{"kind":"GitRepository","namespace":"gitops-system","name":"webapp"},"severity":"info","timestamp":"2022-09-30T06:40:29Z","message":"message","reason":"reason","metadata":{"test":"metadata"},"reportingController":"source-controller","reportingInstance":"source-controller-xyz"}';
    const txn = createHash('sha1').update(vectorBody).digest('hex');
    await send(
      {
        type: 'matrix',
        address: 'https://matrix.example.org',
        channel: '!abc:example.org',
        secret: { token: 'mtok1234' },
      },
      vector,
    );
    const [req] = rec.requests();
    expect(req!.method).toBe('PUT');
    expect(req!.url).toBe(`/_matrix/client/r0/rooms/!abc:example.org/send/m.room.message/${txn}`);
    expect(req!.headers.authorization).toBe('Bearer mtok1234');
    expect(req!.text()).toBe(
      '{"body":"💫 gitrepository/webapp.gitops-system\\nmessage\\n- test: metadata\\n","msgtype":"m.text"}',
    );
  });

  it('zoom: format=full added (query re-encoded, sorted), raw token, fields only with metadata', async () => {
    await send(
      {
        type: 'zoom',
        address: 'https://integrations.zoom.us/chat/webhooks/incomingwebhook/x?b=2&a=1',
        secret: { token: 'ztok1234' },
      },
      errorEvent,
    );
    expect(rec.urls()[0]).toBe(
      'https://integrations.zoom.us/chat/webhooks/incomingwebhook/x?a=1&b=2&format=full',
    );
    expect(rec.requests()[0]!.headers.authorization).toBe('ztok1234');
    expect(rec.requests()[0]!.text()).toBe(
      '{"content":{"head":{"text":"kustomization/podinfo.apps","sub_head":{"text":"error"}},' +
        '"body":[{"type":"message","text":"Health check failed\\nsecond line"}]}}',
    );
    await send(
      {
        type: 'zoom',
        address: 'https://z.example.com/x?format=message&b=2&a=1',
        secret: { token: 'ztok1234' },
      },
      infoEvent,
    );
    expect(rec.urls()[1]).toBe('https://z.example.com/x?format=message&b=2&a=1');
    expect((rec.requests()[1]!.json() as Json).content.body[1]).toEqual({
      type: 'fields',
      items: [
        { key: 'revision', value: REV },
        { key: 'summary', value: 'Cluster: prod' },
      ],
    });
  });

  it('zulip: path replaced, form body with sorted keys and Go escaping, Basic auth', async () => {
    await send(
      {
        type: 'zulip',
        address: 'https://chat.example.com/some/path?x=1',
        channel: 'flux/alerts and more',
        secret: { username: 'bot@example.com', password: 'zpass1234' },
      },
      infoEvent,
    );
    const [req] = rec.requests();
    expect(rec.urls()[0]).toBe('https://chat.example.com/api/v1/messages?x=1');
    expect(req!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req!.headers.authorization).toBe(
      `Basic ${Buffer.from('bot@example.com:zpass1234').toString('base64')}`,
    );
    const text = req!.text();
    expect(text.split('&').map((kv) => kv.split('=')[0])).toEqual(['content', 'to', 'topic', 'type']);
    expect(text).toContain('&to=flux&topic=alerts+and+more&type=stream');
    expect(text).toContain('%2A+%60revision%60%3A+main%40sha1%3A'); // Go escapes * (%2A), space as +
    expect(new URLSearchParams(text).get('content')).toBe(
      '## Flux Status\n\n\u2139\ufe0f GitRepository/flux-system/webapp\n\n' +
        'stored artifact for commit "Merge pull request #1"\n\nMetadata:\n' +
        `* \`revision\`: ${REV}\n* \`summary\`: Cluster: prod\n`,
    );
  });
});
