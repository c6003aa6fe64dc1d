import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { ConfigError } from '@tidewatch/core';
import { startFakeRegistry, tempDir } from '@tidewatch/testkit';
import type { TempDir } from '@tidewatch/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { credentialsFromDockerConfig } from './docker-config.js';
import { RegistryError } from './errors.js';
import { scanImageTags } from './scan.js';
import type { CredentialRequest } from './types.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('credentialsFromDockerConfig', () => {
  it('normalises every Docker Hub spelling to one host', () => {
    for (const key of [
      'https://index.docker.io/v1/',
      'docker.io',
      'registry-1.docker.io',
      'index.docker.io',
    ]) {
      const creds = credentialsFromDockerConfig({ auths: { [key]: { auth: b64('hubuser:hubpass') } } });
      for (const host of ['index.docker.io', 'docker.io', 'registry-1.docker.io']) {
        expect(creds.lookup(host, 'library/nginx')).toEqual({ username: 'hubuser', password: 'hubpass' });
      }
    }
  });

  it('splits auth at the first colon and keeps identity and registry tokens', () => {
    const creds = credentialsFromDockerConfig(
      JSON.stringify({
        auths: {
          'ghcr.io': { auth: b64('user:pa:ss') },
          'quay.io': { identitytoken: 'refresh-1', username: '<token>' },
          'reg.example.com': { registrytoken: 'bearer-1' },
        },
      }),
    );
    expect(creds.lookup('ghcr.io')).toEqual({ username: 'user', password: 'pa:ss' });
    expect(creds.lookup('quay.io')).toEqual({ username: '<token>', identityToken: 'refresh-1' });
    expect(creds.lookup('reg.example.com')).toEqual({ registryToken: 'bearer-1' });
  });

  it('matches Kubernetes keyring rules: scheme and /v2/ stripped, ports, globs, label count, path prefixes, most specific first', () => {
    const creds = credentialsFromDockerConfig({
      auths: {
        'http://registry.local:5000/v2/': { username: 'port', password: 'p1' },
        '*.example.com': { username: 'glob', password: 'p2' },
        'registry.example.com/team': { username: 'team', password: 'p3' },
        'registry.example.com': { username: 'host', password: 'p4' },
      },
    });
    expect(creds.lookup('registry.local:5000', 'x')?.username).toBe('port');
    expect(creds.lookup('registry.local', 'x')).toBeUndefined(); // ports must match
    expect(creds.lookup('registry.example.com', 'team/app')?.username).toBe('team');
    expect(creds.lookup('registry.example.com', 'other/app')?.username).toBe('host');
    expect(creds.lookup('other.example.com', 'a')?.username).toBe('glob');
    expect(creds.lookup('a.b.example.com', 'a')).toBeUndefined(); // label counts must match
    // Kubernetes sorts the normalised keys in reverse lexicographic order: a path beats its host.
    expect(creds.entries.map((e) => e.key)).toEqual([
      'http://registry.local:5000/v2/',
      'registry.example.com/team',
      'registry.example.com',
      '*.example.com',
    ]);
  });

  it('accepts a legacy .dockercfg map', () => {
    const creds = credentialsFromDockerConfig({ 'https://ghcr.io': { auth: b64('a:b') } });
    expect(creds.lookup('ghcr.io')).toEqual({ username: 'a', password: 'b' });
  });

  it('is anonymous when nothing matches, as a provider too', async () => {
    const creds = credentialsFromDockerConfig({ auths: {} });
    await expect(
      creds.getCredentials({ registry: 'ghcr.io', repository: 'a/b', registryUrl: 'https://ghcr.io' }),
    ).resolves.toEqual({});
  });

  it('reports every malformed entry at once, without the secrets', () => {
    let err: unknown;
    try {
      credentialsFromDockerConfig({
        auths: {
          'a.io': { auth: b64('no-colon-here-secret') },
          'b.io': { username: 'only-user' },
          'c.io': 'nope',
          'd.io': { auth: '%%%not-base64' },
        },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((err as { problems: { path: string }[] }).problems.map((p) => p.path)).toEqual([
      'auths.a.io.auth',
      'auths.b.io',
      'auths.c.io',
      'auths.d.io.auth',
    ]);
    expect(String(err)).not.toContain('no-colon-here-secret');
  });

  it('rejects text that is not JSON', () => {
    expect(() => credentialsFromDockerConfig('{not json')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

// Credential helpers: real programs (node scripts with a shebang) written into a fresh folder that
// is put first on PATH, speaking the docker-credential-helpers protocol.
describe('credential helpers (credHelpers / credsStore)', () => {
  let bin: TempDir;
  let savedPath: string | undefined;
  const log = (): string[] => {
    try {
      return readFileSync(join(bin.path, 'calls.log'), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  const helper = async (name: string, body: string, mode = 0o755): Promise<void> => {
    const file = join(bin.path, `docker-credential-${name}`);
    await writeFile(file, `#!/usr/bin/env node\n${body}\n`);
    await chmod(file, mode);
  };
  const request = (registry: string, repository = 'team/app'): CredentialRequest => ({
    registry,
    repository,
    registryUrl: `https://${registry}`,
  });

  beforeAll(async () => {
    bin = await tempDir('tidewatch-helpers-');
    savedPath = process.env.PATH;
    process.env.PATH = `${bin.path}${delimiter}${process.env.PATH ?? ''}`;
    // Answers by server URL from answers.json beside it; logs `<argv> <stdin>` to calls.log.
    await helper(
      'good',
      `const fs = require('node:fs'); const path = require('node:path');
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  fs.appendFileSync(path.join(__dirname, 'calls.log'), 'good ' + process.argv.slice(2).join(' ') + ' ' + input + '\\n');
  const answers = JSON.parse(fs.readFileSync(path.join(__dirname, 'answers.json'), 'utf8'));
  const a = answers[input];
  if (!a) { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); }
  process.stdout.write(JSON.stringify({ ServerURL: input, ...a }) + '\\n');
});`,
    );
    await helper(
      'store',
      `const fs = require('node:fs'); const path = require('node:path');
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  fs.appendFileSync(path.join(__dirname, 'calls.log'), 'store ' + input + '\\n');
  if (input === 'quay.io') { process.stdout.write(JSON.stringify({ ServerURL: input, Username: 'store-user', Secret: 'store-secret' })); return; }
  process.stdout.write('credentials not found in native keychain'); process.exit(1);
});`,
    );
    await helper(
      'hang',
      `require('node:fs').writeFileSync(require('node:path').join(__dirname, 'hang.pid'), String(process.pid));
setInterval(() => {}, 1000);`,
    );
    await helper('garbage', `process.stdout.write('garbage-output-with-secret-s3cr3t, not json');`);
    await helper('array', `process.stdout.write('[1,2,3]');`);
    await helper(
      'broken',
      `process.stdout.write(JSON.stringify({ Username: 'u', Secret: 'leaked-secret-on-failure' })); process.exit(3);`,
    );
    await helper(
      'message',
      `process.stdout.write('error getting credentials - err: keychain locked\\nmore'); process.exit(1);`,
    );
    await helper('flood', `process.stdout.write('x'.repeat(1024 * 1024));`);
    await helper('noexec', `process.stdout.write('{}');`, 0o644);
    await writeFile(
      join(bin.path, 'answers.json'),
      JSON.stringify({
        'ghcr.io': { Username: 'helper-user', Secret: 'helper-secret' },
        'https://index.docker.io/v1/': { Username: '<token>', Secret: 'hub-identity-token' },
      }),
    );
  });
  afterAll(async () => {
    process.env.PATH = savedPath;
    await bin?.cleanup();
  });
  beforeEach(async () => {
    await writeFile(join(bin.path, 'calls.log'), '');
    rmSync(join(bin.path, 'hang.pid'), { force: true });
  });

  it('are ignored unless credentialHelpers is true (nothing runs, auths answer)', async () => {
    const config = {
      auths: { 'ghcr.io': { auth: b64('file-user:file-pass') } },
      credHelpers: { 'ghcr.io': 'good' },
      credsStore: 'hang',
    };
    const creds = credentialsFromDockerConfig(config);
    expect(creds.helperFor('ghcr.io')).toBeUndefined();
    await expect(creds.getCredentials(request('ghcr.io'))).resolves.toEqual({
      username: 'file-user',
      password: 'file-pass',
    });
    await expect(creds.getCredentials(request('quay.io'))).resolves.toEqual({});
    expect(log()).toEqual([]);
  });

  it('run `docker-credential-<name> get` with the server URL on stdin; credHelpers[host] over credsStore over auths', async () => {
    const creds = credentialsFromDockerConfig(
      {
        auths: {
          'ghcr.io': { auth: b64('file-user:file-pass') },
          'registry.example.com': { auth: b64('hidden-user:hidden-pass') },
        },
        credHelpers: { 'ghcr.io': 'good', 'https://index.docker.io/v1/': 'good' },
        credsStore: 'store',
      },
      { credentialHelpers: true },
    );
    expect(creds.helperFor('ghcr.io')).toBe('good');
    expect(creds.helperFor('docker.io')).toBe('good');
    expect(creds.helperFor('quay.io')).toBe('store');
    const ghcr = await creds.getCredentials(request('ghcr.io'));
    expect(ghcr).toMatchObject({ username: 'helper-user', password: 'helper-secret' });
    // The helper's answer has no lifetime: 10 minutes are assumed, so the session asks again at 8.
    expect(ghcr.expiresAt).toBeInstanceOf(Date);
    // credsStore answers for hosts without their own helper.
    await expect(creds.getCredentials(request('quay.io'))).resolves.toMatchObject({
      username: 'store-user',
      password: 'store-secret',
    });
    // As in the docker CLI, a helper that has nothing means anonymous even if auths has an entry.
    await expect(creds.getCredentials(request('registry.example.com'))).resolves.toEqual({});
    // Docker Hub is asked for under Docker's server URL; `<token>` means an identity token.
    const hub = await creds.getCredentials(request('registry-1.docker.io', 'library/nginx'));
    expect(hub).toMatchObject({ identityToken: 'hub-identity-token' });
    expect(hub.username).toBeUndefined();
    expect(hub.password).toBeUndefined();
    expect(log()).toEqual([
      'good get ghcr.io',
      'store quay.io',
      'store registry.example.com',
      'good get https://index.docker.io/v1/',
    ]);
    // Answers are kept per registry: other repositories on ghcr.io run nothing more.
    await Promise.all([
      creds.getCredentials(request('ghcr.io', 'a/b')),
      creds.getCredentials(request('ghcr.io', 'c/d')),
    ]);
    expect(log()).toHaveLength(4);
  });

  it('give working credentials to a scan (the registry sees Basic helper-user:helper-secret)', async () => {
    const registry = await startFakeRegistry({
      repositories: { 'team/app': ['1.0.0', '2.0.0'] },
      auth: { kind: 'basic', username: 'helper-user', password: 'helper-secret' },
    });
    try {
      await writeFile(
        join(bin.path, 'answers.json'),
        JSON.stringify({ [registry.host]: { Username: 'helper-user', Secret: 'helper-secret' } }),
      );
      const auth = credentialsFromDockerConfig(
        { auths: {}, credHelpers: { [registry.host]: 'good' } },
        { credentialHelpers: true },
      );
      const scan = await scanImageTags({ image: `${registry.host}/team/app`, auth, retries: 0 });
      expect(scan.tags).toEqual(['2.0.0', '1.0.0']);
      const tags = registry.server.requests.find((r) => r.url.startsWith('/v2/team/app/tags/list'))!;
      expect(tags.headers.authorization).toBe(`Basic ${b64('helper-user:helper-secret')}`);
      expect(log()).toEqual([`good get ${registry.host}`]);
      // The same through the docker-config provider plug-in.
      const viaProvider = await scanImageTags({
        image: `${registry.host}/team/app`,
        auth: {
          provider: 'docker-config',
          options: { config: { credHelpers: { [registry.host]: 'good' } }, credentialHelpers: true },
        },
        retries: 0,
      });
      expect(viaProvider.tags).toEqual(['2.0.0', '1.0.0']);
    } finally {
      await registry.close();
    }
  });

  it('kill a helper that does not answer in time (CREDENTIAL_PROVIDER, retryable)', async () => {
    const creds = credentialsFromDockerConfig(
      { credsStore: 'hang' },
      { credentialHelpers: true, credentialHelperTimeoutMs: 300 },
    );
    const started = Date.now();
    const err = await creds.getCredentials(request('ghcr.io')).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ code: 'CREDENTIAL_PROVIDER', retryable: true });
    expect(String(err)).toContain('docker-credential-hang for ghcr.io: no answer within 300 ms');
    // The helper process is gone.
    const pid = Number(readFileSync(join(bin.path, 'hang.pid'), 'utf8'));
    await expect.poll(() => isAlive(pid), { timeout: 3_000 }).toBe(false);
  });

  it('stop a running helper when the signal aborts (ABORTED)', async () => {
    const creds = credentialsFromDockerConfig({ credsStore: 'hang' }, { credentialHelpers: true });
    const controller = new AbortController();
    const pending = creds
      .getCredentials({ ...request('ghcr.io'), signal: controller.signal })
      .catch((e: unknown) => e);
    await expect.poll(() => existsSync(join(bin.path, 'hang.pid')), { timeout: 3_000 }).toBe(true);
    const pid = Number(readFileSync(join(bin.path, 'hang.pid'), 'utf8'));
    controller.abort();
    expect(await pending).toMatchObject({ code: 'ABORTED' });
    await expect.poll(() => isAlive(pid), { timeout: 3_000 }).toBe(false);
  });

  it('typed errors for a missing, failing, non-executable, garbage or flooding helper, without the secret', async () => {
    const failure = async (name: string): Promise<RegistryError> => {
      const creds = credentialsFromDockerConfig(
        { credHelpers: { 'ghcr.io': name } },
        { credentialHelpers: true },
      );
      const err = await creds.getCredentials(request('ghcr.io')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as RegistryError).code).toBe('CREDENTIAL_PROVIDER');
      return err as RegistryError;
    };
    expect((await failure('absent')).message).toBe(
      '[registry:docker-config] credential helper docker-credential-absent for ghcr.io: not found on PATH (install it, or turn credentialHelpers off)',
    );
    expect((await failure('noexec')).message).toContain(
      'docker-credential-noexec for ghcr.io: is not executable',
    );
    const garbage = await failure('garbage');
    expect(garbage.message).toContain('printed 43 bytes that are not JSON credentials');
    expect(garbage.message).not.toContain('s3cr3t');
    expect((await failure('array')).message).toContain('not JSON credentials');
    const broken = await failure('broken');
    expect(broken.message).toBe(
      '[registry:docker-config] credential helper docker-credential-broken for ghcr.io: exit code 3',
    );
    expect((await failure('message')).message).toBe(
      '[registry:docker-config] credential helper docker-credential-message for ghcr.io: exit code 1: error getting credentials - err: keychain locked',
    );
    expect((await failure('flood')).message).toContain('printed more than 65536 bytes');
  });

  it('report invalid helper names and options with every problem at once', () => {
    let err: unknown;
    try {
      credentialsFromDockerConfig(
        {
          auths: { 'a.io': { username: 'only-user' } },
          credHelpers: { 'ghcr.io': '../../bin/sh', 'quay.io': 7 },
          credsStore: 'x y',
        },
        { credentialHelpers: true, credentialHelperTimeoutMs: -1 },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.path)).toEqual([
      'credentialHelperTimeoutMs',
      'auths.a.io',
      'credHelpers.ghcr.io',
      'credHelpers.quay.io',
      'credsStore',
    ]);
    // With helpers off, their fields are not even read.
    expect(() => credentialsFromDockerConfig({ credsStore: 'x y' })).not.toThrow();
    expect(() => credentialsFromDockerConfig({}, { credentialHelpers: 'yes' } as never)).toThrow(ConfigError);
  });

  it('treat a config with only credHelpers (as gcloud writes it) as a modern config', () => {
    const creds = credentialsFromDockerConfig({
      credHelpers: { 'gcr.io': 'gcloud' },
      currentContext: 'default',
    });
    expect(creds.entries).toEqual([]);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
