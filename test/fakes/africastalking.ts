import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Africa's Talking's SMS API (`POST /version1/messaging`), answering as the
 * real one does:
 * - `apiKey` header and form field `username` must match, else 401 with a plain-text body;
 * - the body is form-encoded `username`, `to` (comma-separated), `message`, optional `from`;
 * - `Accept: application/json` gets JSON (anything else gets the XML the real API defaults to);
 * - 201 `{ SMSMessageData: { Message: 'Sent to 1/1 Total Cost: KES 0.8000', Recipients: [{
 *   statusCode: 101, number, status: 'Success', cost: 'KES 0.8000', messageId: 'ATXid_...' }] } }`,
 *   a number that is not E.164 gets statusCode 403 'InvalidPhoneNumber' with messageId 'None'.
 * It can be scripted to fail the next requests: an HTTP error (500, 429 with Retry-After, ...) or
 * a per-recipient status (405 InsufficientBalance, 406 UserInBlacklist, ...).
 */
export interface ReceivedSms {
  username: string;
  to: string;
  message: string;
  from?: string;
  apiKey: string | undefined;
}

export type FakeFailure = { http: number; body?: string; retryAfterSeconds?: number } | { recipientStatusCode: number; recipientStatus: string };

export class FakeAfricasTalking {
  /** Messages accepted (statusCode 101). */
  readonly sent: ReceivedSms[] = [];
  /** Every request that reached the endpoint, accepted or not. */
  readonly requests: { status: number; headers: IncomingMessage['headers']; form: Record<string, string> }[] = [];
  private readonly failures: FakeFailure[] = [];
  private server?: Server;
  baseUrl = '';

  constructor(readonly credentials: { username: string; apiKey: string }) {}

  /** The next `times` requests fail this way (after the credentials check). */
  failNext(failure: FakeFailure, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(failure);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const form = Object.fromEntries(new URLSearchParams(raw));
    const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
      this.requests.push({ status, headers: req.headers, form });
      res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
      res.end(body);
    };
    if (req.method !== 'POST' || req.url !== '/version1/messaging') return reply(404, 'Not Found');
    const apiKey = req.headers['apikey'] as string | undefined;
    if (apiKey !== this.credentials.apiKey || form.username !== this.credentials.username) {
      return reply(401, 'The supplied authentication is invalid');
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return reply(415, 'Unsupported Media Type');
    if (!form.to || !form.message) return reply(400, "Request is missing required form field 'to' or 'message'");

    const failure = this.failures.shift();
    if (failure && 'http' in failure) {
      return reply(
        failure.http,
        failure.body ?? (failure.http === 429 ? 'Too Many Requests' : 'Internal Server Error'),
        failure.retryAfterSeconds !== undefined ? { 'Retry-After': String(failure.retryAfterSeconds) } : {},
      );
    }
    const recipients = form.to
      .split(',')
      .map((n) => n.trim())
      .map((number) => {
        if (failure) return { statusCode: failure.recipientStatusCode, number, status: failure.recipientStatus, cost: '0', messageId: 'None' };
        if (!/^\+\d{10,15}$/.test(number)) return { statusCode: 403, number, status: 'InvalidPhoneNumber', cost: '0', messageId: 'None' };
        this.sent.push({ username: form.username!, to: number, message: form.message!, from: form.from, apiKey });
        return { statusCode: 101, number, status: 'Success', cost: 'KES 0.8000', messageId: `ATXid_${randomBytes(16).toString('hex')}` };
      });
    const ok = recipients.filter((r) => r.statusCode === 101).length;
    const data = { SMSMessageData: { Message: `Sent to ${ok}/${recipients.length} Total Cost: KES ${(0.8 * ok).toFixed(4)}`, Recipients: recipients } };
    if (req.headers.accept !== 'application/json') {
      return reply(
        201,
        `<?xml version="1.0" encoding="UTF-8"?><AfricasTalkingResponse><SMSMessageData><Message>${data.SMSMessageData.Message}</Message></SMSMessageData></AfricasTalkingResponse>`,
        { 'Content-Type': 'application/xml' },
      );
    }
    return reply(201, JSON.stringify(data), { 'Content-Type': 'application/json' });
  }
}
