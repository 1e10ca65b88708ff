import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import jwt from 'jsonwebtoken';

/**
 * A local, stateful stand-in for the Salesforce REST API (the parts AMT uses), answering as the
 * documented one does, so the real client (jsforce over node-fetch) is exercised over real HTTP:
 *
 * - OAuth 2.0 JWT bearer flow: `POST /services/oauth2/token` (form: grant_type
 *   urn:ietf:params:oauth:grant-type:jwt-bearer, assertion). The assertion must be RS256, signed by
 *   the registered certificate's key, iss = the connected app's consumer key, sub = the integration
 *   user, aud = the login URL (this server's base URL), exp in the future; else 400
 *   `{error: 'invalid_grant', error_description}`. The answer: access_token, instance_url (this
 *   server), id, token_type Bearer, issued_at. Tokens expire after `tokenTtlMs` (or `expireTokens()`):
 *   an API call with one is 401 `[{message, errorCode: 'INVALID_SESSION_ID'}]`.
 * - Under `/services/data/vNN.N/`:
 *   - `PATCH composite/sobjects/{SObject}/{ExternalIdField}` (sObject Collections upsert): at most
 *     200 records (else 400 EXCEEDED_ID_LIMIT), per-record results `{id, success, errors, created}`
 *     in order, a rejected record `{success: false, errors: [{statusCode, message, fields}]}`.
 *   - `PATCH sobjects/{SObject}/{ExternalIdField}/{value}`: single upsert, 201 created / 200 updated.
 *   - `GET sobjects/{SObject}/{Id}`.
 *   - Bulk API 2.0 ingest: `POST jobs/ingest`, `PUT jobs/ingest/{id}/batches` (CSV), `PATCH
 *     jobs/ingest/{id}` {state: UploadComplete}, `GET jobs/ingest/{id}` (InProgress on the first
 *     poll, then JobComplete), `GET jobs/ingest/{id}/successfulResults|failedResults|unprocessedrecords`.
 *   - `GET query?q=` SOQL (SELECT fields FROM SObject [WHERE a op v AND ...] [ORDER BY f, ...]
 *     [LIMIT n]) paged by `pageSize` with `nextRecordsUrl`, `GET query/{locator}`.
 *   - `GET limits`: DailyApiRequests {Max, Remaining}.
 *   Every API answer carries `Sforce-Limit-Info: api-usage=used/max`; a call past the daily limit
 *   is 403 `[{errorCode: 'REQUEST_LIMIT_EXCEEDED'}]`.
 * - Fault injection: `failNext` (an HTTP status and body, a fixed delay, or a connection dropped
 *   before or after the request was applied), `latencyMs` for every API answer.
 * - `edit()` changes a record as a call-centre user would (SystemModstamp and LastModifiedById
 *   move); `records()`, `requests` and `find()` inspect the state.
 */
export interface FakeSalesforceOptions {
  consumerKey: string;
  username: string;
  /** PEM public key (or certificate) registered on the connected app. */
  publicKey: string;
  tokenTtlMs?: number;
  dailyLimit?: number;
  /** SOQL page size (real: 2000). */
  pageSize?: number;
  latencyMs?: number;
}

export type SfRecord = Record<string, unknown> & { Id: string; SystemModstamp: string; LastModifiedById: string };

export type FakeFault =
  | { status: number; body?: unknown }
  /** Waits this long before handling the request (a slow answer). */
  | { delayMs: number }
  /** Destroys the connection: before applying the request, or after applying it (the write happened, no answer came). */
  | { drop: 'before' | 'after' };

interface FaultRule {
  fault: FakeFault;
  /** Only requests whose "METHOD path" matches. */
  match?: RegExp;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  /** Number of records in a collections upsert or bulk upload. */
  records?: number;
  /** The query string as sent (a SOQL query's `q`, for instance). */
  search?: string;
}

interface IngestJob {
  id: string;
  object: string;
  operation: string;
  externalIdFieldName: string;
  state: 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Aborted' | 'Failed';
  csv: string[];
  polls: number;
  successful: Array<Record<string, string>>;
  failed: Array<Record<string, string>>;
  columns: string[];
}

interface Rejection {
  object: string;
  when: (record: Record<string, unknown>) => boolean;
  error: { statusCode: string; message: string; fields?: string[] };
}

