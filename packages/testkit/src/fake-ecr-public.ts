/**
 * A loopback fake of the Amazon ECR Public API (service `ecr-public`, AWS JSON 1.1 protocol), as the
 * AWS SDK's `ECRPUBLICClient` speaks it: `POST /` with `Content-Type: application/x-amz-json-1.1`,
 * `X-Amz-Target: SpencerFrontendService.GetAuthorizationToken` and a SigV4 `Authorization` header
 * (`AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/us-east-1/ecr-public/aws4_request,
 * SignedHeaders=…, Signature=…`). The signature is verified for real (canonical request, string to
 * sign, derived signing key) against the secret of the access key. The answer is
 * `{"authorizationData":{"authorizationToken": base64("AWS:<password>"), "expiresAt": <epoch
 * seconds>}}` (one object, unlike private ECR's list); an unknown key is `UnrecognizedClientException`,
 * a bad signature `InvalidSignatureException`, both HTTP 400 with `x-amzn-errortype`, as AWS answers.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { startHttpServer, type RecordedRequest, type TestHttpServer } from './http-server.js';

/** Options of {@link startFakeEcrPublic}. */
export interface FakeEcrPublicOptions {
  /** Access key id → secret access key pairs the fake accepts. */
  readonly keys: Readonly<Record<string, string>>;
  /** The registry password handed out (the token decodes to `AWS:<password>`). */
  readonly password: string;
  /** When the token expires. @default 12 h from now */
  readonly expiresAt?: Date;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** Recomputes the SigV4 signature of `req` with `secret`; true when it matches. */
export function verifySigV4(
  req: RecordedRequest,
  secret: string,
  auth: { date: string; region: string; service: string; signedHeaders: string; signature: string },
): boolean {
  const url = new URL(req.url, 'http://x');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .sort()
    .join('&');
  const names = auth.signedHeaders.split(';');
  const canonicalHeaders = names
    .map((n) => {
      const v = req.headers[n];
      const value = Array.isArray(v) ? v.join(',') : (v ?? '');
      return `${n}:${value.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const payloadHash =
    typeof req.headers['x-amz-content-sha256'] === 'string'
      ? req.headers['x-amz-content-sha256']
      : sha256(req.body);
  const canonical = [req.method, url.pathname, query, canonicalHeaders, auth.signedHeaders, payloadHash].join(
    '\n',
  );
  const amzDate = typeof req.headers['x-amz-date'] === 'string' ? req.headers['x-amz-date'] : '';
  if (!amzDate.startsWith(auth.date)) return false;
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, auth.date), auth.region), auth.service), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex') === auth.signature;
}

/** Starts a fake ECR Public API endpoint; point the SDK at it with `endpoint`. */
export async function startFakeEcrPublic(options: FakeEcrPublicOptions): Promise<TestHttpServer> {
  return startHttpServer((req, res) => {
    const json = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() };
    const fail = (type: string, message: string): void => {
      res.writeHead(400, { ...json, 'x-amzn-errortype': type });
      res.end(JSON.stringify({ __type: type, message }));
    };
    if (
      req.method !== 'POST' ||
      req.headers['x-amz-target'] !== 'SpencerFrontendService.GetAuthorizationToken' ||
      !String(req.headers['content-type']).startsWith('application/x-amz-json-1.1')
    ) {
      fail('UnknownOperationException', 'unknown operation');
      return;
    }
    const header = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
        header,
      );
    const secret = m ? options.keys[m[1]!] : undefined;
    if (!m || secret === undefined) {
      fail('UnrecognizedClientException', 'The security token included in the request is invalid.');
      return;
    }
    const [, , date, region, service, signedHeaders, signature] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (
      region !== 'us-east-1' ||
      service !== 'ecr-public' ||
      !signedHeaders.split(';').includes('host') ||
      !verifySigV4(req, secret, { date, region, service, signedHeaders, signature })
    ) {
      fail(
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided.',
      );
      return;
    }
    const expiresAt = (options.expiresAt ?? new Date(Date.now() + 12 * 3600_000)).getTime() / 1000;
    res.writeHead(200, json).end(
      JSON.stringify({
        authorizationData: {
          authorizationToken: Buffer.from(`AWS:${options.password}`).toString('base64'),
          expiresAt,
        },
      }),
    );
  });
}
