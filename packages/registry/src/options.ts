/**
 * Small helpers for the strict `parseOptions` of credential providers.
 *
 * @packageDocumentation
 */
import { ConfigError } from '@tidewatch/core';
import type { ConfigProblem } from '@tidewatch/core';

/** Checks that `input` is a plain object whose keys are all in `allowed`. */
export function objectOptions(
  scope: string,
  input: unknown,
  allowed: readonly string[],
  problems: ConfigProblem[],
): Record<string, unknown> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError(scope, [{ path: '', message: 'options must be an object' }]);
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key))
      problems.push({ path: key, message: `unknown option (allowed: ${allowed.join(', ')})` });
  }
  return o;
}

/** Reads an optional non-empty string option. */
export function optionalString(
  o: Record<string, unknown>,
  key: string,
  problems: ConfigProblem[],
): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') {
    problems.push({ path: key, message: 'must be a non-empty string' });
    return undefined;
  }
  return v;
}

/** Reads an optional function option. */
export function optionalFunction<F>(
  o: Record<string, unknown>,
  key: string,
  problems: ConfigProblem[],
): F | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'function') {
    problems.push({ path: key, message: 'must be a function' });
    return undefined;
  }
  return v as F;
}

/** Throws one {@link ConfigError} with every problem, if there are any. */
export function throwProblems(scope: string, problems: readonly ConfigProblem[]): void {
  if (problems.length > 0) throw new ConfigError(scope, problems);
}
