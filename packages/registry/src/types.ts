/**
 * Shared shapes of `@tidewatch/registry`: credentials, credential providers, TLS options.
 *
 * @packageDocumentation
 */
import type { PluginDefinition } from '@tidewatch/core';

/**
 * Credentials for one registry, in the shape of Docker's `AuthConfig`. All fields are secrets
 * except `username`. An empty object means anonymous.
 */
export interface RegistryCredentials {
  /** Basic-auth user (or the user sent with an identity-token exchange). */
  readonly username?: string;
  /** Basic-auth password or token. */
  readonly password?: string;
  /** An OAuth2 refresh token (Docker config `identitytoken`): exchanged with a POST to the token realm. */
  readonly identityToken?: string;
  /** A registry bearer token (Docker config `registrytoken`): sent as is, no exchange. */
  readonly registryToken?: string;
  /** When these credentials stop working; tidewatch refreshes them at 80 % of their life (at most 1 h). */
  readonly expiresAt?: Date;
}

/** What a credential provider is asked for. */
export interface CredentialRequest {
  /** Registry host[:port], e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  readonly registry: string;
  /** Repository path, e.g. `team/app`. */
  readonly repository: string;
  /** Base URL the registry is reached at (scheme + host), for providers that talk to the registry (ACR). */
  readonly registryUrl: string;
  /** Cancels the lookup. */
  readonly signal?: AbortSignal;
}

/** A working credential provider: turns a registry into credentials. */
export interface CredentialProvider {
  /** Returns credentials for the request (an empty object for anonymous). */
  getCredentials(request: CredentialRequest): Promise<RegistryCredentials>;
}

/** What a credential provider can do, as plain data. */
export interface CredentialProviderCapabilities {
  /** Registry host patterns the provider serves (documentation; `matches` decides). */
  readonly hosts: readonly string[];
  /** The optional peer dependencies the provider loads (each only when needed), if any. */
  readonly peerDependencies?: readonly string[];
}

/**
 * A credential provider plug-in: one file under `src/credentials/`, listed in
 * `credentialProviders`.
 */
export type CredentialProviderDefinition<Options = unknown> = PluginDefinition<
  Options,
  CredentialProvider,
  CredentialProviderCapabilities
>;

/** Use a credential provider plug-in by id (or a third-party definition) with raw options. */
export interface CredentialProviderAuth {
  /** A registered id (`aws`, `azure`, `gcp`, `callback`, `docker-config`, `static`) or a definition. */
  readonly provider: string | CredentialProviderDefinition;
  /** Raw options, checked by the provider's `parseOptions`. */
  readonly options?: unknown;
}

/**
 * How to authenticate: static credentials (`{}` = anonymous), the result of
 * `credentialsFromDockerConfig`, a provider plug-in by id, or any {@link CredentialProvider}.
 */
export type RegistryAuth = RegistryCredentials | CredentialProviderAuth | CredentialProvider;

/** TLS settings for registry connections. Verification is always on. */
export interface RegistryTlsOptions {
  /** Extra CA certificates (PEM), added to the system roots, never replacing them. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate (PEM) for mutual TLS. */
  readonly cert?: string | Buffer;
  /** Client key (PEM) for mutual TLS. */
  readonly key?: string | Buffer;
}

/** An OS/architecture pair selecting one manifest of a multi-arch index. */
export interface Platform {
  /** e.g. `linux`. */
  readonly os: string;
  /** e.g. `amd64`, `arm64`. */
  readonly architecture: string;
  /** e.g. `v8` for `arm64/v8`. */
  readonly variant?: string;
}

/** A Flux-compatible Kubernetes-style event (texts as Flux emits them). */
export interface FluxEvent {
  /** `Normal` or `Warning` (Flux's "trace" events are not produced). */
  readonly type: 'Normal' | 'Warning';
  /** e.g. `Succeeded`, `ReadOperationFailed`. */
  readonly reason: string;
  /** Flux's message text. */
  readonly message: string;
}

/** A Flux-style condition. */
export interface FluxCondition {
  /** Always `Ready` here. */
  readonly type: 'Ready';
  /** `True` on success, `False` on failure. */
  readonly status: 'True' | 'False';
  /** e.g. `Succeeded`, `ImageURLInvalid`, `AuthenticationFailed`, `ReadOperationFailed`. */
  readonly reason: string;
  /** Flux's message text. */
  readonly message: string;
}
