/**
 * A receiver HTTP handler for a program's own `node:http` server: what Flux's receiver server
 * does (notify.md §6), with a callback where Flux annotates objects with
 * `reconcile.fluxcd.io/requestedAt`. That callback is where an embedding program triggers a scan.
 *
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError, silentLogger } from '@tidewatch/core';
import type { ConfigProblem, FetchLike, Logger } from '@tidewatch/core';
import { ReceiverError } from '../errors.js';
import { compileCel, evaluateBoolean } from './cel.js';
import type { CelProgram } from './cel.js';
import {
  DEFAULT_RESOURCE_API_VERSIONS,
  MAX_RECEIVER_BODY,
  receiverPath,
  validateReceiver,
  verifyReceiver,
} from './index.js';
import type { ReceiverResource, ReceiverSpec, VerifiedWebhook } from './index.js';
import { createOidcDiscovery } from './oidc.js';

/** The annotation Flux sets on each object a webhook asks to reconcile. */
export const RECONCILE_REQUEST_ANNOTATION = 'reconcile.fluxcd.io/requestedAt';

/**
 * An object as CEL filters see it (`res`, the object's `PartialObjectMetadata`) and as the
 * callback receives it.
 */
export interface ReconcileObject {
  /** `group/version`. */
  readonly apiVersion: string;
  /** Kind. */
  readonly kind: string;
  /** Object metadata: at least `name` and `namespace`; `labels`, `annotations`… when known. */
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly [key: string]: unknown;
  };
}

/** One object to reconcile. */
export interface ReconcileRequest {
  /** `group/version` (defaulted as Flux does). */
  readonly apiVersion: string;
  /** Kind. */
  readonly kind: string;
  /** Name. */
  readonly name: string;
  /** Namespace (the receiver's unless the resource names one). */
  readonly namespace: string;
  /** The object (what `res` was in the filters). */
  readonly object: ReconcileObject;
}

/** What a verified webhook asks for: passed to {@link CreateReceiverHandlerOptions.onReconcile}. */
export interface ReceiverHookEvent {
  /** The receiver the webhook path belongs to. */
  readonly receiver: ReceiverSpec;
  /** The verified webhook (type, event header, payload, generic-oidc claims). */
  readonly webhook: VerifiedWebhook;
  /** The objects to reconcile, after `resourceFilter` and per-resource filters; never empty. */
  readonly requests: readonly ReconcileRequest[];
  /** When the request was made (Flux writes it to `reconcile.fluxcd.io/requestedAt`). */
  readonly requestedAt: Date;
}

/** A lookup of objects (Flux reads them from the cluster). */
export interface ObjectQuery {
  /** `group/version`. */
  readonly apiVersion: string;
  /** Kind. */
  readonly kind: string;
  /** Namespace. */
  readonly namespace: string;
  /** The name, or `undefined` to list by {@link matchLabels}. */
  readonly name: string | undefined;
  /** Labels every listed object must have (name `*`). */
  readonly matchLabels: Readonly<Record<string, string>> | undefined;
}

/** Options of {@link createReceiverHandler}. */
export interface CreateReceiverHandlerOptions {
  /** The receivers; each is served at its {@link receiverPath}. */
  readonly receivers: readonly ReceiverSpec[];
  /**
   * Called once per accepted webhook with every object to reconcile (not called when filters
   * leave none). A rejection is answered 500. The signal aborts when the client goes away.
   */
  onReconcile(event: ReceiverHookEvent, options: { readonly signal: AbortSignal }): void | Promise<void>;
  /**
   * Finds objects: by name (return the object, or nothing when it does not exist: that resource
   * then fails with 500, as in Flux), or by labels for name `*`. Required when a resource uses `*`.
   * Without it a named resource is passed on as `{ apiVersion, kind, metadata: { name, namespace } }`.
   */
  readonly resolveObjects?: (
    query: ObjectQuery,
    options: { readonly signal: AbortSignal },
  ) => readonly ReconcileObject[] | Promise<readonly ReconcileObject[]>;
  /**
   * Reject resources in another namespace than their receiver's (Flux's `--no-cross-namespace-refs`).
   * @default false
   */
  readonly noCrossNamespaceRefs?: boolean;
  /** Transport for gcr keys and generic-oidc discovery. @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /** The clock (token expiry, `requestedAt`). @default () => new Date() */
  readonly now?: () => Date;
  /** Where accepted and rejected webhooks are reported (never a secret). @default silentLogger */
  readonly logger?: Logger;
}

