/**
 * A loopback fake of Microsoft Entra ID (the Microsoft identity platform v2.0 endpoints) that the
 * real `@azure/identity`/MSAL client can use, plus the plumbing to reach it under its public name:
 *
 * - {@link startFakeEntra}: an HTTPS server answering
 *   `GET /<tenant>/v2.0/.well-known/openid-configuration` (OpenID Connect discovery: `issuer`,
 *   `authorization_endpoint`, `token_endpoint`, …), `GET /common/discovery/instance` (MSAL's
 *   instance discovery: `tenant_discovery_endpoint` and `metadata` aliases), and
 *   `POST /<tenant>/oauth2/v2.0/token` with the client-credentials form, authenticated either by a
 *   client secret (`grant_type=client_credentials&client_id=&client_secret=&scope=`) or, for
 *   workload identity federation, by a client assertion
 *   (`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=<JWT>`)
 *   → `{"token_type":"Bearer","expires_in","ext_expires_in","access_token"}`. Errors are Entra's
 *   bodies (`error`, `error_description` with `AADSTS…`, `error_codes`, `timestamp`): a wrong secret
 *   is `401 invalid_client` AADSTS7000215, neither secret nor assertion `401 invalid_client`
 *   AADSTS7000216, an unknown client `400 unauthorized_client` AADSTS700016. An assertion is checked
 *   as Entra checks one against a federated identity credential: a JWT (else `400 invalid_request`
 *   AADSTS50027) whose `iss`, `sub` and `aud` match the credential (else `401 invalid_client`
 *   AADSTS700211 / AADSTS700213 / AADSTS700212, naming the presented value), within its `nbf`/`exp`
 *   (else AADSTS700024), and whose RS256 signature verifies with the issuer's key (else
 *   AADSTS700027). Entra fetches that key from the issuer's OIDC JWKS; here the test hands it over.
 *   Documents name the public authority host (`https://login.microsoftonline.com` unless told
 *   otherwise).
 * - `issueTestCertificate` (in `registry.ts`, beside `createTestCa`): a leaf certificate for any host names, signed by the CA that
 *   `createTestCa` made in the same folder (so a client trusting that CA accepts it).
 * - {@link startConnectProxy}: an HTTP `CONNECT` proxy on loopback that tunnels only the
 *   destinations it is given to local ports (so `HTTPS_PROXY` can route `login.microsoftonline.com:443`
 *   to the fake without touching the network); anything else gets `403`.
 */
import { createPublicKey, randomUUID, verify, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { startHttpServer, type TestHttpServer } from './http-server.js';

/** Options of {@link startFakeEntra}. */
export interface FakeEntraOptions {
  /** The tenant (directory) id. */
  readonly tenantId: string;
  /** The application (client) id. */
  readonly clientId: string;
  /** Its client secret. @default none: the client-secret grant is refused */
  readonly clientSecret?: string;
  /** A federated identity credential of the application (workload identity). @default none */
  readonly federatedCredential?: FakeFederatedCredential;
  /** The access token handed out. */
  readonly accessToken: string;
  /** Token lifetime in seconds. @default 3599 */
  readonly expiresIn?: number;
  /** The server's TLS key and certificate (PEM). */
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  /** Authority host written into the documents. @default `https://login.microsoftonline.com` */
  readonly authorityHost?: string;
}

/**
 * A federated identity credential as configured on an Entra application or user-assigned identity:
 * the external issuer, subject and audience a client assertion must carry.
 */
export interface FakeFederatedCredential {
  /** The external token issuer (for AKS, the cluster's OIDC issuer URL). */
  readonly issuer: string;
  /** The subject (for AKS, `system:serviceaccount:<namespace>:<name>`). */
  readonly subject: string;
  /** The audience. @default `api://AzureADTokenExchange` */
  readonly audience?: string;
  /** The issuer's public signing key (PEM), which Entra would fetch from the issuer's JWKS. */
  readonly issuerPublicKeyPem: string;
}

/**
 * Checks a client assertion as Entra checks it against a federated identity credential; returns
 * the Entra error (status, error, AADSTS description) or `undefined` when it is accepted.
 */
function checkAssertion(
  assertion: string,
  fic: FakeFederatedCredential,
  key: KeyObject,
): { status: number; code: string; description: string } | undefined {
  const parts = assertion.split('.');
  let header: { alg?: unknown } | undefined;
  let claims: { iss?: unknown; sub?: unknown; aud?: unknown; exp?: unknown; nbf?: unknown } | undefined;
  try {
    if (parts.length === 3) {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims;
    }
  } catch {
    header = undefined;
  }
  if (!header || !claims || typeof claims !== 'object') {
    return {
      status: 400,
      code: 'invalid_request',
      description: 'AADSTS50027: JWT token is invalid or malformed.',
    };
  }
  const hint =
    'Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation';
  if (claims.iss !== fic.issuer) {
    return {
      status: 401,
      code: 'invalid_client',
      description: `AADSTS700211: No matching federated identity record found for presented assertion issuer '${String(claims.iss)}'. ${hint}`,
    };
  }
  if (claims.sub !== fic.subject) {
    return {
      status: 401,
      code: 'invalid_client',
      description: `AADSTS700213: No matching federated identity record found for presented assertion subject '${String(claims.sub)}'. ${hint}`,
    };
  }
  const audience = fic.audience ?? 'api://AzureADTokenExchange';
  const auds = Array.isArray(claims.aud) ? (claims.aud as unknown[]) : [claims.aud];
  if (!auds.includes(audience)) {
    return {
      status: 401,
      code: 'invalid_client',
      description: `AADSTS700212: No matching federated identity record found for presented assertion audience '${auds.map(String).join(',')}'. ${hint}`,
    };
  }
  const now = Math.floor(Date.now() / 1000);
  if (
    typeof claims.exp !== 'number' ||
    claims.exp <= now ||
    (typeof claims.nbf === 'number' && claims.nbf > now + 300)
  ) {
    return {
      status: 401,
      code: 'invalid_client',
      description: `AADSTS700024: Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, expiry time of assertion ${typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : 'none'}.`,
    };
  }
  const signed =
    header.alg === 'RS256' &&
    verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2]!, 'base64url'));
  if (!signed) {
    return {
      status: 401,
      code: 'invalid_client',
      description: 'AADSTS700027: Client assertion failed signature validation.',
    };
  }
  return undefined;
}

