/**
 * The notification-provider plug-in contract: the definition type every provider file exports,
 * the resolved provider configuration (Flux's Secret precedence rules, §4 of the spec), and the
 * helpers provider files use to validate their own fields.
 *
 * @packageDocumentation
 */
import { ConfigError } from '@tidewatch/core';
import type { ConfigProblem, PluginContext, PluginDefinition, SecretRegistry } from '@tidewatch/core';
import { parse as parseYaml } from 'yaml';
import type { FluxEvent, SendOptions, SendResult } from './types.js';

/**
 * Which of Flux's provider-type gates (§3.4) apply to a provider:
 * - `commit-status`: git commit-status types (github, gitlab, gitea, bitbucket, bitbucketserver, azuredevops);
 * - `change-request`: PR/MR comment types (need `change_request` metadata);
 * - `generic`: generic and generic-hmac (receive `commit_status=update` events too);
 * - `default`: every other type (never sees `commit_status=update` events).
 */
export type NotifierGate = 'commit-status' | 'change-request' | 'generic' | 'default';

/** How a provider reaches its endpoint. */
export type NotifierTransport = 'http' | 'nats' | 'grpc' | 'amqp' | 'sdk';

/** What a provider can do, as plain data. */
export interface NotifierCapabilities {
  /** How it talks to its endpoint. */
  readonly transport: NotifierTransport;
  /** Which dispatch gates apply (§3.4). */
  readonly gate: NotifierGate;
  /** Whether the Provider's proxy settings are honoured (Flux's factory, §4.3). */
  readonly proxy: boolean;
  /** Whether the Provider's TLS settings (`certSecretRef`) are honoured (§4.3). */
  readonly tls: boolean;
  /** Whether the Secret's `headers` are used. */
  readonly headers: boolean;
}

/** TLS material for a provider's HTTP client. */
export interface NotifierTls {
  /** PEM CA bundle. Flux replaces the system pool with it. */
  readonly ca?: string;
  /** PEM client certificate. */
  readonly cert?: string;
  /** PEM client key. */
  readonly key?: string;
}

/**
 * A Provider after validation and Secret resolution: what provider files work with.
 * Precedence follows Flux: the Secret's `address` replaces `spec.address`; the Secret's
 * `username` (with `password`) replaces `spec.username`; proxy `spec.proxy` < Secret `proxy` <
 * `proxySecret`.
 */
export interface ProviderConfig {
  /** Provider type id. */
  readonly type: string;
  /** Provider name, `''` when not given. */
  readonly name: string;
  /** Provider namespace, `''` when not given. */
  readonly namespace: string;
  /** Effective address (Secret first, trimmed), `''` when none. */
  readonly address: string;
  /** Channel, `''` when none. */
  readonly channel: string;
  /** Effective user name, `''` when none. */
  readonly username: string;
  /** The Secret's token, untrimmed. */
  readonly token: string | undefined;
  /** The Secret's password (only when the Secret also has a username). */
  readonly password: string | undefined;
  /** Basic credentials: set only when the Secret has both `username` and `password`. */
  readonly basicAuth: { readonly username: string; readonly password: string } | undefined;
  /** Parsed Secret `headers` (only for types whose capabilities say `headers`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Effective proxy URL (only for types whose capabilities say `proxy`). */
  readonly proxy: string | undefined;
  /** Whole-delivery budget in ms. */
  readonly timeoutMs: number;
  /** TLS material (only for types whose capabilities say `tls`). */
  readonly tls: NotifierTls | undefined;
  /** The Provider object's UID, `''` when none. */
  readonly uid: string;
  /** CEL expression for commit-status ids. */
  readonly commitStatusExpr: string | undefined;
  /** Whether the Provider is suspended. */
  readonly suspend: boolean;
  /** Every string key of the Secret (type-specific keys such as `githubAppID`, `creds`, `nkey`). */
  readonly secret: Readonly<Record<string, string>>;
}

/** One HTTP request a provider makes. */
export interface NotifyRequest {
  /** Absolute URL. */
  readonly url: string | URL;
  /** The HTTP method. @default 'POST' */
  readonly method?: string;
  /** Request headers (names as Flux sends them). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Body bytes. */
  readonly body?: string | Uint8Array;
  /**
   * Retries after the first attempt; overrides the provider's policy (Datadog's client never retries).
   * @default the notifier's retry policy (4)
   */
  readonly retries?: number;
  /** Cancels the request (the delivery deadline is already applied by the transport's caller). */
  readonly signal?: AbortSignal;
  /**
   * When true (the default) a non-2xx answer after retries rejects with a `NotifyError`
   * `request failed with status code N: <body>`; when false it resolves.
   * @default true
   */
  readonly throwOnStatus?: boolean;
}