/** A `node:http` request listener serving receivers. */
export interface ReceiverHandler {
  /**
   * Handles one request. With `next` (Express/Connect style), requests outside `/hook/` are
   * passed on instead of being answered 404.
   */
  (req: IncomingMessage, res: ServerResponse, next?: () => void): void;
  /** Handles one request and resolves with the status it answered (useful in tests and frameworks). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<number>;
  /** The webhook path of each receiver (Flux's `status.webhookPath`). */
  readonly paths: ReadonlyMap<string, ReceiverSpec>;
}

interface PreparedReceiver {
  readonly spec: ReceiverSpec;
  readonly topFilter: CelProgram | undefined;
  readonly filters: readonly (CelProgram | undefined)[];
}

const label = (r: ReceiverSpec): string => `${r.namespace ?? ''}/${r.name ?? ''}`;

/**
 * Creates a handler that does what Flux's receiver server does for each receiver: route
 * `/hook/<sha256(token+name+namespace)>` (unknown path 404), read at most 3 MiB (413), answer 503
 * for a suspended receiver, verify the webhook (400 on failure), evaluate `resourceFilter` and
 * per-resource `filter` (CEL over `res`, `req`, and `claims` for generic-oidc), then call
 * `onReconcile` with the objects to reconcile (500 when a resource fails or the callback throws),
 * else 200. Every receiver is validated first, CEL included: an invalid one is a `ConfigError`
 * listing every problem.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createReceiverHandler, receiverPath } from '@tidewatch/notify';
 *
 * const receiver = {
 *   type: 'dockerhub', name: 'app', namespace: 'flux-system', secret: { token },
 *   resources: [{ kind: 'ImageRepository', name: 'app' }],
 * } as const;
 * const handler = await createReceiverHandler({
 *   receivers: [receiver],
 *   onReconcile: async ({ requests }) => {
 *     for (const r of requests) await scanImageRepository(r.namespace, r.name);
 *   },
 * });
 * createServer(handler).listen(9292);
 * console.log(`POST http://host:9292${receiverPath(receiver)}`);
 * ```
 */
