import { describe, expect, it } from 'vitest';
import type { FluxEvent } from '../types.js';
import { commitFromRevision, eventRevision, statusDescription, statusName } from './revision.js';

const SHA = '5394cb7f48332b2de7c17dd8b8384bbc84b7e738';
const base: FluxEvent = {
  involvedObject: { kind: 'Kustomization', namespace: 'ns', name: 'WebApp' },
  severity: 'info',
  timestamp: null,
  message: '',
  reason: 'ReconciliationSucceeded',
  reportingController: 'kustomize-controller',
};

describe('revision → commit (spec §1.3)', () => {
  it('takes commit, else originRevision, else revision', () => {
    const md = { commit: 'c', originRevision: 'o', revision: 'r' };
    expect(eventRevision({ ...base, metadata: md })).toBe('c');
    expect(eventRevision({ ...base, metadata: { originRevision: 'o', revision: 'r' } })).toBe('o');
    expect(eventRevision({ ...base, metadata: { revision: 'r' } })).toBe('r');
    expect(eventRevision({ ...base, metadata: {} })).toBeUndefined();
    expect(eventRevision(base)).toBeUndefined();
  });

  it.each([
    [`main@sha1:${SHA}`],
    [`feature/branch@sha1:${SHA}`],
    [`sha1:${SHA}`],
    [`main/${SHA}`],
    [`feature/branch/${SHA}`],
    [SHA],
  ])('extracts the 40-hex hash from %s', (rev) => {
    expect(commitFromRevision(rev)).toBe(SHA);
  });

  it.each([
    ['a short SHA', 'main@sha1:5394cb7'],
    [
      'an OCI sha256 digest',
      'latest@sha256:0c1b3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a',
    ],
    ['a chart version', '6.5.4'],
    ['an empty string', ''],
  ])('rejects %s', (_what, rev) => {
    expect(commitFromRevision(rev)).toBeUndefined();
  });
});

describe('description and name (spec §5.1)', () => {
  it.each([
    ['ReconciliationSucceeded', 'reconciliation succeeded'],
    ['HealthCheckFailed', 'health check failed'],
    ['Progressing', 'progressing'],
    ['OCIArtifactPullFailed', 'oci artifact pull failed'],
  ])('%s → %s', (reason, want) => {
    expect(statusDescription(reason)).toBe(want);
  });

  it('name is the lower-cased <kind>/<name>', () => {
    expect(statusName(base)).toBe('kustomization/webapp');
  });
});
