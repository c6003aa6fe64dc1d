/**
 * `aws`: Amazon ECR and ECR Public. For a private registry
 * (`<account>.dkr.ecr.<region>.amazonaws.com`) it calls `ecr:GetAuthorizationToken` (SigV4) through
 * the optional peer dependency `@aws-sdk/client-ecr`, in the region taken from the host; for
 * `public.ecr.aws` it calls `ecr-public:GetAuthorizationToken` through the optional peer dependency
 * `@aws-sdk/client-ecr-public`, always in `us-east-1` (the only region of that API), as Flux does.
 * Either way it logs in as `AWS` with the returned password (valid about 12 h). Tokens are kept per
 * provider and registry kind until 80 % of their life (at most 1 h), so one batch of scans makes one
 * call per region, not one per repository.
 *
 * @packageDocumentation
 */
import type { ConfigProblem } from '@tidewatch/core';
import { RegistryError } from '../errors.js';
import type { CredentialProviderDefinition, RegistryCredentials } from '../types.js';
import { loadPeer } from '../peer.js';
import { objectOptions, optionalString, throwProblems } from '../options.js';

const SCOPE = 'registry:aws';

/** Private ECR hosts: `<account>.dkr.ecr[-fips].<region>.<partition domain>` (and `dkr-ecr` dual-stack). */
const ECR_HOST =
  /^(\d{12})\.dkr[.-]ecr(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|amazonaws\.eu|on\.aws|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;

/** The ECR Public registry host. */
export const ECR_PUBLIC_HOST = 'public.ecr.aws';
/** The only region of the ECR Public API (Flux and the AWS docs: the auth token comes from `us-east-1`). */
const ECR_PUBLIC_REGION = 'us-east-1';
/** Cached tokens are used until 80 % of their life, and at most this long (Flux's rule). */
const MAX_CACHE_MS = 3_600_000;

/** Options of the `aws` credential provider. Without keys the SDK's default credential chain is used. */
export interface AwsCredentialOptions {
  /** Region of the private ECR API (not used for `public.ecr.aws`, always `us-east-1`). @default the region in the registry host */
  readonly region?: string;
  /** Access key id (with `secretAccessKey`). @default the default AWS credential chain */
  readonly accessKeyId?: string;
  /** Secret access key (secret). */
  readonly secretAccessKey?: string;
  /** Session token for temporary credentials (secret). */
  readonly sessionToken?: string;
  /** Private ECR API endpoint override (VPC endpoint, or a test server). @default the SDK's regional endpoint */
  readonly endpoint?: string;
  /** ECR Public API endpoint override (a test server). @default the SDK's `us-east-1` ECR Public endpoint */
  readonly publicEndpoint?: string;
}

/** Parses an ECR host into account and region, or `undefined`. */
export function parseEcrHost(host: string): { account: string; region: string } | undefined {
  const m = ECR_HOST.exec(host.toLowerCase().replace(/:443$/, ''));
  return m ? { account: m[1]!, region: m[2]! } : undefined;
}

/** Whether a host is ECR Public (`public.ecr.aws`). */
export function isEcrPublicHost(host: string): boolean {
  return host.toLowerCase().replace(/:443$/, '') === ECR_PUBLIC_HOST;
}

/** What either GetAuthorizationToken returned: base64 `user:password` and its expiry. */
interface AuthorizationData {
  readonly authorizationToken?: string | undefined;
  readonly expiresAt?: Date | undefined;
}

/** The `aws` credential provider (Amazon ECR and ECR Public). */
export const aws: CredentialProviderDefinition<AwsCredentialOptions> = {
  id: 'aws',
  capabilities: {
    hosts: [
      '<account>.dkr.ecr.<region>.amazonaws.com',
      '<account>.dkr.ecr.<region>.amazonaws.com.cn',
      ECR_PUBLIC_HOST,
    ],
    // `@aws-sdk/client-ecr-public` is loaded instead for public.ecr.aws.
    peerDependencies: ['@aws-sdk/client-ecr', '@aws-sdk/client-ecr-public'],
  },
  secretFields: ['secretAccessKey', 'sessionToken'],
  parseOptions(input) {
    const problems: ConfigProblem[] = [];
    const o = objectOptions(
      SCOPE,
      input,
      ['region', 'accessKeyId', 'secretAccessKey', 'sessionToken', 'endpoint', 'publicEndpoint'],
      problems,
    );
    const region = optionalString(o, 'region', problems);
    const accessKeyId = optionalString(o, 'accessKeyId', problems);
    const secretAccessKey = optionalString(o, 'secretAccessKey', problems);
    const sessionToken = optionalString(o, 'sessionToken', problems);
    const endpoint = optionalString(o, 'endpoint', problems);
    const publicEndpoint = optionalString(o, 'publicEndpoint', problems);
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
    if (publicEndpoint !== undefined && !URL.canParse(publicEndpoint))
      problems.push({ path: 'publicEndpoint', message: 'must be an absolute URL' });
    throwProblems(SCOPE, problems);
    return {
      ...(region === undefined ? {} : { region }),
      ...(accessKeyId === undefined ? {} : { accessKeyId }),
      ...(secretAccessKey === undefined ? {} : { secretAccessKey }),
      ...(sessionToken === undefined ? {} : { sessionToken }),
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(publicEndpoint === undefined ? {} : { publicEndpoint }),
    };
  },
  create(options, context) {
    const credentials =
      options.accessKeyId && options.secretAccessKey
        ? {
            credentials: {
              accessKeyId: options.accessKeyId,
              secretAccessKey: options.secretAccessKey,
              ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
            },
          }
        : {};
    const privateToken = async (region: string, signal?: AbortSignal): Promise<AuthorizationData> => {
      const sdk = await loadPeer('@aws-sdk/client-ecr', SCOPE, () => import('@aws-sdk/client-ecr'));
      const client = new sdk.ECRClient({
        region,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...credentials,
      });
      try {
        const out = await client.send(
          new sdk.GetAuthorizationTokenCommand({}),
          signal ? { abortSignal: signal } : {},
        );
        return out.authorizationData?.[0] ?? {};
      } finally {
        client.destroy();
      }
    };
    const publicToken = async (signal?: AbortSignal): Promise<AuthorizationData> => {
      const sdk = await loadPeer(
        '@aws-sdk/client-ecr-public',
        SCOPE,
        () => import('@aws-sdk/client-ecr-public'),
      );
      const client = new sdk.ECRPUBLICClient({
        region: ECR_PUBLIC_REGION,
        ...(options.publicEndpoint ? { endpoint: options.publicEndpoint } : {}),
        ...credentials,
      });
      try {
        const out = await client.send(
          new sdk.GetAuthorizationTokenCommand({}),
          signal ? { abortSignal: signal } : {},
        );
        return out.authorizationData ?? {};
      } finally {
        client.destroy();
      }
    };
    /** Calls one GetAuthorizationToken and turns its answer into Basic credentials. */
    const login = async (
      registry: string,
      api: string,
      call: () => Promise<AuthorizationData>,
    ): Promise<RegistryCredentials> => {
      let data: AuthorizationData;
      try {
        data = await call();
      } catch (err) {
        if (err instanceof RegistryError) throw err;
        // SDK errors name the operation and AWS's reason; they carry no secret, but keep only the message.
        const name = err instanceof Error ? err.name : 'Error';
        const message = err instanceof Error ? err.message : String(err);
        throw new RegistryError(
          'CREDENTIAL_PROVIDER',
          SCOPE,
          `${api} GetAuthorizationToken for ${registry} failed: ${name}: ${message.slice(0, 300)}`,
          { cause: err, retryable: true },
        );
      }
      const decoded = data.authorizationToken
        ? Buffer.from(data.authorizationToken, 'base64').toString('utf8')
        : '';
      const colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new RegistryError(
          'CREDENTIAL_PROVIDER',
          SCOPE,
          `${api} GetAuthorizationToken for ${registry} returned no usable authorization token`,
        );
      }
      return {
        username: decoded.slice(0, colon),
        password: decoded.slice(colon + 1),
        ...(data.expiresAt instanceof Date ? { expiresAt: data.expiresAt } : {}),
      };
    };
    // One token per API and region (Flux keys its cache by the "registry input": the region, or
    // public.ecr.aws); concurrent requests share one call; failures are not kept.
    const cache = new Map<string, { value: Promise<RegistryCredentials>; refreshAtMs: number }>();
    const cached = (key: string, fetch: () => Promise<RegistryCredentials>): Promise<RegistryCredentials> => {
      const now = context.now().getTime();
      const hit = cache.get(key);
      if (hit && hit.refreshAtMs > now) return hit.value;
      const entry = { value: fetch(), refreshAtMs: Number.POSITIVE_INFINITY };
      cache.set(key, entry);
      entry.value.then(
        (creds) => {
          const life = creds.expiresAt ? creds.expiresAt.getTime() - now : Number.POSITIVE_INFINITY;
          entry.refreshAtMs = now + Math.min(life * 0.8, MAX_CACHE_MS);
        },
        () => {
          if (cache.get(key) === entry) cache.delete(key);
        },
      );
      return entry.value;
    };
    return {
      getCredentials({ registry, signal }) {
        if (isEcrPublicHost(registry)) {
          return cached(ECR_PUBLIC_HOST, () => login(registry, 'ECR Public', () => publicToken(signal)));
        }
        const host = parseEcrHost(registry);
        if (!host) {
          return Promise.reject(
            new RegistryError(
              'CREDENTIAL_PROVIDER',
              SCOPE,
              `invalid AWS registry '${registry}': not an ECR host (<account>.dkr.ecr.<region>.amazonaws.com) or ${ECR_PUBLIC_HOST}`,
            ),
          );
        }
        const region = options.region ?? host.region;
        return cached(`ecr\n${region}`, () => login(registry, 'ECR', () => privateToken(region, signal)));
      },
    };
  },
};
