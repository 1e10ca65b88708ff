import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { createApiClient } from '../../src/cli/clients.command';
import { signBody, type ClientAuthMode } from '../../src/platform/http/client-auth';
import { api, freshIp, testRuntime } from '../support/app';

/**
 * A local stand-in for Safaricom's Daraja (and other gateways) calling AMT: API clients created
 * as the operator's command does, Daraja C2B bodies with the real field names, and requests
 * signed (HMAC-SHA256 of `<timestamp>.<raw body>`) or carrying the shared secret. Nothing leaves
 * the process: supertest drives the app in memory.
 */
export interface CallbackClient {
  clientId: string;
  secret: string;
  auth: ClientAuthMode;
  /** An address inside allowedIps to call from (X-Forwarded-For; the test app trusts the proxy). */
  ip: string;
}

export async function newCallbackClient(
  options: { scopes?: string[]; allowedIps?: string[] | null; auth?: ClientAuthMode; ip?: string } = {},
): Promise<CallbackClient> {
  const rt = await testRuntime();
  const ip = options.ip ?? freshIp();
  const auth = options.auth ?? 'signature';
  const { client, secret } = await createApiClient(
    {
      name: `Fake gateway ${randomBytes(3).toString('hex')}`,
      scopes: options.scopes ?? ['mobile-money:callback'],
      allowedIps: options.allowedIps === undefined ? [ip] : options.allowedIps,
      auth,
    },
    rt.config.dataEncryptionKey,
  );
  return { clientId: client.clientId, secret, auth, ip };
}

let seq = 0;
/** A Daraja TransID: 10 upper-case letters and digits, unique in the run. */
export function transId(): string {
  seq++;
  return `T${Date.now().toString(36).toUpperCase().slice(-5)}${seq.toString(36).toUpperCase().padStart(4, '0')}`.slice(0, 10);
}

/** 'YYYYMMDDHHmmss' in East Africa Time for an instant. */
export function darajaTime(at: Date = new Date()): string {
  const eat = new Date(at.getTime() + 3 * 3600_000).toISOString();
  return eat.slice(0, 19).replace(/[-T:]/g, '');
}

/** A Daraja C2B confirmation/validation body, as Safaricom sends it. */
export function c2bBody(o: { TransID?: string; amount?: string; billRef?: string; at?: Date; msisdn?: string } & Record<string, unknown> = {}) {
  const { TransID, amount, billRef, at, msisdn, ...extra } = o;
  return {
    TransactionType: 'Pay Bill',
    TransID: TransID ?? transId(),
    TransTime: darajaTime(at),
    TransAmount: amount ?? '100.00',
    BusinessShortCode: '600638',
    BillRefNumber: billRef ?? '',
    InvoiceNumber: '',
    OrgAccountBalance: '49197.00',
    ThirdPartyTransID: '',
    MSISDN: msisdn ?? '254708374149',
    FirstName: 'John',
    MiddleName: '',
    LastName: 'Doe',
    ...extra,
  };
}

export interface SendOptions {
  ip?: string;
  /** Unix seconds to put in X-Timestamp (default now). */
  timestamp?: number;
  /** Replace the signature (signature clients) or the secret (shared-secret clients). */
  forge?: string;
  /** Send no credentials at all. */
  anonymous?: boolean;
  bearer?: string;
}

/** POSTs a JSON body to /api/v1`path` as `client` would: exact bytes signed, or the secret header. */
export async function sendAs(client: CallbackClient | null, path: string, body: unknown, o: SendOptions = {}): Promise<Response> {
  const raw = JSON.stringify(body);
  let req = (await api())
    .post(`/api/v1${path}`)
    .set('Content-Type', 'application/json')
    .set('X-Forwarded-For', o.ip ?? client?.ip ?? freshIp());
  if (o.bearer) req = req.set('Authorization', `Bearer ${o.bearer}`);
  if (client && !o.anonymous) {
    req = req.set('X-Client-Id', client.clientId);
    if (client.auth === 'signature') {
      const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
      req = req.set('X-Timestamp', String(ts)).set('X-Signature', o.forge ?? signBody(client.secret, ts, raw));
    } else {
      req = req.set('X-Client-Secret', o.forge ?? client.secret);
    }
  }
  return req.send(raw);
}
