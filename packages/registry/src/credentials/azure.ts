/**
 * `azure`: Azure Container Registry. Gets a Microsoft Entra token for the registry audience (the
 * optional peer dependency `@azure/identity`: environment, workload identity, managed identity; no
 * shell-out credentials, as in Flux; managed identity is left out when workload identity is
 * configured), exchanges it at `POST https://<registry>/oauth2/exchange`
 * for an ACR refresh token, and logs in as `00000000-0000-0000-0000-000000000000` with it.
 *
 * @packageDocumentation
 */
import type { ConfigProblem } from '@tidewatch/core';
import { redactText } from '@tidewatch/core';
import { RegistryError } from '../errors.js';
import type { CredentialProviderDefinition } from '../types.js';
import type { TokenCredential } from '@azure/identity';
import type { AccessToken } from '../peer.js';
import { jwtExpiry, loadPeer } from '../peer.js';
import { objectOptions, optionalFunction, optionalString, throwProblems } from '../options.js';

const SCOPE = 'registry:azure';
const ACR_HOST = /^[a-z0-9-]+\.azurecr\.(io|cn|de|us)$/;
/** The user ACR expects with a refresh token. */
export const ACR_REFRESH_TOKEN_USER = '00000000-0000-0000-0000-000000000000';
const AUDIENCES: Record<string, string> = {
  io: 'https://containerregistry.azure.net/.default',
  cn: 'https://containerregistry.azure.cn/.default',
  us: 'https://containerregistry.azure.us/.default',
  de: 'https://containerregistry.azure.de/.default',
};

/** Options of the `azure` credential provider. */
export interface AzureCredentialOptions {
  /**
   * Where Entra access tokens come from; gets the scope (audience) to ask for.
   * @default `@azure/identity`: environment, workload identity, then managed identity
   */
  readonly tokenSource?: (scope: string, signal?: AbortSignal) => Promise<AccessToken>;
  /** Tenant sent with the exchange (and used by the default credential chain). */
  readonly tenantId?: string;
  /** Client id of a user-assigned managed identity / workload identity. @default `AZURE_CLIENT_ID` */
  readonly clientId?: string;
  /** Token scope override. @default derived from the registry host's cloud */
  readonly audience?: string;
}

/** Secrets the default chain reads from the environment: never in a message. */
function identitySecrets(): string[] {
  return ['AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'IDENTITY_HEADER', 'MSI_SECRET']
    .map((name) => process.env[name] ?? '')
    .filter((v) => v !== '');
}

/**
 * The reason a chain of credentials failed, shortest first: `ChainedTokenCredential` reports every
 * link, so the useful cause (an Entra AADSTS error, an unreadable token file, the managed-identity
 * endpoint's answer) comes after `EnvironmentCredential is unavailable`, which every keyless setup
 * repeats, and MSAL pads it with timestamps and trace ids. Keeps, per link, the credential's name
 * and the first line of the description; drops that boilerplate when another link says more; says
 * a repeated reason once (managed identity retries workload identity with the same file).
 */
function describeChainFailure(err: unknown, names: readonly string[]): string {
  const links = (err as { errors?: unknown } | null)?.errors;
  const errors: unknown[] = Array.isArray(links) ? links : [err];
  const reasons: { name: string; text: string; unconfigured: boolean }[] = [];
  errors.forEach((e, i) => {
    const raw = e instanceof Error ? e.message : String(e);
    const described = /Description: ([^\r\n]*?)(?: - Correlation ID:[^\r\n]*)?(?:\r?\n|$)/.exec(raw)?.[1];
    const code = /^(\w+): Error\(s\):/.exec(raw)?.[1];
    let text = (described ? `${code ? `${code}: ` : ''}${described}` : raw.split(/\r?\n/, 1)[0]!).trim();
    const name = errors.length === names.length ? names[i]! : '';
    if (name && text.startsWith(`${name}: `)) text = text.slice(name.length + 2);
    reasons.push({
      name,
      text,
      unconfigured:
        (e as { name?: unknown } | null)?.name === 'CredentialUnavailableError' &&
        /No underlying credential could be used/.test(raw),
    });
  });
  const useful = reasons.some((r) => !r.unconfigured) ? reasons.filter((r) => !r.unconfigured) : reasons;
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const r of useful) {
    // Managed identity on AKS runs workload identity again and prefixes that credential's name.
    const key = r.text.replace(/^(\w+Credential: )+/, '');
    if (seen.has(key)) continue;
    seen.add(key);
    parts.push(r.name ? `${r.name}: ${r.text}` : r.text);
  }
  return parts.join('; ');
}

/** Whether a host is an Azure Container Registry. */
export function isAcrHost(host: string): boolean {
  return ACR_HOST.test(host.toLowerCase());
}

