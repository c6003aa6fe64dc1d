import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runExample, tempDir } from '@tidewatch/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** The README's code blocks of the Flux objects, Manifests and Secrets sections run as written. */
const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const SEED = fileURLToPath(new URL('../../test/fixtures/seed/', import.meta.url));

function blocks(section: string): string[] {
  const start = README.indexOf(`\n## ${section}\n`);
  expect(start, section).toBeGreaterThanOrEqual(0);
  const end = README.indexOf('\n## ', start + 4);
  const text = README.slice(start, end < 0 ? undefined : end);
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

async function run(code: string): Promise<string[]> {
  const dir = await tempDir('tidewatch-readme-');
  const cwd = process.cwd();
  const show = (args: unknown[]): string =>
    args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  try {
    process.chdir(SEED);
    const out = await runExample(code, dir.path);
    // The examples print with console.log, and report failures with console.error.
    return [...out.log.map(show), ...out.error.map((args) => `ERROR ${args.join(' ')}`)];
  } finally {
    process.chdir(cwd);
    await dir.cleanup();
  }
}

describe('README examples', () => {
  afterEach(() => vi.restoreAllMocks());

  it('Flux objects: the Event example prints the upstream HMAC signature', async () => {
    const [code] = blocks('Flux objects');
    expect(await run(code!)).toEqual([
      'X-Signature: sha256=65b018549b1254e7226d1c08f9567ee45bc9de0fc4e7b1a40253f9a018b08be7',
    ]);
  });

  it('Manifests: loads the seed flux/ tree', async () => {
    const [code] = blocks('Manifests');
    const logs = await run(code!);
    expect(logs[0]).toMatch(/^flux-system\/authentik \{"alphabetical":\{"order":"asc"\}\}/);
    expect(logs).toContain('["^.*\\\\.sig$"]');
    expect(logs.at(-1)).toMatch(/^\["HelmRelease .*helm-release.yaml:2","Kustomization/);
    expect(logs.some((l) => l.startsWith('ERROR'))).toBe(false);
  });

  it('Secrets: resolves from the seed secrets/ folder and prints masked values', async () => {
    const [code] = blocks('Secrets');
    const logs = await run(code!);
    expect(logs).toEqual([
      '{"name":"slack-webhook","namespace":"flux-system","type":"Opaque","data":{"address":"***"}}',
      'true',
    ]);
  });
});
