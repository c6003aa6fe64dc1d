/**
 * What the git commit-status providers share: the posting flow's inputs (commit, state,
 * description, status id) computed from an event as Flux does.
 *
 * @packageDocumentation
 */
import type { ConfigProblem } from '@tidewatch/core';
import { NotifyError } from '../errors.js';
import type { ProviderConfig } from '../provider.js';
import type { AlertSpec, FluxEvent, SendOptions } from '../types.js';
import { parseGitAddress } from './address.js';
import type { GitAddress, GitAddressError } from './address.js';
import { commitFromRevision, eventRevision, statusDescription } from './revision.js';
import { compileCommitStatusExpr, defaultCommitStatusId, type CommitStatusExpression } from './status-id.js';

/**
 * Send options the dispatcher may pass to forge and otel providers: the Alert that routed the
 * event (CEL `alert` variable, OTEL resource).
 */
export interface ForgeSendOptions extends SendOptions {
  /** The Alert that matched the event. */
  readonly alert?: AlertSpec;
}

/** Parses `config.address` as a git address, pushing Flux's error as a problem. */
export function parseAddressOption(
  config: ProviderConfig,
  problems: ConfigProblem[],
): GitAddress | undefined {
  if (config.address === '') {
    problems.push({ path: 'address', message: 'is required (the git repository URL)' });
    return undefined;
  }
  try {
    return parseGitAddress(config.address);
  } catch (err) {
    problems.push({ path: 'address', message: (err as GitAddressError).message });
    return undefined;
  }
}

/** The commit-status inputs of one event. */
export interface StatusInputs {
  /** 40-hex commit SHA. */
  readonly sha: string;
  /** `reconciliation succeeded` … */
  readonly description: string;
  /** The status id (context / name / key source). */
  readonly id: string;
}

/** Computes status ids for one provider: the CEL expression is compiled once, lazily. */
export function createStatusIdResolver(config: ProviderConfig, scope: string) {
  let compiled: Promise<CommitStatusExpression> | undefined;
  const provider = {
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Provider',
    metadata: { name: config.name, namespace: config.namespace, uid: config.uid },
    spec: {
      type: config.type,
      ...(config.channel ? { channel: config.channel } : {}),
      ...(config.username ? { username: config.username } : {}),
      ...(config.commitStatusExpr ? { commitStatusExpr: config.commitStatusExpr } : {}),
    },
  };
  return async (event: FluxEvent, alert: AlertSpec | undefined): Promise<string> => {
    const expr = config.commitStatusExpr ?? '';
    let id: string;
    if (expr === '') id = defaultCommitStatusId(config.uid, event);
    else {
      try {
        compiled ??= compileCommitStatusExpr(expr);
        const program = await compiled;
        id = program.evaluate({ event: eventMap(event), provider, alert: alertMap(alert) });
      } catch (err) {
        throw new NotifyError(
          'NOTIFY_DELIVERY',
          `[${scope}] failed to evaluate the spec.commitStatusExpr CEL expression for the event: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    if (id === '') throw new NotifyError('NOTIFY_DELIVERY', `[${scope}] commit status cannot be empty`);
    return id;
  };
}

function eventMap(event: FluxEvent): Record<string, unknown> {
  return {
    involvedObject: { ...event.involvedObject },
    severity: event.severity,
    timestamp: event.timestamp,
    message: event.message,
    reason: event.reason,
    metadata: { ...event.metadata },
    reportingController: event.reportingController,
    reportingInstance: event.reportingInstance ?? '',
  };
}

function alertMap(alert: AlertSpec | undefined): Record<string, unknown> {
  if (!alert) return {};
  const { name, namespace, uid, ...spec } = alert;
  return {
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Alert',
    metadata: { name: name ?? '', namespace: namespace ?? '', uid: uid ?? '' },
    spec,
  };
}

/**
 * The commit SHA of an event (Flux's revision rules), or a typed error with Flux's text:
 * `missing revision metadata` / `failed to extract commit hash from '<rev>' revision`.
 */
export function commitOf(event: FluxEvent, scope: string, prefix = ''): string {
  const rev = eventRevision(event);
  if (rev === undefined) throw new NotifyError('NOTIFY_UNSUPPORTED', `[${scope}] missing revision metadata`);
  const sha = commitFromRevision(rev);
  if (sha === undefined) {
    throw new NotifyError(
      'NOTIFY_UNSUPPORTED',
      `[${scope}] ${prefix}failed to extract commit hash from '${rev}' revision`,
    );
  }
  return sha;
}

/** Maps info/error to a provider's states; any other severity is Flux's conversion error. */
export function stateOf<T extends string>(
  event: FluxEvent,
  states: { readonly info: T; readonly error: T },
  scope: string,
  what: string,
): T {
  if (event.severity === 'info') return states.info;
  if (event.severity === 'error') return states.error;
  throw new NotifyError('NOTIFY_UNSUPPORTED', `[${scope}] ${what}`);
}

/**
 * Builds every status input of an event (status id, commit, description), in Flux's order: the
 * id is computed before the notifier runs (a failing CEL expression fails even a skipped event),
 * then `Progressing` events are skipped (`undefined`) unless `keepProgressing`.
 */
export async function statusInputs(
  event: FluxEvent,
  options: ForgeSendOptions | undefined,
  resolveId: (event: FluxEvent, alert: AlertSpec | undefined) => Promise<string>,
  scope: string,
  keepProgressing = false,
): Promise<StatusInputs | undefined> {
  const id = await resolveId(event, options?.alert);
  if (!keepProgressing && event.reason === 'Progressing') return undefined;
  const sha = commitOf(event, scope);
  return { sha, description: statusDescription(event.reason), id };
}

/** The result of a deliberately skipped event. */
export const SKIPPED_PROGRESSING = { skipped: true, reason: 'Progressing events are not reported' } as const;

/** Go's `encoding/json` with `SetEscapeHTML(false)` plus the trailing newline of `Encoder.Encode`. */
export function encoderJson(value: unknown): string {
  return `${JSON.stringify(value)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')}\n`;
}
