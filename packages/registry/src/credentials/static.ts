/**
 * `static`: fixed credentials: Basic username and password, an identity (refresh) token, or a
 * registry bearer token.
 *
 * @packageDocumentation
 */
import type { ConfigProblem } from '@tidewatch/core';
import type { CredentialProviderDefinition, RegistryCredentials } from '../types.js';
import { objectOptions, optionalString, throwProblems } from '../options.js';

const SCOPE = 'registry:static';

/** Options of the `static` credential provider: the credentials themselves. */
export type StaticCredentialOptions = RegistryCredentials;

/** Checks static credentials: strings only, username and password together. */
export function parseStaticCredentials(input: unknown, scope = SCOPE): RegistryCredentials {
  const problems: ConfigProblem[] = [];
  const o = objectOptions(
    scope,
    input,
    ['username', 'password', 'identityToken', 'registryToken', 'expiresAt'],
    problems,
  );
  const username = optionalString(o, 'username', problems);
  const password = optionalString(o, 'password', problems);
  const identityToken = optionalString(o, 'identityToken', problems);
  const registryToken = optionalString(o, 'registryToken', problems);
  if (o.expiresAt !== undefined && !(o.expiresAt instanceof Date))
    problems.push({ path: 'expiresAt', message: 'must be a Date' });
  if (password !== undefined && username === undefined && !problems.some((p) => p.path === 'username')) {
    problems.push({ path: 'username', message: 'is required with a password' });
  }
  if (
    username !== undefined &&
    password === undefined &&
    identityToken === undefined &&
    !problems.some((p) => p.path === 'password')
  ) {
    problems.push({ path: 'password', message: 'is required with a username' });
  }
  throwProblems(scope, problems);
  return {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(identityToken === undefined ? {} : { identityToken }),
    ...(registryToken === undefined ? {} : { registryToken }),
    ...(o.expiresAt instanceof Date ? { expiresAt: o.expiresAt } : {}),
  };
}

/** The `static` credential provider. */
export const staticCredentials: CredentialProviderDefinition<StaticCredentialOptions> = {
  id: 'static',
  capabilities: { hosts: ['*'] },
  secretFields: ['password', 'identityToken', 'registryToken'],
  parseOptions: (input) => parseStaticCredentials(input),
  create: (options) => ({ getCredentials: () => Promise.resolve(options) }),
};
