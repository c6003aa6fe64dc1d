/**
 * Image reference parsing with the rules Flux uses (go-containerregistry `name.ParseReference`,
 * default options), plus the ImageRepository checks on `spec.image`.
 *
 * @packageDocumentation
 */
import { RegistryError } from './errors.js';

/** Docker Hub's API host, as Flux writes it in `status.canonicalImageName`. */
export const DOCKER_HUB_REGISTRY = 'index.docker.io';

/** Every spelling of Docker Hub's host that tidewatch treats as Docker Hub. */
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** A parsed image reference. */
export interface ImageReference {
  /** The input, unchanged. */
  readonly original: string;
  /** Registry host with optional port, e.g. `ghcr.io`, `localhost:5000`, `index.docker.io`. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `library/nginx`. */
  readonly repository: string;
  /** The tag, when the reference has one. */
  readonly tag?: string;
  /** The digest (`sha256:<hex>`), when the reference has one. */
  readonly digest?: string;
  /** `<registry>/<repository>`, as Flux reports it in `status.canonicalImageName`. */
  readonly canonicalName: string;
  /** Whether the registry is Docker Hub (any of its spellings). */
  readonly dockerHub: boolean;
}

const REPOSITORY_CHARS = /^[a-z0-9_./-]{2,255}$/;
const TAG = /^[A-Za-z0-9_.-]{1,128}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;
// host[:port] or [ipv6][:port]; Go's url.Parse("//"+name).Host must give the name back.
const REGISTRY =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

function invalid(ref: string, detail?: string): RegistryError {
  return new RegistryError(
    'REGISTRY_REFERENCE_INVALID',
    'registry:oci',
    `could not parse reference: ${ref}${detail ? ` (${detail})` : ''}`,
  );
}

/**
 * Parses an image reference the way Flux does: the first path segment is the registry only when
 * it contains `.` or `:` (so `localhost/app` is a Docker Hub repository); no registry means Docker
 * Hub; `docker.io` and `registry-1.docker.io` become `index.docker.io`; a one-segment Docker Hub
 * repository gets `library/`. Repository paths must be lowercase, 2–255 characters of
 * `[a-z0-9_./-]`.
 *
 * @throws {@link RegistryError} `REGISTRY_REFERENCE_INVALID` with Flux's text
 *   `could not parse reference: <ref>`.
 *
 * @example
 * ```ts
 * parseImageReference('nginx:1.27').canonicalName;      // 'index.docker.io/library/nginx'
 * parseImageReference('ghcr.io/org/app@sha256:…').digest; // 'sha256:…'
 * ```
 */
export function parseImageReference(ref: string): ImageReference {
  if (typeof ref !== 'string' || ref.length === 0) throw invalid(String(ref), 'empty');
  let rest = ref;
  let digest: string | undefined;
  let tag: string | undefined;
  const at = rest.split('@');
  if (at.length > 2) throw invalid(ref);
  if (at.length === 2) {
    digest = at[1]!;
    if (!DIGEST.test(digest)) throw invalid(ref, 'bad digest');
    rest = at[0]!;
  }
  const colon = rest.lastIndexOf(':');
  if (colon >= 0 && !rest.slice(colon + 1).includes('/')) {
    tag = rest.slice(colon + 1);
    if (!TAG.test(tag)) throw invalid(ref, 'bad tag');
    rest = rest.slice(0, colon);
  }
  let registry = '';
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':')) {
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  if (!REPOSITORY_CHARS.test(repository)) throw invalid(ref, 'bad repository');
  if (registry !== '' && !REGISTRY.test(registry)) throw invalid(ref, 'bad registry');
  const dockerHub = registry === '' || DOCKER_HUB_ALIASES.has(registry.toLowerCase());
  if (dockerHub) {
    registry = DOCKER_HUB_REGISTRY;
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  return {
    original: ref,
    registry,
    repository,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
    canonicalName: `${registry}/${repository}`,
    dockerHub,
  };
}

/**
 * Parses an ImageRepository `spec.image`: a repository without scheme, tag or digest. Errors
 * carry Flux's texts (`image '<x>' should not include URL scheme; remove 'https://'`,
 * `image '<x>' should not include a tag; remove ':<tag>'`).
 *
 * @throws {@link RegistryError} `REGISTRY_REFERENCE_INVALID`.
 */
export function parseImageRepository(image: string): ImageReference {
  const scheme = image.split('://');
  if (scheme.length > 1) {
    throw new RegistryError(
      'REGISTRY_REFERENCE_INVALID',
      'registry:oci',
      `image '${image}' should not include URL scheme; remove '${scheme[0]}://'`,
    );
  }
  const ref = parseImageReference(image);
  // Flux trims the registry as it reports it (index.docker.io for Docker Hub) and looks for a colon.
  const name = image.startsWith(ref.registry) ? image.slice(ref.registry.length) : image;
  const parts = name.split(':');
  if (parts.length > 1) {
    throw new RegistryError(
      'REGISTRY_REFERENCE_INVALID',
      'registry:oci',
      `image '${image}' should not include a tag; remove ':${parts[1]}'`,
    );
  }
  return ref;
}

/** Whether a registry host is Docker Hub under any of its spellings. */
export function isDockerHubHost(host: string): boolean {
  return DOCKER_HUB_ALIASES.has(host.toLowerCase());
}
