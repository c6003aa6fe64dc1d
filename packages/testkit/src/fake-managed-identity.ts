/**
 * A loopback fake of the local managed-identity token endpoints that Azure hosts expose over plain
 * HTTP, as `@azure/identity`'s `ManagedIdentityCredential` (through MSAL Node) calls them:
 *
 * - `app-service`: App Service / Azure Functions / Container Apps, protocol `2019-08-01`. The host
 *   sets `IDENTITY_ENDPOINT` (`http://127.0.0.1:<port>/msi/token`) and `IDENTITY_HEADER`; the client
 *   sends `GET <endpoint>?api-version=2019-08-01&resource=<resource>[&client_id=|&principal_id=|&mi_res_id=]`
 *   with the header `X-IDENTITY-HEADER: <IDENTITY_HEADER>`. Success is `200 {"access_token",
 *   "expires_on":"<epoch seconds>","resource","token_type":"Bearer","client_id"}`; errors use App
 *   Service's shape `{"statusCode","message","correlationId"}`: a missing or wrong header is `401`
 *   (its message text is not documented; this one is ours), a missing resource or an unsupported
 *   api-version `400`, an identity the app does not have `400 "Unable to load the proper Managed
 *   Identity."`. Identities are known here by client id only: a `principal_id` or `mi_res_id`
 *   selector gets that `400` too.
 * - `machine-learning`: Azure Machine Learning compute, which sets `MSI_ENDPOINT` and `MSI_SECRET`
 *   (in MSAL Node 5 this pair selects that source, not App Service's retired 2017 protocol): `GET
 *   <endpoint>?api-version=2017-09-01&resource=<resource>&clientid=<id>` with the headers
 *   `secret: <MSI_SECRET>` and `Metadata: true`; the same success body. A wrong secret is `401`.
 *
 * The resource is the audience without `/.default` (`https://containerregistry.azure.net`). IMDS
 * (`http://169.254.169.254/metadata/identity/oauth2/token`) is not reproduced: its link-local address
 * cannot be bound on a test machine, and its URL is fixed in the client. Azure Arc
 * (`IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`) answers its first request with a `401` whose
 * `WWW-Authenticate: Basic realm=<file>` names a key file the client reads only under
 * `/var/opt/azcmagent/tokens/`, outside any temp folder, so it is not reproduced either.
 */
import { randomUUID } from 'node:crypto';
import { startHttpServer, type TestHttpServer } from './http-server.js';

/** Which host's managed-identity endpoint {@link startFakeManagedIdentity} plays. */
export type FakeManagedIdentityProtocol = 'app-service' | 'machine-learning';

/** Options of {@link startFakeManagedIdentity}. */
export interface FakeManagedIdentityOptions {
  /** @default `app-service` */
  readonly protocol?: FakeManagedIdentityProtocol;
  /** The value of `IDENTITY_HEADER` (App Service) or `MSI_SECRET` (Machine Learning). */
  readonly secret: string;
  /** The Entra access token handed out. */
  readonly accessToken: string;
  /**
   * Client id of the system-assigned identity, or `undefined` when the host has none.
   * @default a fixed test GUID
   */
  readonly systemAssignedClientId?: string | undefined;
  /** Client ids of the user-assigned identities attached to the host. @default none */
  readonly userAssignedClientIds?: readonly string[];
  /** Token lifetime in seconds. @default 86399 (managed-identity tokens live about a day) */
  readonly expiresIn?: number;
}

/** A running {@link startFakeManagedIdentity}. */
export interface FakeManagedIdentity {
  /** The recording server. */
  readonly server: TestHttpServer;
  /** The token endpoint URL: the value of `IDENTITY_ENDPOINT` or `MSI_ENDPOINT`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

const API_VERSIONS: Record<FakeManagedIdentityProtocol, string> = {
  'app-service': '2019-08-01',
  'machine-learning': '2017-09-01',
};

/** Starts a fake managed-identity token endpoint on a free loopback port (plain HTTP, as on the hosts). */
export async function startFakeManagedIdentity(
  options: FakeManagedIdentityOptions,
): Promise<FakeManagedIdentity> {
  const protocol = options.protocol ?? 'app-service';
  const system =
    'systemAssignedClientId' in options
      ? options.systemAssignedClientId
      : '5e29463d-71da-4fe0-8e69-999b57db23b0';
  const userAssigned = new Set((options.userAssignedClientIds ?? []).map((id) => id.toLowerCase()));
  const server = await startHttpServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const error = (status: number, message: string): void => {
      res
        .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
        .end(JSON.stringify({ statusCode: status, message, correlationId: randomUUID() }));
    };
    if (req.method !== 'GET' || url.pathname !== '/msi/token') {
      error(404, 'Not found.');
      return;
    }
    const presented = protocol === 'app-service' ? req.headers['x-identity-header'] : req.headers.secret;
    if (presented !== options.secret) {
      error(401, 'Unauthorized: the secret header is missing or wrong.');
      return;
    }
    if (url.searchParams.get('api-version') !== API_VERSIONS[protocol]) {
      error(400, `Unsupported api-version '${url.searchParams.get('api-version') ?? ''}'.`);
      return;
    }
    const resource = url.searchParams.get('resource');
    if (!resource) {
      error(400, 'The resource parameter is required.');
      return;
    }
    const asked =
      protocol === 'app-service' ? url.searchParams.get('client_id') : url.searchParams.get('clientid');
    // Machine Learning always names an identity (DEFAULT_IDENTITY_CLIENT_ID for the system one).
    const clientId =
      asked === null || asked === '' || asked === 'undefined'
        ? protocol === 'app-service'
          ? system
          : undefined
        : asked.toLowerCase() === system?.toLowerCase() || userAssigned.has(asked.toLowerCase())
          ? asked
          : undefined;
    if (
      clientId === undefined ||
      (protocol === 'app-service' &&
        (url.searchParams.has('principal_id') || url.searchParams.has('mi_res_id')))
    ) {
      error(400, 'Unable to load the proper Managed Identity.');
      return;
    }
    const expiresOn = Math.floor(Date.now() / 1000) + (options.expiresIn ?? 86399);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(
      JSON.stringify({
        access_token: options.accessToken,
        expires_on: String(expiresOn),
        resource,
        token_type: 'Bearer',
        client_id: clientId,
      }),
    );
  });
  return { server, endpoint: `${server.url}/msi/token`, close: () => server.close() };
}
