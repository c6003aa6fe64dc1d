/**
 * Webhook receivers (notify.md §6): verify and parse an incoming webhook exactly as Flux's
 * receiver server would accept it, so that an embedding program can trigger a scan on a push.
 * Every secret comparison is constant-time.
 *
 * @packageDocumentation
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '@tidewatch/core';
import type { ConfigProblem, FetchLike } from '@tidewatch/core';
import { ReceiverError } from '../errors.js';
import { compileCel } from './cel.js';
import { verifyGoogleIdToken } from './gcr.js';
import type { JsonWebKeySet } from './gcr.js';
import { checkOidcProviders, compileOidcProviders, verifyOidcRequest } from './oidc.js';
import type { OidcDiscovery, OidcProviderSpec } from './oidc.js';

/** Receiver types Flux supports. */
export type ReceiverType =
  | 'generic'
  | 'generic-hmac'
  | 'generic-oidc'
  | 'github'
  | 'gitlab'
  | 'bitbucket'
  | 'cdevents'
  | 'dockerhub'
  | 'quay'
  | 'harbor'
  | 'gcr'
  | 'nexus'
  | 'acr';

/** Every receiver type, for validation and documentation. */
export const RECEIVER_TYPES: readonly ReceiverType[] = [
  'generic',
  'generic-hmac',
  'generic-oidc',
  'github',
  'gitlab',
  'bitbucket',
  'cdevents',
  'dockerhub',
  'quay',
  'harbor',
  'gcr',
  'nexus',
  'acr',
];

/**
 * One `spec.resources[]` entry of a Receiver: what a verified webhook asks to reconcile.
 */
export interface ReceiverResource {
  /** Object kind, e.g. `ImageRepository`, `GitRepository`. */
  readonly kind: string;
  /** Object name, or `*` for every object of the kind that has all of {@link matchLabels}. */
  readonly name: string;
  /** Object namespace. @default the Receiver's namespace */
  readonly namespace?: string;
  /**
   * API version. @default `source.toolkit.fluxcd.io/v1` for Bucket, HelmChart, HelmRepository,
   * GitRepository and OCIRepository, `image.toolkit.fluxcd.io/v1` for ImageRepository,
   * `source.extensions.fluxcd.io/v1beta1` for ArtifactGenerator; required for other kinds
   */
  readonly apiVersion?: string;
  /** Labels the objects must have; required with name `*`. */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** CEL over `res`, `req` (and `claims` for generic-oidc) that must be true, besides `resourceFilter`. */
  readonly filter?: string;
}

/** A Flux `Receiver` flattened, with its Secret resolved. */
export interface ReceiverSpec {
  /** Receiver type. */
  readonly type: ReceiverType;
  /** Receiver name (part of the webhook path). */
  readonly name?: string;
  /** Receiver namespace (part of the webhook path; the default namespace of resources). */
  readonly namespace?: string;
  /** Accepted event types (case-insensitive); empty accepts all. GitHub, GitLab, Bitbucket, CDEvents. */
  readonly events?: readonly string[];
  /**
   * The Secret: `token` for every type but `generic-oidc` (which takes no Secret); `email` and
   * `audience` for gcr.
   */
  readonly secret?: { readonly token?: string; readonly email?: string; readonly audience?: string };
  /** The OIDC issuers a `generic-oidc` receiver trusts (at least one; only for that type). */
  readonly oidcProviders?: readonly OidcProviderSpec[];
  /** What to reconcile when a webhook is accepted (used by `createReceiverHandler`). */
  readonly resources?: readonly ReceiverResource[];
  /** CEL over `res`, `req` (and `claims` for generic-oidc) that every resource must pass. */
  readonly resourceFilter?: string;
  /** A suspended receiver answers 503. @default false */
  readonly suspend?: boolean;
}

/** The incoming request, as the embedding HTTP server received it. */
export interface IncomingWebhook {
  /** Request headers (any case). */
  readonly headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The raw body bytes (signatures are computed over them). */
  readonly body: string | Uint8Array;
}

