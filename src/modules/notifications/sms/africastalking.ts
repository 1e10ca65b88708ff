import type { SmsMessage, SmsProvider, SmsResult } from './types';

/**
 * Africa's Talking bulk SMS API, as documented for `POST {baseUrl}/version1/messaging`:
 * - form-encoded `username`, `to` (comma-separated E.164 numbers; one here), `message`, and `from`
 *   (sender ID or short code) when configured;
 * - headers `apiKey: <key>` and `Accept: application/json`;
 * - answers 201 with `{ SMSMessageData: { Message, Recipients: [{ statusCode, number, status,
 *   cost, messageId }] } }`: statusCode 100 (Processed), 101 (Sent) and 102 (Queued) are accepted;
 *   401 RiskHold, 402 InvalidSenderId, 403 InvalidPhoneNumber, 404 UnsupportedNumberType,
 *   405 InsufficientBalance, 406 UserInBlacklist, 407 CouldNotRoute, 409 DoNotDisturbRejection,
 *   500 InternalServerError, 501 GatewayError, 502 RejectedByGateway are not;
 * - HTTP 401 (plain text) when the username or API key is wrong; 429 when rate limited.
 * Production base URL https://api.africastalking.com, sandbox https://api.sandbox.africastalking.com.
 *
 * Never puts the API key or the message text into an error.
 */
export interface AfricasTalkingOptions {
  baseUrl: string;
  username: string;
  apiKey: string;
  senderId?: string;
  /** Per request; default 15 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const AT_ACCEPTED_STATUS_CODES: readonly number[] = [100, 101, 102];
/** Recipient status codes that sending again cannot fix. */
export const AT_PERMANENT_STATUS_CODES: readonly number[] = [403, 404, 406, 409];

interface AtRecipient {
  statusCode?: number;
  number?: string;
  status?: string;
  cost?: string;
  messageId?: string;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function short(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

export class AfricasTalkingSms implements SmsProvider {
  readonly name = 'africastalking';
  private readonly url: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: AfricasTalkingOptions) {
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/version1/messaging`;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async send(message: SmsMessage): Promise<SmsResult> {
    const form = new URLSearchParams({ username: this.options.username, to: message.to, message: message.message });
    if (this.options.senderId) form.set('from', this.options.senderId);
    let res: Response;
    try {
      res = await this.fetch(this.url, {
        method: 'POST',
        headers: { apiKey: this.options.apiKey, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const reason = e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? e.name ?? 'network error');
      return { ok: false, permanent: false, error: `Africa's Talking unreachable: ${reason}` };
    }
    const text = await res.text().catch(() => '');
    if (res.status === 401) {
      return { ok: false, permanent: false, error: `401 Africa's Talking refused the credentials (check AT_USERNAME and AT_API_KEY): ${short(text)}` };
    }
    if (res.status === 429) {
      return { ok: false, permanent: false, error: `429 rate limited by Africa's Talking`, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
    }
    if (res.status >= 500 || res.status === 408) {
      return { ok: false, permanent: false, error: `${res.status} Africa's Talking error: ${short(text)}` };
    }
    if (res.status >= 400) {
      return { ok: false, permanent: true, error: `${res.status} Africa's Talking rejected the request: ${short(text)}` };
    }
    let data: { SMSMessageData?: { Message?: string; Recipients?: AtRecipient[] } };
    try {
      data = JSON.parse(text) as typeof data;
    } catch {
      return { ok: false, permanent: false, error: `${res.status} unexpected answer from Africa's Talking (not JSON)` };
    }
    const recipients = data.SMSMessageData?.Recipients ?? [];
    const r = recipients.find((x) => x.number === message.to) ?? recipients[0];
    if (!r) {
      const m = short(String(data.SMSMessageData?.Message ?? 'no recipients in the answer'));
      return { ok: false, permanent: /invalid/i.test(m), error: `Africa's Talking sent nothing: ${m}` };
    }
    const code = Number(r.statusCode);
    const status = String(r.status ?? '');
    if (AT_ACCEPTED_STATUS_CODES.includes(code)) {
      return { ok: true, messageId: r.messageId && r.messageId !== 'None' ? r.messageId : null, status: status || 'Success' };
    }
    return { ok: false, permanent: AT_PERMANENT_STATUS_CODES.includes(code), error: `${code} ${short(status)}` };
  }
}
