/**
 * Atomic replacement (`write.ts`), on this thread and on the pool's worker threads, including a
 * worker that ends with writes unanswered: every file ends old or new, never damaged, and no
 * temporary file is left behind.
 */
import { chmodSync, lstatSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '@tidewatch/testkit';
import { PoolSession, type WriteOutcome } from './pool.js';
import { recoverWrite, writeAtomicSync, type ReadStamp } from './write.js';

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir('tidewatch-write-');
});
afterEach(async () => {
  await dir.cleanup();
});

function stampOf(path: string): ReadStamp {
  const s = lstatSync(path);
  return { mtimeMs: s.mtimeMs, size: s.size, ino: s.ino, mode: s.mode & 0o7777 };
}
const leftovers = (): string[] => readdirSync(dir.path).filter((n) => n.endsWith('.tmp'));

describe('writeAtomicSync', () => {
  it('replaces the file with the new bytes and its mode, leaving no temporary file', () => {
    const p = join(dir.path, 'a.yaml');
    writeFileSync(p, 'a: old\n');
    chmodSync(p, 0o604);
    const stamp = stampOf(p);
    expect(writeAtomicSync(p, join(dir.path, '.a.yaml.1.tmp'), 'a: new ✓\n', stamp)).toBeUndefined();
    expect(readFileSync(p, 'utf8')).toBe('a: new ✓\n');
    expect(lstatSync(p).mode & 0o777).toBe(0o604);
    expect(lstatSync(p).ino).not.toBe(stamp.ino); // a new file, renamed over the old one
    expect(leftovers()).toEqual([]);
  });

  it('refuses when the file changed since it was read, and leaves it as it is', () => {
    const p = join(dir.path, 'a.yaml');
    writeFileSync(p, 'a: old\n');
    const stamp = stampOf(p);
    writeFileSync(p, 'a: someone else, longer\n');
    expect(writeAtomicSync(p, join(dir.path, '.a.yaml.1.tmp'), 'a: new\n', stamp)).toEqual({
      code: 'file-changed',
      detail: 'file changed on disk while it was updated; left as it is',
    });
    expect(readFileSync(p, 'utf8')).toBe('a: someone else, longer\n');
    expect(leftovers()).toEqual([]);
  });

  it('reports a write failure with the error code when the temporary file cannot be made', () => {
    const p = join(dir.path, 'a.yaml');
    writeFileSync(p, 'a: old\n');
    const tmp = join(dir.path, '.a.yaml.1.tmp');
    writeFileSync(tmp, 'not ours'); // exists: `wx` refuses to reuse it
    expect(writeAtomicSync(p, tmp, 'a: new\n', stampOf(p))).toEqual({
      code: 'write-failed',
      detail: 'cannot write: EEXIST; file left as it was',
    });
    expect(readFileSync(p, 'utf8')).toBe('a: old\n');
    expect(readFileSync(tmp, 'utf8')).toBe('not ours'); // not ours to remove
  });
});

describe('recoverWrite (a worker ended before answering)', () => {
  /** `a.yaml` as the worker found it, with the temporary names of its write and of the retry. */
  function lostWrite(): { p: string; stamp: ReadStamp; lost: string; retry: string } {
    const p = join(dir.path, 'a.yaml');
    writeFileSync(p, 'a: old\n');
    const lost = join(dir.path, '.a.yaml.1.tmp');
    return { p, stamp: stampOf(p), lost, retry: join(dir.path, '.a.yaml.2.tmp') };
  }

  it('does the write when it never happened, removing a temporary file the worker left', () => {
    const { p, stamp, lost, retry } = lostWrite();
    writeFileSync(lost, 'a: new\n'); // the worker got as far as its temporary file
    expect(recoverWrite(p, lost, retry, 'a: new\n', stamp)).toBeUndefined();
    expect(readFileSync(p, 'utf8')).toBe('a: new\n');
    expect(leftovers()).toEqual([]);
  });

  it('reports success when the worker had already renamed the new file into place', () => {
    const { p, stamp, lost, retry } = lostWrite();
    writeFileSync(lost, 'a: new\n');
    renameSync(lost, p);
    expect(recoverWrite(p, lost, retry, 'a: new\n', stamp)).toBeUndefined();
    expect(readFileSync(p, 'utf8')).toBe('a: new\n');
    expect(leftovers()).toEqual([]);
  });

  it('leaves a file someone else changed as it is', () => {
    const { p, stamp, lost, retry } = lostWrite();
    writeFileSync(p, 'a: theirs, longer\n');
    expect(recoverWrite(p, lost, retry, 'a: new\n', stamp)).toMatchObject({ code: 'file-changed' });
    expect(readFileSync(p, 'utf8')).toBe('a: theirs, longer\n');
    expect(leftovers()).toEqual([]);
  });
});

