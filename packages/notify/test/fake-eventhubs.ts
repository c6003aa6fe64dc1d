/**
 * A faithful local stand-in for an Azure Event Hubs namespace, built on `rhea` (the AMQP 1.0
 * library `@azure/event-hubs` itself uses): SASL, the claims-based-security `$cbs` node
 * (`put-token` answered with a status code) and an event hub link that accepts batched messages.
 * Clients reach it with a connection string that has `UseDevelopmentEmulator=true` (plain AMQP on
 * the given port, as for Microsoft's emulator).
 */
import type { AddressInfo } from 'node:net';
import rhea from 'rhea';
import type { Connection, EventContext, Message, Sender } from 'rhea';

/** One `put-token` request the `$cbs` node received. */
export interface CbsRequest {
  readonly type: string;
  readonly name: string;
  readonly token: string;
}

/** A received event: the hub (link target) and the body bytes of each message in the batch. */
export interface ReceivedEvent {
  readonly hub: string;
  readonly body: Buffer;
}

/** A running fake namespace. */
export interface FakeEventHubs {
  readonly port: number;
  readonly cbs: CbsRequest[];
  readonly events: ReceivedEvent[];
  /** Status code answered to `put-token` (200 accepts). */
  tokenStatus: number;
  close(): Promise<void>;
}

type SourceArg = Parameters<Sender['set_source']>[0];
type TargetArg = Parameters<Sender['set_target']>[0];
type SendArg = Parameters<Sender['send']>[0];

interface Section {
  readonly typecode: number;
  readonly content: unknown;
  readonly multiple?: boolean;
}

function sectionBuffers(body: unknown): Buffer[] {
  const s = body as Section | undefined;
  if (!s || typeof s !== 'object' || !('typecode' in s)) return Buffer.isBuffer(body) ? [body] : [];
  const content = s.multiple ? (s.content as unknown[]) : [s.content];
  return content.filter((c): c is Buffer => Buffer.isBuffer(c));
}

/** Starts the fake namespace on a free loopback port. */
export async function startFakeEventHubs(): Promise<FakeEventHubs> {
  const container = rhea.create_container({ id: 'fake-eventhubs' });
  // rhea's typings leave the SASL server mechanisms untyped.
  const mechanisms = container.sasl_server_mechanisms as {
    enable_anonymous(): void;
    enable_plain(check: () => boolean): void;
  };
  mechanisms.enable_anonymous();
  mechanisms.enable_plain(() => true);
  const replies = new Map<Connection, Sender>();
  const fake = { cbs: [] as CbsRequest[], events: [] as ReceivedEvent[], tokenStatus: 200 };

  container.on('sender_open', (ctx: EventContext) => {
    const sender = ctx.sender!;
    const attach = (
      sender as unknown as { remote: { attach: { source?: { address?: string }; target?: unknown } } }
    ).remote.attach;
    sender.set_source((attach.source ?? {}) as SourceArg);
    sender.set_target((attach.target ?? {}) as TargetArg);
    if (attach.source?.address === '$cbs') replies.set(ctx.connection, sender);
  });
  container.on('receiver_open', (ctx: EventContext) => {
    const receiver = ctx.receiver!;
    const link = receiver as unknown as {
      remote: { attach: { source?: unknown; target?: unknown } };
      local: { attach: { max_message_size?: number } };
    };
    receiver.set_source((link.remote.attach.source ?? {}) as SourceArg);
    receiver.set_target((link.remote.attach.target ?? {}) as TargetArg);
    link.local.attach.max_message_size = 1024 * 1024;
  });
  container.on('message', (ctx: EventContext) => {
    const target = (ctx.receiver as unknown as { remote: { attach: { target?: { address?: string } } } })
      .remote.attach.target?.address;
    const message = ctx.message as Message & { application_properties?: Record<string, unknown> };
    if (target === '$cbs') {
      const props = message.application_properties ?? {};
      fake.cbs.push({ type: String(props.type), name: String(props.name), token: String(message.body) });
      replies.get(ctx.connection)?.send({
        correlation_id: message.message_id,
        application_properties: { 'status-code': fake.tokenStatus, 'status-description': 'fake' },
      } as unknown as SendArg);
      return;
    }
    // A batch (message format 0x80013700) arrives as raw bytes whose data sections are messages.
    const raw = Buffer.isBuffer(ctx.message) ? (ctx.message as unknown as Buffer) : undefined;
    const outer = raw ? (rhea.message.decode(raw) as unknown as Message) : message;
    for (const encoded of sectionBuffers(outer.body)) {
      const inner = raw ? (rhea.message.decode(encoded) as unknown as Message) : outer;
      for (const body of sectionBuffers(inner.body)) fake.events.push({ hub: target ?? '', body });
      if (!raw) break;
    }
  });

  const server = container.listen({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) resolve();
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { unref(): void }).unref();
      }),
  });
}
