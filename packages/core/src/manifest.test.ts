import { execFileSync } from 'node:child_process';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tempDir, type TempDir } from '@tidewatch/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortError, ConfigError } from './errors.js';
import type { ConfigProblem } from './errors.js';
import { loadManifests, ManifestError, parseFluxObject } from './manifest.js';
import type { ManifestIndex } from './manifest.js';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const SEED = join(FIXTURES, 'seed');
const BROKEN = join(FIXTURES, 'broken');

async function loadError(promise: Promise<unknown>): Promise<ManifestError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    expect(error).toBeInstanceOf(ConfigError);
    return error as ManifestError;
  }
  throw new Error('expected loadManifests to fail');
}

function load(source: string, options: { namespace?: string } = {}): Promise<ManifestIndex> {
  return loadManifests({ source, file: 'test.yaml', ...options });
}

async function problemsOf(source: string): Promise<readonly ConfigProblem[]> {
  return (await loadError(load(source))).problems;
}

describe('loadManifests on the seed examples', () => {
  it('loads every example file on its own', async () => {
    const dir = join(SEED, 'examples');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
    expect(files).toHaveLength(20);
    for (const file of files) {
      const index = await loadManifests({ files: [join(dir, file)] });
      expect(index.objects.length + index.unknown.length, file).toBeGreaterThan(0);
    }
  });

  it('loads the examples tree with Flux defaults applied', async () => {
    const index = await loadManifests({ dir: join(SEED, 'examples') });
    const count = Object.fromEntries(Object.entries(index.byKind).map(([k, v]) => [k, v.length]));
    expect(count).toEqual({
      ImageRepository: 2,
      ImagePolicy: 5,
      ImageUpdateAutomation: 1,
      GitRepository: 2,
      HelmRepository: 2,
      Bucket: 0,
      Provider: 1,
      Alert: 2,
      Secret: 3,
    });

    const repo = index.get('ImageRepository', 'flux-system', 'coder')!;
    expect(repo.apiVersion).toBe('image.toolkit.fluxcd.io/v1beta2');
    expect(repo.source).toEqual({ file: join(SEED, 'examples', '01-imagerepository.yaml'), line: 1 });
    expect(repo.spec).toEqual({
      image: 'ghcr.io/coder/coder',
      interval: '1h',
      // The CRD: "Timeout for image scanning. Defaults to 'Interval' duration."
      timeout: '1h',
      exclusionList: ['^.*\\.sig$'],
      provider: 'generic',
      insecure: false,
      suspend: false,
    });
    expect(index.get('ImageRepository', 'flux-system', 'coder-private')!.spec.secretRef).toEqual({
      name: 'ghcr-credentials',
    });

    expect(index.get('ImagePolicy', 'flux-system', 'coder')!.spec).toEqual({
      imageRepositoryRef: { name: 'coder' },
      policy: { semver: { range: '>=2.0.0 <3.0.0' } },
      digestReflectionPolicy: 'Never',
      suspend: false,
    });
    expect(index.get('ImagePolicy', 'flux-system', 'app-alphabetical')!.spec.policy).toEqual({
      alphabetical: { order: 'asc' },
    });
    expect(index.get('ImagePolicy', 'flux-system', 'app-numerical')!.spec.policy).toEqual({
      numerical: { order: 'asc' },
    });
    expect(index.get('ImagePolicy', 'flux-system', 'app-filtered')!.spec.filterTags).toEqual({
      pattern: '^v[0-9]+\\.[0-9]+\\.[0-9]+$',
      extract: '$1',
    });

    const automation = index.get('ImageUpdateAutomation', 'flux-system', 'flux-system')!;
    expect(automation.spec.sourceRef).toEqual({ kind: 'GitRepository', name: 'flux-system' });
    expect(automation.spec.update).toEqual({ path: './flux', strategy: 'Setters' });
    expect(automation.spec.git.checkout).toEqual({ ref: { branch: 'main' } });
    expect(automation.spec.git.push).toEqual({ branch: 'main' });
    expect(automation.spec.git.commit.author).toEqual({ name: 'fluxcdbot', email: 'flux@sharing.io' });
    expect(automation.spec.git.commit.messageTemplate).toBe(
      'Automated image update\n\n{{range .Changed.Changes}}\n- {{.OldValue}} -> {{.NewValue}}\n{{end}}\n',
    );

    const https = index.get('HelmRepository', 'flux-system', 'coder')!.spec;
    expect(https).toMatchObject({
      type: 'default',
      timeout: '60s',
      provider: 'generic',
      passCredentials: false,
    });
    expect(index.get('HelmRepository', 'flux-system', 'oci-charts')!.spec).toMatchObject({
      type: 'oci',
      url: 'oci://ghcr.io/myorg/charts',
      interval: '5m',
    });

    expect(index.get('GitRepository', 'flux-system', 'flux-system')!.spec).toMatchObject({
      url: 'ssh://git@github.com/sharingio/infra.git',
      ref: { branch: 'main' },
      timeout: '60s',
      provider: 'generic',
      recurseSubmodules: false,
    });
    // A semver ref is not given a default branch.
    expect(index.get('GitRepository', 'flux-system', 'infra-releases')!.spec.ref).toEqual({
      semver: '>=1.0.0',
    });

    expect(index.get('Provider', 'flux-system', 'slack')!.spec).toEqual({
      type: 'slack',
      channel: 'deployments',
      secretRef: { name: 'slack-webhook' },
      timeout: '15s',
      suspend: false,
    });
    const onCall = index.get('Alert', 'flux-system', 'on-call')!.spec;
    expect(onCall.eventSeverity).toBe('info');
    expect(onCall.eventSources.map((s) => s.kind)).toEqual([
      'GitRepository',
      'Kustomization',
      'HelmRelease',
      'ImagePolicy',
    ]);
    expect(index.get('Alert', 'flux-system', 'new-versions')!.spec.eventSources).toEqual([
      { kind: 'ImagePolicy', name: '*', namespace: 'flux-system' },
    ]);

    const docker = index.get('Secret', 'flux-system', 'ghcr-credentials')!;
    expect(docker.type).toBe('kubernetes.io/dockerconfigjson');
    expect(index.get('Secret', 'flux-system', 'slack-webhook')!.stringData.address).toBe(
      'https://hooks.slack.com/services/xxx/yyy/zzz',
    );
    expect(index.get('Secret', 'flux-system', 'flux-system')!.type).toBe('Opaque');

    expect(index.unknown.map((u) => [u.kind, u.name, u.source.line])).toEqual([
      ['Deployment', 'app', 2],
      ['HelmRelease', 'coder', 2],
      ['HelmRelease', 'coder-chart', 1],
    ]);
    expect(index.warnings).toContainEqual({
      path: 'apiVersion',
      file: join(SEED, 'examples', '01-imagerepository.yaml'),
      line: 1,
      message:
        'image.toolkit.fluxcd.io/v1beta2 ImageRepository is deprecated by Flux; use image.toolkit.fluxcd.io/v1',
    });
  });

  it('loads the recommended flux/ layout in byte order of paths, reporting kustomize and Helm kinds', async () => {
    const index = await loadManifests({ dir: join(SEED, 'flux') });
    expect(index.files.map((f) => f.slice(join(SEED, 'flux').length + 1))).toEqual([
      'bases/apps/coder/helm-release.yaml',
      'bases/configs/image-automation/authentik.yaml',
      'bases/configs/image-automation/coder.yaml',
      'bases/configs/image-automation/kustomization.yaml',
      'clusters/cluster-sharingio-oci/image-automation.yaml',
      'notifications/slack.yaml',
      'overlays/sharingio-oci/image-policies/kustomization.yaml',
      'sources/git-repository.yaml',
      'sources/helm-repositories.yaml',
    ]);
    expect(index.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ImageRepository/authentik',
      'ImagePolicy/authentik',
      'ImageRepository/coder',
      'ImagePolicy/coder',
      'ImageUpdateAutomation/flux-system',
      'Provider/slack',
      'Alert/new-versions',
      'GitRepository/flux-system',
      'HelmRepository/coder',
      'HelmRepository/oci-charts',
    ]);
    expect(index.get('ImagePolicy', 'flux-system', 'coder')!.spec.filterTags).toEqual({
      pattern: '^v(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$',
      extract: '$version',
    });
    expect(index.unknown.map((u) => `${u.apiVersion} ${u.kind}`)).toEqual([
      'helm.toolkit.fluxcd.io/v2 HelmRelease',
      'kustomize.config.k8s.io/v1beta1 Kustomization',
      'kustomize.config.k8s.io/v1beta1 Kustomization',
    ]);
  });
});

