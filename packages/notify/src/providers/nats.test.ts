import { TidewatchError } from '@tidewatch/core';
import { startNatsServer } from '@tidewatch/testkit';
import type { NatsServer } from '@tidewatch/testkit';
import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
} from '@nats-io/jwt';
import { connect, credsAuthenticator, nkeys, usernamePasswordAuthenticator } from 'nats';
import type { Authenticator, NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { successEvent } from '../../test/forge-harness.js';
import { encodeEvent } from '../event.js';
import { createNotifier } from '../notifier.js';
import type { ProviderSpec } from '../types.js';
import { nats } from './nats.js';

describeNotifierContract({
  definition: nats,
  spec: ({ token }) => ({ type: 'nats', address: 'nats://127.0.0.1:9', channel: 'flux', secret: { token } }),
  invalid: [
    { type: 'nats', channel: 'flux' },
    { type: 'nats', address: 'nats://127.0.0.1:4222' },
  ],
  http: false,
});

/** Subscribes first, then sends through the provider, and returns what the subscriber received. */
async function roundTrip(
  server: NatsServer,
  spec: ProviderSpec,
  subscriber?: Authenticator,
): Promise<string> {
  const nc: NatsConnection = await connect({
    servers: server.url,
    ...(subscriber ? { authenticator: subscriber } : {}),
  });
  try {
    const sub = nc.subscribe(spec.channel!, { max: 1 });
    await nc.flush();
    await createNotifier(spec).send(successEvent);
    for await (const m of sub) return new TextDecoder().decode(m.data);
    throw new Error('no message');
  } finally {
    await nc.close();
  }
}

describe('nats against a real nats-server (spec §5 nats)', () => {
  describe('without auth', () => {
    let server: NatsServer;
    beforeAll(async () => {
      server = await startNatsServer({ config: 'debug: true\ntrace: true' });
    });
    afterAll(() => server.stop());

    it('publishes the Go-encoded event as client "NATS Provider Publisher"', async () => {
      const data = await roundTrip(server, { type: 'nats', address: server.url, channel: 'flux.events' });
      expect(data).toBe(encodeEvent(successEvent));
      expect(server.output()).toContain('"name":"NATS Provider Publisher"');
    });
  });

  describe('username + password', () => {
    let server: NatsServer;
    beforeAll(async () => {
      server = await startNatsServer({ config: 'authorization { user: flux, password: "p4ss-w0rd" }' });
    });
    afterAll(() => server.stop());

    it('authenticates with the Secret username and password', async () => {
      const data = await roundTrip(
        server,
        {
          type: 'nats',
          address: server.url,
          channel: 'a',
          secret: { username: 'flux', password: 'p4ss-w0rd' },
        },
        usernamePasswordAuthenticator('flux', 'p4ss-w0rd'),
      );
      expect(JSON.parse(data)).toMatchObject({ reason: 'ReconciliationSucceeded' });
    });

    it('a wrong password is a non-retryable typed error without the password', async () => {
      const err = await createNotifier({
        type: 'nats',
        address: server.url,
        channel: 'a',
        secret: { username: 'flux', password: 'wrong-pass-123' },
      })
        .send(successEvent)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TidewatchError);
      expect((err as TidewatchError).code).toBe('NOTIFY_DELIVERY');
      expect((err as TidewatchError).retryable).toBe(false);
      expect((err as Error).message).toContain(
        '[notify:nats] error publishing event to subject a: error connecting to server',
      );
      expect((err as Error).message).not.toContain('wrong-pass-123');
    });
  });

  describe('nkey', () => {
    let server: NatsServer;
    const user = nkeys.createUser();
    beforeAll(async () => {
      server = await startNatsServer({
        config: `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }`,
      });
    });
    afterAll(() => server.stop());

    it('signs the server nonce with the Secret nkey seed (preferred over username/password)', async () => {
      const seed = new TextDecoder().decode(user.getSeed());
      const nc = await connect({
        servers: server.url,
        authenticator: (await import('nats')).nkeyAuthenticator(user.getSeed()),
      });
      const sub = nc.subscribe('n', { max: 1 });
      await nc.flush();
      await createNotifier({
        type: 'nats',
        address: server.url,
        channel: 'n',
        secret: { nkey: seed, username: 'ignored', password: 'ignored' },
      }).send(successEvent);
      for await (const m of sub) expect(new TextDecoder().decode(m.data)).toBe(encodeEvent(successEvent));
      await nc.close();
    });
  });

  describe('creds (operator mode)', () => {
    let server: NatsServer;
    let creds: string;
    beforeAll(async () => {
      const operator = createOperator();
      const account = createAccount();
      const user = createUser();
      const operatorJwt = await encodeOperator('O', operator);
      // Account limits default to zero connections; lift them.
      const limits = {
        conn: -1,
        subs: -1,
        data: -1,
        payload: -1,
        leaf: -1,
        imports: -1,
        exports: -1,
        wildcards: true,
        disallow_bearer: false,
      };
      const accountJwt = await encodeAccount('A', account, { limits }, { signer: operator });
      const userJwt = await encodeUser('U', user, account);
      creds = new TextDecoder().decode(fmtCreds(userJwt, user));
      server = await startNatsServer({
        config: `operator: ${operatorJwt}\nresolver: MEMORY\nresolver_preload: { ${account.getPublicKey()}: ${accountJwt} }`,
      });
    });
    afterAll(() => server.stop());

    it('connects with the Secret creds file (preferred over nkey)', async () => {
      const data = await roundTrip(
        server,
        { type: 'nats', address: server.url, channel: 'c', secret: { creds, nkey: 'SUAIGNORED' } },
        credsAuthenticator(new TextEncoder().encode(creds)),
      );
      expect(data).toBe(encodeEvent(successEvent));
    });
  });

  it('a server that is down is a retryable delivery error', async () => {
    const server = await startNatsServer();
    const url = server.url;
    await server.stop();
    const err = await createNotifier({ type: 'nats', address: url, channel: 'x' })
      .send(successEvent)
      .catch((e: unknown) => e);
    expect((err as TidewatchError).code).toBe('NOTIFY_DELIVERY');
    expect((err as TidewatchError).retryable).toBe(true);
  });
});
