import { startHttpServer, type TestHttpServer } from '@tidewatch/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { notifyNewImage } from './main.js';

let server: TestHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('example: a third-party notification provider', () => {
  it('is routed by an Alert and sends its own request shape', async () => {
    server = await startHttpServer((_req, res) => {
      res.writeHead(200).end('{}');
    });
    const result = await notifyNewImage(`${server.url}/tidewatch`, 'tk_example_secret');
    expect(result.duplicate).toBe(false);
    expect(result.deliveries).toHaveLength(1);
    expect(result.deliveries[0]).toMatchObject({
      alert: 'flux-system/new-versions',
      type: 'ntfy',
      status: 'sent',
    });
    const [req] = server.requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/tidewatch');
    expect(req!.headers['title']).toBe('ImagePolicy/flux-system/podinfo: Succeeded');
    expect(req!.headers['priority']).toBe('default');
    expect(req!.headers['authorization']).toBe('Bearer tk_example_secret');
    expect(req!.text()).toContain('resolved to 6.5.0');
  });

  it('fails on its own, with the token kept out of the error', async () => {
    server = await startHttpServer((_req, res) => {
      res.writeHead(403).end('denied tk_example_secret');
    });
    const result = await notifyNewImage(`${server.url}/t`, 'tk_example_secret');
    const delivery = result.deliveries[0]!;
    expect(delivery.status).toBe('failed');
    expect(delivery.error?.code).toBe('NOTIFY_DELIVERY');
    expect(String(delivery.error)).not.toContain('tk_example_secret');
  });
});
