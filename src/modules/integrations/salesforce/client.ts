import jsforce, { type Connection } from 'jsforce';
import jwt from 'jsonwebtoken';
import type { SalesforceConfig } from '../../../platform/config';

type RestConfig = Extract<SalesforceConfig, { driver: 'rest' }>;

/** A Salesforce REST error: `errorCode` is Salesforce's (INVALID_SESSION_ID, REQUEST_LIMIT_EXCEEDED...), or ERROR_HTTP_<status>. */
export class SalesforceError extends Error {
  constructor(
    message: string,
    readonly errorCode: string,
    /** True when another attempt may succeed (5xx, timeouts, lost connections, limits). */
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'SalesforceError';
  }
}

export interface ApiUsage {
  used: number;
  limit: number;
  /** When the figure was read (epoch ms). */
  at: number;
}

/** One record's result in an sObject Collections upsert. */
export interface SaveResult {
  id?: string;
  success: boolean;
  created?: boolean;
  errors: Array<{ statusCode: string; message: string; fields?: string[] }>;
}

/**
 * Whole-request errors worth another attempt. Authentication failures are among them: the items
 * stay pending (and the status shows the error) until the connected app or the key is fixed.
 */
const TRANSIENT_CODES = new Set([
  'INVALID_SESSION_ID',
  'invalid_grant',
  'invalid_client_id',
  'invalid_client',
  'REQUEST_LIMIT_EXCEEDED',
  'UNABLE_TO_LOCK_ROW',
  'SERVER_UNAVAILABLE',
  'UNKNOWN_EXCEPTION',
  'API_CURRENTLY_DISABLED',
]);

/**
 * The Salesforce REST API through jsforce 3. jsforce has no JWT bearer login, so the token is
 * fetched here (RS256 assertion: iss consumer key, sub integration user, aud login URL, 3 minutes)
 * and handed to a jsforce Connection (instanceUrl, accessToken, version). The token is cached; a
 * 401 INVALID_SESSION_ID gets a new token and one retry of the call, never more. jsforce's own
 * session refresh is not used (it would refresh in a loop on a token the org keeps refusing).
 * Sforce-Limit-Info is read from every answer (jsforce parses it into conn.limitInfo).
 */
export class SalesforceClient {
  private conn?: Connection;
  private connecting?: Promise<Connection>;
  usage?: ApiUsage;
  /** Token requests made (tests count refreshes). */
  tokenRequests = 0;

  constructor(readonly config: RestConfig) {}

  get apiPath(): string {
    return `/services/data/v${this.config.apiVersion}`;
  }

  /** The bearer assertion: signed with the private key, which never leaves this function. */
  private assertion(): string {
    return jwt.sign({}, this.config.privateKey, {
      algorithm: 'RS256',
      issuer: this.config.consumerKey,
      subject: this.config.username,
      audience: this.config.loginUrl,
      expiresIn: 180,
    });
  }

