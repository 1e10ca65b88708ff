import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local S3-compatible server for the document store's tests: a real HTTP server on 127.0.0.1,
 * path-style addressing (`/<bucket>/<key>`), answering as S3 does:
 * - every request must carry an AWS Signature Version 4 `Authorization` header; the fake rebuilds
 *   the canonical request (method, path, sorted query, the signed headers, the payload hash) and
 *   recomputes the signature with the registered secret: an unknown access key is 403
 *   InvalidAccessKeyId, a wrong signature 403 SignatureDoesNotMatch, a payload whose SHA-256 is not
 *   the signed `x-amz-content-sha256` 400 XAmzContentSHA256Mismatch, a date 15+ minutes off 403
 *   RequestTimeTooSkewed;
 * - PutObject (200, ETag = MD5), GetObject (200 with the bytes; 404 NoSuchKey), HeadObject (200
 *   headers only; 404 without a body), DeleteObject (204, also for a missing key); an unknown
 *   bucket is 404 NoSuchBucket;
 * - error bodies are S3's XML `<Error><Code>..</Code><Message>..</Message>...</Error>`;
 * - a fault switch: the next N requests (after the signature check) answer 500 InternalError.
 */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StoredObject {
  bytes: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
}

export interface S3Request {
  method: string;
  path: string;
  status: number;
  /** The error code answered, if any. */
  code?: string;
}

export class FakeS3 {
  /** bucket -> key -> object */
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  readonly requests: S3Request[] = [];
  private faults = 0;
  private server?: Server;
  baseUrl = '';

  constructor(
    private readonly credentials: S3Credentials,
    buckets: string[],
    readonly region = 'us-east-1',
  ) {
    for (const b of buckets) this.buckets.set(b, new Map());
  }

  /** The next `times` requests with a good signature answer 500 InternalError (nothing is written). */
  failNext(times = 1): void {
    this.faults += times;
  }

  /** Turns the fault switch off (faults not yet used are dropped). */
  clearFaults(): void {
    this.faults = 0;
  }

  object(bucket: string, key: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  keys(bucket: string): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])];
  }

  /** Changes a stored object behind the API's back (tests of the checksum check). */
  tamper(bucket: string, key: string, bytes: Buffer): void {
    const o = this.object(bucket, key);
    if (o) o.bytes = bytes;
  }

  async start(port = 0): Promise<string> {
    this.server = createServer(
      (req, res) => void this.handle(req, res).catch(() => this.send(req, res, 500, 'InternalError', 'We encountered an internal error.')),
    );
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://fake');

    const denied = this.checkSignature(req, url, body);
    if (denied) return this.send(req, res, denied.status, denied.code, denied.message);
    if (this.faults > 0) {
      this.faults--;
      return this.send(req, res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
    }

    const [, bucketName, ...rest] = url.pathname.split('/');
    const key = rest.map((s) => decodeURIComponent(s)).join('/');
    const bucket = this.buckets.get(decodeURIComponent(bucketName ?? ''));
    if (!bucket) return this.send(req, res, 404, 'NoSuchBucket', 'The specified bucket does not exist.');
    if (!key) return this.send(req, res, 501, 'NotImplemented', 'Only object operations are implemented by this fake.');

    switch (req.method) {
      case 'PUT': {
        const md5 = req.headers['content-md5'];
        if (md5 && createHash('md5').update(body).digest('base64') !== md5) {
          return this.send(req, res, 400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
        }
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        bucket.set(key, { bytes: body, contentType: String(req.headers['content-type'] ?? 'application/octet-stream'), etag, lastModified: new Date() });
        return this.ok(req, res, 200, { ETag: etag });
      }
      case 'GET':
      case 'HEAD': {
        const o = bucket.get(key);
        if (!o) return this.send(req, res, 404, 'NoSuchKey', 'The specified key does not exist.', key);
        const headers = {
          ETag: o.etag,
          'Content-Type': o.contentType,
          'Content-Length': String(o.bytes.length),
          'Last-Modified': o.lastModified.toUTCString(),
        };
        return this.ok(req, res, 200, headers, req.method === 'GET' ? o.bytes : undefined);
      }
      case 'DELETE':
        bucket.delete(key);
        return this.ok(req, res, 204);
      default:
        return this.send(req, res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
  }

  /** SigV4 as S3 checks it; undefined when the request is signed by the registered key. */
  private checkSignature(req: IncomingMessage, url: URL, body: Buffer): { status: number; code: string; message: string } | undefined {
    const auth = String(req.headers.authorization ?? '');
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
    const [, accessKeyId, day, region, signedHeaders, signature] = m;
    if (accessKeyId !== this.credentials.accessKeyId) {
      return { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
    }
    if (region !== this.region)
      return { status: 400, code: 'AuthorizationHeaderMalformed', message: `the region '${region}' is wrong; expecting '${this.region}'` };
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const when = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!when || !amzDate.startsWith(day))
      return { status: 403, code: 'AccessDenied', message: 'x-amz-date is missing or does not match the credential scope' };
    const at = Date.UTC(+when[1], +when[2] - 1, +when[3], +when[4], +when[5], +when[6]);
    if (Math.abs(Date.now() - at) > 15 * 60_000) {
      return { status: 403, code: 'RequestTimeTooSkewed', message: 'The difference between the request time and the current time is too large.' };
    }
    const headerNames = signedHeaders.split(';');
    if (!headerNames.includes('host') || !headerNames.includes('x-amz-content-sha256')) {
      return { status: 403, code: 'AccessDenied', message: 'host and x-amz-content-sha256 must be signed' };
    }
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
    if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== createHash('sha256').update(body).digest('hex')) {
      return { status: 400, code: 'XAmzContentSHA256Mismatch', message: "The provided 'x-amz-content-sha256' header does not match what was computed." };
    }

    const canonicalHeaders = headerNames
      .map(
        (h) =>
          `${h}:${String(req.headers[h] ?? '')
            .trim()
            .replace(/\s+/g, ' ')}\n`,
      )
      .join('');
    const canonicalRequest = [req.method, url.pathname, canonicalQuery(url), canonicalHeaders, signedHeaders, payloadHash].join('\n');
    const scope = `${day}/${region}/s3/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonicalRequest)].join('\n');
    let key: Buffer = hmac(`AWS4${this.credentials.secretAccessKey}`, day);
    for (const part of [region, 's3', 'aws4_request']) key = hmac(key, part);
    const expected = hmac(key, stringToSign);
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      return {
        status: 403,
        code: 'SignatureDoesNotMatch',
        message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      };
    }
    return undefined;
  }

  private ok(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string> = {}, body?: Buffer): void {
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', status });
    res.writeHead(status, { 'x-amz-request-id': requestId(), ...headers });
    res.end(body);
  }

  private send(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, key?: string): void {
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', status, code });
    const id = requestId();
    // A HEAD answer has no body: S3 gives the status alone.
    if (req.method === 'HEAD') {
      res.writeHead(status, { 'x-amz-request-id': id });
      res.end();
      return;
    }
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${key ? `<Key>${escapeXml(key)}</Key>` : ''}<RequestId>${id}</RequestId><HostId>${randomBytes(24).toString('base64')}</HostId></Error>`;
    res.writeHead(status, { 'Content-Type': 'application/xml', 'x-amz-request-id': id, 'Content-Length': String(Buffer.byteLength(xml)) });
    res.end(xml);
  }
}

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept, everything else %XX upper-case). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(url: URL): string {
  return [...url.searchParams.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const sha256hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const requestId = () => randomBytes(8).toString('hex').toUpperCase();
const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