describe('loadManifests defaults and options', () => {
  it('defaults the namespace to "default", or to the namespace option', async () => {
    const source =
      'apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata: {name: a}\nspec: {image: x/y, interval: 1m}\n';
    expect((await load(source)).get('ImageRepository', 'default', 'a')).toBeDefined();
    expect(
      (await load(source, { namespace: 'apps' })).get('ImageRepository', 'apps', 'a')!.metadata.namespace,
    ).toBe('apps');
  });

  it('gives GitRepository the default ref branch master and an automation the Setters strategy', async () => {
    const index = await load(`
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: repo}
spec: {interval: 1m, url: "https://example.com/repo.git"}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: auto}
spec:
  interval: 10m
  sourceRef: {name: repo}
  git: {commit: {author: {email: bot@example.com}}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: charts}
spec: {url: "https://charts.example.com"}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: bucket}
spec: {bucketName: b, endpoint: s3.amazonaws.com, interval: 5m}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: p}
spec:
  imageRepositoryRef: {name: r}
  policy: {numerical: {}}
  filterTags: {pattern: "^(\\\\d+)$"}
`);
    expect(index.get('GitRepository', 'default', 'repo')!.spec.ref).toEqual({ branch: 'master' });
    const auto = index.get('ImageUpdateAutomation', 'default', 'auto')!.spec;
    expect(auto.update).toEqual({ strategy: 'Setters' });
    expect(auto.sourceRef.kind).toBe('GitRepository');
    expect(index.get('HelmRepository', 'default', 'charts')!.spec).toMatchObject({
      type: 'default',
      interval: '1m',
      timeout: '60s',
    });
    expect(index.get('Bucket', 'default', 'bucket')!.spec).toMatchObject({
      provider: 'generic',
      timeout: '60s',
      insecure: false,
    });
    const policy = index.get('ImagePolicy', 'default', 'p')!.spec;
    expect(policy.policy).toEqual({ numerical: { order: 'asc' } });
    expect(policy.filterTags).toEqual({ pattern: '^(\\d+)$', extract: '' });
  });

  it('accepts kubectl output: status and server-set metadata are ignored', async () => {
    const index = await load(`
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: a
  namespace: ns
  uid: 0b1c
  resourceVersion: "42"
  generation: 3
  creationTimestamp: "2024-01-01T00:00:00Z"
  labels: {team: x}
  annotations: {"event.toolkit.fluxcd.io/summary": "hello"}
spec: {image: x/y, interval: 1m}
status:
  canonicalImageName: index.docker.io/x/y
`);
    const obj = index.get('ImageRepository', 'ns', 'a')!;
    expect(obj.metadata).toEqual({
      name: 'a',
      namespace: 'ns',
      labels: { team: 'x' },
      annotations: { 'event.toolkit.fluxcd.io/summary': 'hello' },
    });
    expect(obj).not.toHaveProperty('status');
  });

  it('resolves anchors, aliases and merge keys', async () => {
    const index = await load(`
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: a}
spec: &base
  image: x/y
  interval: 1m
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: b}
spec:
  <<: {image: x/z, interval: 5m}
  interval: 10m
`);
    expect(index.get('ImageRepository', 'default', 'a')!.spec.interval).toBe('1m');
    expect(index.get('ImageRepository', 'default', 'b')!.spec).toMatchObject({
      image: 'x/z',
      interval: '10m',
    });
  });

  it('skips empty documents and documents that are not Kubernetes objects', async () => {
    const index = await load('---\n---\n# only a comment\n---\n- a list\n---\nreplicaCount: 2\n');
    expect(index.objects).toEqual([]);
    expect(index.skipped.map((s) => s.source.line)).toEqual([5, 7]);
  });

  it('strips a UTF-8 BOM', async () => {
    const index = await load('\uFEFFapiVersion: v1\nkind: Secret\nmetadata: {name: s}\n');
    expect(index.byKind.Secret).toHaveLength(1);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(loadManifests({ dir: SEED, signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
  });
});

describe('YAML 1.1 vs 1.2 (Kubernetes reads YAML 1.1)', () => {
  const repo = (ref: string) =>
    `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: r}\nspec:\n  interval: 1m\n  url: https://x/y\n  suspend: SUSPEND\n  ref:\n    ${ref}\n`;

  it('accepts YAML 1.1 booleans where a boolean is expected', async () => {
    const index = await load(repo('branch: main').replace('SUSPEND', 'yes'));
    expect(index.get('GitRepository', 'default', 'r')!.spec.suspend).toBe(true);
    const off = await load(repo('branch: main').replace('SUSPEND', 'Off'));
    expect(off.get('GitRepository', 'default', 'r')!.spec.suspend).toBe(false);
  });

  it('rejects a quoted boolean, as the API server does', async () => {
    const [problem] = await problemsOf(repo('branch: main').replace('SUSPEND', '"true"'));
    expect(problem).toMatchObject({
      path: 'spec.suspend',
      line: 7,
      message: 'must be a boolean, got string "true"',
    });
  });

  it('rejects plain scalars that are numbers or booleans in either YAML version, asking to quote them', async () => {
    for (const value of ['1.10', 'on', '0b101', '1_000', '5']) {
      const problems = await problemsOf(repo(`branch: ${value}`).replace('SUSPEND', 'false'));
      expect(problems, value).toHaveLength(1);
      expect(problems[0]).toMatchObject({ path: 'spec.ref.branch', line: 9 });
      expect(problems[0]!.message, value).toMatch(/quote it/);
    }
  });

  it('treats null as absent, as Kubernetes does', async () => {
    const index = await load(repo('branch: null').replace('SUSPEND', '~'));
    expect(index.get('GitRepository', 'default', 'r')!.spec).toMatchObject({
      ref: { branch: 'master' },
      suspend: false,
    });
  });

  it('keeps quoted values and YAML 1.2 strings as strings', async () => {
    const index = await load(repo('semver: ">=2.0.0"').replace('SUSPEND', 'false'));
    expect(index.get('GitRepository', 'default', 'r')!.spec.ref).toEqual({ semver: '>=2.0.0' });
    const tag = await load(repo("tag: '1.10'").replace('SUSPEND', 'false'));
    expect(tag.get('GitRepository', 'default', 'r')!.spec.ref).toEqual({ tag: '1.10' });
    // A date-like tag is a string for go-yaml v2 when decoded into interface{}.
    const date = await load(repo('tag: 2024-01-15').replace('SUSPEND', 'false'));
    expect(date.get('GitRepository', 'default', 'r')!.spec.ref).toEqual({ tag: '2024-01-15' });
  });
});

describe('loadManifests on broken input', () => {
  let tmp: TempDir;
  beforeEach(async () => {
    tmp = await tempDir('tidewatch-manifest-');
  });
  afterEach(async () => {
    await tmp.cleanup();
  });

  it('reports every problem of every object in one error, each with file, line and path', async () => {
    const file = join(BROKEN, 'invalid-objects.yaml');
    const error = await loadError(loadManifests({ files: [file] }));
    expect(error.code).toBe('MANIFEST_PARSE');
    const got = error.problems.map((p) => [p.line, p.path]);
    expect(got).toEqual([
      [8, 'spec.interval'], // a number
      [9, 'spec.insecure'], // a quoted "true"
      [10, 'spec.exclusionList'], // a string, not a list
      [17, 'spec.imagee'], // unknown field
      [18, 'spec.interval'], // 1d: not a Flux duration
      [19, 'spec.provider'], // not in the enum
      [17, 'spec.image'], // required
      [26, 'spec.policy'], // required
      [38, 'spec.ref.semver'], // tag and semver together (rule 3)
      [46, 'spec.timeout'], // hours are not allowed in timeouts
      [47, 'spec.url'], // scp-style URL
      [49, 'apiVersion'], // v1beta1 is not supported
      [55, 'apiVersion'], // missing
      [64, 'metadata.name'], // not a DNS subdomain
      [68, 'spec.eventSeverity'],
      [70, 'spec.eventSources[0].kind'],
    ]);
    expect(error.problems.every((p) => p.file === file)).toBe(true);
    const byLine = (line: number, path: string) =>
      error.problems.find((p) => p.line === line && p.path === path)!.message;
    expect(byLine(17, 'spec.imagee')).toBe('unknown field');
    expect(byLine(17, 'spec.image')).toBe('is required');
    expect(byLine(18, 'spec.interval')).toContain('"1d"');
    expect(byLine(19, 'spec.provider')).toBe(
      'must be one of "generic", "aws", "azure", "gcp", got "dockerhub"',
    );
    expect(byLine(38, 'spec.ref.semver')).toContain('conflicts with spec.ref.tag');
    expect(byLine(49, 'apiVersion')).toContain('image.toolkit.fluxcd.io/v1, image.toolkit.fluxcd.io/v1beta2');
    expect(error.message).toContain(`${file}:38: spec.ref.semver: conflicts with spec.ref.tag`);
  });

  it('reports malformed YAML with its line and keeps the other files', async () => {
    const error = await loadError(
      loadManifests({
        files: [join(BROKEN, 'malformed.yaml'), join(SEED, 'examples', '01-imagerepository.yaml')],
      }),
    );
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ file: join(BROKEN, 'malformed.yaml'), line: 8 });
    expect(error.problems[0]!.message).toMatch(/^invalid YAML: /);
  });

  it('explains an unquoted range: >=2.0.0', async () => {
    const error = await loadError(loadManifests({ files: [join(BROKEN, 'unquoted-range.yaml')] }));
    expect(error.problems[0]).toMatchObject({ line: 10 });
    expect(error.problems[0]!.message).toContain('must be quoted');
  });

  it('reports duplicate objects (same kind, namespace, name) naming both places', async () => {
    const a = join(BROKEN, 'duplicate-a.yaml');
    const b = join(BROKEN, 'duplicate-b.yaml');
    const error = await loadError(loadManifests({ files: [a, b] }));
    expect(error.problems).toEqual([
      {
        path: 'metadata.name',
        file: b,
        line: 2,
        message: `duplicate ImageRepository apps/app (first defined at ${a}:1)`,
      },
    ]);
  });

  it('does not call two kinds with the same name duplicates', async () => {
    const index = await load(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n---\napiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: x}\nspec: {type: generic}\n',
    );
    expect(index.objects).toHaveLength(2);
  });

  it('reports a binary file, invalid UTF-8, a dangling symlink and a FIFO named .yaml without crashing or hanging', async () => {
    await writeFile(join(tmp.path, 'a-binary.yaml'), Buffer.from([0x61, 0x3a, 0x0a, 0x00, 0xff, 0x10]));
    await writeFile(join(tmp.path, 'b-latin1.yaml'), Buffer.from('a: 1\nb: caf\xe9\n', 'latin1'));
    await symlink(join(tmp.path, 'missing-target'), join(tmp.path, 'c-dangling.yaml'));
    execFileSync('mkfifo', [join(tmp.path, 'd-fifo.yaml')]);
    await mkdir(join(tmp.path, '.git'));
    await writeFile(join(tmp.path, '.git', 'ignored.yaml'), '{{{{');
    await writeFile(join(tmp.path, 'notes.txt'), '{{{{');
    const error = await loadError(loadManifests({ dir: tmp.path }));
    expect(error.problems.map((p) => [p.file!.slice(tmp.path.length + 1), p.line, p.message])).toEqual([
      ['a-binary.yaml', 2, 'is not a text file (it contains NUL bytes)'],
      ['b-latin1.yaml', 2, 'is not valid UTF-8 text'],
      ['c-dangling.yaml', 1, 'cannot be read (ENOENT)'],
      ['d-fifo.yaml', 1, 'is not a regular file'],
    ]);
    expect(error.code).toBe('MANIFEST_PARSE');
  });

  it('uses MANIFEST_READ when nothing could be read', async () => {
    const missing = join(tmp.path, 'nope');
    const error = await loadError(loadManifests({ dir: missing }));
    expect(error.code).toBe('MANIFEST_READ');
    expect(error.problems[0]).toMatchObject({ file: missing, message: 'cannot read directory (ENOENT)' });
    const fileError = await loadError(loadManifests({ files: [join(tmp.path, 'gone.yaml')] }));
    expect(fileError.code).toBe('MANIFEST_READ');
  });

  it('collects problems across files into one error', async () => {
    await writeFile(join(tmp.path, 'one.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: {}\n');
    await mkdir(join(tmp.path, 'sub'));
    await writeFile(
      join(tmp.path, 'sub', 'two.yml'),
      'apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata: {name: a}\nspec: {}\n',
    );
    const error = await loadError(loadManifests({ dir: tmp.path }));
    expect(error.problems.map((p) => `${p.file!.slice(tmp.path.length + 1)}:${p.line} ${p.path}`)).toEqual([
      'one.yaml:3 metadata.name',
      'sub/two.yml:4 spec.providerRef',
      'sub/two.yml:4 spec.eventSources',
    ]);
  });

  it('never puts Secret values into problems', async () => {
    const error = await loadError(
      load(`apiVersion: v1
kind: Secret
metadata: {name: s}
stringData:
  token: 12345678
  other: yes
  bad_key!: "hunter2-value"
data: [1, 2]
`),
    );
    expect(error.problems.map((p) => [p.line, p.path])).toEqual([
      [5, 'stringData.token'],
      [6, 'stringData.other'],
      [8, 'data'],
    ]);
    const text = `${error.message} ${inspect(error)} ${JSON.stringify(error.problems)}`;
    expect(text).not.toContain('12345678');
    expect(text).not.toMatch(/"yes"/);
    const keyError = await loadError(
      load('apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  bad_key!: "hunter2-value"\n'),
    );
    expect(keyError.problems).toMatchObject([{ path: 'stringData.bad_key!', line: 5 }]);
    expect(keyError.message).not.toContain('hunter2');
  });

  it('masks Secret values of loaded objects in inspect and JSON', async () => {
    const index = await load(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: aHVudGVyMg==}\nstringData: {token: hunter2-token}\n',
    );
    const secret = index.get('Secret', 'default', 's')!;
    expect(secret.stringData.token).toBe('hunter2-token');
    expect(Object.keys(secret.data)).toEqual(['password']);
    const shown = `${inspect(index.objects, { depth: 10 })} ${JSON.stringify(index.objects)}`;
    expect(shown).not.toContain('hunter2-token');
    expect(shown).not.toContain('aHVudGVyMg==');
    expect(shown).toContain('***');
  });
});

