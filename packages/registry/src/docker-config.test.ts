import { describe, expect, it } from 'vitest';
import { credentialsFromDockerConfig } from './docker-config.js';

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
