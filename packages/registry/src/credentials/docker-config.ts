/**
 * `docker-config`: credentials from a Docker config JSON (`.dockerconfigjson`), looked up with the
 * Kubernetes keyring rules (see `credentialsFromDockerConfig`).
 *
 * @packageDocumentation
 */
import { ConfigError } from '@tidewatch/core';
import { credentialsFromDockerConfig } from '../docker-config.js';
import type { DockerConfigCredentials } from '../docker-config.js';
import type { CredentialProviderDefinition } from '../types.js';

const SCOPE = 'registry:docker-config';

/** Options of the `docker-config` credential provider. */
export interface DockerConfigCredentialOptions {
  /** The Docker config: JSON text or the parsed object. */
  readonly config: string | object;
}

/** The `docker-config` credential provider. */
export const dockerConfig: CredentialProviderDefinition<
  DockerConfigCredentialOptions & { readonly parsed: DockerConfigCredentials }
> = {
  id: 'docker-config',
  capabilities: { hosts: ['*'] },
  secretFields: ['config'],
  parseOptions(input) {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new ConfigError(SCOPE, [{ path: '', message: 'options must be an object with a `config`' }]);
    }
    const o = input as Record<string, unknown>;
    const unknownKeys = Object.keys(o).filter((k) => k !== 'config');
    const problems = unknownKeys.map((k) => ({ path: k, message: 'unknown option (allowed: config)' }));
    const config = o.config;
    if (typeof config !== 'string' && (config === null || typeof config !== 'object')) {
      throw new ConfigError(SCOPE, [
        ...problems,
        { path: 'config', message: 'must be the Docker config JSON text or object' },
      ]);
    }
    if (problems.length > 0) throw new ConfigError(SCOPE, problems);
    return { config, parsed: credentialsFromDockerConfig(config) };
  },
  create(options) {
    return { getCredentials: (request) => options.parsed.getCredentials(request) };
  },
};
