/**
 * `gcp`: Google Container Registry and Artifact Registry. Logs in as `oauth2accesstoken` with an
 * OAuth2 access token from Application Default Credentials (the optional peer dependency
 * `google-auth-library`: `GOOGLE_APPLICATION_CREDENTIALS`, gcloud, workload identity or the GCE
 * metadata server), or from an injected token source.
 *
 * @packageDocumentation
 */
import type { ConfigProblem } from '@tidewatch/core';
import { RegistryError } from '../errors.js';
import type { CredentialProviderDefinition } from '../types.js';
import type { AccessToken } from '../peer.js';
import { loadPeer } from '../peer.js';
import { objectOptions, optionalFunction, throwProblems } from '../options.js';

const SCOPE = 'registry:gcp';
const GCP_HOST = /^(?:(?:[a-z0-9-]+\.)?gcr\.io|[a-z0-9-]+-docker\.pkg\.dev|docker\.s3nsregistry\.fr)$/;
/** The OAuth2 scopes Flux asks for. */
const OAUTH_SCOPES = [
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/userinfo.email',
];

/** Options of the `gcp` credential provider. */
export interface GcpCredentialOptions {
  /**
   * Where access tokens come from.
   * @default Application Default Credentials through `google-auth-library`
   */
  readonly tokenSource?: (signal?: AbortSignal) => Promise<AccessToken>;
}

/** Whether a host is GCR / Artifact Registry. */
export function isGcpHost(host: string): boolean {
  return GCP_HOST.test(host.toLowerCase());
}

/** The `gcp` credential provider (GCR, Artifact Registry). */
export const gcp: CredentialProviderDefinition<GcpCredentialOptions> = {
  id: 'gcp',
  capabilities: {
    hosts: ['gcr.io', '*.gcr.io', '*-docker.pkg.dev'],
    peerDependencies: ['google-auth-library'],
  },
  secretFields: [],
  parseOptions(input) {
    const problems: ConfigProblem[] = [];
    const o = objectOptions(SCOPE, input, ['tokenSource'], problems);
    const tokenSource = optionalFunction<GcpCredentialOptions['tokenSource']>(o, 'tokenSource', problems);
    throwProblems(SCOPE, problems);
    return tokenSource ? { tokenSource } : {};
  },
  create(options) {
    let adc: Promise<() => Promise<AccessToken>> | undefined;
    const fromAdc = async (): Promise<() => Promise<AccessToken>> => {
      const lib = await loadPeer('google-auth-library', SCOPE, () => import('google-auth-library'));
      const auth = new lib.GoogleAuth({ scopes: OAUTH_SCOPES });
      const client = await auth.getClient();
      return async () => {
        const r = await client.getAccessToken();
        if (!r.token) throw new Error('no access token');
        const expiry = client.credentials.expiry_date;
        return { token: r.token, ...(typeof expiry === 'number' ? { expiresAt: new Date(expiry) } : {}) };
      };
    };
    return {
      async getCredentials({ registry, signal }) {
        if (!isGcpHost(registry)) {
          throw new RegistryError(
            'CREDENTIAL_PROVIDER',
            SCOPE,
            `invalid GCP registry '${registry}': not gcr.io, *.gcr.io or *-docker.pkg.dev`,
          );
        }
        let token: AccessToken;
        try {
          if (options.tokenSource) token = await options.tokenSource(signal);
          else {
            adc ??= fromAdc();
            adc.catch(() => (adc = undefined));
            token = await (await adc)();
          }
        } catch (err) {
          if (err instanceof RegistryError) throw err;
          throw new RegistryError(
            'CREDENTIAL_PROVIDER',
            SCOPE,
            `getting a GCP access token for ${registry} failed: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`,
            {
              cause: err,
              retryable: true,
            },
          );
        }
        return {
          username: 'oauth2accesstoken',
          password: token.token,
          ...(token.expiresAt ? { expiresAt: token.expiresAt } : {}),
        };
      },
    };
  },
};
