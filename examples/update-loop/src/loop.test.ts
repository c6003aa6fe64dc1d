import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pushImage, startHttpServer, startRegistry, tempDir } from '@tidewatch/testkit';
import type { TempDir, TestHttpServer, TestRegistry } from '@tidewatch/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUpdateLoop } from './loop.js';

let reg: TestRegistry;
let hook: TestHttpServer;
let dir: TempDir;
const deployment = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: app   # keep this comment',
  '  namespace: apps',
  'spec:',
  '  template:',
  '    spec:',
  '      containers:',
  '        - name: app',
  '          image: IMAGE:1.0.0 # {"$imagepolicy": "flux-system:app"}',
  '',
].join('\r\n');

beforeAll(async () => {
  reg = await startRegistry();
  for (const tag of ['1.0.0', '1.1.0', '2.0.0-rc.1', 'latest', 'sha256-abc.sig'])
    await pushImage(reg.url, 'team/app', tag);
  hook = await startHttpServer((_req, res) => void res.writeHead(200).end());
  dir = await tempDir();
});
afterAll(async () => {
  await reg?.stop();
  await hook?.close();
  await dir?.cleanup();
});

describe('example: the update loop over the public API', () => {
  it('plans, applies, keeps every other byte, and notifies once', async () => {
    const image = `${reg.host}/team/app`;
    const file = join(dir.path, 'apps/app/deployment.yaml');
    await mkdir(join(dir.path, 'apps/app'), { recursive: true });
    const before = deployment.replace('IMAGE', image);
    await writeFile(file, before);
    const options = {
      image,
      policyName: 'flux-system:app',
      policy: { policy: { semver: { range: '>=1.0.0' } } },
      root: dir.path,
      webhook: `${hook.url}/events`,
      previousTag: '1.0.0',
    };

    const plan = await runUpdateLoop({ ...options, dryRun: true });
    expect(plan.tags).toBe(4); // the .sig tag is excluded, as in Flux
    expect(plan.latest).toBe('1.1.0'); // no prerelease without a prerelease comparator
    expect(plan.diff).toContain(`+          image: ${image}:1.1.0 # {"$imagepolicy": "flux-system:app"}`);
    expect(await readFile(file, 'utf8')).toBe(before); // a dry run writes nothing

    const done = await runUpdateLoop(options);
    expect(done.changes.map((c) => [c.file, c.oldValue, c.newValue])).toEqual([
      ['apps/app/deployment.yaml', `${image}:1.0.0`, `${image}:1.1.0`],
    ]);
    expect(await readFile(file, 'utf8')).toBe(before.replace(`${image}:1.0.0`, `${image}:1.1.0`));
    expect(hook.requests).toHaveLength(1); // the plan did not notify
    const sent = hook.requests[0]!.json() as {
      message: string;
      reason: string;
      involvedObject: { kind: string };
    };
    expect(sent.message).toBe(`Latest image tag for ${image} resolved to 1.1.0 (previously ${image}:1.0.0)`);
    expect(sent.reason).toBe('Succeeded');
    expect(sent.involvedObject.kind).toBe('ImagePolicy');

    const again = await runUpdateLoop(options);
    expect(again.changes).toEqual([]); // idempotent
    expect(hook.requests).toHaveLength(1);
  });
});