export const INTEGRATION_USER_ID = '005000000000001AAA';
export const CALL_CENTRE_USER_ID = '005000000000002AAA';

const ID_PREFIX: Record<string, string> = { Account: '001', PAYG_Account__c: 'a01' };

export class FakeSalesforce {
  baseUrl = '';
  /** Every API request (token requests included), in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Highest number of API requests in flight at once. */
  maxInFlight = 0;
  latencyMs: number;
  dailyLimit: number;
  apiUsed = 0;
  pageSize: number;
  tokenTtlMs: number;
  private inFlight = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly store = new Map<string, Map<string, SfRecord>>();
  private readonly tokens = new Map<string, number>();
  private readonly faults: FaultRule[] = [];
  private readonly rejections: Rejection[] = [];
  private readonly jobs = new Map<string, IngestJob>();
  private readonly indexes = new Map<string, Map<string, string>>();
  private readonly cursors = new Map<string, { rows: SfRecord[]; fields: string[]; object: string; offset: number }>();
  private seq = 0;
  private lastStamp = 0;
  /** Ids differ between fakes (as between orgs), so several in one test database never collide. */
  private readonly org = randomBytes(4).toString('hex').slice(0, 5).toUpperCase();

  constructor(readonly options: FakeSalesforceOptions) {
    this.latencyMs = options.latencyMs ?? 0;
    this.dailyLimit = options.dailyLimit ?? 1_000_000;
    this.pageSize = options.pageSize ?? 2000;
    this.tokenTtlMs = options.tokenTtlMs ?? 2 * 3600_000;
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` matching API requests (token requests excluded) meet this fault. */
  failNext(fault: FakeFault, times = 1, match?: RegExp): void {
    for (let i = 0; i < times; i++) this.faults.push({ fault, match });
  }

  /** Records of `object` for which `when` holds are refused with this error (per record). */
  reject(object: string, when: (record: Record<string, unknown>) => boolean, error: Rejection['error']): void {
    this.rejections.push({ object, when, error });
  }

  clearRejections(): void {
    this.rejections.length = 0;
  }

  /** Every issued token is expired from now on. */
  expireTokens(): void {
    for (const k of this.tokens.keys()) this.tokens.set(k, 0);
  }

  records(object: string): SfRecord[] {
    return [...(this.store.get(object)?.values() ?? [])];
  }

  find(object: string, field: string, value: unknown): SfRecord | undefined {
    return this.records(object).find((r) => r[field] === value);
  }

  /** Edits a record as a call-centre user would: SystemModstamp and LastModifiedById move. */
  edit(object: string, id: string, changes: Record<string, unknown>): SfRecord {
    const rec = this.store.get(object)?.get(id);
    if (!rec) throw new Error(`no ${object} ${id}`);
    Object.assign(rec, changes, { SystemModstamp: this.stamp(), LastModifiedById: CALL_CENTRE_USER_ID });
    for (const k of [...this.indexes.keys()]) if (k.startsWith(`${object}|`)) this.indexes.delete(k);
    return rec;
  }

  /** Empties the records, jobs, faults and counters (tokens stay valid). */
  reset(): void {
    this.store.clear();
    this.indexes.clear();
    this.jobs.clear();
    this.cursors.clear();
    this.faults.length = 0;
    this.rejections.length = 0;
    this.requests.length = 0;
    this.apiUsed = 0;
    this.maxInFlight = 0;
  }

  /** Counts for `GET /__fake/stats`: records per object, API requests by kind, the highest concurrency seen. */
  stats(): Record<string, unknown> {
    const byKind: Record<string, number> = {};
    for (const r of this.requests) {
      const kind = `${r.method} ${r.path.replace(/\/services\/data\/v[\d.]+/, '').replace(/\/(01g|750)[^/]*/, '/:id')}`;
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
    const records = Object.fromEntries([...this.store.entries()].map(([k, v]) => [k, v.size]));
    const upserted = this.requests.reduce((n, r) => n + (r.records ?? 0), 0);
    return { records, requests: byKind, upsertedRecords: upserted, maxInFlight: this.maxInFlight, apiUsed: this.apiUsed, dailyLimit: this.dailyLimit };
  }

  apiRequests(pattern: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => pattern.test(`${r.method} ${r.path}`));
  }

  /** SystemModstamp: strictly increasing, Salesforce's format (2026-12-06T20:10:00.123+0000). */
  /** External id value -> record Id, per object and field (built on first use; upserts keep it current). */
  private extIndex(object: string, field: string): Map<string, string> {
    const k = `${object}|${field}`;
    let index = this.indexes.get(k);
    if (!index) {
      index = new Map();
      for (const r of this.records(object)) if (r[field] !== undefined && r[field] !== null) index.set(String(r[field]), r.Id);
      this.indexes.set(k, index);
    }
    return index;
  }

  private stamp(): string {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return new Date(this.lastStamp).toISOString().replace('Z', '+0000');
  }

  private newId(object: string): string {
    this.seq += 1;
    return `${ID_PREFIX[object] ?? 'a0Z'}${this.org}${String(this.seq).padStart(7, '0')}AAA`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    const record: RecordedRequest = { method, path: url.pathname, status: 0, search: url.search };
    this.requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      if (res.destroyed) return;
      const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, {
        // Strings: CSV results of bulk jobs, or a plain-text error page (a proxy's 502, a 500 without a body).
        'Content-Type': typeof body === 'string' ? (status < 300 ? 'text/csv' : 'text/plain') : 'application/json;charset=UTF-8',
        ...(url.pathname.startsWith('/services/data/') ? { 'Sforce-Limit-Info': `api-usage=${this.apiUsed}/${this.dailyLimit}` } : {}),
        ...headers,
      });
      res.end(text);
    };
    if (method === 'POST' && url.pathname === '/services/oauth2/token') return send(...this.token(raw));
    // Not Salesforce: the fake's own figures, for a bench or a demo running it in another process.
    if (method === 'GET' && url.pathname === '/__fake/stats') return send(200, this.stats());
    if (!url.pathname.startsWith('/services/data/')) return send(404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);

    const auth = String(req.headers.authorization ?? '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const expiresAt = this.tokens.get(token);
    if (!expiresAt || expiresAt <= Date.now()) return send(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);

    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.latencyMs > 0) await sleep(this.latencyMs);
      const key = `${method} ${url.pathname}`;
      const idx = this.faults.findIndex((f) => !f.match || f.match.test(key));
      const fault = idx >= 0 ? this.faults.splice(idx, 1)[0]!.fault : undefined;
      if (fault && 'delayMs' in fault) await sleep(fault.delayMs);
      if (fault && 'drop' in fault && fault.drop === 'before') {
        record.status = -1;
        req.socket.destroy();
        return;
      }
      if (fault && 'status' in fault) return send(fault.status, fault.body ?? [{ errorCode: 'UNKNOWN_EXCEPTION', message: 'An unexpected error occurred.' }]);
      this.apiUsed += 1;
      if (this.apiUsed > this.dailyLimit) return send(403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
      const [status, body, headers] = this.api(method, url, raw, record);
      if (fault && 'drop' in fault) {
        record.status = -2;
        req.socket.destroy();
        return;
      }
      return send(status, body, headers);
    } catch (err) {
      return send(500, [{ errorCode: 'UNKNOWN_EXCEPTION', message: (err as Error).message }]);
    } finally {
      this.inFlight -= 1;
    }
  }

  private token(raw: string): [number, unknown] {
    const form = new URLSearchParams(raw);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return [400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' }];
    }
    try {
      jwt.verify(form.get('assertion') ?? '', this.options.publicKey, {
        algorithms: ['RS256'],
        issuer: this.options.consumerKey,
        subject: this.options.username,
        audience: this.baseUrl,
      });
    } catch (err) {
      const e = err as Error;
      if (/jwt issuer invalid/.test(e.message)) return [400, { error: 'invalid_client_id', error_description: 'client identifier invalid' }];
      if (/jwt subject invalid/.test(e.message)) return [400, { error: 'invalid_grant', error_description: 'user hasn\u2019t approved this consumer' }];
      if (/expired/.test(e.message)) return [400, { error: 'invalid_grant', error_description: 'expired authorization code' }];
      if (/audience/.test(e.message)) return [400, { error: 'invalid_grant', error_description: 'audience is invalid' }];
      return [400, { error: 'invalid_grant', error_description: 'invalid assertion' }];
    }
    const accessToken = `00D000000000001!${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, Date.now() + this.tokenTtlMs);
    return [
      200,
      {
        access_token: accessToken,
        scope: 'api',
        instance_url: this.baseUrl,
        id: `${this.baseUrl}/id/00D000000000001AAA/${INTEGRATION_USER_ID}`,
        token_type: 'Bearer',
        issued_at: String(Date.now()),
      },
    ];
  }