describe('per-kind rules', () => {
  const gitRepo = (ref: string, api = 'v1', extra = '') =>
    `apiVersion: source.toolkit.fluxcd.io/${api}\nkind: GitRepository\nmetadata: {name: r}\nspec:\n  interval: 1m\n  url: https://x/y\n  ref: ${ref}\n${extra}`;

  it('allows commit with branch, rejects commit with tag and name with branch', async () => {
    const ok = await load(gitRepo('{branch: main, commit: 0123456789abcdef0123456789abcdef01234567}'));
    expect(ok.get('GitRepository', 'default', 'r')!.spec.ref).toEqual({
      branch: 'main',
      commit: '0123456789abcdef0123456789abcdef01234567',
    });
    expect((await problemsOf(gitRepo('{tag: v1, commit: abc}'))).map((p) => p.path)).toEqual([
      'spec.ref.commit',
    ]);
    const [nameAndBranch] = await problemsOf(gitRepo('{branch: main, name: refs/heads/dev}'));
    expect(nameAndBranch).toMatchObject({ path: 'spec.ref.name', line: 7 });
    expect(nameAndBranch!.message).toContain('Flux would silently use name');
  });

  it('knows which fields exist in which apiVersion', async () => {
    expect(
      (await problemsOf(gitRepo('{branch: main}', 'v1beta2', '  provider: github\n'))).map((p) => p.path),
    ).toEqual(['spec.provider']);
    const v1beta2 = await load(gitRepo('{branch: main}', 'v1beta2', '  gitImplementation: go-git\n'));
    expect(v1beta2.warnings.map((w) => w.path)).toContain('spec.gitImplementation');
    const [sa] = await problemsOf(gitRepo('{branch: main}', 'v1', '  serviceAccountName: sa\n'));
    expect(sa!.message).toBe("serviceAccountName can only be set when provider is 'azure' or 'aws'");

    const automation = (api: string) =>
      `apiVersion: image.toolkit.fluxcd.io/${api}\nkind: ImageUpdateAutomation\nmetadata: {name: a}\nspec:\n  interval: 1m\n  sourceRef: {kind: GitRepository, name: r}\n  git:\n    commit:\n      author: {email: a@b.c}\n      signingKey: {secretRef: {name: k}, type: ssh}\n`;
    expect(
      (await load(automation('v1'))).byKind.ImageUpdateAutomation[0]!.spec.git.commit.signingKey,
    ).toEqual({
      secretRef: { name: 'k' },
      type: 'ssh',
    });
    expect((await problemsOf(automation('v1beta2'))).map((p) => [p.path, p.line])).toEqual([
      ['spec.git.commit.signingKey.type', 10],
    ]);

    const provider = (api: string, type: string) =>
      `apiVersion: notification.toolkit.fluxcd.io/${api}\nkind: Provider\nmetadata: {name: p}\nspec: {type: ${type}}\n`;
    expect((await load(provider('v1beta3', 'nats'))).byKind.Provider[0]!.spec.type).toBe('nats');
    expect((await problemsOf(provider('v1beta2', 'nats'))).map((p) => p.path)).toEqual(['spec.type']);
  });

  it('applies Flux CEL rules with Flux wording', async () => {
    const policy = (extra: string) =>
      `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata: {name: p}\nspec:\n  imageRepositoryRef: {name: r}\n  policy: {semver: {range: "*"}}\n${extra}`;
    expect((await problemsOf(policy('  interval: 5m\n')))[0]!.message).toBe(
      "spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'",
    );
    expect((await problemsOf(policy('  digestReflectionPolicy: Always\n')))[0]!.message).toBe(
      "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'",
    );
    const always = await load(policy('  digestReflectionPolicy: Always\n  interval: 10m\n'));
    expect(always.byKind.ImagePolicy[0]!.spec).toMatchObject({
      digestReflectionPolicy: 'Always',
      interval: '10m',
    });

    const [two] = await problemsOf(
      'apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata: {name: p}\nspec:\n  imageRepositoryRef: {name: r}\n  policy:\n    semver: {range: "*"}\n    numerical: {}\n',
    );
    expect(two).toMatchObject({ path: 'spec.policy.numerical', line: 8 });

    const bucket = (spec: string) =>
      `apiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata: {name: b}\nspec: {bucketName: b, endpoint: e, interval: 1m, ${spec}}\n`;
    expect(
      (await problemsOf(bucket('provider: gcp, sts: {provider: aws, endpoint: "https://sts"}')))[0]!.message,
    ).toBe("STS configuration is only supported for the 'aws' and 'generic' Bucket providers");
    expect((await problemsOf(bucket('serviceAccountName: sa')))[0]!.message).toBe(
      "ServiceAccountName is not supported for the 'generic' Bucket provider",
    );

    const [expr] = await problemsOf(
      'apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata: {name: p}\nspec: {type: slack, commitStatusExpr: "x"}\n',
    );
    expect(expr!.path).toBe('spec.commitStatusExpr');

    const helm = (type: string, url: string) =>
      `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: h}\nspec: {type: ${type}, url: "${url}"}\n`;
    expect((await problemsOf(helm('default', 'oci://ghcr.io/x')))[0]!.path).toBe('spec.url');
    expect((await problemsOf(helm('oci', 'https://charts.example.com')))[0]!.path).toBe('spec.url');
  });

  it('requires spec.git on an automation, as Flux does in practice', async () => {
    const [problem] = await problemsOf(
      'apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata: {name: a}\nspec: {interval: 1m, sourceRef: {name: r}}\n',
    );
    expect(problem).toMatchObject({ path: 'spec.git', line: 4 });
  });
});

