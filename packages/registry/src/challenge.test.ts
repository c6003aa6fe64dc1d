import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate, pickChallenge } from './challenge.js';

describe('parseWwwAuthenticate', () => {
  it('parses a Docker Hub bearer challenge', () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/nginx:pull',
        },
      },
    ]);
  });

  it('parses several challenges in one header (Codeberg style) and picks the first bearer/basic', () => {
    const list = parseWwwAuthenticate(
      'Bearer realm="https://codeberg.org/v2/token",service="container_registry",scope="*",Basic realm="Forgejo"',
    );
    expect(list.map((c) => c.scheme)).toEqual(['bearer', 'basic']);
    expect(list[1]!.params).toEqual({ realm: 'Forgejo' });
    expect(pickChallenge(list)?.scheme).toBe('bearer');
  });

  it('reads several headers, case-insensitive schemes and names, escapes and unquoted values', () => {
    const list = parseWwwAuthenticate([
      'Negotiate abc==',
      'BASIC Realm=Artifactory',
      'bearer realm="a\\"b", SERVICE = svc',
    ]);
    expect(list).toEqual([
      { scheme: 'negotiate', params: { token68: 'abc==' } },
      { scheme: 'basic', params: { realm: 'Artifactory' } },
      { scheme: 'bearer', params: { realm: 'a"b', service: 'svc' } },
    ]);
    expect(pickChallenge(list)?.scheme).toBe('basic');
  });

  it('survives garbage', () => {
    expect(parseWwwAuthenticate(null)).toEqual([]);
    expect(() => parseWwwAuthenticate('=,,"\u0000 ;; Bearer realm="unterminated')).not.toThrow();
    expect(pickChallenge(parseWwwAuthenticate('Digest nonce="x"'))).toBeUndefined();
  });
});