  private api(method: string, url: URL, raw: string, rec: RecordedRequest): [number, unknown, Record<string, string>?] {
    const m = /^\/services\/data\/v(\d+\.\d)\/(.*)$/.exec(url.pathname);
    if (!m) return [404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]];
    const rest = m[2]!.split('/').map(decodeURIComponent);
    const body = () => (raw ? (JSON.parse(raw) as Record<string, unknown>) : {});

    if (method === 'PATCH' && rest[0] === 'composite' && rest[1] === 'sobjects' && rest.length === 4) {
      const { records, allOrNone } = body() as { records?: Record<string, unknown>[]; allOrNone?: boolean };
      if (!Array.isArray(records)) return [400, [{ errorCode: 'JSON_PARSER_ERROR', message: 'records is required' }]];
      rec.records = records.length;
      if (records.length > 200) {
        return [400, [{ errorCode: 'EXCEEDED_ID_LIMIT', message: 'record limit reached. cannot submit more than 200 records into this call' }]];
      }
      const [object, extField] = [rest[2]!, rest[3]!];
      const problems = records.map((r) => this.problemOf(object, extField, r));
      if (allOrNone && problems.some((p) => p)) {
        return [
          200,
          records.map((_, i) => ({
            success: false,
            errors: [
              problems[i] ?? { statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid.', fields: [] },
            ],
          })),
        ];
      }
      return [
        200,
        records.map((r, i) => {
          if (problems[i]) return { success: false, errors: [problems[i]] };
          const { id, created } = this.upsert(object, extField, r);
          return { id, success: true, errors: [], created };
        }),
      ];
    }
    if (method === 'PATCH' && rest[0] === 'sobjects' && rest.length === 4) {
      const [object, extField, value] = [rest[1]!, rest[2]!, rest[3]!];
      const r = { ...body(), [extField]: value };
      const problem = this.problemOf(object, extField, r);
      if (problem) return [400, [{ message: problem.message, errorCode: problem.statusCode, fields: problem.fields }]];
      const { id, created } = this.upsert(object, extField, r);
      return [created ? 201 : 200, { id, success: true, errors: [], created }];
    }
    if (method === 'GET' && rest[0] === 'sobjects' && rest.length === 3) {
      const found = this.store.get(rest[1]!)?.get(rest[2]!);
      return found ? [200, { attributes: { type: rest[1] }, ...found }] : [404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]];
    }
    if (method === 'GET' && rest[0] === 'limits') {
      return [200, { DailyApiRequests: { Max: this.dailyLimit, Remaining: Math.max(0, this.dailyLimit - this.apiUsed) } }];
    }
    if (method === 'GET' && rest[0] === 'query' && rest.length === 1) return this.query(url.searchParams.get('q') ?? '', m[1]!);
    if (method === 'GET' && rest[0] === 'query' && rest.length === 2) return this.page(rest[1]!, m[1]!);
    if (rest[0] === 'jobs' && rest[1] === 'ingest') return this.ingest(method, rest.slice(2), raw, rec);
    return [404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]];
  }

  private problemOf(object: string, extField: string, r: Record<string, unknown>): Rejection['error'] | undefined {
    const ext = r[extField];
    if (ext === undefined || ext === null || ext === '') {
      return { statusCode: 'MISSING_ARGUMENT', message: `${extField} not specified`, fields: [extField] };
    }
    const type = (r.attributes as { type?: string } | undefined)?.type;
    if (type && type !== object) return { statusCode: 'INVALID_TYPE', message: `record type ${type} does not match ${object}`, fields: [] };
    return this.rejections.find((x) => x.object === object && x.when(r))?.error;
  }

  private upsert(object: string, extField: string, input: Record<string, unknown>): { id: string; created: boolean } {
    const { attributes: _a, Id: _id, ...fields } = input;
    if (!this.store.has(object)) this.store.set(object, new Map());
    const table = this.store.get(object)!;
    const index = this.extIndex(object, extField);
    const key = String(fields[extField]);
    const existing = index.has(key) ? table.get(index.get(key)!) : undefined;
    const stamp = this.stamp();
    if (existing && String(existing[extField]) === key) {
      Object.assign(existing, fields, { SystemModstamp: stamp, LastModifiedById: INTEGRATION_USER_ID });
      return { id: existing.Id, created: false };
    }
    const id = this.newId(object);
    table.set(id, { ...fields, Id: id, CreatedDate: stamp, SystemModstamp: stamp, LastModifiedById: INTEGRATION_USER_ID });
    index.set(key, id);
    return { id, created: true };
  }

  private query(soql: string, version: string): [number, unknown] {
    const m = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(.+?))?(?:\s+LIMIT\s+(\d+))?\s*$/i.exec(soql);
    if (!m) return [400, [{ errorCode: 'MALFORMED_QUERY', message: `unexpected token in: ${soql.slice(0, 100)}` }]];
    const fields = m[1]!.split(',').map((f) => f.trim());
    const object = m[2]!;
    let rows = this.records(object);
    if (m[3]) {
      for (const cond of m[3].split(/\s+AND\s+/i)) {
        const c = /^(\w+)\s*(>=|<=|!=|=|>|<)\s*(.+)$/.exec(cond.trim());
        if (!c) return [400, [{ errorCode: 'MALFORMED_QUERY', message: `unexpected condition: ${cond}` }]];
        const [, field, op, literal] = c as unknown as [string, string, string, string];
        const value = parseLiteral(literal);
        rows = rows.filter((r) => compare(normalise(r[field]), op, value));
      }
    }
    if (m[4]) {
      const keys = m[4].split(',').map((k) => k.trim().split(/\s+/)[0]!);
      rows = [...rows].sort((a, b) => {
        for (const k of keys) {
          const x = normalise(a[k]);
          const y = normalise(b[k]);
          if (x === y) continue;
          return x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
        }
        return 0;
      });
    }
    if (m[5]) rows = rows.slice(0, Number(m[5]));
    const locator = `01g${randomBytes(6).toString('hex')}`;
    this.cursors.set(locator, { rows, fields, object, offset: 0 });
    return this.page(`${locator}-0`, version);
  }

  private page(locatorAndOffset: string, version: string): [number, unknown] {
    const [locator, offsetText] = locatorAndOffset.split('-');
    const cursor = this.cursors.get(locator ?? '');
    if (!cursor) return [400, [{ errorCode: 'INVALID_QUERY_LOCATOR', message: 'invalid query locator' }]];
    const offset = Number(offsetText ?? 0);
    const slice = cursor.rows.slice(offset, offset + this.pageSize);
    const next = offset + slice.length;
    const done = next >= cursor.rows.length;
    return [
      200,
      {
        totalSize: cursor.rows.length,
        done,
        ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${locator}-${next}` }),
        records: slice.map((r) => ({
          attributes: { type: cursor.object, url: `/services/data/v${version}/sobjects/${cursor.object}/${r.Id}` },
          ...Object.fromEntries(cursor.fields.map((f) => [f, r[f] ?? null])),
        })),
      },
    ];
  }

  private jobInfo(job: IngestJob) {
    return {
      id: job.id,
      operation: job.operation,
      object: job.object,
      createdById: INTEGRATION_USER_ID,
      state: job.state,
      externalIdFieldName: job.externalIdFieldName,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: 62.0,
      jobType: 'V2Ingest',
      lineEnding: 'LF',
      columnDelimiter: 'COMMA',
      numberRecordsProcessed: job.successful.length + job.failed.length,
      numberRecordsFailed: job.failed.length,
      contentUrl: `services/data/v62.0/jobs/ingest/${job.id}/batches`,
    };
  }

  private ingest(method: string, rest: string[], raw: string, rec: RecordedRequest): [number, unknown, Record<string, string>?] {
    if (method === 'POST' && rest.length === 0) {
      const b = JSON.parse(raw || '{}') as Record<string, string>;
      if (!b.object || !b.operation) return [400, [{ errorCode: 'INVALIDJOB', message: 'object and operation are required' }]];
      if (b.operation === 'upsert' && !b.externalIdFieldName)
        return [400, [{ errorCode: 'INVALIDJOB', message: 'externalIdFieldName is required for upsert' }]];
      const job: IngestJob = {
        id: `750${randomBytes(6).toString('hex')}`,
        object: b.object,
        operation: b.operation,
        externalIdFieldName: b.externalIdFieldName ?? 'Id',
        state: 'Open',
        csv: [],
        polls: 0,
        successful: [],
        failed: [],
        columns: [],
      };
      this.jobs.set(job.id, job);
      return [200, this.jobInfo(job)];
    }
    const job = this.jobs.get(rest[0] ?? '');
    if (!job) return [404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]];
    if (method === 'PUT' && rest[1] === 'batches') {
      if (job.state !== 'Open') return [409, [{ errorCode: 'INVALIDJOBSTATE', message: `Job is in state ${job.state}` }]];
      job.csv.push(raw);
      rec.records = Math.max(0, parseCsv(raw).length - 1);
      return [201, undefined];
    }
    if (method === 'PATCH' && rest.length === 1) {
      const { state } = JSON.parse(raw || '{}') as { state?: string };
      if (state === 'Aborted') job.state = 'Aborted';
      else if (state === 'UploadComplete' && job.state === 'Open') {
        job.state = 'UploadComplete';
        this.process(job);
      } else return [409, [{ errorCode: 'INVALIDJOBSTATE', message: `cannot move from ${job.state} to ${state}` }]];
      return [200, this.jobInfo(job)];
    }
    if (method === 'GET' && rest.length === 1) {
      job.polls += 1;
      if (job.state === 'UploadComplete') job.state = 'InProgress';
      else if (job.state === 'InProgress') job.state = 'JobComplete';
      return [200, this.jobInfo(job)];
    }
    if (method === 'GET' && rest[1] === 'successfulResults') return [200, toCsv(['sf__Id', 'sf__Created', ...job.columns], job.successful)];
    if (method === 'GET' && rest[1] === 'failedResults') return [200, toCsv(['sf__Id', 'sf__Error', ...job.columns], job.failed)];
    if (method === 'GET' && rest[1] === 'unprocessedrecords') return [200, toCsv(job.columns, [])];
    if (method === 'DELETE' && rest.length === 1) {
      this.jobs.delete(job.id);
      return [204, undefined];
    }
    return [404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]];
  }

  /** Applies an uploaded job's rows (when its upload completes; results are read after JobComplete). */
  private process(job: IngestJob): void {
    for (const text of job.csv) {
      const rows = parseCsv(text);
      const header = rows.shift() ?? [];
      for (const h of header) if (!job.columns.includes(h)) job.columns.push(h);
      for (const row of rows) {
        const strings = Object.fromEntries(header.map((h, i) => [h, row[i] ?? '']));
        // Bulk CSV: '#N/A' sets a field to null, an empty value leaves it unchanged.
        const fields: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(strings)) {
          if (v === '#N/A') fields[k] = null;
          else if (v !== '') fields[k] = v;
        }
        const problem = this.problemOf(job.object, job.externalIdFieldName, fields);
        if (problem) {
          job.failed.push({ ...strings, sf__Id: '', sf__Error: `${problem.statusCode}:${problem.message}:${(problem.fields ?? []).join(',')}` });
          continue;
        }
        const { id, created } = this.upsert(job.object, job.externalIdFieldName, fields);
        job.successful.push({ ...strings, sf__Id: id, sf__Created: String(created) });
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** SOQL literal: null, true/false, 'string', a number, or a datetime (2026-12-06T10:00:00Z / .000+0000). */
function parseLiteral(text: string): string | number | boolean | null {
  const t = text.trim();
  if (/^null$/i.test(t)) return null;
  if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
  if (t.startsWith("'") && t.endsWith("'")) return t.slice(1, -1).replace(/\\'/g, "'");
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) return new Date(t.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')).getTime();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  throw new Error(`unsupported literal ${t}`);
}

/** A stored value as comparable: datetimes to epoch ms. */
function normalise(v: unknown): string | number | boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(v)) return new Date(v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')).getTime();
  return v as string | number | boolean;
}

function compare(a: string | number | boolean | null, op: string, b: string | number | boolean | null): boolean {
  if (op === '=') return a === b;
  if (op === '!=') return a !== b;
  if (a === null || b === null) return false;
  if (op === '>') return a > b;
  if (op === '>=') return a >= b;
  if (op === '<') return a < b;
  return a <= b;
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function toCsv(columns: string[], rows: Array<Record<string, string>>): string {
  const cell = (v: string | undefined) => `"${String(v ?? '').replace(/"/g, '""')}"`;
  return [columns.map(cell).join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}
