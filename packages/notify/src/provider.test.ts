import { ConfigError } from '@tidewatch/core';
import type { ConfigProblem } from '@tidewatch/core';
import { describe, expect, it } from 'vitest';
import { parseProviderConfig, parseProviderTimeout } from './provider.js';
import type { NotifierCapabilities } from './provider.js';
import { createNotifier } from './notifier.js';

const caps: NotifierCapabilities = {
  transport: 'http',
  gate: 'default',
  proxy: true,
  tls: true,
  headers: true,
};
const parse = (input: unknown, c: NotifierCapabilities = caps) => {
  const problems: ConfigProblem[] = [];
  const config = parseProviderConfig(input, { id: 'x', capabilities: c }, problems);
  return { config, problems };
};

describe('Provider configuration (§4)', () => {
  it('the Secret address replaces spec.address, whitespace-trimmed', () => {
    const { config, problems } = parse({
      type: 'x',
      address: 'https://a',
      secret: { address: '  https://b/x \n' },
    });
    expect(problems).toEqual([]);
    expect(config.address).toBe('https://b/x');
  });

  it('addresses, channels and usernames over 2048 bytes are errors', () => {
    const long = `https://a/${'x'.repeat(2048)}`;
    const { problems } = parse({
      type: 'x',
      address: long,
      channel: long,
      username: long,
      secret: { address: long },
    });
    expect(problems.map((p) => p.path)).toEqual(['address', 'channel', 'username', 'secret.address']);
  });

  it('the token is not trimmed', () => {
    expect(parse({ type: 'x', secret: { token: 'abc\n' } }).config.token).toBe('abc\n');
  });

  it('username+password from the Secret give Basic credentials and replace spec.username', () => {
    const { config } = parse({ type: 'x', username: 'spec-user', secret: { username: 'u', password: 'p' } });
    expect(config.username).toBe('u');
    expect(config.basicAuth).toEqual({ username: 'u', password: 'p' });
    const noSecret = parse({ type: 'x', username: 'spec-user' }).config;
    expect(noSecret.username).toBe('spec-user');
    expect(noSecret.basicAuth).toBeUndefined();
  });

  it('only one of username/password is a ConfigError (Flux silently drops credentials and token)', () => {
    expect(parse({ type: 'x', secret: { username: 'u', token: 't' } }).problems.map((p) => p.path)).toEqual([
      'secret.password',
    ]);
    expect(parse({ type: 'x', secret: { password: 'p' } }).problems.map((p) => p.path)).toEqual([
      'secret.username',
    ]);
  });

  it('headers are YAML (or a map), only for types that use them', () => {
    expect(parse({ type: 'x', secret: { headers: 'X-A: "1"\nX-B: two\n' } }).config.headers).toEqual({
      'X-A': '1',
      'X-B': 'two',
    });
    expect(parse({ type: 'x', secret: { headers: { 'X-A': '1' } } }).config.headers).toEqual({ 'X-A': '1' });
    expect(parse({ type: 'x', secret: { headers: '- a\n- b' } }).problems.map((p) => p.path)).toEqual([
      'secret.headers',
    ]);
    expect(
      parse({ type: 'x', secret: { headers: 'X-A: 1' } }, { ...caps, headers: false }).config.headers,
    ).toEqual({});
  });

  it('timeouts follow ^([0-9]+(\\.[0-9]+)?(ms|s|m))+$; default 15 s', () => {
    expect(parseProviderTimeout('15s')).toBe(15_000);
    expect(parseProviderTimeout('1m30s')).toBe(90_000);
    expect(parseProviderTimeout('1.5s')).toBe(1_500);
    expect(parseProviderTimeout('250ms')).toBe(250);
    expect(parseProviderTimeout('1h')).toBeUndefined();
    expect(parseProviderTimeout('10')).toBeUndefined();
    expect(parse({ type: 'x' }).config.timeoutMs).toBe(15_000);
  });

  it('proxy precedence: spec.proxy < Secret proxy < proxySecret (with userinfo)', () => {
    expect(parse({ type: 'x', proxy: 'http://a:1' }).config.proxy).toBe('http://a:1');
    expect(parse({ type: 'x', proxy: 'http://a:1', secret: { proxy: 'http://b:2' } }).config.proxy).toBe(
      'http://b:2',
    );
    expect(
      parse({
        type: 'x',
        proxy: 'http://a:1',
        secret: { proxy: 'http://b:2' },
        proxySecret: { address: 'http://c:3', username: 'u', password: 'p@ss' },
      }).config.proxy,
    ).toBe('http://u:p%40ss@c:3/');
    expect(parse({ type: 'x', proxy: 'http://a:1' }, { ...caps, proxy: false }).config.proxy).toBeUndefined();
    expect(parse({ type: 'x', proxySecret: {} }).problems.map((p) => p.path)).toEqual([
      'proxySecret.address',
    ]);
  });

  it('git commit-status types fall back to the Secret ca.crt when there is no certSecret', () => {
    const git: NotifierCapabilities = { ...caps, gate: 'commit-status' };
    expect(parse({ type: 'x', secret: { 'ca.crt': 'PEM' } }, git).config.tls).toEqual({ ca: 'PEM' });
    expect(parse({ type: 'x', secret: { 'ca.crt': 'PEM' } }).config.tls).toBeUndefined();
    expect(parse({ type: 'x', certSecret: { caFile: 'LEGACY' } }).config.tls).toEqual({ ca: 'LEGACY' });
  });

  it('commitStatusExpr is only for git commit-status types', () => {
    expect(parse({ type: 'x', commitStatusExpr: 'event.reason' }).problems.map((p) => p.path)).toEqual([
      'commitStatusExpr',
    ]);
  });

  it('createNotifier reports every problem at once, and unknown types', () => {
    try {
      createNotifier({ type: 'slack', address: 'nope', timeout: 'soon', secret: { username: 'u' } });
      expect.fail('expected ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.path).sort()).toEqual([
        'address',
        'secret.password',
        'timeout',
      ]);
    }
    expect(() => createNotifier({ type: 'carrier-pigeon' })).toThrow(
      /unsupported provider type 'carrier-pigeon'/,
    );
    expect(() => createNotifier(null)).toThrow(ConfigError);
  });
});
