import { describe, expect, it } from 'vitest';
import {
  apiGroup,
  cleanEventMetadata,
  excludeInternalMetadata,
  gateEvent,
  matchAlert,
  mergeMetadata,
  validateAlert,
} from './alert.js';
import type { AlertSpec, FluxEvent } from './types.js';

const event: FluxEvent = {
  involvedObject: {
    kind: 'Kustomization',
    namespace: 'flux-system',
    name: 'webapp',
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  },
  severity: 'info',
  timestamp: new Date('2024-01-01T00:00:00Z'),
  message: 'Reconciliation finished in 2s, next run in 10m',
  reason: 'ReconciliationSucceeded',
  reportingController: 'kustomize-controller',
};

const base: AlertSpec = {
  name: 'a',
  namespace: 'flux-system',
  providerRef: { name: 'p' },
  eventSources: [{ kind: 'Kustomization', name: '*' }],
};

describe('matchAlert (§3.2)', () => {
  it('a suspended Alert matches nothing', () => {
    expect(matchAlert(base, event)).toBe(true);
    expect(matchAlert({ ...base, suspend: true }, event)).toBe(false);
  });

  it("an empty source namespace means the Alert's namespace, not any", () => {
    expect(
      matchAlert(base, { ...event, involvedObject: { ...event.involvedObject, namespace: 'other' } }),
    ).toBe(false);
    const explicit: AlertSpec = {
      ...base,
      eventSources: [{ kind: 'Kustomization', name: '*', namespace: 'other' }],
    };
    expect(
      matchAlert(explicit, { ...event, involvedObject: { ...event.involvedObject, namespace: 'other' } }),
    ).toBe(true);
  });

  it('kind is case-sensitive; apiVersion is ignored', () => {
    expect(matchAlert({ ...base, eventSources: [{ kind: 'kustomization', name: '*' }] }, event)).toBe(false);
    expect(
      matchAlert(
        { ...base, eventSources: [{ kind: 'Kustomization', name: '*', apiVersion: 'x/v9' }] },
        event,
      ),
    ).toBe(true);
  });

  it('eventSeverity info lets every severity through; error only errors', () => {
    const err = { ...event, severity: 'error' as const };
    const trace = { ...event, severity: 'trace' as const };
    expect(matchAlert(base, err)).toBe(true);
    expect(matchAlert(base, trace)).toBe(true);
    expect(matchAlert({ ...base, eventSeverity: 'error' }, event)).toBe(false);
    expect(matchAlert({ ...base, eventSeverity: 'error' }, err)).toBe(true);
  });

  it('* is the only wildcard: app-* is literal', () => {
    expect(matchAlert({ ...base, eventSources: [{ kind: 'Kustomization', name: 'webapp' }] }, event)).toBe(
      true,
    );
    expect(matchAlert({ ...base, eventSources: [{ kind: 'Kustomization', name: 'web*' }] }, event)).toBe(
      false,
    );
  });

  it('at least one source must match', () => {
    const alert: AlertSpec = {
      ...base,
      eventSources: [
        { kind: 'GitRepository', name: '*' },
        { kind: 'Kustomization', name: 'webapp' },
      ],
    };
    expect(matchAlert(alert, event)).toBe(true);
  });

  it('matchLabels need the object labels; an unknown object is no match', () => {
    const alert: AlertSpec = {
      ...base,
      eventSources: [{ kind: 'Kustomization', name: '*', matchLabels: { team: 'a' } }],
    };
    expect(matchAlert(alert, event)).toBe(false);
    expect(matchAlert(alert, event, { labels: () => ({ team: 'a', x: 'y' }) })).toBe(true);
    expect(matchAlert(alert, event, { labels: () => ({ team: 'b' }) })).toBe(false);
    expect(matchAlert(alert, event, { labels: () => undefined })).toBe(false);
  });

  it('inclusion (unanchored RE2) then exclusion, exclusion wins', () => {
    expect(matchAlert({ ...base, inclusionList: ['finished'] }, event)).toBe(true);
    expect(matchAlert({ ...base, inclusionList: ['^finished'] }, event)).toBe(false);
    expect(matchAlert({ ...base, inclusionList: ['finished'], exclusionList: ['next run'] }, event)).toBe(
      false,
    );
    expect(matchAlert({ ...base, exclusionList: ['(?i)RECONCILIATION'] }, event)).toBe(false);
  });

  it('an invalid regex counts as no match: a bad inclusion drops all, a bad exclusion drops none', () => {
    expect(matchAlert({ ...base, inclusionList: ['(?<=x)finished'] }, event)).toBe(false);
    expect(matchAlert({ ...base, exclusionList: ['(unclosed'] }, event)).toBe(true);
  });

  it('validateAlert reports every invalid regex and missing field at once', () => {
    const problems = validateAlert(
      { providerRef: {}, eventSources: [{ kind: '' }], inclusionList: ['(a'], exclusionList: ['(?=x)'] },
      'alerts[0]',
    );
    expect(problems.map((p) => p.path)).toEqual([
      'alerts[0].providerRef.name',
      'alerts[0].eventSources[0].kind',
      'alerts[0].eventSources[0].name',
      'alerts[0].inclusionList[0]',
      'alerts[0].exclusionList[0]',
    ]);
  });
});

