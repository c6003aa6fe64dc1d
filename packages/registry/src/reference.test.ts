import { describe, expect, it } from 'vitest';
import { parseImageReference, parseImageRepository } from './reference.js';

describe('parseImageReference (go-containerregistry rules, as Flux uses them)', () => {
  it.each([
    ['alpine', 'index.docker.io/library/alpine'],
    ['docker.io/org/app', 'index.docker.io/org/app'],
    ['docker.io/nginx', 'index.docker.io/library/nginx'],
    ['index.docker.io/nginx', 'index.docker.io/library/nginx'],
    ['registry-1.docker.io/library/nginx', 'index.docker.io/library/nginx'],
    ['ghcr.io/org/app', 'ghcr.io/org/app'],
    ['localhost:5000/foo', 'localhost:5000/foo'],
    // The first segment is a registry only with '.' or ':': `localhost/foo` is a Docker Hub repository.
    ['localhost/foo', 'index.docker.io/localhost/foo'],
    ['registry.gitlab.com/group/sub/project/image', 'registry.gitlab.com/group/sub/project/image'],
    ['[::1]:5000/app', '[::1]:5000/app'],
  ])('%s → %s', (input, canonical) => {
    expect(parseImageReference(input).canonicalName).toBe(canonical);
  });

  it('splits tag and digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference('localhost:5000/app:1.2.3')).toMatchObject({
      registry: 'localhost:5000',
      repository: 'app',
      tag: '1.2.3',
    });
    const r = parseImageReference(`ghcr.io/org/app:v1@${digest}`);
    expect(r).toMatchObject({ registry: 'ghcr.io', repository: 'org/app', tag: 'v1', digest });
    expect(parseImageReference('nginx:1.27').dockerHub).toBe(true);
  });

  it.each([
    '',
    'UPPER/case',
    'a',
    'ghcr.io/org/app:bad tag',
    `app@sha256:${'z'.repeat(64)}`,
    'app@@x',
    'ghcr.io/',
  ])('rejects %j with REGISTRY_REFERENCE_INVALID', (input) => {
    expect(() => parseImageReference(input)).toThrow(
      expect.objectContaining({ code: 'REGISTRY_REFERENCE_INVALID' }),
    );
  });

  it("uses Flux's text for an unparsable reference", () => {
    expect(() => parseImageReference('Foo/Bar')).toThrow('could not parse reference: Foo/Bar');
  });
});

describe('parseImageRepository (ImageRepository spec.image checks)', () => {
  it('rejects a scheme with Flux’s message', () => {
    expect(() => parseImageRepository('https://ghcr.io/org/app')).toThrow(
      "image 'https://ghcr.io/org/app' should not include URL scheme; remove 'https://'",
    );
  });
  it('rejects a tag with Flux’s message, but not a port', () => {
    expect(() => parseImageRepository('ghcr.io/org/app:1.0')).toThrow(
      "image 'ghcr.io/org/app:1.0' should not include a tag; remove ':1.0'",
    );
    expect(() => parseImageRepository('nginx:latest')).toThrow("should not include a tag; remove ':latest'");
    expect(parseImageRepository('localhost:5000/foo').canonicalName).toBe('localhost:5000/foo');
  });
  it('rejects a digest', () => {
    expect(() => parseImageRepository(`localhost:5000/foo@sha256:${'b'.repeat(64)}`)).toThrow(
      'should not include a tag',
    );
  });
});
