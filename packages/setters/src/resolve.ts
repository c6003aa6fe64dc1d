/**
 * Setter names → values (automation.md §2.2): four setters per policy. This module imports no
 * workspace package (the worker threads of `updateFiles` load it on their own); validation of the
 * policies lives in `policies.ts`.
 */
import type { PolicyImage } from './types.js';

/** The suffixes Flux defines besides the bare `ns:name` setter. */
export type SetterSuffix = 'tag' | 'name' | 'digest';

/** What a setter name resolves to. */
export type SetterResolution =
  | {
      readonly kind: 'value';
      readonly value: string;
      readonly suffix: SetterSuffix | undefined;
      readonly policy: PolicyImage;
    }
  | { readonly kind: 'unknown-policy'; readonly reason: string }
  | { readonly kind: 'unknown-suffix'; readonly reason: string };

/**
 * Resolves setter names (`ns:name[:suffix]`) against the policies. `table` is set when the policies
 * were given as a map: the validated entries, which can be sent to a worker thread as plain data.
 */
export interface SetterLookup {
  (setter: string): SetterResolution;
  readonly table?: ReadonlyMap<string, PolicyImage>;
}

/** A lookup over an already validated table (the same answers as `createSetterLookup` gives for it). */
export function lookupFromTable(table: ReadonlyMap<string, PolicyImage>): SetterLookup {
  const lookup = (setter: string): SetterResolution => resolveSetter(setter, (name) => table.get(name));
  return Object.assign(lookup, { table });
}

export function resolveSetter(
  setter: string,
  find: (name: string) => PolicyImage | undefined,
): SetterResolution {
  const parts = setter.split(':');
  if (parts.length < 2) {
    return { kind: 'unknown-policy', reason: `"${setter}" has no namespace (write "namespace:${setter}")` };
  }
  if (parts.length > 3) return { kind: 'unknown-suffix', reason: `"${setter}" has more than one suffix` };
  const base = `${parts[0]}:${parts[1]}`;
  const suffix = parts[2];
  if (suffix !== undefined && suffix !== 'tag' && suffix !== 'name' && suffix !== 'digest') {
    return {
      kind: 'unknown-suffix',
      reason: `suffix ":${suffix}" is not one of :tag, :name, :digest (suffixes are case-sensitive)`,
    };
  }
  const policy = find(base);
  if (policy === undefined) {
    return { kind: 'unknown-policy', reason: `no policy "${base}" with a latest image` };
  }
  let value: string;
  if (suffix === 'tag') value = policy.tag;
  else if (suffix === 'name') value = policy.image;
  else if (suffix === 'digest') value = policy.digest ?? '';
  else value = `${policy.image}:${policy.tag}${policy.digest ? `@${policy.digest}` : ''}`;
  return { kind: 'value', value, suffix, policy };
}