/** The `azure` credential provider (ACR). */
export const azure: CredentialProviderDefinition<AzureCredentialOptions> = {
  id: 'azure',
  capabilities: {
    hosts: ['*.azurecr.io', '*.azurecr.cn', '*.azurecr.us', '*.azurecr.de'],
    peerDependencies: ['@azure/identity'],
  },
  secretFields: [],
  parseOptions(input) {
    const problems: ConfigProblem[] = [];
    const o = objectOptions(SCOPE, input, ['tokenSource', 'tenantId', 'clientId', 'audience'], problems);
    const tokenSource = optionalFunction<AzureCredentialOptions['tokenSource']>(o, 'tokenSource', problems);
    const tenantId = optionalString(o, 'tenantId', problems);
    const clientId = optionalString(o, 'clientId', problems);
    const audience = optionalString(o, 'audience', problems);
    throwProblems(SCOPE, problems);
    return {
      ...(tokenSource ? { tokenSource } : {}),
      ...(tenantId ? { tenantId } : {}),
      ...(clientId ? { clientId } : {}),
      ...(audience ? { audience } : {}),
    };
  },
  create(options, context) {
    let chain: Promise<(scope: string, signal?: AbortSignal) => Promise<AccessToken>> | undefined;
    const fromIdentity = async (): Promise<(scope: string, signal?: AbortSignal) => Promise<AccessToken>> => {
      const id = await loadPeer('@azure/identity', SCOPE, () => import('@azure/identity'));
      const clientId = options.clientId ?? process.env.AZURE_CLIENT_ID;
      // Some credentials refuse to be constructed when their environment is absent (in 4.x,
      // WorkloadIdentityCredential throws CredentialUnavailableError without
      // AZURE_FEDERATED_TOKEN_FILE): leave those out of the chain, as DefaultAzureCredential does,
      // instead of failing for users of the other two.
      const makers: (() => TokenCredential)[] = [
        () => new id.EnvironmentCredential(),
        () =>
          new id.WorkloadIdentityCredential({
            ...(clientId ? { clientId } : {}),
            ...(options.tenantId ? { tenantId: options.tenantId } : {}),
          }),
      ];
      // With a federated token file, client and tenant in the environment, ManagedIdentityCredential
      // takes its AKS "token exchange" path, which is workload identity again with the same file:
      // chaining it would send a refused assertion to Entra a second time. Flux, too, uses workload
      // identity alone there.
      const exchangeOnly = Boolean(
        clientId && process.env.AZURE_TENANT_ID && process.env.AZURE_FEDERATED_TOKEN_FILE,
      );
      if (!exchangeOnly) makers.push(() => new id.ManagedIdentityCredential(clientId ? { clientId } : {}));
      const usable: TokenCredential[] = [];
      const unavailable: string[] = [];
      for (const make of makers) {
        try {
          usable.push(make());
        } catch (err) {
          unavailable.push(err instanceof Error ? err.message.split('\n', 1)[0]! : String(err));
        }
      }
      if (usable.length === 0) throw new Error(`no Azure credential is available: ${unavailable.join('; ')}`);
      const credential = new id.ChainedTokenCredential(...usable);
      const names = usable.map((c) => c.constructor.name);
      return async (scope, signal) => {
        let t;
        try {
          t = await credential.getToken(scope, signal ? { abortSignal: signal } : {});
        } catch (err) {
          throw new Error(describeChainFailure(err, names), { cause: err });
        }
        return { token: t.token, expiresAt: new Date(t.expiresOnTimestamp) };
      };
    };
    return {
      async getCredentials({ registry, registryUrl, signal }) {
        const m = ACR_HOST.exec(registry.toLowerCase());
        if (!m) {
          throw new RegistryError(
            'CREDENTIAL_PROVIDER',
            SCOPE,
            `invalid Azure registry '${registry}': not <name>.azurecr.io (or .cn/.us/.de)`,
          );
        }
        const audience = options.audience ?? AUDIENCES[m[1]!]!;
        let aad: AccessToken;
        try {
          if (options.tokenSource) aad = await options.tokenSource(audience, signal);
          else {
            chain ??= fromIdentity();
            chain.catch(() => (chain = undefined));
            aad = await (await chain)(audience, signal);
          }
        } catch (err) {
          if (err instanceof RegistryError) throw err;
          throw new RegistryError(
            'CREDENTIAL_PROVIDER',
            SCOPE,
            `getting a Microsoft Entra token for ${registry} failed: ${redactText(err instanceof Error ? err.message : String(err), identitySecrets()).slice(0, 600)}`,
            {
              cause: err,
              retryable: true,
            },
          );
        }
        const form = new URLSearchParams({
          grant_type: 'access_token',
          service: registry,
          access_token: aad.token,
        });
        if (options.tenantId) form.set('tenant', options.tenantId);
        const url = new URL('/oauth2/exchange', registryUrl);
        let res: Response;
        try {
          res = await context.fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
            body: form,
            ...(signal ? { signal } : {}),
          });
        } catch (err) {
          throw new RegistryError(
            'CREDENTIAL_PROVIDER',
            SCOPE,
            `ACR token exchange at ${url.origin}/oauth2/exchange failed: ${err instanceof Error ? err.message.slice(0, 200) : 'network error'}`,
            {
              cause: err,
              retryable: true,
            },
          );
        }
        const text = await res.text();
        if (!res.ok) {
          throw new RegistryError(
            'CREDENTIAL_PROVIDER',
            SCOPE,
            `ACR token exchange at ${url.origin}/oauth2/exchange answered ${res.status}`,
            {
              retryable: res.status >= 500 || res.status === 429,
              status: res.status,
            },
          );
        }
        let refresh: unknown;
        try {
          refresh = (JSON.parse(text) as { refresh_token?: unknown }).refresh_token;
        } catch {
          refresh = undefined;
        }
        if (typeof refresh !== 'string' || refresh === '') {
          throw new RegistryError(
            'CREDENTIAL_PROVIDER',
            SCOPE,
            `ACR token exchange at ${url.origin}/oauth2/exchange returned no refresh_token`,
          );
        }
        const expiresAt = jwtExpiry(refresh) ?? aad.expiresAt;
        return { username: ACR_REFRESH_TOKEN_USER, password: refresh, ...(expiresAt ? { expiresAt } : {}) };
      },
    };
  },
};
