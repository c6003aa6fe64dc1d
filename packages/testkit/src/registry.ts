/**
 * A real CNCF distribution registry (Debian's `docker-registry`, 2.8) for tests: started on a free
 * loopback port in a fresh temp folder, anonymous, with htpasswd Basic auth, or with token auth
 * against {@link startTokenServer}, over plain HTTP or TLS. Plus a test CA made with `openssl`, a
 * Docker token server signing RS256 JWTs with an `x5c` header, and helpers that push images over
 * the registry HTTP API.
 */
import { spawnSync } from 'node:child_process';
import { createHash, createSign, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { startHttpServer, type TestHttpServer } from './http-server.js';
import { freePort, requireBinary, spawnService, tempDir, type TempDir } from './process.js';

/** PEM material made by {@link createTestCa}. */
export interface TestCertificates {
  /** CA certificate (PEM): give it to clients. */
  readonly caPem: string;
  /** Leaf certificate for `127.0.0.1` and `localhost` (PEM). */
  readonly certPem: string;
  /** Leaf key (PEM). */
  readonly keyPem: string;
  /** File paths of the above. */
  readonly files: { readonly ca: string; readonly cert: string; readonly key: string };
}

function openssl(args: readonly string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/** Makes `<base>.key` and `<base>.crt` in `dir`: a self-signed RSA certificate for `subject`. */
function selfSigned(dir: string, base: string, subject: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${base}.key`,
      '-out',
      `${base}.crt`,
      '-days',
      '2',
      '-subj',
      subject,
    ],
    dir,
  );
}

/**
 * Makes `<base>.key` and `<base>.crt` in `dir`: a leaf certificate with common name `cn` and the
 * subject alternative names `san` (openssl syntax), signed by the CA in `dir` (`ca.crt`, `ca.key`).
 */
async function signLeaf(dir: string, base: string, cn: string, san: string): Promise<void> {
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${base}.key`,
      '-out',
      `${base}.csr`,
      '-subj',
      `/CN=${cn}`,
    ],
    dir,
  );
  await writeFile(join(dir, `${base}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n`);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${base}.crt`,
      '-days',
      '2',
      '-extfile',
      `${base}.ext`,
    ],
    dir,
  );
}

/** Creates a CA and a leaf certificate signed by it (SAN `IP:127.0.0.1`, `DNS:localhost`) in `dir`. */
export async function createTestCa(dir: string): Promise<TestCertificates> {
  selfSigned(dir, 'ca', '/CN=tidewatch-test-ca');
  await signLeaf(dir, 'leaf', 'localhost', 'IP:127.0.0.1,DNS:localhost');
  const files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'leaf.crt'), key: join(dir, 'leaf.key') };
  return {
    caPem: await readFile(files.ca, 'utf8'),
    certPem: await readFile(files.cert, 'utf8'),
    keyPem: await readFile(files.key, 'utf8'),
    files,
  };
}

/** A leaf certificate made by {@link issueTestCertificate}. */
export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * Issues a leaf certificate for `names` (DNS names; IP addresses allowed) signed by the CA that
 * {@link createTestCa} left in `dir` (`ca.crt`, `ca.key`).
 */
export async function issueTestCertificate(
  dir: string,
  names: readonly string[],
): Promise<IssuedCertificate> {
  const id = randomUUID().slice(0, 8);
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  await signLeaf(dir, id, names[0] ?? 'test', san);
  return {
    certPem: await readFile(join(dir, `${id}.crt`), 'utf8'),
    keyPem: await readFile(join(dir, `${id}.key`), 'utf8'),
  };
}

/** Auth modes of {@link startRegistry}. */
export type TestRegistryAuth =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'htpasswd';
      readonly username: string;
      readonly password: string;
      readonly realm?: string;
    }
  | {
      readonly kind: 'token';
      /** Token endpoint URL the registry names in its challenge. */
      readonly realm: string;
      readonly service: string;
      readonly issuer: string;
      /** PEM certificate whose key signs the tokens. */
      readonly certPem: string;
    };

/** Options of {@link startRegistry}. */
export interface StartRegistryOptions {
  /** @default { kind: 'none' } */
  readonly auth?: TestRegistryAuth;
  /** Serve HTTPS with this certificate and key (PEM); with `clientCaPem`, require client certificates it signed. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string; readonly clientCaPem?: string };
}

/** A running distribution registry. */
export interface TestRegistry {
  /** `http(s)://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>`: the registry part of image references. */
  readonly host: string;
  readonly port: number;
  readonly dir: TempDir;
  /** The registry's log so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts Debian's `docker-registry` on a free loopback port with in-memory storage. */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  const bin = requireBinary('docker-registry', 'docker-registry');
  const dir = await tempDir('tidewatch-registry-');
  const port = await freePort();
  const auth = options.auth ?? { kind: 'none' };
  const lines = [
    'version: 0.1',
    'log: {level: warn}',
    'storage:',
    '  inmemory: {}',
    '  delete: {enabled: true}',
    'http:',
    `  addr: "127.0.0.1:${port}"`,
  ];
  if (options.tls) {
    await writeFile(join(dir.path, 'tls.crt'), options.tls.certPem);
    await writeFile(join(dir.path, 'tls.key'), options.tls.keyPem);
    let clientCas = '';
    if (options.tls.clientCaPem) {
      await writeFile(join(dir.path, 'client-ca.crt'), options.tls.clientCaPem);
      clientCas = `, clientcas: [${join(dir.path, 'client-ca.crt')}]`;
    }
    lines.push(
      `  tls: {certificate: ${join(dir.path, 'tls.crt')}, key: ${join(dir.path, 'tls.key')}${clientCas}}`,
    );
  }
  if (auth.kind === 'htpasswd') {
    const htpasswd = requireBinary('htpasswd', 'apache2-utils');
    const r = spawnSync(htpasswd, ['-Bbn', auth.username, auth.password], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
    await writeFile(join(dir.path, 'htpasswd'), r.stdout);
    lines.push(
      'auth:',
      `  htpasswd: {realm: ${auth.realm ?? 'test-realm'}, path: ${join(dir.path, 'htpasswd')}}`,
    );
  } else if (auth.kind === 'token') {
    await writeFile(join(dir.path, 'token.crt'), auth.certPem);
    lines.push(
      'auth:',
      `  token: {realm: "${auth.realm}", service: "${auth.service}", issuer: "${auth.issuer}", rootcertbundle: ${join(dir.path, 'token.crt')}}`,
    );
  }
  const config = join(dir.path, 'config.yml');
  await writeFile(config, `${lines.join('\n')}\n`);
  let service;
  try {
    service = await spawnService(bin, {
      args: ['serve', config],
      port,
      env: { ...process.env, REGISTRY_HTTP_ADDR: `127.0.0.1:${port}` },
    });
  } catch (err) {
    await dir.cleanup();
    throw err;
  }
  const scheme = options.tls ? 'https' : 'http';
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    dir,
    output: () => service.output(),
    stop: async () => {
      await service.stop();
      await dir.cleanup();
    },
  };
}

/** Options of {@link startTokenServer}. */
export interface StartTokenServerOptions {
  readonly issuer: string;
  readonly service: string;
  /** Accepted Basic credentials; absent → every request gets an anonymous token with the scopes asked for. */
  readonly users?: Readonly<Record<string, string>>;
  /** Whether requests without credentials get a token (for pull). @default true when `users` is absent */
  readonly anonymous?: boolean;
  /** Refresh tokens accepted by the OAuth2 POST form, mapped to the user they stand for. */
  readonly refreshTokens?: Readonly<Record<string, string>>;
  /** Token lifetime sent as `expires_in` (omitted when `undefined`). @default 300 */
  readonly expiresIn?: number | undefined;
  /** Answer with `access_token` instead of `token`. @default false */
  readonly accessTokenField?: boolean;
  /** Serve HTTPS. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
}

/** A Docker token server (the distribution "token" auth spec) on loopback. */
export interface TestTokenServer {
  /** The realm URL: `<base>/token`. */
  readonly realm: string;
  /** The signing certificate (give it to the registry as `rootcertbundle`). */
  readonly certPem: string;
  readonly server: TestHttpServer;
  /** Tokens issued so far. */
  readonly issued: string[];
  close(): Promise<void>;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * Starts a token server that speaks the Docker token protocol: `GET /token?service=&scope=…`
 * (repeated `scope`), optionally with Basic credentials, and the OAuth2 `POST /token` form
 * (`grant_type=refresh_token|password`). Tokens are RS256 JWTs whose header carries the signing
 * certificate in `x5c`, as distribution verifies them against `rootcertbundle`.
 */
export async function startTokenServer(options: StartTokenServerOptions): Promise<TestTokenServer> {
  const dir = await tempDir('tidewatch-token-');
  selfSigned(dir.path, 'tok', '/CN=test-token-issuer');
  const certPem = await readFile(join(dir.path, 'tok.crt'), 'utf8');
  const keyPem = await readFile(join(dir.path, 'tok.key'), 'utf8');
  await dir.cleanup();
  const der = Buffer.from(certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64').toString(
    'base64',
  );
  const issued: string[] = [];
  const anonymous = options.anonymous ?? options.users === undefined;
  const sign = (sub: string, scopes: readonly string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes
      .map((s) => s.split(':'))
      .filter((p) => p.length >= 3)
      .map((p) => ({ type: p[0], name: p.slice(1, -1).join(':'), actions: p[p.length - 1]!.split(',') }));
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [der] }));
    const claims = b64url(
      JSON.stringify({
        iss: options.issuer,
        aud: options.service,
        sub,
        iat: now,
        nbf: now - 10,
        exp: now + 600,
        jti: randomUUID(),
        access,
      }),
    );
    const signer = createSign('RSA-SHA256');
    signer.update(`${header}.${claims}`);
    const token = `${header}.${claims}.${signer.sign(keyPem).toString('base64url')}`;
    issued.push(token);
    return token;
  };
  const reply = (res: ServerResponse, token: string): void => {
    const body: Record<string, unknown> = options.accessTokenField ? { access_token: token } : { token };
    const expiresIn = 'expiresIn' in options ? options.expiresIn : 300;
    if (expiresIn !== undefined) body.expires_in = expiresIn;
    body.issued_at = new Date().toISOString();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server = await startHttpServer(
    (req, res) => {
      const url = new URL(req.url, 'http://x');
      if (url.pathname !== '/token') {
        res.writeHead(404).end();
        return;
      }
      if (req.method === 'POST') {
        const form = new URLSearchParams(req.text());
        const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        let user: string | undefined;
        if (form.get('grant_type') === 'refresh_token')
          user = options.refreshTokens?.[form.get('refresh_token') ?? ''];
        else if (form.get('grant_type') === 'password') {
          const u = form.get('username') ?? '';
          if (options.users?.[u] !== undefined && options.users[u] === form.get('password')) user = u;
        }
        if (!user) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
          return;
        }
        const token = sign(user, scopes);
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: token, expires_in: 300, refresh_token: `refresh-${user}` }));
        return;
      }
      const scopes = url.searchParams.getAll('scope');
      const authz = req.headers.authorization;
      let sub = '';
      if (typeof authz === 'string' && authz.startsWith('Basic ')) {
        const [u, ...rest] = Buffer.from(authz.slice(6), 'base64').toString('utf8').split(':');
        if (options.users?.[u ?? ''] === undefined || options.users[u ?? ''] !== rest.join(':')) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="token"' }).end();
          return;
        }
        sub = u!;
      } else if (!anonymous) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="token"' }).end();
        return;
      }
      reply(res, sign(sub, scopes));
    },
    options.tls ? { tls: { key: options.tls.keyPem, cert: options.tls.certPem } } : {},
  );
  return { realm: `${server.url}/token`, certPem, server, issued, close: () => server.close() };
}

