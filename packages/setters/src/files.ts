/**
 * The setter pass over a tree on disk (automation.md §3): which files, screening on raw bytes,
 * symlink safety, atomic writes that keep the file mode, and the dry-run diff.
 */
import {
  closeSync,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  rename,
  statSync,
  type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { AbortError, ConfigError, TidewatchError } from '@tidewatch/core';
import type { ConfigProblem } from '@tidewatch/core';
import { createTwoFilesPatch } from 'diff';
import { MARKER_TOKEN } from './apply.js';
import { cacheStats, cachedAnalysis, rememberAnalysis } from './cache.js';
import { allMarkersCurrent } from './current.js';
import { loadFastParser } from './parser.js';
import { createSetterLookup, type SetterLookup } from './policies.js';
import { PoolSession, poolRunning, warmPool, type PoolOutcome } from './pool.js';
import { applyAnalysis, setterPass } from './rewrite.js';
import {
  errno,
  prepareWrite,
  recoverWrite,
  renameFailed,
  type ReadStamp,
  type WriteFailure,
} from './write.js';
import type {
  SetterChange,
  SetterWarning,
  SetterWarningCode,
  UpdateFilesOptions,
  UpdateFilesResult,
} from './types.js';

/**
 * Files larger than this are not read (a `file-too-large` warning instead). Kubernetes objects are
 * limited to about 1.5 MiB by etcd, so real manifests stay far below it.
 */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

const SCOPE = 'setters:update';
const TOKEN = Buffer.from(MARKER_TOKEN);
/** Longest stretch of synchronous file work before yielding to the event loop, in ms. */
const SLICE_MS = 8;
/** Default upper bound of worker threads. */
const MAX_THREADS = 4;

/**
 * When the worker pool is used (internal; tests change it). A new thread costs about 100 ms of CPU to
 * start (mostly loading `yaml`) and then runs several times slower than a warm one for its first few
 * hundred files (its JIT is cold), so threads pay off only once warm: a run with at least `minFiles`
 * marked files uses the pool when an earlier run of the process started it (files go to it once a
 * thread is ready, and are parsed here until then: `inlineWhileStarting`); otherwise it parses
 * everything here and, at its end, starts the pool and warms it with up to `warmTexts` of its texts,
 * in the background, for the next run (`startCold: true` uses a new pool at once instead).
 */
export const poolTuning = { minFiles: 32, inlineWhileStarting: true, startCold: false, warmTexts: 600 };

interface Entry {
  /** Relative to the root, forward slashes. */
  readonly rel: string;
  /** Absolute path as walked. */
  readonly abs: string;
  readonly link: boolean;
}

/** Flux's name filter: `*.yaml`, `*.yml` or exactly `Kustomization` (case-sensitive). */
function wanted(name: string): boolean {
  return name.endsWith('.yaml') || name.endsWith('.yml') || name === 'Kustomization';
}

/** Code-point order, which is UTF-8 byte order (Go's `filepath.Walk` sorts names by bytes). */
function byBytes(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const DOLLAR = TOKEN[1]!;
/** `$` hits checked one by one before handing the rest of a file to a plain substring search. */
const DOLLAR_PROBES = 64;

/**
 * Whether `bytes` contains the marker token. Same answer as `bytes.indexOf(TOKEN) >= 0`, but most
 * files have few `$` and `memchr` for one byte is several times faster than a substring search, which
 * matters because every file of the tree is screened. A file with many `$` falls back to the search.
 */
function containsToken(bytes: Buffer): boolean {
  let i = 0;
  for (let probes = 0; probes < DOLLAR_PROBES; probes++) {
    i = bytes.indexOf(DOLLAR, i + 1); // the token's `$` is its second byte
    if (i < 0) return false;
    const start = i - 1;
    if (
      start + TOKEN.length <= bytes.length &&
      bytes[start] === TOKEN[0] &&
      bytes.compare(TOKEN, 0, TOKEN.length, start, start + TOKEN.length) === 0
    ) {
      return true;
    }
  }
  return bytes.indexOf(TOKEN, i) >= 0;
}

const SURROGATE = /[\uD800-\uDFFF]/;

function validate(options: UpdateFilesOptions): SetterLookup {
  const problems: ConfigProblem[] = [];
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(SCOPE, [{ path: '', message: 'options must be an object { root, policies }' }]);
  }
  if (typeof options.root !== 'string' || options.root === '') {
    problems.push({ path: 'root', message: 'must be a non-empty path' });
  }
  if (options.dryRun !== undefined && typeof options.dryRun !== 'boolean') {
    problems.push({ path: 'dryRun', message: 'must be a boolean' });
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    problems.push({ path: 'signal', message: 'must be an AbortSignal' });
  }
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 0)) {
    problems.push({ path: 'threads', message: 'must be a non-negative integer' });
  }
  if (options.cache !== undefined && typeof options.cache !== 'boolean') {
    problems.push({ path: 'cache', message: 'must be a boolean' });
  }
  let lookup: SetterLookup | undefined;
  try {
    lookup = createSetterLookup(options.policies, SCOPE);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length > 0 || !lookup) throw new ConfigError(SCOPE, problems);
  return lookup;
}

