import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../platform/logging/logger';
import { maskPhone, type SmsMessage, type SmsProvider, type SmsResult } from './types';

/**
 * Demo and development without an SMS gateway: the message counts as sent and one log line says
 * so, without its text (it may carry a device token) and with the number masked.
 */
export class LogSmsProvider implements SmsProvider {
  readonly name = 'log';
  constructor(private readonly logger: Logger) {}

  async send(message: SmsMessage): Promise<SmsResult> {
    const messageId = `log-${randomUUID()}`;
    this.logger.info({ to: maskPhone(message.to), characters: message.message.length, messageId }, 'sms (log provider): not sent to a gateway');
    return { ok: true, messageId, status: 'Logged' };
  }
}