/** The answer to a {@link NotifyRequest}. */
export interface NotifyResponse {
  /** HTTP status. */
  readonly status: number;
  /** Response headers. */
  readonly headers: Headers;
  /** Body as UTF-8 text. */
  text(): string;
  /** Body parsed as JSON (`undefined` when it is not JSON: remote data is parsed leniently). */
  json(): unknown;
}

/** Sends one request with Flux's retry policy (go-retryablehttp), the provider's proxy and TLS. */
export type NotifyTransport = (request: NotifyRequest) => Promise<NotifyResponse>;

/** What a provider receives when it is created. */
export interface NotifierContext extends PluginContext {
  /** `notify:<type>`, for error messages. */
  readonly scope: string;
  /** Every secret of this provider, for redacting messages. */
  readonly secrets: SecretRegistry;
  /** HTTP transport configured for this provider (retries, proxy, TLS). */
  readonly request: NotifyTransport;
}

/** A created provider: posts one (already merged and gated) event. */
export interface Notifier {
  /**
   * Delivers one event. Resolves `{ skipped: true }` when the provider deliberately ignores it
   * (e.g. PagerDuty and `Progressing`). Runs under the caller's signal, which carries the deadline.
   */
  post(event: FluxEvent, options?: SendOptions): Promise<SendResult>;
  /** Releases connections, if the provider holds any. */
  close?(): Promise<void>;
}

/**
 * A notification provider definition: one per file in `src/providers/`, listed in
 * `src/providers/index.ts`. Third-party providers use exactly this type.
 */
export interface NotifierDefinition<Options extends ProviderConfig = ProviderConfig> extends PluginDefinition<
  Options,
  Notifier,
  NotifierCapabilities
> {
  /** Creates the provider from options returned by `parseOptions`. */
  create(options: Options, context: NotifierContext): Notifier;
}

/** What {@link defineNotifier} needs. */
export interface DefineNotifierInput<Extra extends object> {
  /** Type id, equal to the file name. */
  readonly id: string;
  /** Plain-data capabilities. */
  readonly capabilities: NotifierCapabilities;
  /**
   * Secret keys to redact besides the common ones (`token`, `password`, `address`, header values).
   * @default []
   */
  readonly secretFields?: readonly string[];
  /** Type-specific validation: push every problem, return the extra options. */
  readonly parse?: (config: ProviderConfig, problems: ConfigProblem[]) => Extra;
  /** Creates the provider. */
  readonly create: (options: ProviderConfig & Extra, context: NotifierContext) => Notifier;
}

const COMMON_SECRET_FIELDS = ['address', 'token', 'password', 'headers', 'proxy'] as const;

/**
 * Builds a {@link NotifierDefinition} whose `parseOptions` runs the common Provider validation
 * ({@link parseProviderConfig}) and then `parse`, reporting every problem in one `ConfigError`.
 *
 * @example
 * ```ts
 * export const myChat = defineNotifier({
 *   id: 'my-chat',
 *   capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
 *   parse: (config, problems) => { requireUrl(config, problems); return {}; },
 *   create: (options, ctx) => ({
 *     async post(event, { signal } = {}) {
 *       await ctx.request({ url: options.address, body: event.message, ...(signal ? { signal } : {}) });
 *       return { skipped: false };
 *     },
 *   }),
 * });
 * ```
 */
export function defineNotifier<Extra extends object = Record<never, never>>(
  input: DefineNotifierInput<Extra>,
): NotifierDefinition<ProviderConfig & Extra> {
  return {
    id: input.id,
    capabilities: input.capabilities,
    secretFields: [...COMMON_SECRET_FIELDS, ...(input.secretFields ?? [])],
    parseOptions(raw: unknown): ProviderConfig & Extra {
      const problems: ConfigProblem[] = [];
      const config = parseProviderConfig(raw, { id: input.id, capabilities: input.capabilities }, problems);
      const extra = input.parse ? input.parse(config, problems) : ({} as Extra);
      if (problems.length > 0) throw new ConfigError(`notify:${input.id}`, problems);
      return { ...config, ...extra };
    },
    create: input.create,
  };
}

const TIMEOUT_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m))+$/;
const MAX_FIELD = 2048;

/** Parses a Flux Provider timeout (`^([0-9]+(\.[0-9]+)?(ms|s|m))+$`) into ms. */
export function parseProviderTimeout(value: string): number | undefined {
  if (!TIMEOUT_PATTERN.test(value)) return undefined;
  let total = 0;
  for (const m of value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m)/g)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
  }
  return total;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  problems: ConfigProblem[],
  max = Infinity,
): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    problems.push({ path: `${path}${key}`, message: `must be a string, got ${typeof v}` });
    return undefined;
  }
  if (Buffer.byteLength(v, 'utf8') > max) {
    problems.push({ path: `${path}${key}`, message: `must be at most ${max} bytes` });
  }
  return v;
}