/** Starts a fake Entra ID over HTTPS on a free loopback port. */
export async function startFakeEntra(options: FakeEntraOptions): Promise<TestHttpServer> {
  const host = (options.authorityHost ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  const tenant = options.tenantId;
  const fic = options.federatedCredential;
  const issuerKey = fic ? createPublicKey(fic.issuerPublicKeyPem) : undefined;
  const json = { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': randomUUID() };
  return startHttpServer(
    (req, res) => {
      const url = new URL(req.url, 'https://x');
      if (req.method === 'GET' && url.pathname === `/${tenant}/v2.0/.well-known/openid-configuration`) {
        res.writeHead(200, json).end(
          JSON.stringify({
            issuer: `${host}/${tenant}/v2.0`,
            authorization_endpoint: `${host}/${tenant}/oauth2/v2.0/authorize`,
            token_endpoint: `${host}/${tenant}/oauth2/v2.0/token`,
            device_authorization_endpoint: `${host}/${tenant}/oauth2/v2.0/devicecode`,
            end_session_endpoint: `${host}/${tenant}/oauth2/v2.0/logout`,
            jwks_uri: `${host}/${tenant}/discovery/v2.0/keys`,
            token_endpoint_auth_methods_supported: [
              'client_secret_post',
              'private_key_jwt',
              'client_secret_basic',
            ],
            response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
            scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
            tenant_region_scope: 'EU',
            cloud_instance_name: 'microsoftonline.com',
          }),
        );
        return;
      }
      if (req.method === 'GET' && url.pathname === '/common/discovery/instance') {
        const name = new URL(host).host;
        res.writeHead(200, json).end(
          JSON.stringify({
            tenant_discovery_endpoint: `${host}/${tenant}/v2.0/.well-known/openid-configuration`,
            'api-version': '1.1',
            metadata: [{ preferred_network: name, preferred_cache: name, aliases: [name] }],
          }),
        );
        return;
      }
      if (req.method === 'POST' && url.pathname === `/${tenant}/oauth2/v2.0/token`) {
        const form = new URLSearchParams(req.text());
        const error = (status: number, code: string, description: string): void => {
          res.writeHead(status, json).end(
            JSON.stringify({
              error: code,
              error_description: `${description}\r\nTrace ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
              error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)],
              timestamp: new Date().toISOString(),
            }),
          );
        };
        if (form.get('grant_type') !== 'client_credentials' || !form.get('scope')) {
          error(
            400,
            'invalid_request',
            'AADSTS900144: The request body must contain the grant_type and scope parameters.',
          );
          return;
        }
        if (form.get('client_id') !== options.clientId) {
          error(
            400,
            'unauthorized_client',
            `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`,
          );
          return;
        }
        const assertion = form.get('client_assertion');
        if (assertion !== null) {
          if (
            form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
          ) {
            error(
              401,
              'invalid_client',
              "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
            );
            return;
          }
          // An application without a federated identity credential has nothing to match.
          const refused = fic && issuerKey ? checkAssertion(assertion, fic, issuerKey) : undefined;
          if (!fic || refused) {
            const r = refused ?? {
              status: 400,
              code: 'invalid_request',
              description:
                'AADSTS70021: No matching federated identity record found for presented assertion.',
            };
            error(r.status, r.code, r.description);
            return;
          }
        } else if (form.get('client_secret') === null) {
          error(
            401,
            'invalid_client',
            "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
          );
          return;
        } else if (options.clientSecret === undefined || form.get('client_secret') !== options.clientSecret) {
          error(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
          return;
        }
        const expiresIn = options.expiresIn ?? 3599;
        res.writeHead(200, json).end(
          JSON.stringify({
            token_type: 'Bearer',
            expires_in: expiresIn,
            ext_expires_in: expiresIn,
            access_token: options.accessToken,
          }),
        );
        return;
      }
      res.writeHead(404, json).end(JSON.stringify({ error: 'not_found' }));
    },
    { tls: { key: options.tls.keyPem, cert: options.tls.certPem } },
  );
}

/** A leaf certificate made by {@link issueTestCertificate}. */

/** A running {@link startConnectProxy}. */
export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`: use as `HTTPS_PROXY`. */
  readonly url: string;
  /** Every `CONNECT` target asked for (`host:port`), tunnelled or not. */
  readonly connects: string[];
  close(): Promise<void>;
}

/** Starts a loopback `CONNECT` proxy that tunnels `routes` (`host:port` → local port) and refuses the rest. */
export async function startConnectProxy(routes: Readonly<Record<string, number>>): Promise<ConnectProxy> {
  const connects: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = (req.url ?? '').toLowerCase();
    connects.push(target);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const port = routes[target];
    if (port === undefined) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
