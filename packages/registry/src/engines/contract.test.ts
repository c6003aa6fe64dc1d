// The shared contract of source engines, run against every registered engine with a loopback upstream.
import { ConfigError, defaultPluginContext } from '@tidewatch/core';
import { startFakeRegistry } from '@tidewatch/testkit';
import type { FakeRegistry } from '@tidewatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceEngines } from './index.js';

let reg: FakeRegistry;
beforeAll(async () => {
  reg = await startFakeRegistry({ repositories: { 'org/app': ['1.0.0', '2.0.0', 'x.sig'] } });
});
afterAll(() => reg?.close());

const fixtures: Record<string, { source: () => string; options: unknown; versions: readonly string[] }> = {
  oci: { source: () => `${reg.host}/org/app`, options: { retries: 0 }, versions: ['2.0.0', '1.0.0'] },
};

describe.each(sourceEngines.map((e) => [e.id, e] as const))('source engine %s', (id, def) => {
  it('has a fixture and a well-formed definition', () => {
    expect(fixtures[id]).toBeDefined();
    expect(def.id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    expect(typeof def.capabilities.digests).toBe('boolean');
  });

  it('rejects unknown options with a ConfigError', () => {
    expect(() => def.parseOptions({ definitelyNotAnOption: 1 })).toThrow(ConfigError);
  });

  it('lists versions with a revision, and reports no change for the same revision', async () => {
    const engine = def.create(def.parseOptions(fixtures[id]!.options), defaultPluginContext());
    const first = await engine.list({ source: fixtures[id]!.source() });
    expect(first.versions).toEqual(fixtures[id]!.versions);
    expect(first.changed).toBe(true);
    expect(first.condition.status).toBe('True');
    const again = await engine.list({ source: fixtures[id]!.source(), previousRevision: first.revision });
    expect(again.changed).toBe(false);
  });
});
