/**
 * The worker-thread path of `updateFiles` must give exactly what the main thread gives: the same
 * bytes on disk, changes, warnings, files and diff, on every golden input and on bad input. Here the
 * pool is forced on (`poolTuning`: from the first file, waiting for the threads) and compared with `threads: 0` on identical trees.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortError } from '@tidewatch/core';
import { tempDir, type TempDir } from '@tidewatch/testkit';
import { poolTuning, updateFiles } from './files.js';
import { poolStats } from './pool.js';
import type { PolicyImage } from './types.js';
import { GOLDEN, goldenCases, goldenPolicies, readTree } from '../test/golden.js';

const cases = goldenCases;

const m = (setter: string): string => `# {"$imagepolicy": "${setter}"}`;
/** Files that exercise every outcome: changes, each kind of warning, skipped and unchanged files. */
const EDGE: Record<string, string | Buffer> = {
  'plain.yaml': `image: ghcr.io/acme/web:1.0.0 ${m('apps:web')}\n`,
  'crlf-bom.yaml': `\uFEFFa: 1\r\ntag: "1.0.0" ${m('apps:web:tag')}\r\n`,
  'multi.yaml': `kind: A\nx: 1 ${m('apps:web:tag')}\n---\nkind: B\nmetadata: {name: b}\ny: old ${m('apps:web:name')}\n`,
  'block.yaml': `v: |\n  1.0.0\n${m('apps:web:tag')}\nw: >+ ${m('apps:web:tag')}\n  1.0.0\n\n`,
  'invalid.yaml': `a: b ${m('apps:web:tag')}\n\tc: d\n  - e\n`,
  'seq-root.yaml': `- a ${m('apps:web:tag')}\n`,
  'warnings.yaml': `a: 1 ${m('apps:none')}\nb: 2 ${m('apps:web:TAG')}\nc: 3 # {'$imagepolicy': 'x'}\n*x: 1 ${m('apps:web')}\nd: ${m('apps:pin:digest')}\n  e: 1\n`,
  'digest.yaml': `d: old ${m('apps:pin:digest')}\nn: old ${m('apps:plain:digest')}\n`,
  'current.yaml': `image: ghcr.io/acme/web:1.1.0 ${m('apps:web')}\n`,
  'quoting.yaml': `t: 1.0 ${m('apps:float:tag')}\nf: [a, 1.0 ${m('apps:float:tag')}\n  ]\n`,
  'binary.yaml': Buffer.from(`a: 1 ${m('apps:web')}\0\n`),
  'latin1.yaml': Buffer.concat([Buffer.from(`a: 1 ${m('apps:web')}\n# `), Buffer.from([0xe9, 0x0a])]),
  'no-marker.yaml': 'a: 1\n',
};
const policies: Record<string, PolicyImage> = {
  ...goldenPolicies,
  'apps:web': { image: 'ghcr.io/acme/web', tag: '1.1.0' },
  'apps:pin': { image: 'ghcr.io/acme/pin', tag: '2.0', digest: `sha256:${'c'.repeat(64)}` },
  'apps:plain': { image: 'r/p', tag: '1' },
  'apps:float': { image: 'r/f', tag: '1.10' },
};

const tree = readTree;

/** Every golden input and every edge file, `copies` times, so that batches and both workers are used. */
function populate(root: string, copies: number): void {
  for (let c = 0; c < copies; c++) {
    for (const name of cases)
      cpSync(join(GOLDEN, name, 'input'), join(root, `${c}`, name), { recursive: true });
    mkdirSync(join(root, `${c}`, 'edge'), { recursive: true });
    for (const [file, content] of Object.entries(EDGE))
      writeFileSync(join(root, `${c}`, 'edge', file), content);
  }
}