describe('writes on the worker threads', () => {
  const table = new Map([['apps:web', { image: 'r/w', tag: '2' }]]);

  async function readySession(): Promise<PoolSession> {
    const session = new PoolSession(table, 2);
    for (let i = 0; i < 2000 && !session.ready; i++) await new Promise((r) => setTimeout(r, 10));
    expect(session.ready).toBe(true);
    return session;
  }

  it('replaces files atomically, with their modes', async () => {
    const session = await readySession();
    try {
      const files = Array.from({ length: 30 }, (_, i) => join(dir.path, `f${i}.yaml`));
      files.forEach((p, i) => {
        writeFileSync(p, `a: old ${i}\n`);
        chmodSync(p, i % 2 ? 0o600 : 0o644);
      });
      const outcomes = await Promise.all(
        files.map((p, i) => {
          const w = session.write(p, `${p}.${i}.tmp`, `a: new ${i}\n`, stampOf(p));
          session.flush();
          return w;
        }),
      );
      expect(outcomes).toEqual(files.map(() => ({})));
      files.forEach((p, i) => {
        expect(readFileSync(p, 'utf8')).toBe(`a: new ${i}\n`);
        expect(lstatSync(p).mode & 0o777).toBe(i % 2 ? 0o600 : 0o644);
      });
      expect(leftovers()).toEqual([]);
    } finally {
      session.close();
    }
  });

  it('hands back unanswered writes when its workers end, and recovery leaves every file new', async () => {
    const session = await readySession();
    const files = Array.from({ length: 2000 }, (_, i) => join(dir.path, `f${i}.yaml`));
    for (const p of files) writeFileSync(p, 'a: old\n');
    const stamps = files.map(stampOf);
    const pending: Promise<WriteOutcome>[] = files.map((p, i) =>
      session.write(p, `${p}.a.tmp`, `a: ${i}\n`, stamps[i]!),
    );
    session.flush();
    // The workers end with the writes in flight (as a crash would end them): once the first file is
    // replaced, so that some writes happened and others did not.
    while (readFileSync(files[0]!, 'utf8') === 'a: old\n') await new Promise((r) => setImmediate(r));
    const { slots } = (session as unknown as { pool: { slots: { worker: Worker }[] } }).pool;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    const outcomes = await Promise.all(pending);
    const doneByWorker = files.filter((p) => readFileSync(p, 'utf8') !== 'a: old\n').length;
    expect(doneByWorker).toBeGreaterThan(0);
    expect(doneByWorker).toBeLessThan(files.length);
    expect(outcomes.filter((o) => o === undefined).length).toBeGreaterThan(files.length - doneByWorker - 1);
    for (const [i, o] of outcomes.entries()) {
      if (o)
        expect(o).toEqual({}); // answered before the end: done
      else
        expect(
          recoverWrite(files[i]!, `${files[i]!}.a.tmp`, `${files[i]!}.b.tmp`, `a: ${i}\n`, stamps[i]!),
        ).toBeUndefined();
    }
    files.forEach((p, i) => expect(readFileSync(p, 'utf8')).toBe(`a: ${i}\n`));
    expect(leftovers()).toEqual([]);
    session.close();
    // a new session starts new workers
    const next = await readySession();
    next.close();
  });
});
