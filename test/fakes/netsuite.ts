import { createHmac, createPublicKey, randomBytes, timingSafeEqual, verify, constants, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local stand-in for NetSuite's REST web services, answering as NetSuite documents them:
 *
 * - `POST /services/rest/auth/oauth2/v1/token`: OAuth 2.0 client credentials. The form carries
 *   `grant_type=client_credentials`, `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
 *   and `client_assertion`, a JWT signed PS256 whose header `kid` is a registered certificate id and
 *   whose claims are `iss` (the integration's client id), `scope` (must hold rest_webservices), `aud`
 *   (the token endpoint), `iat`, `exp` (at most 60 minutes after iat). The signature is verified
 *   against the certificate's public key. Answer: `{access_token, expires_in, token_type}`; errors
 *   `{error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'invalid_scope'}` (400).
 * - Every record request is authorised by a live Bearer token, or by a Token-Based Authentication
 *   header (OAuth 1.0a, HMAC-SHA256, realm = the account id), verified here from the request's own
 *   method, URL and query; a nonce is accepted once, the timestamp within 5 minutes.
 * - `PUT /services/rest/record/v1/{type}/eid:{externalId}`: upsert by external id: 204 and a
 *   Location header `.../record/v1/{type}/{internalId}`, on create and on update alike. A sublist
 *   (`{items: [...]}`) is appended to on update, unless `?replace=<sublist names>` names it: then
 *   its lines are replaced. Journal entries must balance; references `{id}` must exist.
 * - `GET /services/rest/record/v1/{type}/{id | eid:externalId}`.
 * - Errors are NetSuite's: `{type, title, status, "o:errorDetails": [{detail, "o:errorCode"}]}`.
 * - At most `concurrencyLimit` record requests at once: one more is a 429 CONCURRENCY_LIMIT_EXCEEDED;
 *   `maxConcurrency` is the highest number of record requests in flight it saw.
 * - `GET /__fake/records[?type=customer]` (the fake's own, no auth): the records it holds, by type.
 * - Fault injection: the next N requests fail with a 5xx, answers are slowed, the connection is
 *   dropped after a write is applied, a record is refused with a 400.
 */
export interface FakeNetsuiteOptions {
  accountId?: string;
  concurrencyLimit?: number;
  /** Seconds an access token lives (NetSuite: 3600). */
  tokenLifetimeSeconds?: number;
}

export interface FakeRecord {
  id: string;
  externalId: string;
  type: string;
  fields: Record<string, unknown>;
  /** Times it was written (create = 1). */
  writes: number;
}

export interface FakeRequest {
  method: string;
  path: string;
  status: number;
  auth: 'bearer' | 'tba' | 'none' | 'token-endpoint';
}

interface TbaCredentials {
  consumerKey: string;
  consumerSecret: string;
  tokenId: string;
  tokenSecret: string;
}

const RECORD_PREFIX = '/services/rest/record/v1/';
const TOKEN_PATH = '/services/rest/auth/oauth2/v1/token';

export class FakeNetsuite {
  readonly accountId: string;
  concurrencyLimit: number;
  tokenLifetimeSeconds: number;
  /** Records by type, then internal id. */
  readonly records = new Map<string, Map<string, FakeRecord>>();
  readonly requests: FakeRequest[] = [];
  tokensIssued = 0;
  inFlight = 0;
  maxConcurrency = 0;
  rejectedForConcurrency = 0;
  /** Milliseconds every record request waits before it is handled (on top of slowNext). */
  latencyMs = 0;
  baseUrl = '';
  private nextId = 100;
  private readonly certificates = new Map<string, { clientId: string; key: KeyObject }>();
  private tba?: TbaCredentials;
  private readonly tokens = new Map<string, number>();
  private readonly nonces = new Set<string>();
  private failures: { status: number; code: string; detail: string }[] = [];
  private slow: number[] = [];
  private drops = 0;
  private readonly refusals = new Map<string, string>();
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(options: FakeNetsuiteOptions = {}) {
    this.accountId = options.accountId ?? '1234567_SB1';
    this.concurrencyLimit = options.concurrencyLimit ?? 5;
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
  }

  /** An OAuth 2.0 client credentials mapping: the certificate id, its integration's client id and public key (PEM). */
  registerCertificate(certificateId: string, clientId: string, publicKeyPem: string): void {
    this.certificates.set(certificateId, { clientId, key: createPublicKey(publicKeyPem) });
  }

  /** The Token-Based Authentication credentials of one integration record and access token. */
  registerTba(credentials: TbaCredentials): void {
    this.tba = credentials;
  }

  /** Every token issued so far stops working (as if its hour were up). */
  expireTokens(): void {
    for (const k of this.tokens.keys()) this.tokens.set(k, 0);
  }

  /** The next `times` record requests answer `status` (5xx by default) without doing anything. */
  failNext(times = 1, status = 503): void {
    const title = status === 503 ? 'Service Unavailable' : 'Internal Server Error';
    for (let i = 0; i < times; i++) this.failures.push({ status, code: status === 503 ? 'SERVICE_UNAVAILABLE' : 'UNEXPECTED_ERROR', detail: title });
  }

  /** The next `times` record requests wait `ms` before being handled (they hold their concurrency slot). */
  slowNext(times: number, ms: number): void {
    for (let i = 0; i < times; i++) this.slow.push(ms);
  }

  /** The next `times` writes are applied, then the connection is destroyed without an answer. */
  dropAfterApplyNext(times = 1): void {
    this.drops += times;
  }

  /** Writes of this record are refused with a 400 USER_ERROR carrying `detail` (until `accept`). */
  refuse(type: string, externalId: string, detail: string): void {
    this.refusals.set(`${type}:${externalId}`, detail);
  }

  accept(type: string, externalId: string): void {
    this.refusals.delete(`${type}:${externalId}`);
  }

  /** The record of that type and external id, if any. */
  byExternalId(type: string, externalId: string): FakeRecord | undefined {
    return [...(this.records.get(type)?.values() ?? [])].find((r) => r.externalId === externalId);
  }

  all(type: string): FakeRecord[] {
    return [...(this.records.get(type)?.values() ?? [])];
  }

  /** Record requests (PUT/GET) answered, by status. */
  writes(): FakeRequest[] {
    return this.requests.filter((r) => r.method === 'PUT');
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    const { port: bound } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${bound}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    if (url.pathname === TOKEN_PATH && method === 'POST') {
      const out = this.token(raw, `${this.baseUrl}${TOKEN_PATH}`);
      this.requests.push({ method, path: url.pathname, status: out.status, auth: 'token-endpoint' });
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
      return;
    }
    if (url.pathname === '/__fake/records' && method === 'GET') {
      // Not NetSuite's: what the fake holds, for a person watching a demo sync (`npm run fakes`).
      const type = url.searchParams.get('type');
      const out: Record<string, FakeRecord[]> = {};
      for (const [t, byId] of this.records) if (!type || t === type) out[t] = [...byId.values()];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      return;
    }
    if (!url.pathname.startsWith(RECORD_PREFIX)) {
      this.reply(
        res,
        { method, path: url.pathname, auth: 'none' },
        404,
        error(404, 'Not Found', 'NONEXISTENT_PATH', `${url.pathname} is not a REST web services path.`),
      );
      return;
    }
    const auth = this.authenticate(req, method, url);
    const seen = { method, path: url.pathname + url.search, auth: auth.kind };
    if (!auth.ok) {
      this.reply(res, seen, 401, error(401, 'Unauthorized', 'INVALID_LOGIN', auth.detail));
      return;
    }
    this.inFlight++;
    this.maxConcurrency = Math.max(this.maxConcurrency, this.inFlight);
    try {
      if (this.inFlight > this.concurrencyLimit) {
        this.rejectedForConcurrency++;
        this.reply(res, seen, 429, error(429, 'Too Many Requests', 'CONCURRENCY_LIMIT_EXCEEDED', 'Concurrent request limit exceeded. Request blocked.'));
        return;
      }
      const wait = (this.slow.shift() ?? 0) + this.latencyMs;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const failure = this.failures.shift();
      if (failure) {
        this.reply(res, seen, failure.status, error(failure.status, failure.detail, failure.code, 'An unexpected error occurred. Error ID: fake'));
        return;
      }
      const [type, ref] = decodeURIComponent(url.pathname.slice(RECORD_PREFIX.length)).split('/');
      if (!type || !ref) {
        this.reply(res, seen, 404, error(404, 'Not Found', 'NONEXISTENT_PATH', 'Record type and id are required.'));
        return;
      }
      if (method === 'GET') {
        const record = ref.startsWith('eid:') ? this.byExternalId(type, ref.slice(4)) : this.records.get(type)?.get(ref);
        if (!record) {
          this.reply(res, seen, 404, error(404, 'Not Found', 'NONEXISTENT_ID', `The record instance does not exist. Provide a valid record instance ID.`));
          return;
        }
        this.reply(res, seen, 200, { id: record.id, externalId: record.externalId, ...record.fields });
        return;
      }
      if (method !== 'PUT' || !ref.startsWith('eid:')) {
        this.reply(res, seen, 405, error(405, 'Method Not Allowed', 'METHOD_NOT_ALLOWED', `${method} is not supported on this path by the fake.`));
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
      } catch {
        this.reply(res, seen, 400, error(400, 'Bad Request', 'INVALID_CONTENT', 'The request body is not valid JSON.'));
        return;
      }
      const externalId = ref.slice(4);
      const invalid = this.refusals.get(`${type}:${externalId}`) ?? this.validate(type, body);
      if (invalid) {
        this.reply(res, seen, 400, error(400, 'Bad Request', 'USER_ERROR', invalid));
        return;
      }
      const replace = new Set((url.searchParams.get('replace') ?? '').split(',').filter(Boolean));
      const record = this.upsert(type, externalId, body, replace);
      if (this.drops > 0) {
        this.drops--;
        this.requests.push({ ...seen, status: 0 });
        req.socket.destroy();
        return;
      }
      this.reply(res, seen, 204, undefined, { location: `${this.baseUrl}${RECORD_PREFIX}${type}/${record.id}` });
    } finally {
      this.inFlight--;
    }
  }

  private reply(res: ServerResponse, seen: Omit<FakeRequest, 'status'>, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    this.requests.push({ ...seen, status });
    if (body === undefined) {
      res.writeHead(status, headers).end();
      return;
    }
    res.writeHead(status, { 'content-type': status >= 400 ? 'application/vnd.oracle.resource+json; type=error' : 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private upsert(type: string, externalId: string, body: Record<string, unknown>, replace: Set<string>): FakeRecord {
    if (!this.records.has(type)) this.records.set(type, new Map());
    let record = this.byExternalId(type, externalId);
    if (!record) {
      record = { id: String(this.nextId++), externalId, type, fields: {}, writes: 0 };
      this.records.get(type)!.set(record.id, record);
    }
    for (const [k, v] of Object.entries(body)) {
      const sublist = v && typeof v === 'object' && Array.isArray((v as { items?: unknown }).items);
      const current = record.fields[k] as { items: unknown[] } | undefined;
      if (sublist && current && Array.isArray(current.items) && !replace.has(k)) {
        record.fields[k] = { items: [...current.items, ...(v as { items: unknown[] }).items] };
      } else {
        record.fields[k] = sublist ? { items: [...(v as { items: unknown[] }).items] } : v;
      }
    }
    record.writes++;
    return record;
  }

  /** A few of NetSuite's own checks: references exist, journal entries balance. */
  private validate(type: string, body: Record<string, unknown>): string | undefined {
    for (const [field, refType] of [
      ['entity', 'vendor'],
      ['subsidiary', 'subsidiary'],
    ] as const) {
      const ref = body[field] as { id?: string } | undefined;
      if (ref && refType === 'vendor' && type === 'vendorBill' && !this.records.get('vendor')?.has(String(ref.id))) {
        return `Invalid value for field ${field}: ${String(ref.id)}.`;
      }
    }
    if (type === 'journalEntry') {
      const items = ((body.line as { items?: { debit?: number; credit?: number }[] } | undefined)?.items ?? []) as { debit?: number; credit?: number }[];
      let cents = 0;
      for (const l of items) cents += Math.round((l.debit ?? 0) * 100) - Math.round((l.credit ?? 0) * 100);
      if (items.length === 0) return 'You must enter at least one line item for this transaction.';
      if (cents !== 0) return 'The total of the debit and credit amounts must be equal.';
    }
    return undefined;
  }

  private token(raw: string, audience: string): { status: number; body: Record<string, unknown> } {
    const form = new URLSearchParams(raw);
    const bad = (e: string, description: string) => ({ status: 400, body: { error: e, error_description: description } });
    if (form.get('grant_type') !== 'client_credentials') return bad('unsupported_grant_type', 'grant_type must be client_credentials');
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return bad('invalid_request', 'client_assertion_type');
    const parts = (form.get('client_assertion') ?? '').split('.');
    if (parts.length !== 3) return bad('invalid_request', 'client_assertion is not a JWT');
    let header: { alg?: string; kid?: string; typ?: string };
    let claims: { iss?: string; scope?: string | string[]; aud?: string | string[]; iat?: number; exp?: number };
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return bad('invalid_request', 'client_assertion is not a JWT');
    }
    if (header.alg !== 'PS256' && header.alg !== 'RS256' && header.alg !== 'ES256') return bad('invalid_request', 'unsupported alg');
    const cert = this.certificates.get(String(header.kid));
    if (!cert) return bad('invalid_client', 'unknown certificate id (kid)');
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2]!, 'base64url');
    const ok =
      header.alg === 'PS256'
        ? verify('sha256', signed, { key: cert.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
        : verify('sha256', signed, cert.key, signature);
    if (!ok) return bad('invalid_grant', 'the assertion signature does not verify against the certificate');
    if (claims.iss !== cert.clientId) return bad('invalid_client', 'iss is not the client id of this certificate');
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(audience)) return bad('invalid_grant', 'aud must be the token endpoint');
    const scopes = Array.isArray(claims.scope) ? claims.scope : String(claims.scope ?? '').split(/[ ,]+/);
    if (!scopes.includes('rest_webservices')) return bad('invalid_scope', 'scope must include rest_webservices');
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return bad('invalid_grant', 'iat and exp are required');
    if (claims.exp - claims.iat > 3600 || claims.exp <= now || claims.iat > now + 300)
      return bad('invalid_grant', 'the assertion is expired or lives over 60 minutes');
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, Date.now() + this.tokenLifetimeSeconds * 1000);
    this.tokensIssued++;
    return { status: 200, body: { access_token: token, expires_in: String(this.tokenLifetimeSeconds), token_type: 'bearer' } };
  }

  private authenticate(
    req: IncomingMessage,
    method: string,
    url: URL,
  ): { ok: true; kind: FakeRequest['auth'] } | { ok: false; kind: FakeRequest['auth']; detail: string } {
    const header = req.headers.authorization ?? '';
    const login =
      'Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.';
    if (header.startsWith('Bearer ')) {
      const expires = this.tokens.get(header.slice(7));
      return expires !== undefined && expires > Date.now() ? { ok: true, kind: 'bearer' } : { ok: false, kind: 'bearer', detail: login };
    }
    if (header.startsWith('OAuth ')) {
      const params: Record<string, string> = {};
      for (const m of header.slice(6).matchAll(/([a-z_]+)="([^"]*)"/g)) params[m[1]!] = decodeURIComponent(m[2]!);
      const tba = this.tba;
      const fail = { ok: false as const, kind: 'tba' as const, detail: login };
      if (!tba || params.realm !== this.accountId || params.oauth_signature_method !== 'HMAC-SHA256' || params.oauth_version !== '1.0') return fail;
      if (params.oauth_consumer_key !== tba.consumerKey || params.oauth_token !== tba.tokenId) return fail;
      const ts = Number(params.oauth_timestamp);
      if (!Number.isFinite(ts) || Math.abs(ts - Date.now() / 1000) > 300 || !params.oauth_nonce || this.nonces.has(params.oauth_nonce)) return fail;
      const pairs: [string, string][] = [...url.searchParams.entries()];
      for (const [k, v] of Object.entries(params)) if (k.startsWith('oauth_') && k !== 'oauth_signature') pairs.push([k, v]);
      const enc = rfc3986;
      const normalized = pairs
        .map(([k, v]) => [enc(k), enc(v)] as const)
        .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`)
        .join('&');
      const base = `${method.toUpperCase()}&${enc(`${this.baseUrl}${url.pathname}`)}&${enc(normalized)}`;
      const expected = createHmac('sha256', `${enc(tba.consumerSecret)}&${enc(tba.tokenSecret)}`)
        .update(base)
        .digest();
      const got = Buffer.from(params.oauth_signature ?? '', 'base64');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) return fail;
      this.nonces.add(params.oauth_nonce);
      return { ok: true, kind: 'tba' };
    }
    return { ok: false, kind: 'none', detail: login };
  }
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function error(status: number, title: string, code: string, detail: string) {
  const section: Record<number, string> = { 400: '15.5.1', 401: '15.5.2', 404: '15.5.5', 405: '15.5.6', 500: '15.6.1', 503: '15.6.4' };
  return {
    type:
      status === 429
        ? 'https://www.rfc-editor.org/rfc/rfc6585.html#section-4'
        : `https://www.rfc-editor.org/rfc/rfc9110.html#section-${section[status] ?? '15.6.1'}`,
    title,
    status,
    'o:errorDetails': [{ detail, 'o:errorCode': code }],
  };
}

