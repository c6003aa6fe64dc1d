/**
 * The credential provider registry: every built-in provider, alphabetically by id. A provider is
 * one file in this folder exporting one definition; `registry.test.ts` checks files and ids agree.
 *
 * @packageDocumentation
 */
import type { CredentialProviderDefinition } from '../types.js';
import { aws } from './aws.js';
import { azure } from './azure.js';
import { callback } from './callback.js';
import { dockerConfig } from './docker-config.js';
import { gcp } from './gcp.js';
import { staticCredentials } from './static.js';

/** Every built-in credential provider, alphabetically by id. */
export const credentialProviders: readonly CredentialProviderDefinition<unknown>[] = [
  aws,
  azure,
  callback,
  dockerConfig,
  gcp,
  staticCredentials,
];

/** Finds a built-in credential provider by id. */
export function getCredentialProvider(id: string): CredentialProviderDefinition<unknown> | undefined {
  return credentialProviders.find((p) => p.id === id);
}

export { aws, azure, callback, dockerConfig, gcp, staticCredentials };