describe('regular expressions in specs', () => {
  it('rejects patterns Go RE2 cannot compile, with Go wording', async () => {
    const problems = await problemsOf(`apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: r}
spec:
  image: x/y
  interval: 1m
  exclusionList: ["^ok$", "(a(?=b))"]
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: p}
spec:
  imageRepositoryRef: {name: r}
  policy: {numerical: {}}
  filterTags: {pattern: "(\\\\d+"}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: a}
spec:
  providerRef: {name: p}
  eventSources: [{kind: ImagePolicy, name: "*"}]
  exclusionList: ["a)"]
`);
    expect(problems.map((p) => [p.path, p.line])).toEqual([
      ['spec.exclusionList[1]', 7],
      ['spec.filterTags.pattern', 15],
      ['spec.exclusionList[0]', 23],
    ]);
    expect(problems[1]!.message).toBe(
      'is not a valid Go regular expression: error parsing regexp: missing closing ): `(\\d+`',
    );
  });

  it('accepts Go-only syntax such as (?P<name>…)', async () => {
    const index = await load(
      'apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata: {name: p}\nspec:\n  imageRepositoryRef: {name: r}\n  policy: {numerical: {}}\n  filterTags: {pattern: "^main-(?P<ts>[[:digit:]]+)$", extract: "$ts"}\n',
    );
    expect(index.byKind.ImagePolicy[0]!.spec.filterTags!.pattern).toBe('^main-(?P<ts>[[:digit:]]+)$');
  });
});

