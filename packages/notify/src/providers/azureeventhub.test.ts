import { createHmac } from 'node:crypto';
import { TidewatchError } from '@tidewatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { startFakeEventHubs } from '../../test/fake-eventhubs.js';
import type { FakeEventHubs } from '../../test/fake-eventhubs.js';
import { successEvent } from '../../test/forge-harness.js';
import { encodeEvent } from '../event.js';
import { createNotifier } from '../notifier.js';
import { azureeventhub, eventHubNamespace, sendToEventHub } from './azureeventhub.js';
import type { EventHubProducer, EventHubsLibrary } from './azureeventhub.js';

const sas = (key: string) =>
  `Endpoint=sb://localhost:9/;SharedAccessKeyName=send;SharedAccessKey=${key};EntityPath=flux`;

describeNotifierContract({
  definition: azureeventhub,
  spec: ({ token }) => ({ type: 'azureeventhub', address: sas(token) }),
  invalid: [
    { type: 'azureeventhub' },
    { type: 'azureeventhub', address: sas('k'), secret: { token: 'jwt' } },
    { type: 'azureeventhub', address: 'hub', channel: 'ns' },
    { type: 'azureeventhub', address: 'hub', secret: { token: 'jwt' } },
  ],
  // Not HTTP: delivery is tested below against a local AMQP namespace.
  http: false,
});

/** Records what the provider does with the Event Hubs client. */
function fakeLibrary() {
  const calls: {
    ctor: unknown[];
    bodies: unknown[];
    sent: number;
    closed: number;
    token?: string | undefined;
  } = {
    ctor: [],
    bodies: [],
    sent: 0,
    closed: 0,
  };
  class Producer implements EventHubProducer {
    constructor(...args: unknown[]) {
      calls.ctor = args;
    }
    createBatch() {
      return Promise.resolve({
        tryAdd: (e: { body: unknown }) => {
          calls.bodies.push(e.body);
          return true;
        },
      });
    }
    async sendBatch() {
      const cred = calls.ctor[2] as { getToken(): Promise<{ token: string } | null> } | undefined;
      if (cred) calls.token = (await cred.getToken())?.token;
      calls.sent++;
    }
    close() {
      calls.closed++;
      return Promise.resolve();
    }
  }
  return { lib: { EventHubProducerClient: Producer } as unknown as EventHubsLibrary, calls };
}

describe('azureeventhub (spec §5 azureeventhub)', () => {
  it('sends the Go-encoded event as the body of one event and closes the producer (SAS)', async () => {
    const { lib, calls } = fakeLibrary();
    const target = azureeventhub.parseOptions({ type: 'azureeventhub', address: sas('abc') }).eventHub!;
    const body = Buffer.from(encodeEvent(successEvent));
    await sendToEventHub(lib, target, body);
    expect(calls.ctor).toEqual([sas('abc')]);
    expect(calls.bodies).toEqual([body]);
    expect(calls.sent).toBe(1);
    expect(calls.closed).toBe(1);
  });

  it('uses hub = address, namespace = channel + .servicebus.windows.net and the static JWT', async () => {
    const { lib, calls } = fakeLibrary();
    const target = azureeventhub.parseOptions({
      type: 'azureeventhub',
      address: 'flux-hub',
      channel: 'my-ns',
      secret: { token: 'eyJ.jwt' },
    }).eventHub!;
    await sendToEventHub(lib, target, Buffer.from('{}'));
    expect(calls.ctor.slice(0, 2)).toEqual(['my-ns.servicebus.windows.net', 'flux-hub']);
    expect(calls.token).toBe('eyJ.jwt');
  });

  it('keeps fully-qualified namespaces', () => {
    expect(eventHubNamespace('ns.servicebus.chinacloudapi.cn')).toBe('ns.servicebus.chinacloudapi.cn');
    expect(eventHubNamespace('ns')).toBe('ns.servicebus.windows.net');
  });

  it('rejects SAS + token and an empty address with Flux texts', () => {
    expect(() =>
      azureeventhub.parseOptions({ type: 'azureeventhub', address: sas('k'), secret: { token: 't' } }),
    ).toThrow('jwt token and SAS authentication cannot be set at the same time');
    expect(() => azureeventhub.parseOptions({ type: 'azureeventhub' })).toThrow(
      'endpoint URL cannot be empty',
    );
  });

  it('an unreachable namespace fails within the provider timeout, with no key in the error', async () => {
    const err = await createNotifier({
      type: 'azureeventhub',
      address: sas('sup3r-s3cret-key'),
      timeout: '1s',
    })
      .send(successEvent)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TidewatchError);
    expect((err as TidewatchError).code).toBe('NOTIFY_DELIVERY');
    let e: unknown = err;
    while (e instanceof Error) {
      expect(e.message).not.toContain('sup3r-s3cret-key');
      e = e.cause;
    }
  });
});

describe('azureeventhub over AMQP against a local Event Hubs stand-in (rhea)', () => {
  let hubs: FakeEventHubs;
  beforeAll(async () => {
    hubs = await startFakeEventHubs();
  });
  afterAll(() => hubs.close());

  const connectionString = (key: string) =>
    `Endpoint=sb://localhost:${hubs.port};SharedAccessKeyName=send;SharedAccessKey=${key};EntityPath=flux-events;UseDevelopmentEmulator=true`;

  it('authorises with a SAS token signed by the key and sends the event bytes to the hub', async () => {
    hubs.cbs.length = 0;
    hubs.events.length = 0;
    hubs.tokenStatus = 200;
    await expect(
      createNotifier({ type: 'azureeventhub', address: connectionString('k3y-value') }).send(successEvent),
    ).resolves.toEqual({ skipped: false });
    expect(hubs.events).toEqual([{ hub: 'flux-events', body: Buffer.from(encodeEvent(successEvent)) }]);
    expect(hubs.cbs).toHaveLength(1);
    const { type, name, token } = hubs.cbs[0]!;
    expect(type).toBe('servicebus.windows.net:sastoken');
    expect(name).toBe(`sb://localhost:${hubs.port}/flux-events`);
    // SharedAccessSignature sr=<url-encoded resource>&sig=<base64 HMAC-SHA256(key, sr + "\n" + se)>&se=<expiry>&skn=send
    const params = new URLSearchParams(token.replace(/^SharedAccessSignature /, ''));
    const sr = params.get('sr')!;
    const se = params.get('se')!;
    expect(params.get('skn')).toBe('send');
    const expected = createHmac('sha256', 'k3y-value')
      .update(`${encodeURIComponent(sr)}\n${se}`)
      .digest('base64');
    expect(params.get('sig')).toBe(expected);
  });

  it('a refused token is a typed delivery error without the key', async () => {
    hubs.tokenStatus = 401;
    const err = await createNotifier({
      type: 'azureeventhub',
      address: connectionString('n0t-the-k3y'),
      timeout: '2s',
    })
      .send(successEvent)
      .catch((e: unknown) => e);
    hubs.tokenStatus = 200;
    expect(err).toBeInstanceOf(TidewatchError);
    expect((err as TidewatchError).code).toBe('NOTIFY_DELIVERY');
    let e: unknown = err;
    while (e instanceof Error) {
      expect(e.message).not.toContain('n0t-the-k3y');
      e = e.cause;
    }
  });
});