function parseHeaders(value: unknown, problems: ConfigProblem[]): Record<string, string> {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = parseYaml(value) as unknown;
    } catch (err) {
      const detail = err instanceof Error ? err.message.split('\n')[0] : 'unreadable';
      problems.push({ path: 'secret.headers', message: `invalid YAML: ${detail}` });
      return {};
    }
    if (parsed === null || parsed === undefined) return {};
  }
  if (!isRecord(parsed)) {
    problems.push({ path: 'secret.headers', message: 'must be a map of header names to values' });
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else problems.push({ path: `secret.headers.${k}`, message: 'must be a string' });
  }
  return out;
}

function checkProxyUrl(value: string, path: string, problems: ConfigProblem[]): void {
  try {
    const u = new URL(value);
    if (!['http:', 'https:', 'socks5:'].includes(u.protocol)) {
      problems.push({ path, message: `unsupported proxy scheme '${u.protocol.slice(0, -1)}'` });
    }
  } catch {
    problems.push({ path, message: 'invalid proxy URL' });
  }
}

/**
 * Validates a flattened Provider spec and resolves its Secrets with Flux's precedence rules.
 * Pushes every problem found to `problems` and returns a best-effort config.
 *
 * Decision (spec README rule 3): a Secret with only one of `username`/`password` is a
 * `ConfigError`; Flux silently ignores both the credentials and the token in that case.
 */
