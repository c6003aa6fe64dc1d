/**
 * `nats`: publishes the event JSON to a NATS subject with the `nats` client (an optional peer
 * dependency, loaded on first use). Like Flux, every post connects, publishes, flushes and closes.
 *
 * Auth, in Flux's order: Secret `creds` (JWT + NKey creds file) > Secret `nkey` (seed; signs the
 * server nonce) > username + password > none.
 *
 * @packageDocumentation
 */
import { NotifyError } from '../errors.js';
import { encodeEvent } from '../event.js';
import { loadOptional, raceAbort } from '../forge/optional.js';
import { defineNotifier } from '../provider.js';

/** Which credential the provider presents. */
export type NatsAuth =
  | { readonly kind: 'creds'; readonly creds: string }
  | { readonly kind: 'nkey'; readonly seed: string }
  | { readonly kind: 'user'; readonly username: string; readonly password: string }
  | { readonly kind: 'none' };

/** Go nats' default connect timeout. */
const CONNECT_TIMEOUT_MS = 2000;

/** The `nats` provider. */
export const nats = defineNotifier({
  id: 'nats',
  capabilities: { transport: 'nats', gate: 'default', proxy: false, tls: false, headers: false },
  secretFields: ['creds', 'nkey'],
  parse: (config, problems) => {
    if (config.address === '')
      problems.push({ path: 'address', message: 'NATS server (address) cannot be empty' });
    if (config.channel === '')
      problems.push({ path: 'channel', message: 'NATS subject (channel) cannot be empty' });
    const creds = config.secret.creds ?? '';
    const seed = config.secret.nkey ?? '';
    const password = config.password ?? '';
    const auth: NatsAuth =
      creds !== ''
        ? { kind: 'creds', creds }
        : seed !== ''
          ? { kind: 'nkey', seed }
          : config.username !== '' && password !== ''
            ? { kind: 'user', username: config.username, password }
            : { kind: 'none' };
    // Go's client accepts a comma-separated server list.
    const servers = config.address
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return { nats: { servers, auth } };
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      const lib = await loadOptional(() => import('nats'), 'nats', ctx.scope);
      const subject = options.channel;
      const fail = (what: string, err: unknown, retryable: boolean): NotifyError =>
        new NotifyError(
          'NOTIFY_DELIVERY',
          ctx.secrets.redact(
            `[${ctx.scope}] error publishing event to subject ${subject}: ${what}: ${err instanceof Error ? err.message : String(err)}`,
          ),
          { cause: err, retryable },
        );
      const { auth } = options.nats;
      const enc = new TextEncoder();
      const authenticator =
        auth.kind === 'creds'
          ? lib.credsAuthenticator(enc.encode(auth.creds))
          : auth.kind === 'nkey'
            ? lib.nkeyAuthenticator(enc.encode(auth.seed.trim()))
            : auth.kind === 'user'
              ? lib.usernamePasswordAuthenticator(auth.username, auth.password)
              : undefined;
      let nc: Awaited<ReturnType<typeof lib.connect>>;
      try {
        nc = await raceAbort(
          lib.connect({
            servers: options.nats.servers,
            name: 'NATS Provider Publisher',
            timeout: CONNECT_TIMEOUT_MS,
            reconnect: false,
            ...(authenticator ? { authenticator } : {}),
          }),
          signal,
        );
      } catch (err) {
        if (signal?.aborted) throw err;
        const code = (err as { code?: unknown }).code;
        const authFailure = typeof code === 'string' && /AUTH/i.test(code);
        throw fail('error connecting to server', err, !authFailure);
      }
      try {
        nc.publish(subject, enc.encode(encodeEvent(event)));
        await raceAbort(nc.flush(), signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        throw fail('error publishing message to server', err, true);
      } finally {
        await nc.close().catch(() => undefined);
      }
      ctx.logger.debug('event published to NATS subject', { subject });
      return { skipped: false };
    },
  }),
});
