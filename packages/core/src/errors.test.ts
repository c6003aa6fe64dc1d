import { describe, expect, it } from 'vitest';
import { ConfigError, HttpError, TidewatchError, isTidewatchError } from './errors.js';

describe('errors', () => {
  it('ConfigError carries every problem with file and line', () => {
    const err = new ConfigError('core:manifest', [
      { path: 'spec.image', message: 'is required', file: 'a.yaml', line: 3 },
      { path: 'spec.interval', message: 'must be a duration', file: 'a.yaml', line: 5, column: 13 },
    ]);
    expect(err).toBeInstanceOf(TidewatchError);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.retryable).toBe(false);
    expect(err.problems).toHaveLength(2);
    expect(err.message).toContain('a.yaml:3: spec.image: is required');
    expect(err.message).toContain('a.yaml:5:13: spec.interval: must be a duration');
    expect(isTidewatchError(err)).toBe(true);
  });

  it('HttpError redacts the URL and keeps the cause', () => {
    const cause = new Error('boom');
    const err = new HttpError({
      scope: 'registry:oci',
      url: 'https://u:p@h.example/v2/?access_token=abc',
      status: 503,
      retryable: true,
      cause,
    });
    expect(err.url).toBe('https://***@h.example/v2/?access_token=***');
    expect(err.message).toBe(
      '[registry:oci] GET https://***@h.example/v2/?access_token=*** failed with status 503',
    );
    expect(err.message).not.toContain('abc');
    expect(err.cause).toBe(cause);
    expect(err.retryable).toBe(true);
    expect(err.code).toBe('HTTP_STATUS');
  });
});