describe('parseFluxObject', () => {
  it('validates a plain object and applies defaults', () => {
    const object = parseFluxObject(
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImagePolicy',
        metadata: { name: 'app' },
        spec: { imageRepositoryRef: { name: 'app' }, policy: { alphabetical: {} } },
      },
      { namespace: 'apps' },
    );
    expect(object.kind).toBe('ImagePolicy');
    expect(object.metadata.namespace).toBe('apps');
    expect(object.source).toEqual({ file: '<object>', line: 1 });
    if (object.kind === 'ImagePolicy') expect(object.spec.policy).toEqual({ alphabetical: { order: 'asc' } });
  });

  it('takes JS values as they are (a string "yes" is a string) and lists every problem', () => {
    expect(() =>
      parseFluxObject({
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: 'r' },
        spec: { url: 'https://x', interval: 60, ref: { branch: 'yes' }, suspend: 'yes' },
      }),
    ).toThrow(/spec.interval: must be a string, got number 60[^]*spec.suspend: must be a boolean/);
    expect(() =>
      parseFluxObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } }),
    ).toThrow(/apps\/v1 Deployment is not a kind tidewatch models/);
    expect(() => parseFluxObject('text')).toThrow(ManifestError);
  });
});

describe('loadManifests edge cases', () => {
  it('loads a single file given as dir', async () => {
    const file = join(SEED, 'examples', '13-gitrepository.yaml');
    const index = await loadManifests({ dir: file });
    expect(index.files).toEqual([file]);
    expect(index.byKind.GitRepository).toHaveLength(1);
  });

  it('warns when a modelled kind comes with a foreign apiVersion', async () => {
    const index = await load(
      'apiVersion: image.toolkit.fluxcd.io.v1\nkind: ImagePolicy\nmetadata: {name: p}\n',
    );
    expect(index.unknown).toHaveLength(1);
    expect(index.warnings).toEqual([
      {
        path: 'apiVersion',
        file: 'test.yaml',
        line: 1,
        message:
          'image.toolkit.fluxcd.io.v1 ImagePolicy is not a Flux ImagePolicy (image.toolkit.fluxcd.io/v1, image.toolkit.fluxcd.io/v1beta2); listed as unknown',
      },
    ]);
  });
});

