/**
 * `docker-config`: credentials from a Docker config JSON (`.dockerconfigjson`,
 * `~/.docker/config.json`), looked up with the Kubernetes keyring rules (see
 * `credentialsFromDockerConfig`), and, only when `credentialHelpers: true`, from the credential
 * helpers it names (`credHelpers`, `credsStore`).
 *
 * @packageDocumentation
 */
import { ConfigError } from '@tidewatch/core';
import type { ConfigProblem } from '@tidewatch/core';
import { credentialsFromDockerConfig } from '../docker-config.js';
import type { DockerConfigCredentials, DockerConfigOptions } from '../docker-config.js';
import type { CredentialProviderDefinition } from '../types.js';

const SCOPE = 'registry:docker-config';
const ALLOWED = ['config', 'credentialHelpers', 'credentialHelperTimeoutMs'] as const;

/** Options of the `docker-config` credential provider. */
export interface DockerConfigCredentialOptions extends DockerConfigOptions {
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
    const problems: ConfigProblem[] = Object.keys(o)
      .filter((k) => !(ALLOWED as readonly string[]).includes(k))
      .map((k) => ({ path: k, message: `unknown option (allowed: ${ALLOWED.join(', ')})` }));
    const config = o.config;
    if (typeof config !== 'string' && (config === null || typeof config !== 'object')) {
      problems.push({ path: 'config', message: 'must be the Docker config JSON text or object' });
    }
    const helperOptions: Record<string, unknown> = {};
    if (o.credentialHelpers !== undefined) helperOptions.credentialHelpers = o.credentialHelpers;
    if (o.credentialHelperTimeoutMs !== undefined)
      helperOptions.credentialHelperTimeoutMs = o.credentialHelperTimeoutMs;
    let parsed: DockerConfigCredentials | undefined;
    try {
      // Checks the config and the helper options together, so every problem is reported at once.
      if (typeof config === 'string' || (config !== null && typeof config === 'object'))
        parsed = credentialsFromDockerConfig(config, helperOptions);
      else credentialsFromDockerConfig({}, helperOptions);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
    if (problems.length > 0 || !parsed) throw new ConfigError(SCOPE, problems);
    return {
      config: config as string | object,
      ...(helperOptions as DockerConfigOptions),
      parsed,
    };
  },
  create(options) {
    return { getCredentials: (request) => options.parsed.getCredentials(request) };
  },
};
