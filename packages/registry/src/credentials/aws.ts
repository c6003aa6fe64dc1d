/**
 * `aws`: Amazon ECR. Calls `ecr:GetAuthorizationToken` (SigV4) through the optional peer
 * dependency `@aws-sdk/client-ecr`, with the region taken from the registry host, and logs in as
 * `AWS` with the returned password (valid about 12 h).
 *
 * @packageDocumentation
 */
import type { ConfigProblem } from '@tidewatch/core';
import { RegistryError } from '../errors.js';
import type { CredentialProviderDefinition } from '../types.js';
import { loadPeer } from '../peer.js';
import { objectOptions, optionalString, throwProblems } from '../options.js';

const SCOPE = 'registry:aws';

/** Private ECR hosts: `<account>.dkr.ecr[-fips].<region>.<partition domain>` (and `dkr-ecr` dual-stack). */
const ECR_HOST =
  /^(\d{12})\.dkr[.-]ecr(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|amazonaws\.eu|on\.aws|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;

/** Options of the `aws` credential provider. Without keys the SDK's default credential chain is used. */
export interface AwsCredentialOptions {
  /** Region of the ECR API. @default the region in the registry host */
  readonly region?: string;
  /** Access key id (with `secretAccessKey`). @default the default AWS credential chain */
  readonly accessKeyId?: string;
  /** Secret access key (secret). */
  readonly secretAccessKey?: string;
  /** Session token for temporary credentials (secret). */
  readonly sessionToken?: string;
  /** ECR API endpoint override (VPC endpoint, or a test server). @default the SDK's regional endpoint */
  readonly endpoint?: string;
}

/** Parses an ECR host into account and region, or `undefined`. */
export function parseEcrHost(host: string): { account: string; region: string } | undefined {
  const m = ECR_HOST.exec(host.toLowerCase().replace(/:443$/, ''));
  return m ? { account: m[1]!, region: m[2]! } : undefined;
}

/** The `aws` credential provider (Amazon ECR). */
export const aws: CredentialProviderDefinition<AwsCredentialOptions> = {
  id: 'aws',
  capabilities: {
    hosts: ['<account>.dkr.ecr.<region>.amazonaws.com', '<account>.dkr.ecr.<region>.amazonaws.com.cn'],
    peerDependency: '@aws-sdk/client-ecr',
  },
  secretFields: ['secretAccessKey', 'sessionToken'],
  parseOptions(input) {
    const problems: ConfigProblem[] = [];
    const o = objectOptions(
      SCOPE,
      input,
      ['region', 'accessKeyId', 'secretAccessKey', 'sessionToken', 'endpoint'],
      problems,
    );
    const region = optionalString(o, 'region', problems);
    const accessKeyId = optionalString(o, 'accessKeyId', problems);
    const secretAccessKey = optionalString(o, 'secretAccessKey', problems);
    const sessionToken = optionalString(o, 'sessionToken', problems);
    const endpoint = optionalString(o, 'endpoint', problems);
    if (
      (accessKeyId === undefined) !== (secretAccessKey === undefined) &&
      !problems.some((p) => p.path === 'accessKeyId' || p.path === 'secretAccessKey')
    ) {
      problems.push({
        path: accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey',
        message: 'accessKeyId and secretAccessKey go together',
      });
    }
    if (endpoint !== undefined && !URL.canParse(endpoint))
      problems.push({ path: 'endpoint', message: 'must be an absolute URL' });
    throwProblems(SCOPE, problems);
    return {
      ...(region === undefined ? {} : { region }),
      ...(accessKeyId === undefined ? {} : { accessKeyId }),
      ...(secretAccessKey === undefined ? {} : { secretAccessKey }),
      ...(sessionToken === undefined ? {} : { sessionToken }),
      ...(endpoint === undefined ? {} : { endpoint }),
    };
  },
  create(options) {
    return {
      async getCredentials({ registry, signal }) {
        const host = parseEcrHost(registry);
        if (!host) {
          throw new RegistryError(
            'CREDENTIAL_PROVIDER',
            SCOPE,
            `invalid AWS registry '${registry}': not an ECR host (<account>.dkr.ecr.<region>.amazonaws.com)`,
          );
        }
        const sdk = await loadPeer('@aws-sdk/client-ecr', SCOPE, () => import('@aws-sdk/client-ecr'));
        const client = new sdk.ECRClient({
          region: options.region ?? host.region,
          ...(options.endpoint ? { endpoint: options.endpoint } : {}),
          ...(options.accessKeyId && options.secretAccessKey
            ? {
                credentials: {
                  accessKeyId: options.accessKeyId,
                  secretAccessKey: options.secretAccessKey,
                  ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
                },
              }
            : {}),
        });
        try {
          const out = await client.send(
            new sdk.GetAuthorizationTokenCommand({}),
            signal ? { abortSignal: signal } : {},
          );
          const data = out.authorizationData?.[0];
          const decoded = data?.authorizationToken
            ? Buffer.from(data.authorizationToken, 'base64').toString('utf8')
            : '';
          const colon = decoded.indexOf(':');
          if (colon < 0) {
            throw new RegistryError(
              'CREDENTIAL_PROVIDER',
              SCOPE,
              `ECR GetAuthorizationToken for ${registry} returned no usable authorization token`,
            );
          }
          return {
            username: decoded.slice(0, colon),
            password: decoded.slice(colon + 1),
            ...(data?.expiresAt instanceof Date ? { expiresAt: data.expiresAt } : {}),
          };
        } catch (err) {
          if (err instanceof RegistryError) throw err;
          // SDK errors name the operation and AWS's reason; they carry no secret, but keep only the message.
          const name = err instanceof Error ? err.name : 'Error';
          const message = err instanceof Error ? err.message : String(err);
          throw new RegistryError(
            'CREDENTIAL_PROVIDER',
            SCOPE,
            `ECR GetAuthorizationToken for ${registry} failed: ${name}: ${message.slice(0, 300)}`,
            {
              cause: err,
              retryable: true,
            },
          );
        } finally {
          client.destroy();
        }
      },
    };
  },
};
