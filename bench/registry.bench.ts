/**
 * Registry benchmark: scan 500 repositories × 1,000 tags each at concurrency 16 from a loopback
 * server that answers distribution-shaped `/v2/<name>/tags/list` responses (one page per
 * repository, as `n=1000` asks), through `scanImageRepositories` (ping, auth negotiation, paging,
 * JSON parsing, RE2 exclusion list, byte-order sort, Adler-32 revision, Flux condition/event).
 *
 * Floor, measured in the same run: the same 500 tag-list requests sent by a bare keep-alive
 * `fetch` loop with 16 workers that reads each body and parses nothing. Target: ≤ 1.3×, for
 * responses as distribution sends them (tags in lexical order). A second row serves the same tags
 * unsorted, as ECR does, which makes tidewatch sort 475,000 tags into Flux's order; no target.
 *
 * The scan runs with the library's defaults (`thread: 'auto'`): on a machine with 3 cores or more
 * its HTTP exchanges move to core's transport thread once busy, so the main thread parses while the
 * thread talks to the registry; on 2 cores they stay on the main thread (core README, "transport
 * thread"). Set `TIDEWATCH_HTTP_THREAD=on` or `off` to measure one of them. Once 32 pages were
 * scanned, a helper thread reads each page's bytes (count, order check, Adler-32 revision, where
 * each kept tag sits), and the main thread cuts the tags from the text instead of parsing it
 * (registry README, decision 13); `TIDEWATCH_TAG_THREAD=off` measures without it.
 *
 * Reading the ratio: the floor is client-CPU-bound and moves a lot between runs on a shared 2-core
 * machine (its median was 89–218 ms over the runs of 2026-11-30, its samples within one run
 * 61–277 ms; hence 21 timed pairs per run). Without the tag-page helper, when the machine runs
 * fast the floor speeds up about threefold and the scan less than twofold: its main thread's work
 * (`JSON.parse` of 7.5 MB, the filter, the order check, the Adler-32 revision) bounds it. Compare
 * several runs, not one.
 *
 * A third row lists 100 repositories × 5,000 tags over five pages each (`n=1000` and `Link`, as
 * distribution paginates), against the floor fetching the same 500 page URLs; no target.
 *
 * The generated tags repeat across repositories (the same version numbers in every one), so the
 * strings V8's `JSON.parse` interns are found in its string table; distinct short tags make the
 * parse (the path without the helper, and unsorted lists) about three times slower still.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { scanImageRepositories } from '@tidewatch/registry';
import { compare, type BenchFigure, type Benchmark } from './lib.js';

const REPOS = 500;
const TAGS = 1000;
const CONCURRENCY = 16;
/** The paginated row: as many requests, five pages per repository. */
const PAGED_REPOS = 100;
const PAGED_TAGS = 5000;

/** One shape of the loopback registry's contents. */
interface Shape {
  readonly repos: number;
  readonly tags: number;
  /** As distribution answers (lexical order), or in generation order (as ECR). */
  readonly sorted: boolean;
}

function tagsFor(repo: number, count: number): string[] {
  const tags: string[] = [];
  for (let i = 0; i < count; i++) {
    // A realistic mix: releases, prereleases, build tags and cosign signatures (excluded by default).
    if (i % 20 === 0) tags.push(`sha256-${(repo * count + i).toString(16).padStart(64, '0')}.sig`);
    else if (i % 7 === 0) tags.push(`${1 + (i % 5)}.${i % 40}.${i}-rc.${i % 3}`);
    else if (i % 11 === 0)
      tags.push(`main-${(repo * 7919 + i).toString(16).padStart(7, '0')}-${1_700_000_000 + i}`);
    else tags.push(`${1 + (i % 5)}.${i % 40}.${i}`);
  }
  return tags;
}

/**
 * The repositories the loopback registry serves. `sorted`: as distribution answers (its tag list
 * is in lexical order, checked against Debian's docker-registry 2.8); otherwise in generation
 * order, as registries that do not sort (ECR) answer.
 */