describe('loadManifests input checks', () => {
  it('rejects options without exactly one input, listing every problem', async () => {
    const error = await loadManifests({ dir: 1, source: 2 } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as ConfigError).problems.map((p) => p.path)).toEqual(['', 'dir', 'source']);
    await expect(loadManifests({} as never)).rejects.toBeInstanceOf(ConfigError);
  });

  it('reports duplicate keys with their line, and reads CRLF files', async () => {
    const [problem] = await problemsOf(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\ntype: Opaque\n',
    );
    expect(problem).toMatchObject({ line: 5, message: 'invalid YAML: Map keys must be unique' });
    const crlf = await load(
      'apiVersion: v1\r\nkind: Secret\r\nmetadata:\r\n  name: s\r\nstringData:\r\n  a: b\r\n',
    );
    expect(crlf.get('Secret', 'default', 's')!.stringData.a).toBe('b');
  });
});

describe('deprecations', () => {
  it('warns about deprecated Provider and Alert fields with their lines, and still loads them', async () => {
    const index = await load(`apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: p}
spec:
  type: generic
  interval: 5m
  proxy: http://proxy.example:8080
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: a}
spec:
  providerRef: {name: p}
  eventSources: [{kind: Bucket, name: b}]
  summary: hello
`);
    expect(index.warnings.map((w) => [w.path, w.line])).toEqual([
      ['spec.interval', 6],
      ['spec.proxy', 7],
      ['spec.summary', 15],
    ]);
    expect(index.get('Provider', 'default', 'p')!.spec).toMatchObject({ interval: '5m', timeout: '15s' });
    expect(index.get('Alert', 'default', 'a')!.spec.summary).toBe('hello');
  });
});

describe('list items', () => {
  it('reports a wrong item once and a null item as null', async () => {
    const problems = await problemsOf(
      'apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata: {name: r}\nspec:\n  image: x/y\n  interval: 1m\n  exclusionList:\n    - 5\n    -\n    - ok\n',
    );
    expect(problems.map((p) => [p.path, p.line, p.message])).toEqual([
      ['spec.exclusionList[0]', 8, 'must be a string, got number 5 (quote it)'],
      ['spec.exclusionList[1]', 9, 'must not be null'],
    ]);
  });
});

describe('ImageRepository timeout (CRD: "Defaults to \'Interval\' duration")', () => {
  const repo = (name: string, spec: string, apiVersion = 'image.toolkit.fluxcd.io/v1') =>
    `apiVersion: ${apiVersion}\nkind: ImageRepository\nmetadata: {name: ${name}}\nspec: {image: x/y, ${spec}}\n`;

  it('is the interval when timeout is absent or null, for v1 and v1beta2', async () => {
    const index = await load(
      [
        repo('a', 'interval: 5m'),
        repo('b', 'interval: 1h30m'),
        repo('c', 'interval: 10m, timeout: null'),
        repo('d', 'interval: 2m', 'image.toolkit.fluxcd.io/v1beta2'),
      ].join('---\n'),
    );
    expect(index.get('ImageRepository', 'default', 'a')!.spec.timeout).toBe('5m');
    // A defaulted timeout is the interval as written, hours included (GetTimeout uses the duration).
    expect(index.get('ImageRepository', 'default', 'b')!.spec.timeout).toBe('1h30m');
    expect(index.get('ImageRepository', 'default', 'c')!.spec.timeout).toBe('10m');
    expect(index.get('ImageRepository', 'default', 'd')!.spec.timeout).toBe('2m');
  });

  it('keeps a timeout that is set, even one longer than the interval', async () => {
    const index = await load(
      [repo('a', 'interval: 5m, timeout: 30s'), repo('b', 'interval: 1m, timeout: 3m')].join('---\n'),
    );
    expect(index.get('ImageRepository', 'default', 'a')!.spec).toMatchObject({
      interval: '5m',
      timeout: '30s',
    });
    expect(index.get('ImageRepository', 'default', 'b')!.spec).toMatchObject({
      interval: '1m',
      timeout: '3m',
    });
  });

  it('is defaulted by parseFluxObject too, and a written timeout still may not use hours', async () => {
    const object = parseFluxObject({
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImageRepository',
      metadata: { name: 'a' },
      spec: { image: 'x/y', interval: '15m' },
    });
    expect(object.kind === 'ImageRepository' && object.spec.timeout).toBe('15m');
    const [problem] = await problemsOf(repo('a', 'interval: 1h, timeout: 1h'));
    expect(problem).toMatchObject({ path: 'spec.timeout', line: 4 });
  });
});

