/**
 * `applySetters`: the public entry for one file's text. Validates its inputs once, then runs the
 * setter pass of `rewrite.ts`.
 */
import { ConfigError } from '@tidewatch/core';
import type { ConfigProblem } from '@tidewatch/core';
import { createSetterLookup, type SetterLookup } from './policies.js';
import { applyWithLookup } from './rewrite.js';
import type { ApplySettersOptions, ApplySettersResult, Policies } from './types.js';

export { applyWithLookup, MARKER_TOKEN } from './rewrite.js';

/**
 * Applies setter markers to one file's text. Only the bytes of changed scalars are replaced; text
 * without the `"$imagepolicy"` token is returned as is (Flux never parses such files).
 *
 * @param source - the file's text (a BOM, if any, kept as its first character)
 * @param policies - `"ns:name" → { image, tag, digest? }` as a `Map` or object, or a resolver function
 * @throws ConfigError when `source`, `policies` or `options` are invalid (every problem listed)
 *
 * @example
 * ```ts
 * const { output, changes } = applySetters(
 *   'image: ghcr.io/acme/web:1.0.0 # {"$imagepolicy": "apps:web"}\n',
 *   { 'apps:web': { image: 'ghcr.io/acme/web', tag: '1.1.0' } },
 * );
 * // output === 'image: ghcr.io/acme/web:1.1.0 # {"$imagepolicy": "apps:web"}\n'
 * ```
 */
export function applySetters(
  source: string,
  policies: Policies,
  options: ApplySettersOptions = {},
): ApplySettersResult {
  const problems: ConfigProblem[] = [];
  if (typeof source !== 'string') problems.push({ path: 'source', message: 'must be a string' });
  if (options.file !== undefined && typeof options.file !== 'string') {
    problems.push({ path: 'options.file', message: 'must be a string' });
  }
  let lookup: SetterLookup | undefined;
  try {
    lookup = createSetterLookup(policies, 'setters:apply');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length > 0 || !lookup) throw new ConfigError('setters:apply', problems);
  return applyWithLookup(source, lookup, options.file ?? '');
}
