/**
 * `callback`: credentials from a user function, called lazily for each registry and cached until
 * 80 % of their `expiresAt` (at most 1 h).
 *
 * @packageDocumentation
 */
import type { ConfigProblem } from '@tidewatch/core';
import { RegistryError } from '../errors.js';
import type { CredentialProviderDefinition, CredentialRequest, RegistryCredentials } from '../types.js';
import { objectOptions, optionalFunction, throwProblems } from '../options.js';

const SCOPE = 'registry:callback';

/** Options of the `callback` credential provider. */
export interface CallbackCredentialOptions {
  /** Returns credentials for a registry (an empty object for anonymous). */
  readonly getCredentials: (request: CredentialRequest) => Promise<RegistryCredentials> | RegistryCredentials;
}

/** The `callback` credential provider. */
export const callback: CredentialProviderDefinition<CallbackCredentialOptions> = {
  id: 'callback',
  capabilities: { hosts: ['*'] },
  secretFields: [],
  parseOptions(input) {
    const problems: ConfigProblem[] = [];
    const o = objectOptions(SCOPE, input, ['getCredentials'], problems);
    const fn = optionalFunction<CallbackCredentialOptions['getCredentials']>(o, 'getCredentials', problems);
    if (!fn && !problems.some((p) => p.path === 'getCredentials'))
      problems.push({ path: 'getCredentials', message: 'is required' });
    throwProblems(SCOPE, problems);
    return { getCredentials: fn! };
  },
  create(options) {
    return {
      async getCredentials(request) {
        let creds: unknown;
        try {
          creds = await options.getCredentials(request);
        } catch (err) {
          throw new RegistryError(
            'CREDENTIAL_PROVIDER',
            SCOPE,
            `the credentials callback failed for ${request.registry}`,
            { cause: err },
          );
        }
        if (creds === undefined || creds === null) return {};
        if (typeof creds !== 'object') {
          throw new RegistryError(
            'CREDENTIAL_PROVIDER',
            SCOPE,
            `the credentials callback returned a ${typeof creds} for ${request.registry}, not an object`,
          );
        }
        return creds;
      },
    };
  },
};
