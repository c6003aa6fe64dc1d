import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AbortError, ConfigError } from './errors.js';
import { loadManifests } from './manifest.js';
import { SecretRegistry } from './redact.js';
import type { SecretResolver } from './secrets.js';
import {
  createCallbackSecretResolver,
  createEnvSecretResolver,
  createManifestSecretResolver,
  createSecretResolverChain,
  envSecretSegment,
  SecretInvalidError,
  SecretNotFoundError,
} from './secrets.js';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/', import.meta.url));

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('createManifestSecretResolver', () => {
  it('resolves the seed Secrets from a directory', async () => {
    const secrets = await createManifestSecretResolver({ dir: join(FIXTURES, 'seed', 'secrets') });
    const slack = await secrets.get('flux-system', 'slack-webhook');
    expect(slack).toMatchObject({ name: 'slack-webhook', namespace: 'flux-system', type: 'Opaque' });
    expect(slack.data.address).toBe('https://hooks.slack.com/services/xxx/yyy/zzz');

    const ghcr = await secrets.get('flux-system', 'ghcr-credentials');
    expect(ghcr.type).toBe('kubernetes.io/dockerconfigjson');
    const config = JSON.parse(ghcr.data['.dockerconfigjson']!) as {
      auths: Record<string, { username: string }>;
    };
    expect(config.auths['ghcr.io']!.username).toBe('flux');

    const git = await secrets.get('flux-system', 'flux-system');
    expect(git.data.identity).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    expect(git.data.known_hosts).toBe('github.com ssh-rsa AAAA...\n');
  });

  it('decodes base64 data, lets stringData win, and keeps raw bytes', async () => {
    const binary = Buffer.from([0, 1, 254, 255]);
    const secrets = await createManifestSecretResolver({
      source: `apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: apps}
type: kubernetes.io/basic-auth
data:
  username: ${b64('flux')}
  password: ${b64('old-password')}
  blob: ${binary.toString('base64')}
  wrapped: |
    ${b64('a long value that was wrapped').slice(0, 20)}
    ${b64('a long value that was wrapped').slice(20)}
stringData:
  password: new-password
`,
    });
    const creds = await secrets.get('apps', 'creds');
    expect(creds.type).toBe('kubernetes.io/basic-auth');
    expect(creds.data.username).toBe('flux');
    expect(creds.data.password).toBe('new-password');
    expect(creds.data.wrapped).toBe('a long value that was wrapped');
    expect(Buffer.from(creds.bytes('blob')!)).toEqual(binary);
    expect(creds.bytes('missing')).toBeUndefined();
    // bytes() hands out a copy.
    creds.bytes('blob')![0] = 9;
    expect(creds.bytes('blob')![0]).toBe(0);
  });

  it('reports every bad base64 value with file, line and key, never the value', async () => {
    const file = join(FIXTURES, 'broken', 'bad-secret.yaml');
    const error = await rejection(createManifestSecretResolver({ files: [file] }));
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error).toBeInstanceOf(ConfigError);
    const invalid = error as SecretInvalidError;
    expect(invalid.code).toBe('SECRET_INVALID');
    expect(invalid.problems).toEqual([
      { path: 'Secret flux-system/broken.data.password', file, line: 8, message: 'is not valid base64' },
      {
        path: 'Secret flux-system/broken-docker.data..dockerconfigjson',
        file,
        line: 17,
        message: 'is not valid JSON',
      },
    ]);
    const shown = `${invalid.message}\n${inspect(invalid, { depth: 10 })}\n${JSON.stringify(invalid)}`;
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('s3cr3t-in-json');
  });

  it('requires an "auths" object in a dockerconfigjson and the keys of other built-in types', async () => {
    const error = (await rejection(
      createManifestSecretResolver({
        source: `apiVersion: v1
kind: Secret
metadata: {name: docker}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{"credsStore": "desktop"}'
---
apiVersion: v1
kind: Secret
metadata: {name: tls}
type: kubernetes.io/tls
stringData: {tls.crt: x}
`,
      }),
    )) as SecretInvalidError;
    expect(error.problems.map((p) => [p.path, p.line, p.message])).toEqual([
      ['Secret default/docker.data..dockerconfigjson', 6, 'must be a JSON object with an "auths" object'],
      ['Secret default/tls.data', 8, 'type kubernetes.io/tls requires key "tls.key"'],
    ]);
  });

  it('answers SECRET_NOT_FOUND naming namespace and name', async () => {
    const secrets = await createManifestSecretResolver({
      source: 'apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n',
    });
    const error = await rejection(secrets.get('flux-system', 'missing'));
    expect(error).toBeInstanceOf(SecretNotFoundError);
    expect((error as SecretNotFoundError).code).toBe('SECRET_NOT_FOUND');
    expect(error.message).toContain('flux-system/missing');
  });

  it('reuses an index that is already loaded', async () => {
    const manifests = await loadManifests({ dir: join(FIXTURES, 'seed', 'examples') });
    const secrets = await createManifestSecretResolver({ manifests });
    expect((await secrets.get('flux-system', 'slack-webhook')).data.address).toContain('hooks.slack.com');
  });
});

