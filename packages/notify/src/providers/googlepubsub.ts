/**
 * `googlepubsub`: publishes the event JSON as one Pub/Sub message, with the Secret `headers` as
 * message attributes. `address` is the GCP project id and `channel` the topic id.
 *
 * Flux publishes over gRPC with the Go client; tidewatch uses the equivalent REST call
 * (`POST https://pubsub.googleapis.com/v1/projects/<p>/topics/<t>:publish`) through the provider
 * transport. Credentials come from `google-auth-library` (an optional peer dependency, loaded on
 * first use): the Secret `token` as service-account JSON (a self-signed JWT, no token exchange),
 * else Google Application Default Credentials.
 *
 * @packageDocumentation
 */
import { isTidewatchError } from '@tidewatch/core';
import { NotifyError } from '../errors.js';
import { encodeEvent } from '../event.js';
import { loadOptional } from '../forge/optional.js';
import { defineNotifier } from '../provider.js';

/** The Pub/Sub REST endpoint. */
export const PUBSUB_ENDPOINT = 'https://pubsub.googleapis.com/';
const PUBSUB_SCOPE = 'https://www.googleapis.com/auth/pubsub';

/** The REST publish body: one message, data = base64(event JSON), attributes when non-empty. */
export function pubsubPublishBody(eventJson: string, attributes: Readonly<Record<string, string>>): string {
  const message: Record<string, unknown> = { data: Buffer.from(eventJson, 'utf8').toString('base64') };
  if (Object.keys(attributes).length > 0) message.attributes = attributes;
  return JSON.stringify({ messages: [message] });
}

/** The `googlepubsub` provider. */
export const googlepubsub = defineNotifier({
  id: 'googlepubsub',
  capabilities: { transport: 'grpc', gate: 'default', proxy: false, tls: false, headers: true },
  parse: (config, problems) => {
    if (config.address === '') problems.push({ path: 'address', message: 'GCP project ID cannot be empty' });
    if (config.channel === '')
      problems.push({ path: 'channel', message: 'GCP Pub/Sub topic ID cannot be empty' });
    let credentials: Record<string, unknown> | undefined;
    if (config.token !== undefined && config.token !== '') {
      try {
        const parsed = JSON.parse(config.token) as unknown;
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        credentials = parsed as Record<string, unknown>;
      } catch {
        problems.push({ path: 'secret.token', message: 'must be a Google service account key (JSON)' });
      }
    }
    return { pubsub: { ...(credentials ? { credentials } : {}) } };
  },
  create: (options, ctx) => {
    const topic = `projects/${options.address}/topics/${options.channel}`;
    const url = `${PUBSUB_ENDPOINT}v1/projects/${encodeURIComponent(options.address)}/topics/${encodeURIComponent(options.channel)}:publish`;
    const { credentials } = options.pubsub;
    if (credentials && typeof credentials.private_key === 'string') ctx.secrets.add(credentials.private_key);
    let authClient: Promise<{ getRequestHeaders(url?: string): Promise<Headers> }> | undefined;
    const authHeaders = async (): Promise<Record<string, string>> => {
      authClient ??= loadOptional(() => import('google-auth-library'), 'google-auth-library', ctx.scope).then(
        async ({ GoogleAuth }) => {
          const auth = credentials
            ? new GoogleAuth({ credentials })
            : new GoogleAuth({ scopes: [PUBSUB_SCOPE] });
          return auth.getClient();
        },
      );
      const client = await authClient;
      // For a service account without scopes this is a self-signed JWT for the Pub/Sub audience.
      const headers = await client.getRequestHeaders(PUBSUB_ENDPOINT);
      const value = headers.get('authorization');
      if (value) ctx.secrets.add(value.replace(/^Bearer /, ''));
      return value ? { Authorization: value } : {};
    };
    return {
      async post(event, { signal } = {}) {
        let auth: Record<string, string>;
        try {
          auth = await authHeaders();
        } catch (err) {
          authClient = undefined;
          if (isTidewatchError(err)) throw err;
          throw new NotifyError(
            'NOTIFY_DELIVERY',
            ctx.secrets.redact(
              `[${ctx.scope}] error publishing to GCP Pub/Sub topic ${topic}: credentials: ${err instanceof Error ? err.message : String(err)}`,
            ),
            { cause: err },
          );
        }
        try {
          await ctx.request({
            url,
            headers: { 'Content-Type': 'application/json', ...auth },
            body: pubsubPublishBody(encodeEvent(event), options.headers),
            ...(signal ? { signal } : {}),
          });
        } catch (err) {
          if (signal?.aborted || !isTidewatchError(err)) throw err;
          throw new NotifyError(
            'NOTIFY_DELIVERY',
            `[${ctx.scope}] error publishing to GCP Pub/Sub topic ${topic}: ${err.message.replace(/^\[[^\]]*\]\s*/, '')}`,
            {
              cause: err,
              retryable: err.retryable,
              ...(err instanceof NotifyError && err.status !== undefined ? { status: err.status } : {}),
            },
          );
        }
        return { skipped: false };
      },
    };
  },
});