/**
 * For `npm run fakes` (a demo instance pointed at the fake): a fake on a fixed port with a fresh
 * key pair registered, and the NETSUITE_* variables that point AMT at it (OAuth 2.0; the private
 * key is the fake's throwaway one). A subsidiary and chart mapping must still be set in AMT
 * (/netsuite-subsidiaries, /netsuite-account-mappings) for journals and vendor bills.
 */
export async function startNetsuiteFakeForDemo(port = 4010, options: FakeNetsuiteOptions = {}): Promise<{ fake: FakeNetsuite; env: Record<string, string> }> {
  const { generateKeyPairSync } = await import('node:crypto');
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const fake = new FakeNetsuite(options);
  fake.registerCertificate('amt-demo-cert', 'amt-demo-client', keys.publicKey);
  const baseUrl = await fake.start(port);
  return {
    fake,
    env: {
      NETSUITE_DRIVER: 'rest',
      NETSUITE_ACCOUNT_ID: fake.accountId,
      NETSUITE_BASE_URL: baseUrl,
      NETSUITE_AUTH: 'oauth2',
      NETSUITE_CLIENT_ID: 'amt-demo-client',
      NETSUITE_CERTIFICATE_ID: 'amt-demo-cert',
      NETSUITE_PRIVATE_KEY: keys.privateKey.replace(/\n/g, '\\n'),
      NETSUITE_CONCURRENCY: String(fake.concurrencyLimit),
    },
  };
}
