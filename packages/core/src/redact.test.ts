import { describe, expect, it } from 'vitest';
import { REDACTED, SecretRegistry, redactHeaders, redactText, redactUrl } from './redact.js';

describe('redactUrl', () => {
  it('removes userinfo and token-like query parameters, keeps the rest', () => {
    expect(redactUrl('https://user:pass@example.com/a/b?access_token=abc&page=2')).toBe(
      'https://***@example.com/a/b?access_token=***&page=2',
    );
    expect(redactUrl('https://example.com/x?X-Amz-Signature=deadbeef&X-Amz-Credential=AK%2F1&foo=bar')).toBe(
      'https://example.com/x?X-Amz-Signature=***&X-Amz-Credential=***&foo=bar',
    );
    expect(redactUrl(new URL('http://only-user@h/'))).toBe('http://***@h/');
  });

  it('leaves a credential-free URL untouched', () => {
    expect(redactUrl('https://ghcr.io/v2/org/app/tags/list?n=1000&last=v1')).toBe(
      'https://ghcr.io/v2/org/app/tags/list?n=1000&last=v1',
    );
  });

  it('hides an opaque webhook path when asked', () => {
    expect(redactUrl('https://hooks.slack.com/services/T0/B0/secret', { opaquePath: true })).toBe(
      'https://hooks.slack.com/***',
    );
  });

  it('never throws on garbage', () => {
    expect(redactUrl('not a url Bearer abcdefghijkl')).toBe(`not a url Bearer ${REDACTED}`);
  });
});

describe('redactHeaders', () => {
  it('masks credential headers case-insensitively', () => {
    const out = redactHeaders({
      Authorization: 'Bearer abc',
      'X-Api-Key': 'k',
      'Private-Token': 't',
      'Content-Type': 'application/json',
    });
    expect(out).toEqual({
      Authorization: REDACTED,
      'X-Api-Key': REDACTED,
      'Private-Token': REDACTED,
      'Content-Type': 'application/json',
    });
    expect(redactHeaders(new Headers({ authorization: 'Basic eA==' }))).toEqual({ authorization: REDACTED });
  });
});

describe('redactText and SecretRegistry', () => {
  it('redacts URLs with credentials, bearer tokens and registered secrets in free text', () => {
    const secrets = new SecretRegistry();
    secrets.add('s3cr3t-value');
    const text =
      'failed to GET https://bob:pw@registry.local/v2/ with Bearer eyJhbGciOiJSUzI1NiJ9.payload: s3cr3t-value and czNjcjN0LXZhbHVl';
    const out = secrets.redact(text);
    expect(out).not.toContain('pw@');
    expect(out).not.toContain('eyJhbGciOiJSUzI1NiJ9');
    expect(out).not.toContain('s3cr3t-value');
    expect(out).not.toContain(Buffer.from('s3cr3t-value').toString('base64'));
    expect(out).toContain('https://***@registry.local/v2/');
  });

  it('ignores very short secrets that would mask ordinary words', () => {
    expect(redactText('a b c', ['a'])).toBe('a b c');
  });
});

describe('redactText: credentials outside full URLs', () => {
  it('masks token-like parameters of a scheme-less path, keeping the others', () => {
    expect(redactText('GET /v2/app/tags/list?n=5&access_token=tok-123&last=v1 -> 401')).toBe(
      'GET /v2/app/tags/list?n=5&access_token=***&last=v1 -> 401',
    );
    expect(redactText('/token?service=registry&scope=repository:app:pull')).toBe(
      '/token?service=registry&scope=repository:app:pull',
    );
  });

  it('masks credential fields of JSON text, also when the excerpt is cut off', () => {
    expect(redactText('{"token":"eyJabc","expires_in":300,"access_token": "eyJdef"}')).toBe(
      '{"token":"***","expires_in":300,"access_token": "***"}',
    );
    expect(redactText('Unexpected token, "{"refresh_token":"r-abc"... is not valid JSON')).toBe(
      'Unexpected token, "{"refresh_token":"***"... is not valid JSON',
    );
    expect(redactText('{"password":"p\\"w"}')).toBe('{"password":"***"}');
  });

  it('keeps ordinary fields such as registry error codes', () => {
    const body = '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}';
    expect(redactText(body)).toBe(body);
    expect(redactText('exit code=1, key=value')).toBe('exit code=1, key=value');
  });

  it('masks name=value credential pairs of form text', () => {
    expect(redactText('grant_type=password&username=bob&password=hunter22&client_secret=cs-1')).toBe(
      'grant_type=password&username=bob&password=***&client_secret=***',
    );
  });

  it('SecretRegistry also masks the percent-encoded form of a secret', () => {
    const secrets = new SecretRegistry();
    secrets.add('p@ss/word+1');
    expect(secrets.redact('https://h/x?pw=p%40ss%2Fword%2B1')).toBe('https://h/x?pw=***');
  });
});