/**
 * Applies setter markers to every candidate file under a root, writing only files that change.
 *
 * Candidates are `*.yaml`, `*.yml` and `Kustomization` files (hidden directories included, symlinked
 * directories not followed) whose raw bytes contain `"$imagepolicy"`. Each write goes to a temporary
 * file in the same directory, keeps the file mode, and is renamed over the original. A symlinked file
 * is followed only when its target lies inside the root, and each real file is handled once.
 *
 * @throws ConfigError for invalid options (every problem listed)
 * @throws TidewatchError `SETTERS_IO` when the root cannot be walked
 * @throws AbortError when `signal` aborts before the run returns (files already written stay written)
 *
 * @example
 * ```ts
 * const { changes, filesChanged } = await updateFiles({
 *   root: './clusters/prod',
 *   policies: { 'flux-system:web': { image: 'ghcr.io/acme/web', tag: '1.4.0' } },
 * });
 * for (const c of changes) console.log(`${c.file}:${c.line} ${c.setter}: ${c.oldValue} -> ${c.newValue}`);
 * ```
 */
export async function updateFiles(options: UpdateFilesOptions): Promise<UpdateFilesResult> {
  const lookup = validate(options);
  const { signal } = options;
  const dryRun = options.dryRun ?? false;
  const useCache = options.cache ?? true;
  const checkAbort = (): void => {
    if (signal?.aborted) throw new AbortError(SCOPE, { cause: signal.reason });
  };
  checkAbort();
  await loadFastParser();
  const cores = availableParallelism();
  let threads =
    lookup.table === undefined ? 0 : (options.threads ?? (cores > 1 ? Math.min(cores, MAX_THREADS) : 0));

  let rootReal: string;
  let rootStat: Stats;
  try {
    rootReal = realpathSync(options.root);
    rootStat = statSync(rootReal);
  } catch (err) {
    throw new TidewatchError('SETTERS_IO', `[${SCOPE}] walking path for files failed: ${errno(err)}`, {
      cause: err,
    });
  }

  let sliceStart = performance.now();
  const breathe = async (): Promise<void> => {
    if (performance.now() - sliceStart < SLICE_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    checkAbort();
    sliceStart = performance.now();
  };

  // 1. Walk (lexical order per directory, hidden entries included, symlinked directories not followed).
  const entries: Entry[] = [];
  if (rootStat.isFile()) {
    const name = basename(rootReal);
    if (wanted(name)) entries.push({ rel: name, abs: rootReal, link: false });
  } else {
    const walk = async (dir: string, rel: string): Promise<void> => {
      let names;
      try {
        names = readdirSync(dir, { withFileTypes: true });
      } catch (err) {
        throw new TidewatchError(
          'SETTERS_IO',
          `[${SCOPE}] walking path for files failed: ${rel || '.'}: ${errno(err)}`,
          {
            cause: err,
          },
        );
      }
      // Without surrogates, UTF-16 unit order is code-point order, and the native comparison is much
      // faster than splitting every name into code points for each comparison.
      if (names.some((d) => SURROGATE.test(d.name))) names.sort((a, b) => byBytes(a.name, b.name));
      else names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const d of names) {
        const childRel = rel ? `${rel}/${d.name}` : d.name;
        const abs = join(dir, d.name);
        if (d.isDirectory()) await walk(abs, childRel);
        else if ((d.isFile() || d.isSymbolicLink()) && wanted(d.name)) {
          entries.push({ rel: childRel, abs, link: d.isSymbolicLink() });
        }
      }
      await breathe();
    };
    await walk(rootReal, '');
  }

  // 2. Resolve symlinked files: inside the root only, and each real file once.
  const warnings: SetterWarning[][] = entries.map(() => []);
  const fileWarning = (i: number, code: SetterWarningCode, detail: string): void => {
    const file = entries[i]!.rel;
    warnings[i]!.push({ code, message: `[${SCOPE}] ${file}: ${detail}`, file, line: 1, column: 1 });
  };
  const targets: (string | undefined)[] = entries.map((e) => (e.link ? undefined : e.abs));
  const seen = new Set(entries.filter((e) => !e.link).map((e) => e.abs));
  entries.forEach((e, i) => {
    if (!e.link) return;
    let real: string;
    try {
      real = realpathSync(e.abs);
    } catch {
      fileWarning(i, 'symlink-dangling', 'symlink target does not exist; skipped');
      return;
    }
    const inside = relative(rootReal, real);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      fileWarning(
        i,
        'symlink-outside-root',
        'symlink points outside the update root; not read, never written',
      );
      return;
    }
    if (seen.has(real)) return; // handled under its own (or an earlier link's) name
    seen.add(real);
    targets[i] = real;
  });

  // 3. Read, screen, apply, write: one file at a time, synchronously in short slices (see README).
  //    From the `poolTuning.minFiles`-th marked file on, the setter pass runs on worker threads while
  //    this thread reads on; results are handled (and writes started) as they come back.
  const changes: SetterChange[][] = entries.map(() => []);
  const diffs: string[] = entries.map(() => '');
  const written: boolean[] = entries.map(() => false);
  // Temporary names: one random part per run, then a counter (no random bytes drawn per file).
  const tmpPrefix = `.tidewatch-${randomBytes(6).toString('hex')}-`;
  let tmpCount = 0;
  const pendingWrites: Promise<void>[] = [];
  const pooled: Promise<void>[] = [];
  let session: PoolSession | undefined;
  let marked = 0;
  const samples: string[] = [];
  let stopped = false;
  let buffer = Buffer.allocUnsafe(1 << 20);
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  const finish = (i: number, target: string, before: Stats, text: string, result: PoolOutcome): void => {
    warnings[i]!.push(...result.warnings);
    // The input's analysis is kept, also when the file is written: another file may hold that text.
    if (useCache && result.analysis) rememberAnalysis(text, result.analysis);
    if (result.output === text) return;
    const rel = entries[i]!.rel;
    if (dryRun) {
      diffs[i] = createTwoFilesPatch(`a/${rel}`, `b/${rel}`, text, result.output, undefined, undefined);
      changes[i] = [...result.changes];
      written[i] = true;
      return;
    }
    const { output } = result;
    const tmp = tempPath(target, `${tmpPrefix}${tmpCount++}`);
    const stamp: ReadStamp = {
      mtimeMs: before.mtimeMs,
      size: before.size,
      ino: before.ino,
      mode: before.mode & 0o7777,
    };
    const done = (failure: WriteFailure | undefined): void => {
      if (failure) {
        fileWarning(i, failure.code, failure.detail);
      } else {
        changes[i] = [...result.changes];
        written[i] = true;
        if (useCache && result.next) rememberAnalysis(output, result.next);
      }
    };
    if (session?.ready) {
      // On a worker thread (decision 22); if it ends before answering, find out what happened here.
      const recover = (): WriteFailure | undefined =>
        recoverWrite(target, tmp, tempPath(target, `${tmpPrefix}${tmpCount++}`), output, stamp);
      pendingWrites.push(
        session
          .write(target, tmp, output, stamp)
          .then((o) => (o ? o.failure : recover()))
          .then(done),
      );
    } else {
      pendingWrites.push(writeAtomic(target, tmp, output, stamp).then(done));
    }
  };
  /** The setter pass here, on this thread (the "already current" shortcut was checked before). */
  const here = (text: string, rel: string): PoolOutcome => {
    const pass = setterPass(text, lookup, rel, false);
    return { ...pass.result, analysis: pass.analysis, next: pass.next };
  };

  try {
    for (let i = 0; i < entries.length; i++) {
      if (performance.now() - sliceStart >= SLICE_MS) session?.flush();
      await breathe();
      const target = targets[i];
      if (target === undefined) continue;
      const rel = entries[i]!.rel;
      let stat: Stats;
      let size: number;
      let fd: number | undefined;
      try {
        fd = openSync(target, 'r');
        stat = fstatSync(fd);
        if (!stat.isFile()) continue;
        if (stat.size > MAX_FILE_BYTES) {
          fileWarning(i, 'file-too-large', `larger than ${MAX_FILE_BYTES} bytes (${stat.size}); not read`);
          continue;
        }
        if (buffer.length < stat.size + 1) buffer = Buffer.allocUnsafe(stat.size + 1);
        size = 0;
        for (;;) {
          const n = readSync(fd, buffer, size, buffer.length - size, size);
          if (n === 0) break;
          size += n;
          if (size === buffer.length) {
            fileWarning(i, 'file-changed', 'file grew while it was read; skipped');
            size = -1;
            break;
          }
          // A short read of exactly the size `fstat` gave is the end of a regular file: no call to
          // hear "0 bytes" (one syscall less per file of the tree). Any other count reads on.
          if (size === stat.size) break;
        }
      } catch (err) {
        fileWarning(i, 'read-failed', `cannot read: ${errno(err)}`);
        continue;
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      if (size < 0) continue;
      const bytes = buffer.subarray(0, size);
      if (!containsToken(bytes)) continue;
      if (bytes.indexOf(0) >= 0) {
        fileWarning(i, 'binary-file', 'contains NUL bytes: not a YAML text file; skipped');
        continue;
      }
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        fileWarning(i, 'invalid-encoding', 'not valid UTF-8; skipped so that no byte is altered');
        continue;
      }
      marked++;
      if (session === undefined && threads > 0 && samples.length < poolTuning.warmTexts) samples.push(text);
      if (
        session === undefined &&
        threads > 0 &&
        marked >= poolTuning.minFiles &&
        (poolTuning.startCold || poolRunning(threads))
      ) {
        try {
          session = new PoolSession(lookup.table!, threads);
        } catch {
          threads = 0; // threads cannot start here: everything stays on this thread
        }
      }
      if (allMarkersCurrent(text, lookup)) {
        // Nothing can change: not worth an analysis, nor a trip to a thread.
        finish(i, target, stat, text, { output: text, changes: [], warnings: [] });
        continue;
      }
      const known = useCache ? cachedAnalysis(text) : undefined;
      if (known) {
        // Seen (parsed, or written) by an earlier run of this process: replayed, not parsed.
        const applied = applyAnalysis(text, known, lookup, rel);
        if (applied) {
          cacheStats.hits++;
          finish(i, target, stat, text, { ...applied.result, analysis: known, next: applied.next });
          continue;
        }
      }
      if (session && (session.ready || !poolTuning.inlineWhileStarting)) {
        const index = i;
        const before = stat;
        pooled.push(
          session.apply(rel, text).then((result) => {
            if (stopped) return;
            finish(index, target, before, text, result ?? here(text, rel));
          }),
        );
        continue;
      }
      finish(i, target, stat, text, here(text, rel));
    }
    if (session) {
      session.flush();
      await untilSettledOrAborted(pooled, signal);
      session.flush(); // the writes of the last results
    } else if (threads > 0 && marked >= poolTuning.minFiles) {
      try {
        warmPool(lookup.table!, threads, samples);
      } catch {
        // threads cannot start here: later runs stay on this thread too
      }
    }
  } catch (err) {
    stopped = true;
    session?.close(true);
    throw err;
  } finally {
    stopped = true;
    // Let writes already started finish (each is atomic), also when aborting. The session stays open
    // meanwhile, so that the workers doing them keep the process alive.
    await Promise.all(pendingWrites);
    session?.close();
  }
  // An abort that came while the last writes finished still stops the run: the caller asked to stop
  // before it returned, and must not be told it ran to the end.
  checkAbort();

  const filesChanged = entries.filter((_, i) => written[i]).map((e) => e.rel);
  return {
    changes: changes.flat(),
    warnings: warnings.flat(),
    filesChanged,
    ...(dryRun ? { diff: diffs.join('') } : {}),
  };
}

