import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortError, ConfigError, TidewatchError } from '@tidewatch/core';
import { tempDir, type TempDir } from '@tidewatch/testkit';
import { MAX_FILE_BYTES, updateFiles } from './files.js';
import type { Policies } from './types.js';

const policies: Policies = { 'apps:web': { image: 'ghcr.io/acme/web', tag: '1.1.0' } };
const MARKED = 'image: ghcr.io/acme/web:1.0.0 # {"$imagepolicy": "apps:web"}\n';
const UPDATED = 'image: ghcr.io/acme/web:1.1.0 # {"$imagepolicy": "apps:web"}\n';

let root: TempDir;
let outside: TempDir;
beforeEach(async () => {
  root = await tempDir('tidewatch-setters-');
  outside = await tempDir('tidewatch-outside-');
});
afterEach(async () => {
  await root.cleanup();
  await outside.cleanup();
});

const put = (rel: string, content: string | Buffer, base = root.path): string => {
  const p = join(base, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return p;
};
const read = (p: string) => readFileSync(p, 'utf8');

describe('symlinks (spec README rule 2.6)', () => {
  it('never reads or writes through a link whose target is outside the root', async () => {
    const target = put('shared.yaml', MARKED, outside.path);
    symlinkSync(target, join(root.path, 'link.yaml'));
    const r = await updateFiles({ root: root.path, policies });
    expect(read(target)).toBe(MARKED);
    expect(r.changes).toEqual([]);
    expect(r.warnings.map((w) => [w.file, w.code])).toEqual([['link.yaml', 'symlink-outside-root']]);
  });

  it('handles a link to a file inside the root once, under the target name', async () => {
    const target = put('apps/web.yaml', MARKED);
    symlinkSync('apps/web.yaml', join(root.path, 'a-link.yaml'));
    const r = await updateFiles({ root: root.path, policies });
    expect(read(target)).toBe(UPDATED);
    expect(r.filesChanged).toEqual(['apps/web.yaml']);
    expect(r.changes.map((c) => c.file)).toEqual(['apps/web.yaml']);
    expect(statSync(join(root.path, 'a-link.yaml')).isFile()).toBe(true); // still a link to the same file
  });

  it('does not follow symlinked directories, and skips dangling links with a warning', async () => {
    put('real/app.yaml', MARKED, outside.path);
    symlinkSync(join(outside.path, 'real'), join(root.path, 'dirlink'));
    symlinkSync(join(root.path, 'missing.yaml'), join(root.path, 'dangling.yaml'));
    const r = await updateFiles({ root: root.path, policies });
    expect(read(join(outside.path, 'real/app.yaml'))).toBe(MARKED);
    expect(r.warnings.map((w) => w.code)).toEqual(['symlink-dangling']);
  });
});

describe('writes (spec README rule 2.7)', () => {
  it('replaces the file atomically, keeps its mode, and leaves no temporary file', async () => {
    const p = put('deploy/app.yaml', MARKED);
    chmodSync(p, 0o640);
    const inodeBefore = statSync(p).ino;
    await updateFiles({ root: root.path, policies });
    expect(read(p)).toBe(UPDATED);
    expect(statSync(p).mode & 0o777).toBe(0o640);
    expect(statSync(p).ino).not.toBe(inodeBefore); // a new file renamed over the old one
    expect(readdirSync(join(root.path, 'deploy'))).toEqual(['app.yaml']);
  });

  it('never rewrites a file without a change (same inode, same mtime)', async () => {
    const p = put('same.yaml', UPDATED);
    const before = statSync(p);
    const r = await updateFiles({ root: root.path, policies });
    expect(r.filesChanged).toEqual([]);
    expect(statSync(p).ino).toBe(before.ino);
    expect(statSync(p).mtimeMs).toBe(before.mtimeMs);
  });

  it('dry run writes nothing and returns a unified diff', async () => {
    const p = put('app.yaml', `a: 1\n${MARKED}b: 2\n`);
    const r = await updateFiles({ root: root.path, policies, dryRun: true });
    expect(read(p)).toBe(`a: 1\n${MARKED}b: 2\n`);
    expect(r.filesChanged).toEqual(['app.yaml']);
    expect(r.diff).toContain(
      '--- a/app.yaml\n+++ b/app.yaml\n@@ -1,3 +1,3 @@\n a: 1\n-image: ghcr.io/acme/web:1.0.0',
    );
    expect(r.diff).toContain('+image: ghcr.io/acme/web:1.1.0');
  });

  it('returns changes in file (walk) order then position order', async () => {
    put('b.yaml', MARKED + MARKED.replace('image', 'other'));
    put('a/z.yaml', MARKED);
    put('a.yaml', MARKED);
    const r = await updateFiles({ root: root.path, policies });
    expect(r.changes.map((c) => `${c.file}:${c.line}`)).toEqual([
      'a/z.yaml:1',
      'a.yaml:1',
      'b.yaml:1',
      'b.yaml:2',
    ]);
  });
});

describe('walk order', () => {
  it('sorts names by UTF-8 bytes, as Go does (also past the UTF-16 surrogates)', async () => {
    for (const name of ['a', 'B', 'z', '\u00e9', '\uff5e', '\u{1f600}']) put(`${name}.yaml`, MARKED);
    const r = await updateFiles({ root: root.path, policies });
    // UTF-16 unit order would put the emoji (a surrogate pair, 0xD83D...) before U+FF5E.
    expect(r.filesChanged).toEqual(['B', 'a', 'z', '\u00e9', '\uff5e', '\u{1f600}'].map((n) => `${n}.yaml`));
  });

  it('sorts a directory without astral names by bytes too', async () => {
    for (const name of ['\uff5e', 'z', '\u00e9', 'B', 'a', '_', 'Z0']) put(`${name}.yaml`, MARKED);
    const r = await updateFiles({ root: root.path, policies });
    expect(r.filesChanged).toEqual(['B', 'Z0', '_', 'a', 'z', '\u00e9', '\uff5e'].map((n) => `${n}.yaml`));
  });
});

describe('bad input never crashes and never damages a file', () => {
  it('screens on the exact token, wherever it lies and however many `$` come first', async () => {
    const dollars = (n: number): string => `# ${'$x '.repeat(n)}\n`;
    const few = put('few.yaml', `${dollars(3)}${MARKED}`);
    const many = put('many.yaml', `${dollars(200)}a: "$"\n${MARKED}`);
    const first = put('first.yaml', MARKED.replace('image: ', '"$imagepolicy": x\nimage: '));
    // Broken YAML that would be reported if it were parsed: near misses of the token only.
    const nearMisses = [
      `a: [\n# {$imagepolicy: "apps:web"}\n`,
      `a: [\n# {'$imagepolicy': "apps:web"}\n${dollars(100)}`,
      `a: [\n# "$imagepolic"\n`,
      `a: [\n# "$IMAGEPOLICY"\n`,
      `a: [\n$\n"$imagepolicy`,
      `"$imagepolicy`,
      `$`,
    ];
    nearMisses.forEach((text, i) => put(`near-${i}.yaml`, text));
    const r = await updateFiles({ root: root.path, policies });
    expect(read(few)).toBe(`${dollars(3)}${UPDATED}`);
    expect(read(many)).toBe(`${dollars(200)}a: "$"\n${UPDATED}`);
    expect(read(first)).toBe(UPDATED.replace('image: ', '"$imagepolicy": x\nimage: '));
    expect(r.filesChanged).toEqual(['few.yaml', 'first.yaml', 'many.yaml']);
    // (the key of first.yaml, which starts with the token, is content that mentions a marker)
    expect(r.warnings.map((w) => [w.file, w.code])).toEqual([['first.yaml', 'marker-in-scalar']]);
  });

  it('skips a binary file named .yaml', async () => {
    const bin = Buffer.concat([Buffer.from(MARKED), Buffer.from([0, 1, 2, 255, 0])]);
    const p = put('bin.yaml', bin);
    const r = await updateFiles({ root: root.path, policies });
    expect(readFileSync(p).equals(bin)).toBe(true);
    expect(r.warnings.map((w) => w.code)).toEqual(['binary-file']);
  });

  it('skips a file that is not UTF-8 rather than altering its bytes', async () => {
    const latin1 = Buffer.concat([Buffer.from('# caf\xe9\n', 'latin1'), Buffer.from(MARKED)]);
    const p = put('latin1.yaml', latin1);
    const r = await updateFiles({ root: root.path, policies });
    expect(readFileSync(p).equals(latin1)).toBe(true);
    expect(r.warnings.map((w) => w.code)).toEqual(['invalid-encoding']);
  });

  it('does not read a file over the size cap (a 50 MB file)', async () => {
    const big = Buffer.alloc(50 * 1024 * 1024, 0x20);
    Buffer.from(MARKED).copy(big);
    put('big.yaml', big);
    put('small.yaml', MARKED);
    expect(MAX_FILE_BYTES).toBeLessThan(big.length);
    const r = await updateFiles({ root: root.path, policies });
    expect(r.warnings.map((w) => [w.file, w.code])).toEqual([['big.yaml', 'file-too-large']]);
    expect(r.filesChanged).toEqual(['small.yaml']);
  });

  it('reports invalid YAML and carries on with the other files', async () => {
    put('a-bad.yaml', `a: "unclosed\n${MARKED}`);
    put('b-good.yaml', MARKED);
    const r = await updateFiles({ root: root.path, policies });
    expect(r.warnings.map((w) => [w.file, w.code])).toEqual([['a-bad.yaml', 'unparsable-file']]);
    expect(r.filesChanged).toEqual(['b-good.yaml']);
  });
});

describe('root and options', () => {
  it('accepts a single file as the root', async () => {
    const p = put('only.yaml', MARKED);
    const r = await updateFiles({ root: p, policies });
    expect(r.filesChanged).toEqual(['only.yaml']);
    expect(read(p)).toBe(UPDATED);
  });

  it('fails with SETTERS_IO when the root does not exist', async () => {
    const err = await updateFiles({ root: join(root.path, 'nope'), policies }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TidewatchError);
    expect((err as TidewatchError).code).toBe('SETTERS_IO');
    expect((err as TidewatchError).message).toBe('[setters:update] walking path for files failed: ENOENT');
  });

  it('reports every invalid option at once', async () => {
    const err = await updateFiles({
      root: '',
      policies: { bad: { image: 'x', tag: '' } },
      dryRun: 'yes' as unknown as boolean,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.path)).toEqual([
      'root',
      'dryRun',
      'policies["bad"]',
      'policies["bad"].tag',
    ]);
  });

  it('stops when the signal aborts', async () => {
    put('a.yaml', MARKED);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      updateFiles({ root: root.path, policies, signal: controller.signal }),
    ).rejects.toBeInstanceOf(AbortError);
    expect(read(join(root.path, 'a.yaml'))).toBe(MARKED);
  });
});
