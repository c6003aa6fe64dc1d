/**
 * Policies → setters (automation.md §2.2): four setters per policy, validated once at the edge.
 */
import { ConfigError } from '@tidewatch/core';
import type { ConfigProblem } from '@tidewatch/core';
import { lookupFromTable, resolveSetter, type SetterLookup } from './resolve.js';
import type { Policies, PolicyImage } from './types.js';

export type { SetterLookup, SetterResolution, SetterSuffix } from './resolve.js';

// Whitespace, C0/C1 controls, DEL, the YAML 1.1 line breaks (NEL, LS, PS) and lone surrogates.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\s\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Cs}]/u;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const POLICY_KEY = /^[^:\s]+:[^:\s]+$/;

function checkImage(value: unknown, path: string, problems: ConfigProblem[]): value is PolicyImage {
  if (typeof value !== 'object' || value === null) {
    problems.push({ path, message: 'must be an object { image, tag, digest? }' });
    return false;
  }
  const start = problems.length;
  const v = value as Record<string, unknown>;
  for (const field of ['image', 'tag'] as const) {
    const s = v[field];
    if (typeof s !== 'string' || s === '')
      problems.push({ path: `${path}.${field}`, message: 'must be a non-empty string' });
    else if (FORBIDDEN.test(s))
      problems.push({
        path: `${path}.${field}`,
        message: 'must not contain whitespace or control characters',
      });
  }
  const d = v['digest'];
  if (d !== undefined && (typeof d !== 'string' || !DIGEST.test(d))) {
    problems.push({
      path: `${path}.digest`,
      message: 'must be a digest such as sha256:<hex>, or be left out',
    });
  }
  return problems.length === start;
}

/**
 * Validates the policies once (every problem reported together) and returns a setter lookup.
 * A resolver function is called lazily, once per policy, and its answers are validated as they come.
 *
 * @throws ConfigError listing every invalid entry.
 */
export function createSetterLookup(policies: Policies, scope = 'setters:policies'): SetterLookup {
  if (typeof policies === 'function') {
    const cache = new Map<string, PolicyImage | undefined>();
    const find = (name: string): PolicyImage | undefined => {
      if (cache.has(name)) return cache.get(name);
      const got: unknown = policies(name);
      let image: PolicyImage | undefined;
      if (got !== undefined && got !== null) {
        const problems: ConfigProblem[] = [];
        if (!checkImage(got, `policies(${JSON.stringify(name)})`, problems))
          throw new ConfigError(scope, problems);
        image = got;
      }
      cache.set(name, image);
      return image;
    };
    return (setter) => resolveSetter(setter, find);
  }
  const problems: ConfigProblem[] = [];
  const entries: [string, unknown][] =
    policies instanceof Map
      ? [...(policies as ReadonlyMap<string, unknown>).entries()]
      : typeof policies === 'object' && policies !== null
        ? Object.entries(policies)
        : [];
  if (!(policies instanceof Map) && (typeof policies !== 'object' || policies === null)) {
    problems.push({ path: 'policies', message: 'must be a Map, an object or a function' });
  }
  const map = new Map<string, PolicyImage>();
  for (const [key, value] of entries) {
    const path = `policies[${JSON.stringify(key)}]`;
    if (typeof key !== 'string' || !POLICY_KEY.test(key)) {
      problems.push({ path, message: 'the key must be "namespace:name"' });
    }
    if (checkImage(value, path, problems)) map.set(key, value);
  }
  if (problems.length > 0) throw new ConfigError(scope, problems);
  return lookupFromTable(map);
}