describe('kind: List', () => {
  // What `kubectl get imagerepositories,imagepolicies -o yaml` writes (trimmed), line numbers on the left.
  const KUBECTL_GET = `apiVersion: v1
items:
- apiVersion: image.toolkit.fluxcd.io/v1
  kind: ImageRepository
  metadata:
    creationTimestamp: "2026-01-02T03:04:05Z"
    generation: 1
    name: app
    namespace: flux-system
    resourceVersion: "123"
    uid: 0b6e2f3c-1111-2222-3333-444455556666
  spec:
    exclusionList:
    - ^.*\\.sig$
    image: ghcr.io/org/app
    interval: 5m
    provider: generic
  status:
    observedGeneration: 1
- apiVersion: image.toolkit.fluxcd.io/v1
  kind: ImageRepository
  metadata:
    name: slow
    namespace: flux-system
  spec:
    image: ghcr.io/org/slow
    interval: 1h
    timeout: 2m
- apiVersion: image.toolkit.fluxcd.io/v1
  kind: ImagePolicy
  metadata:
    name: app
    namespace: flux-system
  spec:
    imageRepositoryRef:
      name: app
    policy:
      semver:
        range: ">=1.0.0"
kind: List
metadata:
  resourceVersion: ""
`;

  it('reads each item as an object with the line of that item', async () => {
    const index = await load(KUBECTL_GET);
    expect(index.objects.map((o) => [o.kind, o.metadata.name, o.source])).toEqual([
      ['ImageRepository', 'app', { file: 'test.yaml', line: 3 }],
      ['ImageRepository', 'slow', { file: 'test.yaml', line: 20 }],
      ['ImagePolicy', 'app', { file: 'test.yaml', line: 29 }],
    ]);
    expect(index.get('ImageRepository', 'flux-system', 'app')!.spec).toEqual({
      image: 'ghcr.io/org/app',
      interval: '5m',
      timeout: '5m',
      exclusionList: ['^.*\\.sig$'],
      provider: 'generic',
      insecure: false,
      suspend: false,
    });
    expect(index.get('ImageRepository', 'flux-system', 'slow')!.spec.timeout).toBe('2m');
    expect(index.get('ImagePolicy', 'flux-system', 'app')!.spec.policy).toEqual({
      semver: { range: '>=1.0.0' },
    });
    expect(index.unknown).toEqual([]);
    expect(index.skipped).toEqual([]);
    expect(index.warnings).toEqual([]);
  });

  it('reads the JSON that kubectl get -o json writes', async () => {
    const json = JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'source.toolkit.fluxcd.io/v1',
            kind: 'GitRepository',
            metadata: { name: 'repo', namespace: 'flux-system' },
            spec: { url: 'https://example.com/x.git', interval: '1m' },
          },
        ],
        metadata: { resourceVersion: '' },
      },
      null,
      2,
    );
    const index = await loadManifests({ source: json, file: 'get.json' });
    expect(index.objects.map((o) => [o.kind, o.source])).toEqual([
      ['GitRepository', { file: 'get.json', line: 5 }],
    ]);
  });

  it('gives every problem of an item the file, the line and the path inside the List', async () => {
    const problems = await problemsOf(`apiVersion: v1
kind: List
items:
  - apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImageRepository
    metadata: {name: ok}
    spec: {image: x/y, interval: 1m}
  - apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImageRepository
    metadata: {name: Bad_Name}
    spec:
      image: x/y
      interval: 1d
      colour: blue
  - apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImagePolicy
    metadata: {name: p}
    spec:
      imageRepositoryRef: {name: ok}
      policy: {semver: {range: "1.x"}, numerical: {}}
  - apiVersion: image.toolkit.fluxcd.io/v1alpha1
    kind: ImageRepository
    metadata: {name: old}
`);
    expect(problems.map((p) => [p.file, p.line, p.path])).toEqual([
      ['test.yaml', 10, 'items[1].metadata.name'],
      ['test.yaml', 13, 'items[1].spec.interval'],
      ['test.yaml', 14, 'items[1].spec.colour'],
      ['test.yaml', 20, 'items[2].spec.policy.numerical'],
      ['test.yaml', 21, 'items[3].apiVersion'],
    ]);
    expect(problems[4]!.message).toBe(
      'image.toolkit.fluxcd.io/v1alpha1 is not a supported version of ImageRepository; use image.toolkit.fluxcd.io/v1, image.toolkit.fluxcd.io/v1beta2',
    );
  });

  it('reports an item of an unknown kind as unknown, with the item line, like a top-level document', async () => {
    const index = await load(`apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: apps}
- apiVersion: kustomize.toolkit.fluxcd.io/v1
  kind: Kustomization
  metadata: {name: infra}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: top}
`);
    expect(index.objects).toEqual([]);
    expect(index.unknown).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        namespace: 'apps',
        source: { file: 'test.yaml', line: 4 },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        name: 'infra',
        source: { file: 'test.yaml', line: 7 },
      },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'top', source: { file: 'test.yaml', line: 11 } },
    ]);
  });

  it('reads items: null, items: [] and no items as an empty list', async () => {
    for (const items of ['items: null\n', 'items: []\n', 'items:\n', '']) {
      const index = await load(`apiVersion: v1\nkind: List\n${items}metadata: {resourceVersion: ""}\n`);
      expect([index.objects, index.unknown, index.skipped, index.warnings], items).toEqual([[], [], [], []]);
    }
  });

  it('reports items that are not a list, with file and line', async () => {
    const problems = await problemsOf(
      'apiVersion: v1\nkind: List\nitems:\n  apiVersion: v1\n  kind: Secret\n---\napiVersion: v1\nkind: List\nitems: none\n',
    );
    expect(problems).toEqual([
      { path: 'items', file: 'test.yaml', line: 4, message: 'must be a list, got a mapping' },
      { path: 'items', file: 'test.yaml', line: 9, message: 'must be a list, got string "none"' },
    ]);
  });

  it('reports items that are not objects (null, a scalar, no apiVersion and kind)', async () => {
    const problems = await problemsOf(
      'apiVersion: v1\nkind: List\nitems:\n- \n- just text\n- metadata: {name: x}\n- kind: Secret\n  metadata: {name: s}\n',
    );
    expect(problems.map((p) => [p.path, p.line, p.message])).toEqual([
      ['items[0]', 4, 'must be a Kubernetes object, got null'],
      ['items[1]', 5, 'must be a Kubernetes object (a mapping), got a scalar'],
      ['items[2]', 6, 'is not a Kubernetes object (no apiVersion and no kind)'],
      ['items[3].apiVersion', 7, 'is required'],
    ]);
  });

  it('flattens nested Lists as kubectl does, each object keeping its own line', async () => {
    const index = await load(`apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: List
  items:
  - apiVersion: v1
    kind: Secret
    metadata: {name: inner}
    stringData: {token: abc}
- apiVersion: v1
  kind: Secret
  metadata: {name: outer}
  data:
    token: YWJj
`);
    const [inner, outer] = index.byKind.Secret;
    expect([inner!.metadata.name, inner!.source.line, inner!.keyLines]).toEqual([
      'inner',
      7,
      { 'stringData.token': 10 },
    ]);
    expect([outer!.metadata.name, outer!.source.line, outer!.keyLines]).toEqual([
      'outer',
      11,
      { 'data.token': 15 },
    ]);
    expect(inspect(inner!.stringData)).not.toContain('abc');
    const [problem] = await problemsOf(
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: s}\n    stringData: {"bad key": x}\n',
    );
    expect(problem).toMatchObject({ path: 'items[0].items[0].stringData.bad key', line: 10 });
  });

  it('reads typed lists from the API server; items without apiVersion and kind are the listed kind', async () => {
    const index = await load(`apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepositoryList
metadata: {resourceVersion: "42"}
items:
- metadata: {name: a, namespace: flux-system}
  spec: {image: x/a, interval: 3m}
- apiVersion: image.toolkit.fluxcd.io/v1
  kind: ImageRepository
  metadata: {name: b, namespace: flux-system}
  spec: {image: x/b, interval: 4m}
`);
    const [a, b] = index.byKind.ImageRepository;
    expect([a!.apiVersion, a!.source.line, a!.spec.timeout]).toEqual([
      'image.toolkit.fluxcd.io/v1beta2',
      5,
      '3m',
    ]);
    expect([b!.apiVersion, b!.source.line]).toEqual(['image.toolkit.fluxcd.io/v1', 7]);
    expect(index.warnings).toEqual([
      {
        path: 'items[0].apiVersion',
        file: 'test.yaml',
        line: 5,
        message:
          'image.toolkit.fluxcd.io/v1beta2 ImageRepository is deprecated by Flux; use image.toolkit.fluxcd.io/v1',
      },
    ]);
    const deployments = await load(
      'apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: web}\n',
    );
    expect(deployments.unknown).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', source: { file: 'test.yaml', line: 4 } },
    ]);
  });

  it('treats a kind ending in List without items as an ordinary kind', async () => {
    const index = await load('apiVersion: example.com/v1\nkind: AccessList\nmetadata: {name: x}\nspec: {}\n');
    expect(index.unknown.map((u) => [u.kind, u.name, u.source.line])).toEqual([['AccessList', 'x', 1]]);
  });

  it('warns about fields a List does not have (an `item:` typo would load nothing)', async () => {
    const index = await load('apiVersion: v1\nkind: List\nitem:\n- apiVersion: v1\n  kind: Secret\n');
    expect(index.objects).toEqual([]);
    expect(index.warnings).toEqual([
      {
        path: 'item',
        file: 'test.yaml',
        line: 3,
        message: 'is not a field of a List (apiVersion, kind, metadata, items); ignored',
      },
    ]);
  });

  it('reports duplicates across items and documents with the lines of both', async () => {
    const item = '- apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\n';
    const problems = await problemsOf(`apiVersion: v1\nkind: List\nitems:\n${item}${item}`);
    expect(problems).toEqual([
      {
        path: 'metadata.name',
        file: 'test.yaml',
        line: 7,
        message: 'duplicate Secret default/s (first defined at test.yaml:4)',
      },
    ]);
  });

  it('reads List items through aliases, at the line of the alias, and refuses a List that contains itself', async () => {
    const problems = await problemsOf(
      'apiVersion: v1\nkind: List\nitems:\n- &s\n  apiVersion: v1\n  kind: Secret\n  metadata: {name: a}\n- *s\n',
    );
    // The same object twice is a duplicate, as if it were written twice.
    expect(problems).toEqual([
      {
        path: 'metadata.name',
        file: 'test.yaml',
        line: 8,
        message: 'duplicate Secret default/a (first defined at test.yaml:5)',
      },
    ]);
    expect(await problemsOf('&l\napiVersion: v1\nkind: List\nitems:\n- *l\n')).toEqual([
      { path: 'items[0]', file: 'test.yaml', line: 5, message: 'List contains itself (through an alias)' },
    ]);
  });

  it('parseFluxObject refuses a List (it returns one object) and points to loadManifests', () => {
    expect(() => parseFluxObject({ apiVersion: 'v1', kind: 'List', items: [] })).toThrow(
      /kind: a List holds several objects and parseFluxObject reads one; load it with loadManifests/,
    );
  });
});
