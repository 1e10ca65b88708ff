import { constants, createHmac, createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { NetsuiteConfig } from '../../../platform/config';
import type { Logger } from '../../../platform/logging/logger';
import type { Semaphore } from '../semaphore';

export type NetsuiteRestConfig = Extract<NetsuiteConfig, { driver: 'rest' }>;

/**
 * What went wrong with a NetSuite request:
 * - `validation`: NetSuite refused the data (400 and other 4xx but 401/404/429): permanent;
 * - `transient`: 429 (CONCURRENCY_LIMIT_EXCEEDED), 5xx, a timeout, a connection lost: try again;
 * - `auth`: credentials refused even after a fresh token (a 401 twice, or the token endpoint's 4xx).
 * The message is NetSuite's own detail (`o:errorDetails`), never a credential.
 */
export class NetsuiteError extends Error {
  constructor(
    readonly kind: 'validation' | 'transient' | 'auth' | 'not_found',
    message: string,
    readonly status?: number,
    readonly code?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'NetsuiteError';
  }
}

interface ErrorBody {
  title?: string;
  'o:errorDetails'?: { detail?: string; 'o:errorCode'?: string }[];
  error?: string;
  error_description?: string;
}

const TOKEN_PATH = '/services/rest/auth/oauth2/v1/token';
const RECORD_PATH = '/services/rest/record/v1';
/** Retries of a 429 inside one call (the slot is given back while waiting), before it is reported. */
const CONCURRENCY_RETRIES = 3;

/**
 * NetSuite's REST record service: upsert by external id and read, with either authentication
 * (OAuth 2.0 client credentials: a PS256-signed JWT assertion exchanged for an access token that
 * is cached, renewed before it expires and once more on a 401; or Token-Based Authentication:
 * every request signed OAuth 1.0a HMAC-SHA256 with realm = the account id). Every request holds a
 * slot of the shared semaphore (NETSUITE_CONCURRENCY across all processes) while in flight.
 */
export class NetsuiteClient {
  private token?: { value: string; renewAt: number };
  private pendingToken?: Promise<string>;
  private readonly key?: KeyObject;
  /** Requests sent (for the bench and tests). */
  requests = 0;

  constructor(
    readonly config: NetsuiteRestConfig,
    private readonly semaphore: Semaphore,
    private readonly logger?: Logger,
  ) {
    if (config.auth.mode === 'oauth2') this.key = createPrivateKey(config.auth.privateKey);
  }

  /**
   * PUT /record/v1/{type}/eid:{externalId}: creates or updates; answers the internal id from the
   * Location header. `replace` names sublists whose lines are replaced rather than added to.
   */
  async upsert(type: string, externalId: string, body: Record<string, unknown>, replace: string[] = []): Promise<{ internalId: string }> {
    const query = replace.length ? `?replace=${replace.map(encodeURIComponent).join(',')}` : '';
    const res = await this.request('PUT', `${RECORD_PATH}/${type}/eid:${encodeURIComponent(externalId)}${query}`, body);
    const location = res.headers.get('location') ?? '';
    const internalId = location.split('/').pop() ?? '';
    if (!/^\d+$/.test(internalId)) throw new NetsuiteError('transient', `NetSuite answered ${res.status} without a record Location`, res.status);
    return { internalId };
  }

  /** GET /record/v1/{type}/{id or eid:externalId}; undefined when there is none. */
  async get(type: string, ref: string): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await this.request('GET', `${RECORD_PATH}/${type}/${ref.startsWith('eid:') ? `eid:${encodeURIComponent(ref.slice(4))}` : ref}`);
      return (await res.json()) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof NetsuiteError && err.kind === 'not_found') return undefined;
      throw err;
    }
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const auth = this.config.auth.mode === 'oauth2' ? `Bearer ${await this.accessToken()}` : this.tbaHeader(method, path);
      const release = await this.semaphore.acquire();
      let res: Response;
      try {
        this.requests++;
        res = await fetch(`${this.config.baseUrl}${path}`, {
          method,
          headers: { authorization: auth, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.config.timeoutMs),
        });
        if (res.status >= 300) {
          const text = await res.text();
          throw this.failure(res, text);
        }
        if (method === 'GET') {
          const text = await res.text();
          return new Response(text, { status: res.status, headers: res.headers });
        }
        await res.arrayBuffer();
        return res;
      } catch (err) {
        if (err instanceof NetsuiteError) {
          if (err.status === 401 && this.config.auth.mode === 'oauth2' && !refreshed) {
            // The token may have expired early or been revoked: one fresh token, one more try.
            refreshed = true;
            this.token = undefined;
            continue;
          }
          if (err.code === 'CONCURRENCY_LIMIT_EXCEEDED' && attempt < CONCURRENCY_RETRIES) {
            await release();
            await sleep(backoffMs(attempt, 100));
            continue;
          }
          throw err;
        }
        throw connectionError(err, this.config.timeoutMs);
      } finally {
        await release().catch((err: unknown) => this.logger?.warn({ err: String(err) }, 'netsuite: semaphore release failed'));
      }
    }
  }

  private failure(res: Response, text: string): NetsuiteError {
    let parsed: ErrorBody = {};
    try {
      parsed = JSON.parse(text) as ErrorBody;
    } catch {
      // not JSON: keep the status
    }
    const detail = parsed['o:errorDetails']?.[0];
    const code = detail?.['o:errorCode'];
    const message = `NetSuite ${res.status}${code ? ` ${code}` : ''}: ${detail?.detail ?? parsed.title ?? text.slice(0, 300)}`;
    if (res.status === 429) return new NetsuiteError('transient', message, 429, code ?? 'CONCURRENCY_LIMIT_EXCEEDED', retryAfter(res));
    if (res.status === 401) return new NetsuiteError('auth', message, 401, code);
    if (res.status === 404) return new NetsuiteError('not_found', message, 404, code);
    if (res.status >= 500 || res.status === 408) return new NetsuiteError('transient', message, res.status, code, retryAfter(res));
    return new NetsuiteError('validation', message, res.status, code);
  }

  /** The cached access token, or a new one (one request at a time per process). */
  private async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.renewAt) return this.token.value;
    this.pendingToken ??= this.fetchToken().finally(() => (this.pendingToken = undefined));
    return this.pendingToken;
  }

  private async fetchToken(): Promise<string> {
    const auth = this.config.auth;
    if (auth.mode !== 'oauth2') throw new Error('not OAuth 2.0');
    const url = `${this.config.baseUrl}${TOKEN_PATH}`;
    const now = Math.floor(Date.now() / 1000);
    const header = b64url({ alg: 'PS256', typ: 'JWT', kid: auth.certificateId });
    // NetSuite accepts assertions (and issues tokens) of at most 60 minutes.
    const claims = b64url({ iss: auth.clientId, scope: [auth.scope], aud: url, iat: now, exp: now + 50 * 60 });
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), { key: this.key!, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: `${header}.${claims}.${signature.toString('base64url')}`,
    });
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (err) {
      throw connectionError(err, this.config.timeoutMs);
    }
    const text = await res.text();
    if (res.status >= 500 || res.status === 429) throw new NetsuiteError('transient', `NetSuite token endpoint ${res.status}`, res.status);
    let body: { access_token?: string; expires_in?: string | number } & ErrorBody = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // handled below
    }
    if (res.status !== 200 || !body.access_token) {
      throw new NetsuiteError(
        'auth',
        `NetSuite refused the token request (${res.status} ${body.error ?? ''}${body.error_description ? `: ${body.error_description}` : ''})`,
        res.status,
      );
    }
    const lifetimeMs = Math.max(1, Number(body.expires_in ?? 3600)) * 1000;
    // Renewed before it runs out: a minute early, or a tenth of its life for short-lived tokens.
    this.token = { value: body.access_token, renewAt: Date.now() + lifetimeMs - Math.min(60_000, lifetimeMs / 10) };
    this.logger?.debug({ expiresInSeconds: lifetimeMs / 1000 }, 'netsuite: access token obtained');
    return body.access_token;
  }

  /** OAuth 1.0a (RFC 5849) HMAC-SHA256, as NetSuite's Token-Based Authentication wants it. */
  private tbaHeader(method: string, path: string): string {
    const auth = this.config.auth;
    if (auth.mode !== 'tba') throw new Error('not TBA');
    const url = new URL(`${this.config.baseUrl}${path}`);
    const oauth: Record<string, string> = {
      oauth_consumer_key: auth.consumerKey,
      oauth_token: auth.tokenId,
      oauth_signature_method: 'HMAC-SHA256',
      oauth_timestamp: String(Math.floor(Date.now() / 1000)),
      oauth_nonce: randomBytes(16).toString('hex'),
      oauth_version: '1.0',
    };
    const pairs = [...url.searchParams.entries(), ...Object.entries(oauth)]
      .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
      .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const base = `${method.toUpperCase()}&${rfc3986(`${url.origin}${url.pathname}`)}&${rfc3986(pairs)}`;
    const signature = createHmac('sha256', `${rfc3986(auth.consumerSecret)}&${rfc3986(auth.tokenSecret)}`)
      .update(base)
      .digest('base64');
    const fields = { realm: this.config.accountId, ...oauth, oauth_signature: signature };
    return `OAuth ${Object.entries(fields)
      .map(([k, v]) => `${k}="${rfc3986(v)}"`)
      .join(',')}`;
  }
}

/** Exponential backoff with full jitter: a random wait up to base * 2^attempt (capped at 30 s). */
export function backoffMs(attempt: number, baseMs: number): number {
  return Math.round(Math.random() * Math.min(30_000, baseMs * 2 ** attempt));
}

function retryAfter(res: Response): number | undefined {
  const s = Number(res.headers.get('retry-after'));
  return Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}

function connectionError(err: unknown, timeoutMs: number): NetsuiteError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return new NetsuiteError('transient', `NetSuite did not answer within ${timeoutMs} ms`);
  const cause = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new NetsuiteError('transient', `NetSuite connection lost (${cause})`);
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