  private async login(): Promise<Connection> {
    this.tokenRequests += 1;
    let res: Response;
    try {
      res = await fetch(`${this.config.loginUrl}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: this.assertion() }).toString(),
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (err) {
      throw new SalesforceError(`Salesforce token request failed: ${(err as Error).message}`, 'TOKEN_REQUEST_FAILED', true);
    }
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; instance_url?: string; error?: string; error_description?: string };
    if (!res.ok || !body.access_token || !body.instance_url) {
      // 400 invalid_grant / invalid_client_id: the configuration or the org's setup is wrong; a 5xx may pass.
      throw new SalesforceError(
        `Salesforce refused the JWT bearer token request (${res.status}): ${body.error ?? 'no error'} ${body.error_description ?? ''}`.trim(),
        body.error ?? `ERROR_HTTP_${res.status}`,
        true,
      );
    }
    return new jsforce.Connection({ instanceUrl: body.instance_url, accessToken: body.access_token, version: this.config.apiVersion });
  }

  private async connection(): Promise<Connection> {
    if (this.conn) return this.conn;
    this.connecting ??= this.login().finally(() => (this.connecting = undefined));
    this.conn = await this.connecting;
    return this.conn;
  }

  /** Runs `fn` on the connection; on INVALID_SESSION_ID, one new token and one retry. Errors come out as SalesforceError. */
  async call<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    const conn = await this.connection();
    try {
      return await this.observe(conn, fn);
    } catch (err) {
      if (errorCodeOf(err) !== 'INVALID_SESSION_ID') throw toSalesforceError(err);
      if (this.conn === conn) this.conn = undefined;
      const fresh = await this.connection();
      try {
        return await this.observe(fresh, fn);
      } catch (again) {
        throw toSalesforceError(again);
      }
    }
  }

  private async observe<T>(conn: Connection, fn: (conn: Connection) => Promise<T>): Promise<T> {
    try {
      return await fn(conn);
    } finally {
      const u = conn.limitInfo?.apiUsage;
      if (u && (!this.usage || this.usage.used !== u.used || this.usage.limit !== u.limit)) this.usage = { used: u.used, limit: u.limit, at: Date.now() };
    }
  }

  /** A REST request relative to /services/data/vXX.X (or absolute path), with the configured timeout. */
  request<T>(conn: Connection, method: string, path: string, body?: unknown): Promise<T> {
    const url = path.startsWith('/services/') ? path : `${this.apiPath}${path}`;
    return conn.request<T>(
      { method: method as 'GET', url, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }) },
      { timeout: this.config.timeoutMs, retry: { maxRetries: 0 } } as never,
    );
  }

  /** sObject Collections upsert by external id (at most 200 records, allOrNone false): per-record results, in order. */
  upsertCollection(object: string, externalIdField: string, records: Record<string, unknown>[]): Promise<SaveResult[]> {
    if (records.length > 200) throw new Error('sObject Collections take at most 200 records per request');
    const body = { allOrNone: false, records: records.map((r) => ({ attributes: { type: object }, ...r })) };
    return this.call((conn) => this.request<SaveResult[]>(conn, 'PATCH', `/composite/sobjects/${object}/${externalIdField}`, body));
  }

  /** Bulk API 2.0 upsert ingest job (create, upload CSV, UploadComplete, poll, results). */
  bulkUpsert(
    object: string,
    externalIdField: string,
    records: Record<string, unknown>[],
    poll: { intervalMs: number; timeoutMs: number },
  ): Promise<{ successful: Array<Record<string, unknown>>; failed: Array<Record<string, unknown>> }> {
    return this.call(async (conn) => {
      const results = await conn.bulk2.loadAndWaitForResults({
        object,
        operation: 'upsert',
        externalIdFieldName: externalIdField,
        input: records,
        pollInterval: poll.intervalMs,
        pollTimeout: poll.timeoutMs,
      });
      return { successful: results.successfulResults as never, failed: results.failedResults as never };
    });
  }

  /** Current daily API usage (GET /limits), for a paused queue to learn when it may go on. */
  async refreshUsage(): Promise<ApiUsage | undefined> {
    const limits = await this.call((conn) => this.request<{ DailyApiRequests?: { Max: number; Remaining: number } }>(conn, 'GET', '/limits'));
    const d = limits.DailyApiRequests;
    if (d) this.usage = { used: d.Max - d.Remaining, limit: d.Max, at: Date.now() };
    return this.usage;
  }

  /** A SOQL query, every page (nextRecordsUrl followed), handed to `onPage` one page at a time. */
  async queryPages<R>(soql: string, onPage: (records: R[]) => Promise<void>): Promise<number> {
    type Page = { done: boolean; nextRecordsUrl?: string; records: R[] };
    let page = await this.call((conn) => this.request<Page>(conn, 'GET', `/query?q=${encodeURIComponent(soql)}`));
    let total = 0;
    for (;;) {
      total += page.records.length;
      await onPage(page.records);
      if (page.done || !page.nextRecordsUrl) return total;
      const next = page.nextRecordsUrl;
      page = await this.call((conn) => this.request<Page>(conn, 'GET', next));
    }
  }
}

function errorCodeOf(err: unknown): string | undefined {
  if (err && typeof err === 'object') {
    const e = err as { errorCode?: unknown; name?: unknown; data?: { errorCode?: unknown } };
    // Several errors in one answer: the first one's code speaks for the request.
    if (e.errorCode === 'MULTIPLE_API_ERRORS' && Array.isArray(e.data) && typeof (e.data[0] as { errorCode?: unknown })?.errorCode === 'string') {
      return (e.data[0] as { errorCode: string }).errorCode;
    }
    if (typeof e.errorCode === 'string') return e.errorCode;
    if (typeof e.data?.errorCode === 'string') return e.data.errorCode;
  }
  return undefined;
}

/** jsforce's errors (HttpApiError, FetchError, AbortError, bulk polling errors) as SalesforceError. */
export function toSalesforceError(err: unknown): SalesforceError {
  if (err instanceof SalesforceError) return err;
  const code = errorCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code) {
    const status = /^ERROR_HTTP_(\d+)$/.exec(code);
    const transient = TRANSIENT_CODES.has(code) || (status ? Number(status[1]) >= 500 || Number(status[1]) === 429 : false);
    return new SalesforceError(`${code}: ${message}`.slice(0, 1000), code, transient);
  }
  // No Salesforce error code: the connection was lost, timed out or answered garbage; the call may be retried.
  return new SalesforceError(message.slice(0, 1000), 'CONNECTION_FAILED', true);
}
