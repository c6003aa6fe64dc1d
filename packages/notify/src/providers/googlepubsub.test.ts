import { createVerify, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { startFakeForge, successEvent } from '../../test/forge-harness.js';
import type { FakeForge } from '../../test/forge-harness.js';
import { encodeEvent } from '../event.js';
import { createNotifier } from '../notifier.js';
import { googlepubsub } from './googlepubsub.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const serviceAccount = (keyId = 'kid-1') =>
  JSON.stringify({
    type: 'service_account',
    project_id: 'my-project',
    private_key_id: keyId,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'flux@my-project.iam.gserviceaccount.com',
    client_id: '1',
  });

describeNotifierContract({
  definition: googlepubsub,
  spec: ({ token }) => ({
    type: 'googlepubsub',
    address: 'my-project',
    channel: 'flux-events',
    secret: { token: serviceAccount(token) },
  }),
  invalid: [
    { type: 'googlepubsub', channel: 't' },
    { type: 'googlepubsub', address: 'p' },
    { type: 'googlepubsub', address: 'p', channel: 't', secret: { token: 'not json' } },
  ],
});

describe('googlepubsub (spec §5 googlepubsub, REST equivalent)', () => {
  let forge: FakeForge;
  beforeAll(async () => {
    forge = await startFakeForge();
  });
  afterAll(() => forge.close());

  it('publishes base64(event JSON) with the Secret headers as attributes, authenticated by a self-signed JWT', async () => {
    forge.reset({ 'POST /': { json: { messageIds: ['1'] } } });
    const urls: string[] = [];
    const n = createNotifier(
      {
        type: 'googlepubsub',
        address: 'my-project',
        channel: 'flux-events',
        secret: { token: serviceAccount(), headers: 'team: platform\nenv: prod' },
      },
      {
        fetch: (input, init) => {
          urls.push(input instanceof Request ? input.url : input.toString());
          return forge.fetch(input, init);
        },
      },
    );
    await expect(n.send(successEvent)).resolves.toEqual({ skipped: false });
    expect(urls).toEqual(['https://pubsub.googleapis.com/v1/projects/my-project/topics/flux-events:publish']);
    const req = forge.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.json()).toEqual({
      messages: [
        {
          data: Buffer.from(encodeEvent(successEvent)).toString('base64'),
          attributes: { team: 'platform', env: 'prod' },
        },
      ],
    });
    const jwt = String(req.headers.authorization).replace(/^Bearer /, '');
    const [h, c, s] = jwt.split('.') as [string, string, string];
    const verify = createVerify('RSA-SHA256');
    verify.update(`${h}.${c}`);
    expect(verify.verify(publicKey, Buffer.from(s, 'base64url'))).toBe(true);
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toMatchObject({ alg: 'RS256', kid: 'kid-1' });
    expect(JSON.parse(Buffer.from(c, 'base64url').toString())).toMatchObject({
      iss: 'flux@my-project.iam.gserviceaccount.com',
      aud: 'https://pubsub.googleapis.com/',
    });
  });

  it('omits attributes when the Secret has no headers, and names the topic in errors', async () => {
    forge.reset({ 'POST /': { status: 404, json: { error: { message: 'Resource not found' } } } });
    const n = createNotifier(
      {
        type: 'googlepubsub',
        address: 'my-project',
        channel: 'missing',
        secret: { token: serviceAccount() },
      },
      { fetch: forge.fetch },
    );
    await expect(n.send(successEvent)).rejects.toThrow(
      /^\[notify:googlepubsub\] error publishing to GCP Pub\/Sub topic projects\/my-project\/topics\/missing: request failed with status code 404/,
    );
    expect(forge.requests[0]!.json()).toEqual({
      messages: [{ data: Buffer.from(encodeEvent(successEvent)).toString('base64') }],
    });
  });
});