describe('resolved secrets never show their values', () => {
  it('masks values in inspect, console formatting, JSON and String', async () => {
    const secrets = createCallbackSecretResolver(() => ({
      data: { token: 'tok-very-secret-1', user: 'alice-name' },
    }));
    const secret = await secrets.get('ns', 'name');
    expect(secret.data.token).toBe('tok-very-secret-1');
    expect(Object.keys(secret.data)).toEqual(['token', 'user']);
    const shown = [
      inspect(secret, { depth: 10, showHidden: false }),
      inspect(secret.data),
      JSON.stringify(secret),
      JSON.stringify(secret.data),
      JSON.stringify({ nested: [secret] }),
      String(secret),
    ].join('\n');
    expect(shown).not.toContain('tok-very-secret-1');
    expect(shown).not.toContain('alice-name');
    expect(JSON.parse(JSON.stringify(secret))).toEqual({
      name: 'name',
      namespace: 'ns',
      type: 'Opaque',
      data: { token: '***', user: '***' },
    });
    expect(String(secret)).toBe('[ResolvedSecret ns/name]');
  });

  it('registers values and derived forms in a SecretRegistry', async () => {
    const registry = new SecretRegistry();
    const docker = JSON.stringify({
      auths: { 'ghcr.io': { username: 'flux', password: 'ghp_docker_pw_123' } },
    });
    const secrets = createCallbackSecretResolver(
      ({ name }) =>
        name === 'docker'
          ? { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': docker } }
          : { data: { username: 'bob', password: 'pw-plain-456', token: 'tok-with-newline\n' } },
      { registry },
    );
    await secrets.get('ns', 'docker');
    await secrets.get('ns', 'basic');
    const log = [
      'password ghp_docker_pw_123',
      `basic ${Buffer.from('flux:ghp_docker_pw_123').toString('base64')}`,
      'plain pw-plain-456',
      `basic ${Buffer.from('bob:pw-plain-456').toString('base64')}`,
      'Bearer-less tok-with-newline end',
    ].join('\n');
    const redacted = registry.redact(log);
    for (const secret of [
      'ghp_docker_pw_123',
      'pw-plain-456',
      'tok-with-newline',
      Buffer.from('bob:pw-plain-456').toString('base64'),
    ]) {
      expect(redacted).not.toContain(secret);
    }
  });
});

describe('createEnvSecretResolver', () => {
  const env = {
    TIDEWATCH_SECRET_FLUX_SYSTEM_SLACK_WEBHOOK_ADDRESS: 'https://hooks.slack.com/services/a/b/c',
    TIDEWATCH_SECRET_FLUX_SYSTEM_GIT_CA_CRT: '-----BEGIN CERTIFICATE-----',
    TIDEWATCH_SECRET_FLUX_SYSTEM_GIT_GITHUBAPPID: '42',
    TIDEWATCH_SECRET_FLUX_SYSTEM_GIT_MY_CUSTOM_KEY: 'custom',
    TIDEWATCH_SECRET_FLUX_SYSTEM_GHCR__DOCKERCONFIGJSON: '{"auths":{}}',
    TIDEWATCH_SECRET_OTHER_NS_GIT_TOKEN: 'not-this-one',
    UNRELATED: 'x',
  };

  it('documents its naming scheme through envSecretSegment', () => {
    expect(envSecretSegment('flux-system')).toBe('FLUX_SYSTEM');
    expect(envSecretSegment('ca.crt')).toBe('CA_CRT');
    expect(envSecretSegment('.dockerconfigjson')).toBe('_DOCKERCONFIGJSON');
  });

  it('resolves TIDEWATCH_SECRET_<NS>_<NAME>_<KEY> and recovers well-known key spellings', async () => {
    const secrets = createEnvSecretResolver({ env });
    expect((await secrets.get('flux-system', 'slack-webhook')).data).toEqual({
      address: 'https://hooks.slack.com/services/a/b/c',
    });
    const git = await secrets.get('flux-system', 'git');
    expect({ ...git.data }).toEqual({
      'ca.crt': '-----BEGIN CERTIFICATE-----',
      githubAppID: '42',
      my_custom_key: 'custom',
    });
    expect(git.type).toBe('Opaque');
    const ghcr = await secrets.get('flux-system', 'ghcr');
    expect(ghcr.type).toBe('kubernetes.io/dockerconfigjson');
    expect(ghcr.data['.dockerconfigjson']).toBe('{"auths":{}}');
  });

  it('honours a custom prefix and extra key spellings', async () => {
    const secrets = createEnvSecretResolver({
      env: { APP_NS_S_MY_KEY: 'v' },
      prefix: 'APP_',
      keys: ['my.Key'],
    });
    expect({ ...(await secrets.get('ns', 's')).data }).toEqual({ 'my.Key': 'v' });
  });

  it('answers SECRET_NOT_FOUND with the variable prefix it looked for', async () => {
    const error = await rejection(createEnvSecretResolver({ env }).get('flux-system', 'nope'));
    expect(error).toBeInstanceOf(SecretNotFoundError);
    expect(error.message).toContain('flux-system/nope');
    expect(error.message).toContain('TIDEWATCH_SECRET_FLUX_SYSTEM_NOPE_');
  });

  it('validates a dockerconfigjson without echoing it', async () => {
    const error = await rejection(
      createEnvSecretResolver({ env: { TIDEWATCH_SECRET_NS_D__DOCKERCONFIGJSON: '{"auths": pw-xyz' } }).get(
        'ns',
        'd',
      ),
    );
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(inspect(error)).not.toContain('pw-xyz');
  });
});

describe('createCallbackSecretResolver', () => {
  it('passes namespace, name and signal, and treats undefined as not found', async () => {
    const seen: unknown[] = [];
    const controller = new AbortController();
    const secrets = createCallbackSecretResolver(async (ref, options) => {
      seen.push([ref, options.signal === controller.signal]);
      return ref.name === 'yes' ? { data: { key: new Uint8Array([104, 105]) } } : undefined;
    });
    expect((await secrets.get('ns', 'yes', { signal: controller.signal })).data.key).toBe('hi');
    expect(await rejection(secrets.get('ns', 'no'))).toBeInstanceOf(SecretNotFoundError);
    expect(seen[0]).toEqual([{ namespace: 'ns', name: 'yes' }, true]);
    controller.abort();
    expect(await rejection(secrets.get('ns', 'yes', { signal: controller.signal }))).toBeInstanceOf(
      AbortError,
    );
  });
});

describe('createSecretResolverChain', () => {
  const fixed = (name: string, value: string): SecretResolver =>
    createCallbackSecretResolver((ref) => (ref.name === name ? { data: { value } } : undefined));

  it('asks each resolver in order and returns the first answer', async () => {
    const chain = createSecretResolverChain([fixed('a', 'first'), fixed('a', 'second'), fixed('b', 'third')]);
    expect((await chain.get('ns', 'a')).data.value).toBe('first');
    expect((await chain.get('ns', 'b')).data.value).toBe('third');
  });

  it('answers SECRET_NOT_FOUND when none has it, and stops on other errors', async () => {
    const chain = createSecretResolverChain([fixed('a', '1'), fixed('b', '2')]);
    const missing = await rejection(chain.get('ns', 'c'));
    expect(missing).toBeInstanceOf(SecretNotFoundError);
    expect(missing.message).toContain('ns/c');

    const failing = createCallbackSecretResolver(() => ({
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': 'nope' },
    }));
    const stopped = await rejection(createSecretResolverChain([failing, fixed('a', '1')]).get('ns', 'a'));
    expect(stopped).toBeInstanceOf(SecretInvalidError);
  });
});