describe('event clean-up (§2.1)', () => {
  it('keeps event.toolkit.fluxcd.io/ and <group>/ keys, drops checksum/digest (any case) and others', () => {
    const cleaned = cleanEventMetadata({
      ...event,
      metadata: {
        'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc',
        'kustomize.toolkit.fluxcd.io/Checksum': 'x',
        'kustomize.toolkit.fluxcd.io/digest': 'y',
        'event.toolkit.fluxcd.io/commit': 'c',
        'source.toolkit.fluxcd.io/revision': 'other group',
        plain: 'dropped',
      },
    });
    expect(cleaned.metadata).toEqual({
      'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:abc',
      'event.toolkit.fluxcd.io/commit': 'c',
    });
  });

  it('the group of a core apiVersion (v1) is empty: the prefix is "/"', () => {
    expect(apiGroup('v1')).toBe('');
    expect(apiGroup('a/b/c')).toBe('');
    const cleaned = cleanEventMetadata({
      ...event,
      involvedObject: { ...event.involvedObject, apiVersion: 'v1' },
      metadata: { '/revision': 'r', revision: 'x' },
    });
    expect(cleaned.metadata).toEqual({ '/revision': 'r' });
  });

  it('drops the internal token key', () => {
    const e = excludeInternalMetadata({
      ...event,
      metadata: { 'kustomize.toolkit.fluxcd.io/token': 't', 'kustomize.toolkit.fluxcd.io/revision': 'r' },
    });
    expect(e.metadata).toEqual({ 'kustomize.toolkit.fluxcd.io/revision': 'r' });
  });
});

describe('provider gates (§3.4)', () => {
  const update = { ...event, metadata: { 'kustomize.toolkit.fluxcd.io/commit_status': 'update' } };
  it('commit_status=update only reaches git commit-status and generic providers', () => {
    expect(gateEvent('default', update)).toBeDefined();
    expect(gateEvent('change-request', update)).toBeDefined();
    expect(gateEvent('generic', update)).toBeUndefined();
    expect(gateEvent('commit-status', update)).toBeUndefined();
  });
  it('commit-status providers need a commit annotation, a status update or an error', () => {
    expect(gateEvent('commit-status', event)).toBeDefined();
    expect(gateEvent('commit-status', { ...event, severity: 'error' })).toBeUndefined();
    expect(
      gateEvent('commit-status', { ...event, metadata: { 'event.toolkit.fluxcd.io/commit': 'abc' } }),
    ).toBeUndefined();
    expect(gateEvent('default', event)).toBeUndefined();
  });
  it('change-request providers need change_request metadata', () => {
    expect(gateEvent('change-request', event)).toBeDefined();
    expect(
      gateEvent('change-request', { ...event, metadata: { 'event.toolkit.fluxcd.io/change_request': '7' } }),
    ).toBeUndefined();
  });
});

describe('metadata merge (§3.5)', () => {
  it('annotations < eventMetadata < summary < controller metadata; keys un-prefixed; conflicts listed', () => {
    const merged = mergeMetadata(
      {
        ...event,
        metadata: {
          'event.toolkit.fluxcd.io/summary': 'from annotation',
          'event.toolkit.fluxcd.io/env': 'annotation-env',
          'kustomize.toolkit.fluxcd.io/revision': 'main@sha1:1',
        },
      },
      {
        ...base,
        eventMetadata: { env: 'prod', revision: 'alert-cannot-override', summary: 'em' },
        summary: 'alert summary',
      },
    );
    expect(merged.event.metadata).toEqual({
      summary: 'alert summary',
      env: 'prod',
      revision: 'main@sha1:1',
    });
    expect(merged.conflicts.map((c) => c.key)).toEqual(['env', 'revision', 'summary']);
    expect(merged.conflicts.find((c) => c.key === 'summary')!.sources).toEqual([
      'involved object annotations',
      'Alert object .spec.eventMetadata',
      'Alert object .spec.summary',
    ]);
  });

  it('a controller summary beats the Alert summary', () => {
    const merged = mergeMetadata(
      { ...event, metadata: { 'kustomize.toolkit.fluxcd.io/summary': 'ctrl' } },
      { ...base, summary: 'alert' },
    );
    expect(merged.event.metadata).toEqual({ summary: 'ctrl' });
  });

  it('an empty merge keeps the (empty) metadata', () => {
    const e = { ...event, metadata: {} };
    expect(mergeMetadata(e, base).event).toBe(e);
  });
});