let dirs: TempDir[] = [];
const fresh = async (copies: number): Promise<string> => {
  const dir = await tempDir('tidewatch-pool-');
  dirs.push(dir);
  populate(dir.path, copies);
  return dir.path;
};
afterEach(async () => {
  await Promise.all(dirs.map((d) => d.cleanup()));
  dirs = [];
});
/**
 * Aborts `controller` in the very turn the `nth` write a thread answers from now on is counted
 * (`poolStats.writesOnThreads`); call the returned function to remove the hook.
 */
function abortAtThreadWrite(controller: AbortController, nth: number): () => void {
  let count = poolStats.writesOnThreads;
  const at = count + nth;
  Object.defineProperty(poolStats, 'writesOnThreads', {
    configurable: true,
    enumerable: true,
    get: () => count,
    set: (v: number) => {
      count = v;
      if (v === at) controller.abort(new Error('stop'));
    },
  });
  return () =>
    Object.defineProperty(poolStats, 'writesOnThreads', {
      configurable: true,
      enumerable: true,
      writable: true,
      value: count,
    });
}

const tuning = { ...poolTuning };
beforeAll(() => {
  poolTuning.minFiles = 1;
  poolTuning.startCold = true; // use a new pool at once, not from the next run on
  poolTuning.inlineWhileStarting = false; // every file on the threads, also while they start
});
afterAll(() => {
  Object.assign(poolTuning, tuning);
});

