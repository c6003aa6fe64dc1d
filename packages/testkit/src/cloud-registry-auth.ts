/**
 * Loopback fakes of the cloud services behind registry credential providers. Each reproduces one
 * wire protocol, faithfully enough for the real client libraries to talk to it:
 *
 * - {@link startFakeEcr}: Amazon ECR's AWS JSON 1.1 API, `POST /` with
 *   `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken` and a SigV4
 *   `Authorization` header (`AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/ecr/aws4_request, …`),
 *   answering `{"authorizationData":[{"authorizationToken": base64("AWS:<password>"), "expiresAt":
 *   <epoch seconds>, "proxyEndpoint": …}]}` or an `UnrecognizedClientException` for an unknown key.
 * - {@link startFakeGcpMetadata}: the GCE metadata server: every request must carry
 *   `Metadata-Flavor: Google` (else 403) and every answer carries it;
 *   `GET /computeMetadata/v1/instance/service-accounts/default/token` →
 *   `{"access_token","expires_in","token_type":"Bearer"}`, plus the `/computeMetadata/v1/instance`
 *   and `project/project-id` endpoints clients probe.
 * - {@link startFakeAcr}: Azure Container Registry's token endpoints and registry API:
 *   `POST /oauth2/exchange` (form `grant_type=access_token&service=&access_token=[&tenant=]`) →
 *   `{"refresh_token": <JWT with exp>}`; `/v2/` answering `Bearer realm="<base>/oauth2/token",
 *   service="<name>"`; `GET /oauth2/token?service=&scope=` with Basic
 *   `00000000-0000-0000-0000-000000000000:<refresh token>` (or the POST refresh_token form) →
 *   `{"access_token"}`; `GET /v2/<repo>/tags/list` with that bearer token.
 */
import { randomUUID } from 'node:crypto';
import { startHttpServer, type TestHttpServer } from './http-server.js';

/** Options of {@link startFakeEcr}. */
export interface FakeEcrOptions {
  /** Access key ids the fake accepts. */
  readonly accessKeyIds: readonly string[];
  /** The registry password handed out. */
  readonly password: string;
  /** When the token expires. @default 12 h from now */
  readonly expiresAt?: Date;
}

/** Starts a fake ECR API endpoint. */
export async function startFakeEcr(options: FakeEcrOptions): Promise<TestHttpServer> {
  return startHttpServer((req, res) => {
    const target = req.headers['x-amz-target'];
    const auth = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([a-z0-9-]+)\/ecr\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.exec(
        auth,
      );
    const json = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() };
    if (req.method !== 'POST' || target !== 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken') {
      res
        .writeHead(400, { ...json, 'x-amzn-errortype': 'UnknownOperationException' })
        .end('{"__type":"UnknownOperationException"}');
      return;
    }
    if (!m || !options.accessKeyIds.includes(m[1]!)) {
      res.writeHead(400, { ...json, 'x-amzn-errortype': 'UnrecognizedClientException' });
      res.end(
        '{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}',
      );
      return;
    }
    const expiresAt = (options.expiresAt ?? new Date(Date.now() + 12 * 3600_000)).getTime() / 1000;
    res.writeHead(200, json).end(
      JSON.stringify({
        authorizationData: [
          {
            authorizationToken: Buffer.from(`AWS:${options.password}`).toString('base64'),
            expiresAt,
            proxyEndpoint: `https://123456789012.dkr.ecr.${m[2]}.amazonaws.com`,
          },
        ],
      }),
    );
  });
}

/** Options of {@link startFakeGcpMetadata}. */
export interface FakeGcpMetadataOptions {
  readonly accessToken: string;
  /** @default 3599 */
  readonly expiresIn?: number;
}

/** Starts a fake GCE metadata server. Point clients at it with `GCE_METADATA_HOST=127.0.0.1:<port>`. */
export async function startFakeGcpMetadata(options: FakeGcpMetadataOptions): Promise<TestHttpServer> {
  return startHttpServer((req, res) => {
    const flavor = { 'metadata-flavor': 'Google' };
    if (req.headers['metadata-flavor'] !== 'Google') {
      res.writeHead(403, { ...flavor, 'content-type': 'text/html' }).end('Missing Metadata-Flavor header');
      return;
    }
    const path = new URL(req.url, 'http://x').pathname.replace(/\/+$/, '');
    if (path === '/computeMetadata/v1/instance/service-accounts/default/token') {
      res.writeHead(200, { ...flavor, 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: options.accessToken,
          expires_in: options.expiresIn ?? 3599,
          token_type: 'Bearer',
        }),
      );
      return;
    }
    if (path === '/computeMetadata/v1/instance' || path === '/computeMetadata/v1' || path === '') {
      res
        .writeHead(200, { ...flavor, 'content-type': 'application/text' })
        .end('attributes/\nid\nservice-accounts/\n');
      return;
    }
    if (path === '/computeMetadata/v1/project/project-id') {
      res.writeHead(200, { ...flavor, 'content-type': 'application/text' }).end('test-project');
      return;
    }
    if (path === '/computeMetadata/v1/instance/service-accounts/default/email') {
      res
        .writeHead(200, { ...flavor, 'content-type': 'application/text' })
        .end('sa@test-project.iam.gserviceaccount.com');
      return;
    }
    res.writeHead(404, flavor).end();
  });
}

