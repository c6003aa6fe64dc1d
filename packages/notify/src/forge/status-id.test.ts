import { describe, expect, it } from 'vitest';
import type { FluxEvent } from '../types.js';
import { compileCommitStatusExpr, defaultCommitStatusId } from './status-id.js';

const event: FluxEvent = {
  involvedObject: { kind: 'Kustomization', namespace: 'gitops-system', name: 'WebApp' },
  severity: 'info',
  timestamp: null,
  message: 'm',
  reason: 'ReconciliationSucceeded',
  metadata: { foo: 'Bar' },
  reportingController: 'kustomize-controller',
};
const uid = '0c9c2e41-d2f9-4f9b-9c41-2ea5ad35a1f0';

describe('commit status id (spec §5.1)', () => {
  it('defaults to lowercase <Kind>/<name>/<first UID segment>', () => {
    expect(defaultCommitStatusId(uid, event)).toBe('kustomization/webapp/0c9c2e41');
  });

  it("evaluates Flux's documented commitStatusExpr example", async () => {
    const expr = await compileCommitStatusExpr(
      "(event.involvedObject.kind + '/' + event.involvedObject.name + '/' + event.metadata.foo + '/' + provider.metadata.uid.split('-').first().value()).lowerAscii()",
    );
    expect(expr.evaluate({ event, provider: { metadata: { uid } }, alert: {} })).toBe(
      'kustomization/webapp/bar/0c9c2e41',
    );
  });

  it('sees the alert', async () => {
    const expr = await compileCommitStatusExpr("alert.metadata.name + '/' + event.reason");
    expect(expr.evaluate({ event, provider: {}, alert: { metadata: { name: 'prod' } } })).toBe(
      'prod/ReconciliationSucceeded',
    );
  });

  it('rejects a syntax error at compile time and a non-string result at evaluation', async () => {
    await expect(compileCommitStatusExpr('event.(')).rejects.toThrow(/failed to compile expression/);
    const num = await compileCommitStatusExpr('1 + 2');
    expect(() => num.evaluate({ event, provider: {}, alert: {} })).toThrow(/expected string/);
    const missing = await compileCommitStatusExpr('event.metadata.nope');
    expect(() => missing.evaluate({ event, provider: {}, alert: {} })).toThrow();
  });
});