function allRepositories({ repos, tags: count, sorted }: Shape): Record<string, string[]> {
  const repositories: Record<string, string[]> = {};
  for (let r = 0; r < repos; r++) {
    const tags = tagsFor(r, count);
    // Go's sort.Strings: byte order, which is UTF-16 order for these ASCII tags.
    repositories[`team${r % 10}/app${r}`] = sorted ? tags.sort() : tags;
  }
  return repositories;
}

// The registry runs in its own process, as a real one would, so that its work is not billed to
// either side. This file re-runs itself as that process.
const SERVER_ENV = 'TIDEWATCH_REGISTRY_BENCH_SERVER';
const SHAPE_ENV = 'TIDEWATCH_REGISTRY_BENCH_SHAPE';
if (process.env[SERVER_ENV] === '1') {
  const { startFakeRegistry } = await import('@tidewatch/testkit');
  const reg = await startFakeRegistry({
    repositories: allRepositories(JSON.parse(process.env[SHAPE_ENV]!) as Shape),
    noLog: true,
  });
  process.send?.({ url: reg.url, host: reg.host });
  process.on('disconnect', () => void reg.close().then(() => process.exit(0)));
}

async function startServer(shape: Shape): Promise<{ url: string; host: string; stop(): void }> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [SERVER_ENV]: '1', [SHAPE_ENV]: JSON.stringify(shape) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const info = await new Promise<{ url: string; host: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string; host: string }));
    child.once('exit', (code) => reject(new Error(`registry server exited with ${code}`)));
  });
  return { ...info, stop: () => child.kill() };
}

/** Times a scan of every repository against the floor, with the registry in its own process. */
async function measure(shape: Shape): Promise<BenchFigure> {
  const repositories = allRepositories(shape);
  const names = Object.keys(repositories);
  const reg = await startServer(shape);
  const images = names.map((name) => `${reg.host}/${name}`);
  // Every page's URL, as the registry's `Link` headers give them (`last`: the previous page's
  // last tag).
  const urls = names.flatMap((name) => {
    const tags = repositories[name]!;
    return Array.from({ length: Math.ceil(tags.length / 1000) }, (_, k) =>
      k === 0
        ? `${reg.url}/v2/${name}/tags/list?n=1000`
        : `${reg.url}/v2/${name}/tags/list?n=1000&last=${encodeURIComponent(tags[k * 1000 - 1]!)}`,
    );
  });
  try {
    let scannedTags = 0;
    const candidate = async (): Promise<void> => {
      const out = await scanImageRepositories(images, { concurrency: CONCURRENCY });
      scannedTags = 0;
      for (const o of out) {
        if (!o.ok) throw new Error(`scan failed: ${String(o.error)}`);
        scannedTags += o.result.tagCount;
      }
    };
    const floor = async (): Promise<void> => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < urls.length) {
          const url = urls[next++]!;
          const res = await fetch(url, { headers: { accept: 'application/json' } });
          await res.arrayBuffer();
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    };
    const { medianMs, baselineMs, ratio } = await compare(candidate, floor, { runs: 21, warmup: 3 });
    const paged = shape.tags > 1000;
    return {
      name: paged
        ? `registry: ${shape.repos} repos × ${shape.tags} tags over ${shape.tags / 1000} pages each, concurrency ${CONCURRENCY} (lexical order)`
        : shape.sorted
          ? `registry: scan ${shape.repos} repos × ${shape.tags} tags, concurrency ${CONCURRENCY} (tags in lexical order, as distribution answers)`
          : `registry: same, tags unsorted (as ECR answers; tidewatch must sort them)`,
      medianMs,
      baselineMs,
      baselineName: 'bare keep-alive fetch loop, no parsing',
      ...(shape.sorted && !paged ? { target: 1.3 } : {}),
      extra: { ratio: Number(ratio.toFixed(2)), tagsKept: scannedTags, requests: urls.length },
    };
  } finally {
    reg.stop();
  }
}

const bench: Benchmark = {
  name: 'registry',
  async run(): Promise<BenchFigure[]> {
    return [
      await measure({ repos: REPOS, tags: TAGS, sorted: true }),
      await measure({ repos: REPOS, tags: TAGS, sorted: false }),
      await measure({ repos: PAGED_REPOS, tags: PAGED_TAGS, sorted: true }),
    ];
  },
};

export default bench;