/** Options of {@link verifyReceiver}. */
export interface VerifyReceiverOptions {
  /** Cancels a key download (gcr). */
  readonly signal?: AbortSignal;
  /**
   * Transport for Google's signing keys (gcr).
   * @default globalThis.fetch
   */
  readonly fetch?: FetchLike;
  /** Google's signing keys (gcr); fetched from Google when absent. */
  readonly googleKeys?: JsonWebKeySet;
  /**
   * The clock (token expiry).
   * @default () => new Date()
   */
  readonly now?: () => Date;
  /**
   * Discovery cache for `generic-oidc` (`createOidcDiscovery()`); without one every call
   * discovers the issuer again, as Flux does per request.
   */
  readonly oidcDiscovery?: OidcDiscovery;
}

/** A webhook that passed verification. */
export interface VerifiedWebhook {
  /** Receiver type. */
  readonly type: ReceiverType;
  /** The event type header (`X-GitHub-Event`, `X-Gitlab-Event`, `X-Event-Key`, `Ce-Type`), if any. */
  readonly event: string | undefined;
  /** The JSON payload (`{}` when the body is not JSON; gcr: the unwrapped `{action,digest,tag}`). */
  readonly payload: unknown;
  /** generic-oidc: the verified token claims (what `claims` is in CEL filters). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** Largest body Flux's receiver server reads (3 MiB); larger is answered 413. */
export const MAX_RECEIVER_BODY = 3 * 1024 * 1024;

/** The webhook path Flux serves a receiver at: `/hook/` + hex SHA-256 of token + name + namespace. */
export function receiverPath(receiver: ReceiverSpec): string {
  const digest = createHash('sha256')
    .update(`${receiver.secret?.token ?? ''}${receiver.name ?? ''}${receiver.namespace ?? ''}`, 'utf8')
    .digest('hex');
  return `/hook/${digest}`;
}

function header(headers: IncomingWebhook['headers'], name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== lower || v === undefined) continue;
    return typeof v === 'string' ? v : v[0];
  }
  return undefined;
}

/** Constant-time string equality (length leaks, content does not). */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a, 'utf8').digest();
  const y = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}

const HMAC_ALGORITHMS: Readonly<Record<string, string>> = {
  sha1: 'sha1',
  sha256: 'sha256',
  sha512: 'sha512',
};

/**
 * Checks a `<sha1|sha256|sha512>=<hex>` signature of `body` keyed with `token`, in constant time.
 * Returns an error text, or `undefined` when valid.
 */
export function checkSignature(
  signature: string | undefined,
  body: Uint8Array,
  token: string,
): string | undefined {
  if (!signature) return 'missing signature';
  const eq = signature.indexOf('=');
  if (eq === -1) return 'error parsing signature';
  const algorithm = HMAC_ALGORITHMS[signature.slice(0, eq)];
  if (!algorithm) return `unknown hash type prefix: ${signature.slice(0, eq)}`;
  const hex = signature.slice(eq + 1);
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) return 'error decoding signature';
  const given = Buffer.from(hex, 'hex');
  const expected = createHmac(algorithm, Buffer.from(token, 'utf8')).update(body).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return 'payload signature check failed';
  return undefined;
}