/** Options of {@link startFakeAcr}. */
export interface FakeAcrOptions {
  /** The registry name the fake claims to be (`<name>.azurecr.io`). */
  readonly service: string;
  /** The Entra access token the exchange accepts. */
  readonly aadToken: string;
  /** Repositories and tags. */
  readonly repositories: Readonly<Record<string, readonly string[]>>;
  /** Refresh-token lifetime in seconds (its `exp` claim). @default 3 h */
  readonly refreshTokenSeconds?: number;
}

/** A running fake ACR. */
export interface FakeAcr {
  readonly server: TestHttpServer;
  readonly url: string;
  readonly host: string;
  /** Refresh tokens issued by the exchange. */
  readonly refreshTokens: string[];
  close(): Promise<void>;
}

const ACR_USER = '00000000-0000-0000-0000-000000000000';

/** Starts a fake Azure Container Registry. */
export async function startFakeAcr(options: FakeAcrOptions): Promise<FakeAcr> {
  const refreshTokens: string[] = [];
  const accessTokens = new Set<string>();
  const jwt = (claims: object): string =>
    `${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;
  let base = '';
  const server = await startHttpServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const json = { 'content-type': 'application/json' };
    if (url.pathname === '/oauth2/exchange' && req.method === 'POST') {
      const form = new URLSearchParams(req.text());
      if (
        form.get('grant_type') !== 'access_token' ||
        form.get('access_token') !== options.aadToken ||
        form.get('service') !== options.service
      ) {
        res.writeHead(401, json).end('{"errors":[{"code":"UNAUTHORIZED","message":"invalid access token"}]}');
        return;
      }
      const exp = Math.floor(Date.now() / 1000) + (options.refreshTokenSeconds ?? 3 * 3600);
      const token = jwt({ exp, grant_type: 'refresh_token', aud: options.service, jti: randomUUID() });
      refreshTokens.push(token);
      res.writeHead(200, json).end(JSON.stringify({ refresh_token: token }));
      return;
    }
    if (url.pathname === '/oauth2/token') {
      let refresh: string | undefined;
      let scope: string | null;
      if (req.method === 'POST') {
        const form = new URLSearchParams(req.text());
        refresh =
          form.get('grant_type') === 'refresh_token' ? (form.get('refresh_token') ?? undefined) : undefined;
        scope = form.get('scope');
      } else {
        const auth = req.headers.authorization;
        if (typeof auth === 'string' && auth.startsWith('Basic ')) {
          const [user, ...pw] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
          if (user === ACR_USER) refresh = pw.join(':');
        }
        scope = url.searchParams.get('scope');
      }
      if (!refresh || !refreshTokens.includes(refresh) || !scope) {
        res.writeHead(401, json).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      const token = jwt({ exp: Math.floor(Date.now() / 1000) + 3600, access: scope, jti: randomUUID() });
      accessTokens.add(token);
      res.writeHead(200, json).end(JSON.stringify({ access_token: token }));
      return;
    }
    const challenge = (scope?: string): void => {
      res.writeHead(401, {
        ...json,
        'www-authenticate': `Bearer realm="${base}/oauth2/token",service="${options.service}"${scope ? `,scope="${scope}"` : ''}`,
      });
      res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    };
    const bearer =
      typeof req.headers.authorization === 'string' && accessTokens.has(req.headers.authorization.slice(7));
    if (url.pathname === '/v2/') return bearer ? void res.writeHead(200, json).end('{}') : challenge();
    const m = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    if (m && m[1]! in options.repositories) {
      if (!bearer) return challenge(`repository:${m[1]}:pull`);
      res.writeHead(200, json).end(JSON.stringify({ name: m[1], tags: options.repositories[m[1]!] }));
      return;
    }
    res.writeHead(404, json).end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
  });
  base = server.url;
  return {
    server,
    url: server.url,
    host: `127.0.0.1:${server.port}`,
    refreshTokens,
    close: () => server.close(),
  };
}
