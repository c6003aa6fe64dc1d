import { startHttpServer } from '@tidewatch/testkit';
import type { TestHttpServer } from '@tidewatch/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { createNotifier } from '../notifier.js';
import type { FluxEvent } from '../types.js';
import { generic } from './generic.js';
import { genericHmac } from './generic-hmac.js';

describeNotifierContract({
  definition: generic,
  spec: ({ url, token }) => ({ type: 'generic', address: `${url}/hook`, secret: { token } }),
  invalid: [{ type: 'generic' }, { type: 'generic', address: 'not a url' }],
});

describeNotifierContract({
  definition: genericHmac,
  spec: ({ url, token }) => ({ type: 'generic-hmac', address: `${url}/hook`, secret: { token } }),
  invalid: [{ type: 'generic-hmac', address: 'http://127.0.0.1/x' }],
});

// The upstream test vector of notify.md §1.1.
const vectorEvent: FluxEvent = {
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

describe('generic / generic-hmac requests', () => {
  let server: TestHttpServer;
  beforeAll(async () => {
    server = await startHttpServer((_req, res) => {
      res.writeHead(200);
      res.end();
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });

  it('generic POSTs the Go-encoded event with Gotk-Component', async () => {
    await createNotifier({ type: 'generic', address: `${server.url}/hook?x=1` }).send(vectorEvent);
    const [req] = server.requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/hook?x=1');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['gotk-component']).toBe('source-controller');
    expect(req!.text()).toBe(vectorBody);
  });

  it('Secret headers (YAML) are added and may override the defaults', async () => {
    await createNotifier({
      type: 'generic',
      address: `${server.url}/hook`,
      secret: { headers: 'Authorization: Bearer abcdefgh\nGotk-Component: custom\nContent-Type: text/x\n' },
    }).send(vectorEvent);
    const [req] = server.requests;
    expect(req!.headers.authorization).toBe('Bearer abcdefgh');
    expect(req!.headers['gotk-component']).toBe('custom');
    expect(req!.headers['content-type']).toBe('text/x');
  });

  it('invalid headers YAML is a ConfigError', () => {
    expect(() =>
      createNotifier({ type: 'generic', address: server.url, secret: { headers: 'a: [unclosed' } }),
    ).toThrow(/secret\.headers/);
  });

  it('generic-hmac signs the exact body: upstream test vector', async () => {
    await createNotifier({
      type: 'generic-hmac',
      address: `${server.url}/hook`,
      secret: { token: '7152fed34dd6149a7c75a276c510da27cb6f82b0', headers: { 'X-Signature': 'forged' } },
    }).send(vectorEvent);
    const [req] = server.requests;
    expect(req!.text()).toBe(vectorBody);
    expect(req!.headers['x-signature']).toBe(
      'sha256=65b018549b1254e7226d1c08f9567ee45bc9de0fc4e7b1a40253f9a018b08be7',
    );
  });

  it('generic-hmac without a token is "HMAC key is empty"', () => {
    expect(() => createNotifier({ type: 'generic-hmac', address: server.url })).toThrow(/HMAC key is empty/);
  });
});
