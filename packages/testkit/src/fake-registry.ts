/**
 * A loopback fake of an OCI Distribution registry, for behaviours the real distribution 2.8
 * cannot show. It reproduces the OCI Distribution Spec v1.1 "content discovery" endpoint
 * `GET /v2/<name>/tags/list?n=<int>&last=<tag>` answering `{"name","tags"}` with a
 * `Link: <…?n=…&last=…>; rel="next"` header while more tags remain (relative or absolute), the
 * `/v2/` ping, the `WWW-Authenticate` Basic/Bearer challenges of the Docker registry auth spec,
 * `HEAD`/`GET /v2/<name>/manifests/<tag>` with `Docker-Content-Digest`, ECR's `405` for `n > 1000`
 * ("Member must have value less than or equal to 1000"), Docker Hub's `ratelimit-limit`,
 * `ratelimit-remaining` and `docker-ratelimit-source` headers, and `"tags": null` for an empty
 * repository. Responses are precomputed where possible so that it is fast enough for benchmarks.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { startHttpServer, type RecordedRequest, type TestHttpServer } from './http-server.js';

/** Options of {@link startFakeRegistry}. */
export interface FakeRegistryOptions {
  /** Repositories and their tags, in the order the registry returns them; `null` → `"tags": null`. */
  readonly repositories: Readonly<Record<string, readonly string[] | null>>;
  /** Largest page the server sends whatever `n` asks for (like GHCR's 100). @default no cap */
  readonly maxPageSize?: number;
  /** Write `Link` targets as absolute URLs. @default false (relative `/v2/...`, the common case) */
  readonly absoluteLinks?: boolean;
  /** Require auth. */
  readonly auth?:
    | { readonly kind: 'basic'; readonly username: string; readonly password: string }
    | {
        readonly kind: 'bearer';
        readonly realm: string;
        readonly service: string;
        readonly tokens: ReadonlySet<string>;
      };
  /** Refuse `n > 1000` with ECR's 405 body. @default false */
  readonly ecr?: boolean;
  /** Headers added to every response (e.g. Docker Hub's `ratelimit-*`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Serve HTTPS. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  /** Keep no request log (for benchmarks). @default false */
  readonly noLog?: boolean;
}

/** A running fake registry. */
export interface FakeRegistry {
  readonly url: string;
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly server: TestHttpServer;
  close(): Promise<void>;
}

function manifestFor(repo: string, tag: string): { body: string; digest: string } {
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: `sha256:${'0'.repeat(64)}`,
      size: 2,
    },
    layers: [],
    annotations: { ref: `${repo}:${tag}` },
  });
  return { body, digest: `sha256:${createHash('sha256').update(body).digest('hex')}` };
}

/** Starts the fake registry on a free loopback port. */
export async function startFakeRegistry(options: FakeRegistryOptions): Promise<FakeRegistry> {
  const extra = options.headers ?? {};
  // Precomputed single-page answers keyed by repository, for the common `n >= tags` case.
  const whole = new Map<string, string>();
  for (const [name, tags] of Object.entries(options.repositories))
    whole.set(name, JSON.stringify({ name, tags }));
  let base = '';
  const authorised = (req: RecordedRequest): boolean => {
    const auth = options.auth;
    if (!auth) return true;
    const h = req.headers.authorization;
    if (typeof h !== 'string') return false;
    if (auth.kind === 'basic')
      return h === `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    return h.startsWith('Bearer ') && auth.tokens.has(h.slice(7));
  };
  const challenge = (res: ServerResponse, scope?: string): void => {
    const auth = options.auth!;
    const value =
      auth.kind === 'basic'
        ? 'Basic realm="fake"'
        : `Bearer realm="${auth.realm}",service="${auth.service}"${scope ? `,scope="${scope}"` : ''}`;
    res.writeHead(401, { ...extra, 'www-authenticate': value, 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
  };
  const server = await startHttpServer(
    (req, res) => {
      if (options.noLog) server.requests.length = 0;
      const url = new URL(req.url, 'http://x');
      if (url.pathname === '/v2/' || url.pathname === '/v2') {
        if (!authorised(req)) return challenge(res);
        res.writeHead(200, { ...extra, 'content-type': 'application/json' }).end('{}');
        return;
      }
      const tagsMatch = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
      const manifestMatch = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
      const name = tagsMatch?.[1] ?? manifestMatch?.[1];
      if (name === undefined || !(name in options.repositories)) {
        res.writeHead(404, { ...extra, 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
        return;
      }
      if (!authorised(req)) return challenge(res, `repository:${name}:pull`);
      const tags = options.repositories[name] ?? null;
      if (manifestMatch) {
        const tag = manifestMatch[2]!;
        if (!tags?.includes(tag)) {
          res
            .writeHead(404, { ...extra, 'content-type': 'application/json' })
            .end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
          return;
        }
        const m = manifestFor(name, tag);
        res.writeHead(200, {
          ...extra,
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': m.digest,
          'content-length': Buffer.byteLength(m.body),
        });
        res.end(req.method === 'HEAD' ? undefined : m.body);
        return;
      }
      const nParam = url.searchParams.get('n');
      const n = nParam === null ? Number.POSITIVE_INFINITY : Number(nParam);
      if (options.ecr && n > 1000) {
        res.writeHead(405, { ...extra, 'content-type': 'application/json' });
        res.end(
          '{"errors":[{"code":"UNSUPPORTED","message":"Invalid parameter at \'maxResults\' failed to satisfy constraint: \'Member must have value less than or equal to 1000\'"}]}',
        );
        return;
      }
      const size = Math.min(n, options.maxPageSize ?? Number.POSITIVE_INFINITY);
      const last = url.searchParams.get('last');
      const all = tags ?? [];
      const start = last === null ? 0 : all.indexOf(last) + 1;
      const page = all.slice(start, start + size);
      const headers: Record<string, string> = { ...extra, 'content-type': 'application/json' };
      const more = start + page.length < all.length;
      if (more) {
        const next = `/v2/${name}/tags/list?n=${Number.isFinite(size) ? size : all.length}&last=${encodeURIComponent(page[page.length - 1]!)}`;
        headers.link = `<${options.absoluteLinks ? base : ''}${next}>; rel="next"`;
      }
      const body =
        start === 0 && !more ? whole.get(name)! : JSON.stringify({ name, tags: tags === null ? null : page });
      res.writeHead(200, headers).end(body);
    },
    options.tls ? { tls: { key: options.tls.keyPem, cert: options.tls.certPem } } : {},
  );
  base = server.url;
  return { url: server.url, host: `127.0.0.1:${server.port}`, server, close: () => server.close() };
}