describe('updateFiles on worker threads', () => {
  it('writes the same bytes and reports the same changes, warnings and files as the main thread', async () => {
    const [a, b] = [await fresh(6), await fresh(6)];
    const single = await updateFiles({ root: a, policies, threads: 0, cache: false });
    const onThreads = poolStats.filesOnThreads;
    const writesOnThreads = poolStats.writesOnThreads;
    const pooled = await updateFiles({ root: b, policies, threads: 2, cache: false });
    expect(poolStats.filesOnThreads - onThreads).toBeGreaterThan(50); // the threads did the work
    expect(poolStats.writesOnThreads - writesOnThreads).toBeGreaterThan(50); // and the writes
    expect(single.changes.length).toBeGreaterThan(100);
    expect(single.warnings.length).toBeGreaterThan(50);
    expect(pooled).toEqual(single);
    expect(tree(b)).toEqual(tree(a));
    // and a second run (everything current now) agrees too
    expect(await updateFiles({ root: b, policies, threads: 2, cache: false })).toEqual(
      await updateFiles({ root: a, policies, threads: 0, cache: false }),
    );
  });

  it('gives the same results when files go inline until the threads are ready', async () => {
    const [a, b] = [await fresh(4), await fresh(4)];
    poolTuning.inlineWhileStarting = true;
    try {
      const single = await updateFiles({ root: a, policies, threads: 0, cache: false });
      expect(await updateFiles({ root: b, policies, threads: 2, cache: false })).toEqual(single);
      expect(tree(b)).toEqual(tree(a));
    } finally {
      poolTuning.inlineWhileStarting = false;
    }
  });

  it('gives the same dry-run diff and writes nothing', async () => {
    const root = await fresh(3);
    const before = tree(root);
    const single = await updateFiles({ root, policies, dryRun: true, threads: 0, cache: false });
    const pooled = await updateFiles({ root, policies, dryRun: true, threads: 2, cache: false });
    expect(pooled).toEqual(single);
    expect(pooled.diff).toContain('+image: ghcr.io/acme/web:1.1.0');
    expect(tree(root)).toEqual(before);
  });

  it('matches every golden expected/ tree byte for byte', async () => {
    const root = await fresh(1);
    await updateFiles({ root, policies: goldenPolicies, threads: 2, cache: false });
    const got = tree(root);
    for (const name of cases) {
      for (const [file, bytes] of tree(join(GOLDEN, name, 'expected'))) {
        expect(got.get(`0/${name}/${file}`), `${name}/${file}`).toEqual(bytes);
      }
    }
  });

  it('stops on abort: AbortError, every file old or new (never damaged), no temporary file left', async () => {
    const root = await fresh(8);
    const before = tree(root);
    const expected = await fresh(8);
    await updateFiles({ root: expected, policies, threads: 0, cache: false });
    const after = tree(expected);
    const controller = new AbortController();
    const run = updateFiles({ root, policies, threads: 2, cache: false, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 5);
    await expect(run).rejects.toBeInstanceOf(AbortError);
    const got = tree(root);
    expect([...got.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [file, bytes] of got) {
      expect([before.get(file), after.get(file)], file).toContainEqual(bytes);
    }
    // the pool is usable again afterwards
    const again = await updateFiles({ root, policies, threads: 2, cache: false });
    expect(tree(root)).toEqual(after);
    expect(again.warnings.length).toBeGreaterThan(0);
  });

  it('stops on abort while the threads write: every file old or new, no temporary file left', async () => {
    // Every tag moves: the second run rewrites every marked file, replaying the analyses the first
    // run left (so files are handled as they are read, and their writes go out meanwhile).
    const shifted = Object.fromEntries(
      Object.entries(policies).map(([k, v]) => [k, { ...v, tag: `${v.tag}-next` }]),
    );
    const [root, expected] = [await fresh(16), await fresh(16)];
    // Files without markers between the copies: the run reads on for a while after its first writes.
    for (let c = 0; c < 16; c++) {
      mkdirSync(join(root, `${c}-filler`));
      for (let f = 0; f < 150; f++) writeFileSync(join(root, `${c}-filler`, `${f}.yaml`), 'a: 1\n');
    }
    await updateFiles({ root, policies, threads: 2 });
    await updateFiles({ root: expected, policies, threads: 0, cache: false });
    const before = tree(root);
    await updateFiles({ root: expected, policies: shifted, threads: 0, cache: false });
    const after = tree(expected);
    const controller = new AbortController();
    // Abort the moment a thread's answer to the run's first write is counted, in the same turn:
    // the run cannot have ended yet, however late (a busy machine) or batched the answers come.
    const unhook = abortAtThreadWrite(controller, 1);
    try {
      const run = updateFiles({ root, policies: shifted, threads: 2, signal: controller.signal });
      await expect(run).rejects.toBeInstanceOf(AbortError);
    } finally {
      unhook();
    }
    const got = tree(root);
    expect([...got.keys()].sort()).toEqual([...before.keys()].sort()); // no temporary file left
    let changed = 0;
    for (const [file, bytes] of got) {
      const wanted = file.includes('-filler/') ? [before.get(file)] : [before.get(file), after.get(file)];
      expect(wanted, file).toContainEqual(bytes);
      if (!bytes.equals(before.get(file)!)) changed++;
    }
    expect(changed).toBeGreaterThan(0);
  });

  it('stops on an abort that comes while the last writes finish: AbortError, not a result', async () => {
    // A fast machine may read every file before a thread answers the first write: the abort then
    // comes while the run only waits for its writes, and must still reject (CI once saw a result).
    const [root, expected] = [await fresh(2), await fresh(2)];
    const before = tree(root);
    await updateFiles({ root: expected, policies, threads: 0, cache: false });
    const after = tree(expected);
    const writes = [...after].filter(([file, bytes]) => !bytes.equals(before.get(file)!)).length;
    expect(writes).toBeGreaterThan(1);
    await updateFiles({ root: await fresh(1), policies, threads: 2, cache: false }); // threads ready
    const controller = new AbortController();
    // The pool is ready and every file goes to it: each write is a thread's, the last one counted last.
    const unhook = abortAtThreadWrite(controller, writes);
    try {
      const run = updateFiles({ root, policies, threads: 2, cache: false, signal: controller.signal });
      await expect(run).rejects.toBeInstanceOf(AbortError);
    } finally {
      unhook();
    }
    expect(controller.signal.aborted).toBe(true);
    // Every write had been sent, and each is let finish: all files are new, none damaged or left.
    expect(tree(root)).toEqual(after);
  });

  it('uses no thread for a resolver function, with the same results', async () => {
    const [a, b] = [await fresh(2), await fresh(2)];
    const calls: string[] = [];
    const resolver = (name: string): PolicyImage | undefined => {
      calls.push(name);
      return policies[name];
    };
    const viaMap = await updateFiles({ root: a, policies, threads: 2, cache: false });
    const onThreads = poolStats.filesOnThreads;
    const viaFunction = await updateFiles({ root: b, policies: resolver, threads: 2, cache: false });
    expect(poolStats.filesOnThreads).toBe(onThreads);
    expect(viaFunction).toEqual(viaMap);
    expect(new Set(calls).size).toBe(calls.length); // once per policy, as before
  });

  it('by default, parses a run on this thread when no pool runs, and warms one for the next run', async () => {
    const [a, b, c] = [await fresh(2), await fresh(2), await fresh(2)];
    poolTuning.startCold = false;
    try {
      const single = await updateFiles({ root: a, policies, threads: 0, cache: false });
      const before = poolStats.filesOnThreads;
      expect(await updateFiles({ root: b, policies, threads: 3, cache: false })).toEqual(single); // no pool of 3 yet
      expect(poolStats.filesOnThreads).toBe(before);
      expect(await updateFiles({ root: c, policies, threads: 3, cache: false })).toEqual(single); // now warm
      expect(poolStats.filesOnThreads).toBeGreaterThan(before);
    } finally {
      poolTuning.startCold = true;
    }
  });

  it('never keeps a process alive: one run with a warming pool exits at once', () => {
    const script = `
      import { mkdtempSync, writeFileSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      const { updateFiles } = await import(${JSON.stringify(new URL('./files.ts', import.meta.url).href)});
      const root = mkdtempSync(join(tmpdir(), 'tidewatch-pool-exit-'));
      for (let i = 0; i < 40; i++) writeFileSync(join(root, i + '.yaml'), 'a: 1 # {"$imagepolicy": "apps:web:tag"}\\n');
      const r = await updateFiles({ root, policies: { 'apps:web': { image: 'r/w', tag: '2' } }, threads: 2 });
      console.log(r.changes.length);`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out.trim()).toBe('40');
  });

  it('exits once the writes its threads took are done, with every file written', async () => {
    const root = await fresh(0);
    for (let i = 0; i < 60; i++) writeFileSync(join(root, `${i}.yaml`), `a: v1 ${m('apps:web:tag')}\n`);
    const script = `
      const { updateFiles } = await import(${JSON.stringify(new URL('./files.ts', import.meta.url).href)});
      const { poolStats } = await import(${JSON.stringify(new URL('./pool.ts', import.meta.url).href)});
      const root = ${JSON.stringify(root)};
      // The first run parses here and starts the pool; later runs write on its threads once one is ready.
      let tag = 1;
      let r;
      for (let i = 0; i < 40 && poolStats.writesOnThreads === 0; i++) {
        tag++;
        r = await updateFiles({ root, policies: { 'apps:web': { image: 'r/w', tag: 'v' + tag } }, threads: 2 });
        if (poolStats.writesOnThreads === 0) await new Promise((ok) => setTimeout(ok, 250));
      }
      console.log(r.changes.length, poolStats.writesOnThreads, tag);`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const [changes, onThreads, tag] = out.trim().split(' ').map(Number);
    expect(changes).toBe(60);
    expect(onThreads).toBeGreaterThan(0); // the last run wrote files on the threads
    const files = tree(root);
    expect(files.size).toBe(60); // no temporary file left
    for (const bytes of files.values()) expect(bytes.toString()).toBe(`a: v${tag} ${m('apps:web:tag')}\n`);
  });

  it('rejects an invalid threads option', async () => {
    await expect(updateFiles({ root: '.', policies, threads: -1 })).rejects.toThrow(/threads: must be/);
    await expect(updateFiles({ root: '.', policies, threads: 1.5 })).rejects.toThrow(/threads: must be/);
  });
});
