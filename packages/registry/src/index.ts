/**
 * `@tidewatch/registry`: upstream sources for tidewatch. Container image scanning against any OCI
 * Distribution registry with every auth flow (anonymous, Basic, Bearer tokens, Docker config,
 * ECR, GCR/Artifact Registry, ACR, callbacks), Flux-compatible results, and the plug-in registries
 * of source engines and credential providers.
 *
 * @packageDocumentation
 */

// Scanning and digests
export {
  scanImageTags,
  scanImageRepositories,
  scanFailureCondition,
  resolveDigest,
  DEFAULT_EXCLUSION_LIST,
  MANIFEST_MEDIA_TYPES,
} from './scan.js';
export type {
  ScanImageTagsOptions,
  ImageScanResult,
  PreviousScan,
  ImageScanInput,
  ScanImageRepositoriesOptions,
  ImageScanOutcome,
  ResolveDigestOptions,
  ResolvedDigest,
  PlatformManifest,
} from './scan.js';
export type { RegistryConnectionOptions } from './context.js';

// References
export { parseImageReference, parseImageRepository, DOCKER_HUB_REGISTRY } from './reference.js';
export type { ImageReference } from './reference.js';

// Revisions and challenges
export { sortTagsDescending, tagsRevision } from './revision.js';
export type { RevisionFormat } from './revision.js';
export { parseWwwAuthenticate } from './challenge.js';
export type { AuthChallenge } from './challenge.js';

// Credentials
export { credentialsFromDockerConfig } from './docker-config.js';
export type { DockerConfigCredentials, DockerConfigEntry, DockerConfigOptions } from './docker-config.js';
export {
  credentialProviders,
  getCredentialProvider,
  aws,
  azure,
  callback,
  dockerConfig,
  gcp,
  staticCredentials,
} from './credentials/index.js';
export type { AwsCredentialOptions } from './credentials/aws.js';
export type { AzureCredentialOptions } from './credentials/azure.js';
export type { CallbackCredentialOptions } from './credentials/callback.js';
export type { DockerConfigCredentialOptions } from './credentials/docker-config.js';
export type { GcpCredentialOptions } from './credentials/gcp.js';
export type { StaticCredentialOptions } from './credentials/static.js';
export type { AccessToken } from './peer.js';

// Source engines
export { sourceEngines, getSourceEngine, oci } from './engines/index.js';
export type { OciEngineOptions } from './engines/oci.js';
export type {
  SourceEngine,
  SourceEngineDefinition,
  SourceEngineCapabilities,
  SourceListRequest,
  SourceListing,
} from './engine.js';

// Errors and shared shapes
export { RegistryError } from './errors.js';
export type { RegistryErrorCode, RegistryErrorOptions, RateLimitInfo } from './errors.js';
export type {
  RegistryAuth,
  RegistryCredentials,
  CredentialRequest,
  CredentialProvider,
  CredentialProviderAuth,
  CredentialProviderCapabilities,
  CredentialProviderDefinition,
  RegistryTlsOptions,
  Platform,
  FluxEvent,
  FluxCondition,
} from './types.js';