/** A platform of a multi-arch image pushed by {@link pushImage}. */
export interface TestPlatform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** Options of {@link pushImage}. */
export interface PushImageOptions {
  /** `Authorization` header value for every request (Basic or Bearer). */
  readonly authorization?: string | ((scope: string) => Promise<string>);
  /** Push one image per platform and an OCI index over them. */
  readonly platforms?: readonly TestPlatform[];
  /** Extra CA for an HTTPS registry. */
  readonly fetch?: typeof fetch;
}

/** What {@link pushImage} pushed. */
export interface PushedImage {
  /** Digest of the tagged manifest (the index for a multi-arch image). */
  readonly digest: string;
  readonly mediaType: string;
  /** Per-platform manifest digests (multi-arch only). */
  readonly platforms: readonly (TestPlatform & { readonly digest: string })[];
}

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Pushes a tiny image to `registryUrl/repository:tag` over the registry HTTP API (blob uploads
 * then `PUT` of an OCI image manifest, or of an OCI index for several platforms).
 */
export async function pushImage(
  registryUrl: string,
  repository: string,
  tag: string,
  options: PushImageOptions = {},
): Promise<PushedImage> {
  const f = options.fetch ?? fetch;
  const authHeaders = async (): Promise<Record<string, string>> => {
    if (!options.authorization) return {};
    const v =
      typeof options.authorization === 'string'
        ? options.authorization
        : await options.authorization(`repository:${repository}:pull,push`);
    return { authorization: v };
  };
  const putBlob = async (data: Buffer): Promise<string> => {
    const digest = sha256(data);
    const start = await f(`${registryUrl}/v2/${repository}/blobs/uploads/`, {
      method: 'POST',
      headers: await authHeaders(),
    });
    if (start.status !== 202)
      throw new Error(`blob upload start failed: ${start.status} ${await start.text()}`);
    const location = new URL(start.headers.get('location')!, registryUrl);
    location.searchParams.set('digest', digest);
    const put = await f(location, {
      method: 'PUT',
      headers: { ...(await authHeaders()), 'content-type': 'application/octet-stream' },
      body: data,
    });
    if (put.status !== 201) throw new Error(`blob upload failed: ${put.status} ${await put.text()}`);
    return digest;
  };
  const putManifest = async (ref: string, mediaType: string, body: string): Promise<string> => {
    const res = await f(`${registryUrl}/v2/${repository}/manifests/${ref}`, {
      method: 'PUT',
      headers: { ...(await authHeaders()), 'content-type': mediaType },
      body,
    });
    if (res.status !== 201) throw new Error(`manifest put failed: ${res.status} ${await res.text()}`);
    return res.headers.get('docker-content-digest') ?? sha256(body);
  };
  const imageManifest = async (platform: TestPlatform): Promise<string> => {
    const config = Buffer.from(
      JSON.stringify({
        architecture: platform.architecture,
        os: platform.os,
        rootfs: { type: 'layers', diff_ids: [] },
      }),
    );
    const layer = Buffer.from(`layer ${repository}:${tag} ${platform.os}/${platform.architecture}`);
    const configDigest = await putBlob(config);
    const layerDigest = await putBlob(layer);
    return JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length },
      ],
    });
  };
  if (!options.platforms || options.platforms.length === 0) {
    const body = await imageManifest({ os: 'linux', architecture: 'amd64' });
    const digest = await putManifest(tag, 'application/vnd.oci.image.manifest.v1+json', body);
    return { digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', platforms: [] };
  }
  const platforms: (TestPlatform & { digest: string })[] = [];
  const entries = [];
  for (const p of options.platforms) {
    const body = await imageManifest(p);
    const digest = await putManifest(sha256(body), 'application/vnd.oci.image.manifest.v1+json', body);
    platforms.push({ ...p, digest });
    entries.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest,
      size: Buffer.byteLength(body),
      platform: p,
    });
  }
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: entries,
  });
  const digest = await putManifest(tag, 'application/vnd.oci.image.index.v1+json', index);
  return { digest, mediaType: 'application/vnd.oci.image.index.v1+json', platforms };
}