export async function createReceiverHandler(options: CreateReceiverHandlerOptions): Promise<ReceiverHandler> {
  const problems: ConfigProblem[] = [];
  const prepared = new Map<string, PreparedReceiver>();
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  const discovery = createOidcDiscovery(options.fetch ? { fetch: options.fetch } : {});

  if (!Array.isArray(options.receivers)) problems.push({ path: 'receivers', message: 'must be a list' });
  if (typeof options.onReconcile !== 'function')
    problems.push({ path: 'onReconcile', message: 'must be a function' });
  const receivers: readonly ReceiverSpec[] = Array.isArray(options.receivers) ? options.receivers : [];
  // In order, so that paths and duplicate reports follow the receivers' order.
  for (const [i, raw] of receivers.entries()) {
    // What only the handler needs: a lister for wildcards, and the cross-namespace rule.
    const rawResources: unknown = (raw as { resources?: unknown } | null)?.resources;
    (Array.isArray(rawResources) ? (rawResources as Partial<ReceiverResource>[]) : []).forEach((r, j) => {
      if (r?.name === '*' && !options.resolveObjects) {
        problems.push({
          path: `receivers[${i}].resources[${j}].name`,
          message: "a wildcard '*' resource needs the resolveObjects option to list objects by labels",
        });
      }
      if (options.noCrossNamespaceRefs && r?.namespace && r.namespace !== (raw.namespace ?? '')) {
        problems.push({
          path: `receivers[${i}].resources[${j}].namespace`,
          message: 'cross-namespace references are not allowed',
        });
      }
    });
    let spec: ReceiverSpec;
    try {
      spec = await validateReceiver(raw);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const p of err.problems) problems.push({ ...p, path: `receivers[${i}].${p.path}` });
      continue;
    }
    const vars = spec.type === 'generic-oidc' ? ['res', 'req', 'claims'] : ['res', 'req'];
    // validateReceiver compiled these already (cached), so they cannot fail here.
    const compile = (e: string | undefined): Promise<CelProgram | undefined> =>
      e ? compileCel(e, vars, { bool: true }) : Promise.resolve(undefined);
    const topFilter = await compile(spec.resourceFilter);
    const filters = await Promise.all((spec.resources ?? []).map((r) => compile(r.filter)));
    const path = receiverPath(spec);
    const other = prepared.get(path);
    if (other) {
      problems.push({
        path: `receivers[${i}]`,
        message: `receiver ${label(spec)} has the same webhook path as ${label(other.spec)}`,
      });
      continue;
    }
    prepared.set(path, { spec, topFilter, filters });
  }
  if (problems.length > 0) throw new ConfigError('notify:receiver', problems);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const answer = (status: number): number => {
      if (!res.headersSent) {
        res.statusCode = status;
        res.end();
      }
      return status;
    };
    const uri = req.url ?? '/';
    // Flux reads (and size-checks) the body before it looks the path up.
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        logger.error(`[notify:receiver] request body exceeds the maximum size of ${MAX_RECEIVER_BODY} bytes`);
        res.setHeader('Connection', 'close');
        return answer(413);
      }
      logger.error(`[notify:receiver] reading the request body failed: ${(err as Error).message}`);
      return answer(400);
    }
    // Flux matches the request URI exactly, query included.
    const receiver = prepared.get(uri);
    if (!receiver) return answer(404);
    const { spec } = receiver;
    const who = { receiver: label(spec), type: spec.type };
    if (spec.suspend) {
      logger.error('[notify:receiver] unable to process request: receiver is suspended', who);
      return answer(503);
    }

    const controller = new AbortController();
    const onClose = (): void => {
      if (!res.writableEnded) controller.abort(new Error('the webhook client went away'));
    };
    res.once('close', onClose);
    try {
      let webhook: VerifiedWebhook;
      try {
        webhook = await verifyReceiver(
          spec,
          { headers: req.headers, body },
          {
            oidcDiscovery: discovery,
            now,
            signal: controller.signal,
            ...(options.fetch ? { fetch: options.fetch } : {}),
          },
        );
      } catch (err) {
        logger.error(`[notify:receiver] unable to validate payload: ${(err as Error).message}`, who);
        return answer(err instanceof ReceiverError ? err.status : 400);
      }

      let reqJson: unknown = {};
      const hasFilters = receiver.topFilter !== undefined || receiver.filters.some((f) => f !== undefined);
      if (hasFilters && isJsonContent(req.headers['content-type'])) {
        try {
          reqJson = JSON.parse(body.toString('utf8'));
          if (typeof reqJson !== 'object' || reqJson === null || Array.isArray(reqJson))
            throw new Error('not a JSON object');
        } catch (err) {
          logger.error(
            `[notify:receiver] unable to create resource filters: failed to parse request body as JSON: ${(err as Error).message}`,
            who,
          );
          return answer(500);
        }
      }

      const requests: ReconcileRequest[] = [];
      let failed = false;
      const resources = spec.resources ?? [];
      for (const [i, resource] of resources.entries()) {
        try {
          const objects = await resolve(resource, spec, controller.signal);
          for (const object of objects) {
            const vars: Record<string, unknown> = { res: object, req: reqJson };
            if (spec.type === 'generic-oidc') vars.claims = webhook.claims ?? {};
            const accepted = [receiver.topFilter, receiver.filters[i]].every(
              (f) => f === undefined || evaluateBoolean(f, vars),
            );
            const name = `${object.kind}/${object.metadata.name}.${object.metadata.namespace}`;
            if (!accepted) {
              logger.debug(
                `[notify:receiver] resource '${name}' NOT requested because CEL expression returned false`,
                who,
              );
              continue;
            }
            requests.push({
              apiVersion: object.apiVersion,
              kind: object.kind,
              name: object.metadata.name,
              namespace: object.metadata.namespace,
              object,
            });
          }
        } catch (err) {
          failed = true;
          logger.error(`[notify:receiver] unable to request reconciliation: ${(err as Error).message}`, {
            ...who,
            resource: `${resource.kind}/${resource.name}`,
          });
        }
      }

      if (requests.length > 0) {
        try {
          await options.onReconcile(
            { receiver: spec, webhook, requests, requestedAt: now() },
            { signal: controller.signal },
          );
          logger.info(`[notify:receiver] reconciliation requested for ${requests.length} object(s)`, who);
        } catch (err) {
          failed = true;
          logger.error(`[notify:receiver] onReconcile failed: ${(err as Error).message}`, who);
        }
      }
      return answer(failed ? 500 : 200);
    } finally {
      res.off('close', onClose);
    }
  }

  async function resolve(
    resource: ReceiverResource,
    spec: ReceiverSpec,
    signal: AbortSignal,
  ): Promise<readonly ReconcileObject[]> {
    const namespace = resource.namespace || spec.namespace || '';
    const apiVersion = resource.apiVersion || DEFAULT_RESOURCE_API_VERSIONS[resource.kind] || '';
    const wildcard = resource.name === '*';
    if (!options.resolveObjects) {
      return [{ apiVersion, kind: resource.kind, metadata: { name: resource.name, namespace } }];
    }
    const found = await options.resolveObjects(
      {
        apiVersion,
        kind: resource.kind,
        namespace,
        name: wildcard ? undefined : resource.name,
        matchLabels: wildcard ? (resource.matchLabels ?? {}) : undefined,
      },
      { signal },
    );
    if (!wildcard && found.length === 0) {
      throw new Error(
        `unable to read ${resource.kind} ${JSON.stringify(`${namespace}/${resource.name}`)}: not found`,
      );
    }
    if (wildcard && found.length === 0) {
      // Flux logs this and carries on (no error status).
      logger.error(
        `[notify:receiver] no ${JSON.stringify(resource.kind)} resources found with matching labels in ${JSON.stringify(namespace)} namespace`,
      );
    }
    return found;
  }

  const listener = (req: IncomingMessage, res: ServerResponse, next?: () => void): void => {
    if (next && !(req.url ?? '').startsWith('/hook/')) {
      next();
      return;
    }
    handle(req, res).catch((err: unknown) => {
      logger.error(`[notify:receiver] handler failed: ${(err as Error).message}`);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      }
    });
  };
  return Object.assign(listener, {
    handle,
    paths: new Map([...prepared].map(([path, p]) => [path, p.spec] as const)),
  });
}

class BodyTooLarge extends Error {}

/**
 * Reads the body up to {@link MAX_RECEIVER_BODY}; more is a {@link BodyTooLarge} once the rest has
 * been read and dropped (so that the client, still sending, receives the 413 instead of a reset).
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  // A body parser mounted before the handler consumed the stream: nothing is left to verify.
  if (req.readableEnded) return Promise.reject(new Error('the request body was already read'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_RECEIVER_BODY) chunks.push(chunk);
      else chunks.length = 0; // keep nothing past the limit
    });
    req.once('end', () =>
      size > MAX_RECEIVER_BODY ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks)),
    );
    req.once('error', reject);
  });
}

/** Flux's `isJSONContent`: one of the comma-separated media types is `application/json`. */
function isJsonContent(contentType: string | undefined): boolean {
  for (const part of (contentType ?? '').split(',')) {
    const type = part.split(';')[0]!.trim().toLowerCase();
    if (type === '') return false;
    if (type === 'application/json') return true;
  }
  return false;
}
