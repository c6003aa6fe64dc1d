/**
 * A webhook-driven image scan over the public API: a `dockerhub` receiver (what Flux's
 * notification-controller serves at `/hook/<sha256(token+name+namespace)>`) mounted on this
 * program's own HTTP server; each accepted push asks for its ImageRepository objects to be
 * reconciled, and the callback rescans them with `scanImageTags` (what Flux's
 * image-reflector-controller does when the `reconcile.fluxcd.io/requestedAt` annotation changes).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReceiverHandler, receiverPath } from '@tidewatch/notify';
import type { ReceiverSpec } from '@tidewatch/notify';
import { scanImageTags } from '@tidewatch/registry';
import type { ImageScanResult } from '@tidewatch/registry';

/** What {@link startWebhookScan} needs. */
export interface WebhookScanOptions {
  /** The ImageRepository objects this program manages: `<namespace>/<name>` → image. */
  readonly repositories: Readonly<Record<string, string>>;
  /** The receiver Secret's `token` (part of the webhook path). */
  readonly token: string;
  /** Receiver name and namespace (the other parts of the path). @default flux-system/registry-push */
  readonly receiver?: { readonly name: string; readonly namespace: string };
  /** Where to listen. @default 127.0.0.1, a free port */
  readonly host?: string;
  readonly port?: number;
  /** Called after each scan. */
  readonly onScan?: (record: ScanRecord) => void;
}

/** One scan and what it found. */
export interface ScanRecord {
  /** `<namespace>/<name>` of the ImageRepository. */
  readonly repository: string;
  /** Why it ran: at start, or because a webhook asked (with the pushed tag Docker Hub reported). */
  readonly trigger: 'start' | { readonly webhook: string; readonly pushedTag: string | undefined };
  /** Tags after exclusion, newest first by bytes (Flux's order). */
  readonly tags: readonly string[];
  /** Tags this scan found that the previous one had not. */
  readonly newTags: readonly string[];
  /** Flux's revision of the tag list; `changed` compares it with the previous scan. */
  readonly revision: string;
  readonly changed: boolean;
}

/** The running program. */
export interface WebhookScan {
  /** The full webhook URL to give the registry. */
  readonly hookUrl: string;
  /** Every scan so far, oldest first. */
  readonly scans: readonly ScanRecord[];
  close(): Promise<void>;
}

export async function startWebhookScan(options: WebhookScanOptions): Promise<WebhookScan> {
  const { name, namespace } = options.receiver ?? { name: 'registry-push', namespace: 'flux-system' };
  const last = new Map<string, ImageScanResult>();
  const scans: ScanRecord[] = [];

  async function scan(repository: string, trigger: ScanRecord['trigger'], signal?: AbortSignal) {
    const image = options.repositories[repository];
    if (image === undefined) throw new Error(`no ImageRepository ${repository}`);
    const previous = last.get(repository);
    const result = await scanImageTags({
      image,
      ...(previous ? { previous: { revision: previous.revision, ready: true } } : {}),
      ...(signal ? { signal } : {}),
    });
    last.set(repository, result);
    const before = new Set(previous?.tags ?? []);
    const record: ScanRecord = {
      repository,
      trigger,
      tags: result.tags,
      newTags: result.tags.filter((t) => !before.has(t)),
      revision: result.revision,
      changed: result.changed,
    };
    scans.push(record);
    options.onScan?.(record);
  }

  // The first scan, as when the ImageRepository is created.
  for (const repository of Object.keys(options.repositories)) await scan(repository, 'start');

  const receiver: ReceiverSpec = {
    type: 'dockerhub',
    name,
    namespace,
    secret: { token: options.token },
    resources: Object.keys(options.repositories).map((key) => {
      const [ns, repo] = key.split('/') as [string, string];
      return { kind: 'ImageRepository', name: repo, namespace: ns };
    }),
  };
  const handler = await createReceiverHandler({
    receivers: [receiver],
    // Where Flux sets reconcile.fluxcd.io/requestedAt, this program rescans. A failure answers 500.
    async onReconcile({ requests, webhook }, { signal }) {
      const payload = webhook.payload as { push_data?: { tag?: string } };
      for (const r of requests) {
        await scan(
          `${r.namespace}/${r.name}`,
          { webhook: webhook.type, pushedTag: payload.push_data?.tag },
          signal,
        );
      }
    },
  });
  const server = createServer(handler);
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    hookUrl: `http://${host}:${port}${receiverPath(receiver)}`,
    scans,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
