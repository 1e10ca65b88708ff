/** One text message to one phone. */
export interface SmsMessage {
  /** E.164, e.g. +254711000000. */
  to: string;
  message: string;
}

export type SmsResult =
  | { ok: true; messageId: string | null; status: string }
  | {
      ok: false;
      /** True when sending again cannot help (invalid number, blacklisted, do-not-disturb, bad request). */
      permanent: boolean;
      /** Safe to store and log: never the message text or a credential. */
      error: string;
      /** The provider asked us to wait (429 Retry-After). */
      retryAfterMs?: number;
    };

/** An SMS gateway. `send` never throws for a provider answer; it may throw on a bug. */
export interface SmsProvider {
  /** Stored in notifications.provider. */
  readonly name: string;
  send(message: SmsMessage): Promise<SmsResult>;
}

/** A phone number fit for a log line: country code and last three digits. */
export function maskPhone(phone: string): string {
  if (phone.length <= 7) return '*'.repeat(phone.length);
  return `${phone.slice(0, 4)}${'*'.repeat(phone.length - 7)}${phone.slice(-3)}`;
}