function parseJson(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

type Shape = 'string' | 'string[]' | { readonly [key: string]: Shape };

/** Go `json.Decode` into a struct: JSON must parse and known fields must have the struct's types. */
function decodeStruct(bytes: Uint8Array, shape: Shape): unknown {
  const parsed = parseJson(bytes);
  if (!parsed.ok) throw new Error('invalid JSON');
  const check = (value: unknown, s: Shape, path: string): void => {
    if (value === null || value === undefined) return;
    if (s === 'string') {
      if (typeof value !== 'string') throw new Error(`${path} must be a string`);
    } else if (s === 'string[]') {
      if (!Array.isArray(value) || value.some((v) => v !== null && typeof v !== 'string')) {
        throw new Error(`${path} must be a list of strings`);
      }
    } else {
      if (typeof value !== 'object' || Array.isArray(value))
        throw new Error(`${path || 'payload'} must be an object`);
      for (const [k, sub] of Object.entries(s))
        check((value as Record<string, unknown>)[k], sub, path ? `${path}.${k}` : k);
    }
  };
  check(parsed.value, shape, '');
  return parsed.value;
}

/** The API versions Flux fills in for a resource without one. */
export const DEFAULT_RESOURCE_API_VERSIONS: Readonly<Record<string, string>> = {
  Bucket: 'source.toolkit.fluxcd.io/v1',
  HelmChart: 'source.toolkit.fluxcd.io/v1',
  HelmRepository: 'source.toolkit.fluxcd.io/v1',
  GitRepository: 'source.toolkit.fluxcd.io/v1',
  OCIRepository: 'source.toolkit.fluxcd.io/v1',
  ImageRepository: 'image.toolkit.fluxcd.io/v1',
  ArtifactGenerator: 'source.extensions.fluxcd.io/v1beta1',
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): boolean =>
  isRecord(v) && Object.values(v).every((x) => typeof x === 'string');

/**
 * Validates a receiver once (everything but CEL, see {@link validateReceiver}); throws one
 * `ConfigError` listing every problem.
 */
export function parseReceiverSpec(receiver: unknown): ReceiverSpec {
  const problems: ConfigProblem[] = [];
  checkReceiver(receiver, problems);
  if (problems.length > 0) throw new ConfigError('notify:receiver', problems);
  return receiver as ReceiverSpec;
}

/** Pushes every structural problem of a receiver. */
function checkReceiver(receiver: unknown, problems: ConfigProblem[]): void {
  const r = isRecord(receiver) ? receiver : {};
  if (!RECEIVER_TYPES.includes(r.type as ReceiverType)) {
    problems.push({ path: 'type', message: `unsupported receiver type '${String(r.type)}'` });
  }
  const oidc = r.type === 'generic-oidc';
  const secret = isRecord(r.secret) ? r.secret : {};
  if (oidc) {
    if (r.secret !== undefined)
      problems.push({ path: 'secret', message: 'secretRef cannot be set when type is generic-oidc' });
    checkOidcProviders(r.oidcProviders, problems);
  } else {
    if (typeof secret.token !== 'string') {
      problems.push({ path: 'secret.token', message: "invalid secret data: required field 'token'" });
    }
    if (r.oidcProviders !== undefined && !(Array.isArray(r.oidcProviders) && r.oidcProviders.length === 0)) {
      problems.push({
        path: 'oidcProviders',
        message: 'oidcProviders can only be set when type is generic-oidc',
      });
    }
  }
  if (r.type === 'gcr') {
    if (typeof secret.email !== 'string' || secret.email === '') {
      problems.push({
        path: 'secret.email',
        message: "invalid secret data: required field 'email' for GCR receiver",
      });
    }
    if (typeof secret.audience !== 'string' || secret.audience === '') {
      problems.push({
        path: 'secret.audience',
        message: "invalid secret data: required field 'audience' for GCR receiver",
      });
    }
  }
  if (r.events !== undefined && (!Array.isArray(r.events) || r.events.some((e) => typeof e !== 'string'))) {
    problems.push({ path: 'events', message: 'must be a list of strings' });
  }
  for (const key of ['name', 'namespace', 'resourceFilter'] as const) {
    if (r[key] !== undefined && typeof r[key] !== 'string')
      problems.push({ path: key, message: 'must be a string' });
  }
  if (r.suspend !== undefined && typeof r.suspend !== 'boolean')
    problems.push({ path: 'suspend', message: 'must be a boolean' });
  if (r.resources !== undefined && !Array.isArray(r.resources))
    problems.push({ path: 'resources', message: 'must be a list' });
  (Array.isArray(r.resources) ? (r.resources as unknown[]) : []).forEach((raw, i) => {
    const at = `resources[${i}]`;
    const res = isRecord(raw) ? raw : {};
    if (typeof res.kind !== 'string' || res.kind === '')
      problems.push({ path: `${at}.kind`, message: 'kind is required' });
    if (typeof res.name !== 'string' || res.name === '')
      problems.push({ path: `${at}.name`, message: 'name is required' });
    for (const key of ['namespace', 'apiVersion', 'filter'] as const) {
      if (res[key] !== undefined && typeof res[key] !== 'string')
        problems.push({ path: `${at}.${key}`, message: 'must be a string' });
    }
    if (res.matchLabels !== undefined && !isStringMap(res.matchLabels))
      problems.push({ path: `${at}.matchLabels`, message: 'must be a map of strings' });
    if (res.name === '*' && (res.matchLabels === undefined || res.matchLabels === null)) {
      problems.push({
        path: `${at}.matchLabels`,
        message: "matchLabels field not set when using wildcard '*' as name",
      });
    }
    if (
      typeof res.kind === 'string' &&
      (res.apiVersion === undefined || res.apiVersion === '') &&
      DEFAULT_RESOURCE_API_VERSIONS[res.kind] === undefined
    ) {
      problems.push({
        path: `${at}.apiVersion`,
        message: `apiVersion must be specified for kind ${JSON.stringify(res.kind)}`,
      });
    }
  });
}

/**
 * Validates a receiver fully: {@link parseReceiverSpec}, then every CEL expression
 * (`resourceFilter`, each resource `filter`, the generic-oidc variables and validations) must
 * compile, and filters must return a boolean. Throws one `ConfigError` listing every problem
 * (Flux marks such a Receiver as failed terminally).
 */
export async function validateReceiver(receiver: unknown): Promise<ReceiverSpec> {
  const problems: ConfigProblem[] = [];
  checkReceiver(receiver, problems);
  // Compile what is there, so that CEL problems are listed with the others.
  const r = isRecord(receiver) ? receiver : {};
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const spec = {
    type: r.type,
    resourceFilter: str(r.resourceFilter),
    resources: (Array.isArray(r.resources) ? (r.resources as unknown[]) : []).map((x) => ({
      filter: str(isRecord(x) ? x.filter : undefined),
    })),
    oidcProviders: problems.some((p) => p.path.startsWith('oidcProviders'))
      ? []
      : ((r.oidcProviders ?? []) as readonly OidcProviderSpec[]),
  };
  const filterVars = spec.type === 'generic-oidc' ? ['res', 'req', 'claims'] : ['res', 'req'];
  // One at a time, so that problems are listed in a stable order.
  const filter = async (expression: string | undefined, path: string, label: string): Promise<void> => {
    if (!expression) return;
    try {
      await compileCel(expression, filterVars, { bool: true });
    } catch (err) {
      problems.push({ path, message: `invalid ${label} expression: ${(err as Error).message}` });
    }
  };
  await filter(spec.resourceFilter, 'resourceFilter', 'resourceFilter');
  for (const [i, x] of spec.resources.entries()) await filter(x.filter, `resources[${i}].filter`, 'filter');
  if (spec.type === 'generic-oidc') await compileOidcProviders(spec.oidcProviders, problems);
  if (problems.length > 0) throw new ConfigError('notify:receiver', problems);
  return receiver as ReceiverSpec;
}

/**
 * Verifies an incoming webhook for a receiver as Flux does (§6) and returns its event type and
 * payload. Rejects with a `ReceiverError` (`RECEIVER_REJECTED`, `status` 400, or 413 for a body
 * over 3 MiB) naming what failed, never a secret; an invalid receiver is a `ConfigError`.
 *
 * @example
 * ```ts
 * const hook = await verifyReceiver(
 *   { type: 'github', events: ['push'], secret: { token } },
 *   { headers: req.headers, body: rawBody },
 * );
 * if (hook.event === 'push') await scanNow();
 * ```
 */
export async function verifyReceiver(
  receiver: ReceiverSpec,
  request: IncomingWebhook,
  options: VerifyReceiverOptions = {},
): Promise<VerifiedWebhook> {
  // Everything, CEL included (compiled once, then cached): an invalid receiver is a ConfigError.
  const spec = await validateReceiver(receiver);
  const scope = `notify:receiver:${spec.type}`;
  const token = spec.secret?.token ?? '';
  const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : request.body;
  if (body.byteLength > MAX_RECEIVER_BODY) {
    throw new ReceiverError(`[${scope}] request body too large: over ${MAX_RECEIVER_BODY} bytes`, {
      status: 413,
    });
  }
  const reject = (what: string, cause?: unknown): ReceiverError =>
    new ReceiverError(`[${scope}] ${what}`, cause === undefined ? {} : { cause });
  const h = (name: string): string | undefined => header(request.headers, name);
  const jsonOrEmpty = (bytes: Uint8Array): unknown => {
    const p = parseJson(bytes);
    return p.ok ? p.value : {};
  };
  const allowEvent = (event: string | undefined, label: string): void => {
    const events = spec.events ?? [];
    if (events.length === 0) return;
    const e = (event ?? '').toLowerCase();
    if (!events.some((x) => x.toLowerCase() === e))
      throw reject(`the ${label} event "${event ?? ''}" is not authorised`);
  };

  switch (spec.type) {
    case 'generic':
      return { type: spec.type, event: undefined, payload: jsonOrEmpty(body) };
    case 'generic-oidc': {
      let claims: Record<string, unknown>;
      try {
        claims = await verifyOidcRequest(spec.oidcProviders ?? [], h('Authorization'), {
          ...(options.oidcDiscovery ? { discovery: options.oidcDiscovery } : {}),
          ...(options.fetch ? { fetch: options.fetch } : {}),
          ...(options.now ? { now: options.now } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (err) {
        throw reject((err as Error).message, err);
      }
      return { type: spec.type, event: undefined, payload: jsonOrEmpty(body), claims };
    }
    case 'generic-hmac': {
      const problem = checkSignature(h('X-Signature'), body, token);
      if (problem) throw reject(`unable to validate HMAC signature: ${problem}`);
      return { type: spec.type, event: undefined, payload: jsonOrEmpty(body) };
    }
    case 'github':
    case 'bitbucket': {
      const label = spec.type === 'github' ? 'GitHub' : 'Bitbucket server';
      const signature = h('X-Hub-Signature-256') ?? h('X-Hub-Signature');
      const problem = checkSignature(signature, body, token);
      const contentType = (h('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
      let payload: unknown;
      if (contentType === 'application/json') payload = jsonOrEmpty(body);
      else if (contentType === 'application/x-www-form-urlencoded') {
        const form = new URLSearchParams(Buffer.from(body).toString('utf8'));
        payload = jsonOrEmpty(Buffer.from(form.get('payload') ?? '', 'utf8'));
      } else {
        throw reject(
          `the ${label} signature header is invalid, err: webhook request has unsupported Content-Type "${contentType}"`,
        );
      }
      if (problem) throw reject(`the ${label} signature header is invalid, err: ${problem}`);
      const event = spec.type === 'github' ? h('X-GitHub-Event') : h('X-Event-Key');
      allowEvent(event, label);
      return { type: spec.type, event, payload };
    }
    case 'gitlab': {
      if (!safeEqual(h('X-Gitlab-Token') ?? '', token)) {
        throw reject('the X-Gitlab-Token header value does not match the receiver token');
      }
      const event = h('X-Gitlab-Event');
      allowEvent(event, 'GitLab');
      return { type: spec.type, event, payload: jsonOrEmpty(body) };
    }
    case 'harbor':
      if (!safeEqual(h('Authorization') ?? '', token)) {
        throw reject('the Harbor Authorization header value does not match the receiver token');
      }
      return { type: spec.type, event: undefined, payload: jsonOrEmpty(body) };
    case 'nexus': {
      const signature = h('X-Nexus-Webhook-Signature');
      if (!signature) throw reject('the Nexus signature is missing from header');
      const expected = createHmac('sha1', Buffer.from(token, 'utf8')).update(body).digest();
      const given = /^[0-9a-fA-F]+$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw reject('invalid Nexus signature');
      try {
        return {
          type: spec.type,
          event: undefined,
          payload: decodeStruct(body, { action: 'string', repositoryName: 'string' }),
        };
      } catch (err) {
        throw reject(`cannot decode Nexus webhook payload: ${(err as Error).message}`, err);
      }
    }
    case 'dockerhub':
    case 'quay':
    case 'acr': {
      const shapes: Record<string, Shape> = {
        dockerhub: { push_data: { tag: 'string' }, repository: { repo_url: 'string' } },
        quay: { docker_url: 'string', updated_tags: 'string[]' },
        acr: { action: 'string', target: { repository: 'string', tag: 'string' } },
      };
      const labels: Record<string, string> = { dockerhub: 'DockerHub', quay: 'Quay', acr: 'ACR' };
      try {
        return { type: spec.type, event: undefined, payload: decodeStruct(body, shapes[spec.type]!) };
      } catch (err) {
        throw reject(`cannot decode ${labels[spec.type]!} webhook payload: ${(err as Error).message}`, err);
      }
    }
    case 'cdevents': {
      const event = h('Ce-Type');
      const parsed = parseJson(body);
      const problem = parsed.ok ? cdeventProblem(parsed.value) : 'invalid JSON';
      if (problem) throw reject(`unable to validate CDEvent event: ${problem}`);
      allowEvent(event, 'CDEvent');
      return { type: spec.type, event, payload: parsed.ok ? parsed.value : {} };
    }
    case 'gcr': {
      const auth = h('Authorization') ?? '';
      if (!auth.startsWith('Bearer ')) {
        throw reject('cannot authenticate GCR request: the Authorization header is missing or malformed');
      }
      try {
        await verifyGoogleIdToken(auth.slice('Bearer '.length), {
          audience: spec.secret?.audience ?? '',
          email: spec.secret?.email ?? '',
          ...(options.googleKeys ? { keys: options.googleKeys } : {}),
          ...(options.fetch ? { fetch: options.fetch } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.now ? { now: options.now } : {}),
        });
      } catch (err) {
        throw reject(`cannot authenticate GCR request: ${(err as Error).message}`, err);
      }
      let data: unknown;
      try {
        const envelope = decodeStruct(body, { message: { data: 'string' } }) as {
          message?: { data?: string };
        };
        const raw = Buffer.from(envelope?.message?.data ?? '', 'base64');
        data = decodeStruct(raw, { action: 'string', digest: 'string', tag: 'string' });
      } catch (err) {
        throw reject(`cannot decode GCR webhook body: ${(err as Error).message}`, err);
      }
      const d = (data ?? {}) as { action?: string; digest?: string; tag?: string };
      return {
        type: spec.type,
        event: undefined,
        payload: { action: d.action ?? '', digest: d.digest ?? '', tag: d.tag ?? '' },
      };
    }
  }
}

/**
 * Structural check of a CDEvent (spec v0.4): a `context` with `version`, `id`, `source`, a
 * `dev.cdevents.` `type` and a `timestamp`, and a `subject` with `id` and a `content` object.
 * (Flux validates the full JSON schema; see README.)
 */
function cdeventProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'payload must be an object';
  const { context, subject } = value as {
    context?: Record<string, unknown>;
    subject?: Record<string, unknown>;
  };
  if (typeof context !== 'object' || context === null) return 'missing context';
  for (const k of ['version', 'id', 'source', 'type', 'timestamp']) {
    if (typeof context[k] !== 'string' || context[k] === '') return `context.${k} is required`;
  }
  if (!(context.type as string).startsWith('dev.cdevents.')) return 'context.type is not a CDEvents type';
  if (Number.isNaN(Date.parse(context.timestamp as string))) return 'context.timestamp is not a valid time';
  if (typeof subject !== 'object' || subject === null) return 'missing subject';
  if (typeof subject.id !== 'string' || subject.id === '') return 'subject.id is required';
  if (typeof subject.content !== 'object' || subject.content === null) return 'subject.content is required';
  return undefined;
}