/** Waits for `tasks`; rejects with an `AbortError` as soon as `signal` aborts. */
async function untilSettledOrAborted(tasks: Promise<void>[], signal: AbortSignal | undefined): Promise<void> {
  if (!signal) {
    await Promise.all(tasks);
    return;
  }
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      Promise.all(tasks),
      new Promise<never>((_, reject) => {
        onAbort = () => reject(new AbortError(SCOPE, { cause: signal.reason }));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** The temporary file beside `path` that its new content is written to before the rename. */
function tempPath(path: string, suffix: string): string {
  return join(dirname(path), `.${basename(path)}${suffix}.tmp`);
}

/**
 * Replaces `path` by `data` on this thread (see `write.ts`); resolves with a failure, or undefined.
 *
 * Everything but the rename is done synchronously: on the reference machine these five calls, as
 * promise chains on libuv's thread pool, cost three times the CPU (1,000 files: 220 ms against 70 ms).
 * The rename is left to libuv's pool: on ext4, renaming over an existing file starts writing the new
 * one out (`auto_da_alloc`), which took about 0.4 ms per file on the main thread. When the worker
 * pool runs, writes go there instead (decision 22).
 */
function writeAtomic(
  path: string,
  tmp: string,
  data: string,
  stamp: ReadStamp,
): Promise<WriteFailure | undefined> {
  const failure = prepareWrite(path, tmp, data, stamp);
  if (failure) return Promise.resolve(failure);
  return new Promise((resolve) => {
    rename(tmp, path, (err) => resolve(err ? renameFailed(tmp, err) : undefined));
  });
}