export function parseProviderConfig(
  input: unknown,
  definition: { readonly id: string; readonly capabilities: NotifierCapabilities },
  problems: ConfigProblem[],
): ProviderConfig {
  const caps = definition.capabilities;
  const spec: Record<string, unknown> = isRecord(input) ? input : {};
  if (!isRecord(input)) problems.push({ path: '', message: 'provider must be an object' });

  const type = typeof spec.type === 'string' ? spec.type : '';
  if (type !== definition.id) {
    problems.push({ path: 'type', message: `must be '${definition.id}', got '${String(spec.type)}'` });
  }
  const str = (key: string, max = MAX_FIELD): string | undefined =>
    optionalString(spec, key, '', problems, max);
  const specAddress = str('address');
  const channel = str('channel') ?? '';
  const specUsername = str('username') ?? '';
  const uid = str('uid', Infinity) ?? '';
  const name = str('name', Infinity) ?? '';
  const namespace = str('namespace', Infinity) ?? '';
  const commitStatusExpr = str('commitStatusExpr', Infinity);
  if (commitStatusExpr !== undefined && caps.gate !== 'commit-status') {
    problems.push({ path: 'commitStatusExpr', message: 'is only supported by git commit-status providers' });
  }
  const timeoutRaw = str('timeout', Infinity);
  let timeoutMs = 15_000;
  if (timeoutRaw !== undefined) {
    const t = parseProviderTimeout(timeoutRaw);
    if (t === undefined) {
      problems.push({
        path: 'timeout',
        message: `invalid duration '${timeoutRaw}' (e.g. 15s, 500ms, 1m30s)`,
      });
    } else timeoutMs = t;
  }
  let suspend = false;
  if (spec.suspend !== undefined) {
    if (typeof spec.suspend === 'boolean') suspend = spec.suspend;
    else problems.push({ path: 'suspend', message: 'must be a boolean' });
  }
  const specProxy = str('proxy');
  if (specProxy !== undefined && !/^(http|https):\/\/.*$/.test(specProxy)) {
    problems.push({ path: 'proxy', message: 'must be an http:// or https:// URL' });
  }

  // The Secret.
  const rawSecret = spec.secret;
  const secretObj: Record<string, unknown> = isRecord(rawSecret) ? rawSecret : {};
  if (rawSecret !== undefined && !isRecord(rawSecret)) {
    problems.push({ path: 'secret', message: 'must be a map of keys to string values' });
  }
  const secret: Record<string, string> = {};
  for (const [k, v] of Object.entries(secretObj)) {
    if (typeof v === 'string') secret[k] = v;
    else if (k !== 'headers') problems.push({ path: `secret.${k}`, message: 'must be a string' });
  }
  let address = specAddress ?? '';
  if (secret.address !== undefined) {
    address = secret.address.trim();
    if (Buffer.byteLength(address, 'utf8') > MAX_FIELD) {
      problems.push({ path: 'secret.address', message: `must be at most ${MAX_FIELD} bytes` });
    }
  }
  const token = secret.token;
  let username = specUsername;
  let password: string | undefined;
  let basicAuth: ProviderConfig['basicAuth'];
  const hasUser = secret.username !== undefined;
  const hasPass = secret.password !== undefined;
  if (hasUser && hasPass) {
    username = secret.username!;
    password = secret.password!;
    basicAuth = { username, password };
  } else if (hasUser !== hasPass) {
    problems.push({
      path: hasUser ? 'secret.password' : 'secret.username',
      message:
        'is required when the Secret has ' +
        (hasUser ? "'username'" : "'password'") +
        ' (Flux would silently ignore both the credentials and the token)',
    });
  }
  const headers =
    secretObj.headers !== undefined && caps.headers ? parseHeaders(secretObj.headers, problems) : {};

  // Proxy: spec.proxy < Secret proxy < proxySecret.
  let proxy: string | undefined = specProxy;
  if (secret.proxy !== undefined && secret.proxy.trim() !== '') {
    proxy = secret.proxy.trim();
    checkProxyUrl(proxy, 'secret.proxy', problems);
  }
  if (spec.proxySecret !== undefined) {
    const ps = spec.proxySecret;
    if (!isRecord(ps) || typeof ps.address !== 'string' || ps.address === '') {
      problems.push({ path: 'proxySecret.address', message: 'is required' });
    } else if (Buffer.byteLength(ps.address, 'utf8') > MAX_FIELD) {
      problems.push({ path: 'proxySecret.address', message: `must be at most ${MAX_FIELD} bytes` });
    } else {
      checkProxyUrl(ps.address, 'proxySecret.address', problems);
      try {
        const u = new URL(ps.address);
        if (typeof ps.username === 'string') u.username = encodeURIComponent(ps.username);
        if (typeof ps.password === 'string') u.password = encodeURIComponent(ps.password);
        proxy = u.toString();
      } catch {
        /* reported above */
      }
    }
  }

  // TLS: certSecret first; git commit-status types fall back to the Secret's keys.
  let tls: NotifierTls | undefined;
  const cert = isRecord(spec.certSecret) ? spec.certSecret : undefined;
  if (spec.certSecret !== undefined && !cert) {
    problems.push({ path: 'certSecret', message: 'must be a map of keys to string values' });
  }
  const pick = (obj: Record<string, unknown>, ...keys: string[]): string | undefined => {
    for (const k of keys) if (typeof obj[k] === 'string' && obj[k] !== '') return obj[k];
    return undefined;
  };
  const tlsSource: [Record<string, unknown>, string] | undefined = cert
    ? [cert, 'certSecret']
    : caps.gate === 'commit-status' && (secret['ca.crt'] || secret['tls.crt'] || secret['tls.key'])
      ? [secret, 'secret']
      : undefined;
  if (tlsSource) {
    const [src, where] = tlsSource;
    const ca = pick(src, 'ca.crt', 'caFile');
    const crt = pick(src, 'tls.crt', 'certFile');
    const key = pick(src, 'tls.key', 'keyFile');
    if ((crt === undefined) !== (key === undefined)) {
      problems.push({
        path: `${where}.${crt === undefined ? 'tls.crt' : 'tls.key'}`,
        message: 'a client certificate needs both tls.crt and tls.key',
      });
    }
    if (ca !== undefined || crt !== undefined) {
      tls = {
        ...(ca !== undefined ? { ca } : {}),
        ...(crt !== undefined ? { cert: crt } : {}),
        ...(key !== undefined ? { key } : {}),
      };
    }
  }

  return {
    type,
    name,
    namespace,
    address,
    channel,
    username,
    token,
    password,
    basicAuth,
    headers,
    proxy: caps.proxy ? proxy : undefined,
    timeoutMs,
    tls: caps.tls ? tls : undefined,
    uid,
    commitStatusExpr,
    suspend,
    secret,
  };
}

/**
 * Checks that `config.address` is an absolute http(s) URL; pushes Flux's
 * `invalid <label> URL` problem otherwise.
 */
export function requireUrl(config: ProviderConfig, problems: ConfigProblem[], label = 'address'): void {
  if (config.address === '') {
    problems.push({ path: 'address', message: `${label} is required` });
    return;
  }
  try {
    const u = new URL(config.address);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    problems.push({ path: 'address', message: `invalid ${label} URL` });
  }
}

/** Pushes `message` as a problem at `path` when `value` is empty. */
export function requireValue(
  value: string | undefined,
  path: string,
  message: string,
  problems: ConfigProblem[],
): void {
  if (value === undefined || value === '') problems.push({ path, message });
}

/**
 * POSTs a JSON body to `url` with `Content-Type: application/json` (the shape most chat webhooks
 * share) and reports the event as sent.
 */
export async function postJson(
  ctx: NotifierContext,
  url: string,
  body: string,
  signal?: AbortSignal,
): Promise<SendResult> {
  await ctx.request({
    url,
    headers: { 'Content-Type': 'application/json' },
    body,
    ...(signal ? { signal } : {}),
  });
  return { skipped: false };
}
