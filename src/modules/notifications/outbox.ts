import { UniqueConstraintError, type Transaction } from 'sequelize';
import { placeholders, sqlOf } from '../../platform/db/sql';
import { Notification, NotificationTemplate, type NotificationChannel } from './models';

/**
 * The notification outbox: a message is a `notifications` row written in the same transaction as
 * the change it tells about (a payment, a token), rendered from `notificationTemplates` at once,
 * and sent later by the `notifications.send` job. Nothing leaves the process here, so this is
 * safe inside a transaction that may be retried.
 */

export const FALLBACK_LANGUAGE = 'en';

/** A notification could not be built (no template, a placeholder without a value). No database write happened. */
export class NotificationError extends Error {
  override name = 'NotificationError';
}

export type TemplateVariables = Record<string, string | number | null | undefined>;

export interface EnqueueNotificationInput {
  customerId?: number | null;
  accountId?: number | null;
  employeeId?: number | null;
  channel: NotificationChannel;
  /** E.164 phone number (sms) or e-mail address. */
  recipient: string;
  templateCode: string;
  /** The recipient's language (customers.preferredLanguage); English when the template has none in it. */
  language: string;
  variables: TemplateVariables;
  /** Unique: enqueueing again with the same key returns the first row and writes nothing. */
  dedupeKey?: string | null;
  /**
   * The key names a record created in the caller's transaction (e.g. a new payment's id): no row
   * can hold it yet, so it is not looked up first (one round trip less); the unique key still holds.
   */
  dedupeKeyIsNew?: boolean;
  /** Not sent before this instant; default now. */
  sendAfter?: Date;
}

export interface EnqueuedNotification {
  notification: Notification;
  /** False when the dedupe key already existed (nothing new was written). */
  created: boolean;
  /** The language the template was rendered in (after fallback). */
  language: string;
}

const PLACEHOLDER = /\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*\}\}/g;

/** Fills `{{name}}` placeholders; a placeholder without a value is an error (never sent half-filled). */
export function renderTemplate(text: string, variables: TemplateVariables): string {
  const missing = new Set<string>();
  const out = text.replace(PLACEHOLDER, (_, name: string) => {
    const v = variables[name];
    if (v === undefined || v === null) {
      missing.add(name);
      return '';
    }
    return String(v);
  });
  if (missing.size) throw new NotificationError(`template needs ${[...missing].join(', ')}`);
  return out;
}

/** A template's text, as read with another statement (e.g. on the payment path). */
export type TemplateText = Pick<NotificationTemplate, 'language' | 'subject' | 'body'>;

/** Of active templates of one code and channel, the one in `language`, else in English. */
export function pickTemplate<T extends TemplateText>(templates: T[], language: string): T | undefined {
  return templates.find((t) => t.language === language) ?? templates.find((t) => t.language === FALLBACK_LANGUAGE);
}

/**
 * A notification whose dedupe key names a record created in `transaction` (no row can hold it yet),
 * rendered from a template the caller has already read: written with the transaction's next
 * statement (src/platform/db/sql.ts defer), no round trip of its own. Throws NotificationError
 * before writing anything when the template or a variable is missing.
 */
export async function queueNotification(
  input: Omit<EnqueueNotificationInput, 'dedupeKeyIsNew'> & { dedupeKey: string },
  template: TemplateText | undefined,
  transaction: Transaction,
): Promise<void> {
  if (!template) throw new NotificationError(`no active ${input.channel} template ${input.templateCode} in ${input.language} or ${FALLBACK_LANGUAGE}`);
  const body = renderTemplate(template.body, input.variables);
  const subject = template.subject ? renderTemplate(template.subject, input.variables) : null;
  const now = new Date();
  const sql = sqlOf(Notification.sequelize!);
  if (!sql.canDefer(transaction)) {
    // SQLite (the demo): through the model, which writes instants as the dispatcher compares them.
    await Notification.create(
      { ...pickRow(input), templateCode: input.templateCode, subject, body, status: 'pending', sendAfter: input.sendAfter ?? now, dedupeKey: input.dedupeKey },
      { transaction },
    );
    return;
  }
  await sql.defer(
    transaction,
    `INSERT INTO notifications (customerId, accountId, employeeId, channel, recipient, templateCode, subject, body, status, sendAfter, dedupeKey, createdAt, updatedAt) VALUES ${placeholders(1, 13)}`,
    [
      input.customerId ?? null,
      input.accountId ?? null,
      input.employeeId ?? null,
      input.channel,
      input.recipient,
      input.templateCode,
      subject,
      body,
      'pending',
      input.sendAfter ?? now,
      input.dedupeKey,
      now,
      now,
    ],
  );
}

function pickRow(input: EnqueueNotificationInput) {
  return {
    customerId: input.customerId ?? null,
    accountId: input.accountId ?? null,
    employeeId: input.employeeId ?? null,
    channel: input.channel,
    recipient: input.recipient,
  };
}

/** The active template in `language`, or in English when there is none in that language. */
export async function findTemplate(code: string, language: string, channel: NotificationChannel, transaction?: Transaction): Promise<NotificationTemplate> {
  const languages = language === FALLBACK_LANGUAGE ? [FALLBACK_LANGUAGE] : [language, FALLBACK_LANGUAGE];
  for (const lang of languages) {
    const t = await NotificationTemplate.findOne({ where: { code, language: lang, channel, isActive: true }, transaction });
    if (t) return t;
  }
  throw new NotificationError(`no active ${channel} template ${code} in ${language} or ${FALLBACK_LANGUAGE}`);
}

/**
 * Renders a template into a pending notification. With a `dedupeKey` a repeat is a no-op that
 * returns the first row. Throws NotificationError (before writing anything) when the template or
 * a variable is missing.
 */
export async function enqueueNotification(input: EnqueueNotificationInput, transaction?: Transaction): Promise<EnqueuedNotification> {
  const dedupeKey = input.dedupeKey ?? null;
  if (dedupeKey && !input.dedupeKeyIsNew) {
    const existing = await Notification.findOne({ where: { dedupeKey }, transaction });
    if (existing) return { notification: existing, created: false, language: input.language };
  }
  const template = await findTemplate(input.templateCode, input.language, input.channel, transaction);
  const body = renderTemplate(template.body, input.variables);
  const subject = template.subject ? renderTemplate(template.subject, input.variables) : null;
  try {
    const notification = await Notification.create(
      {
        customerId: input.customerId ?? null,
        accountId: input.accountId ?? null,
        employeeId: input.employeeId ?? null,
        channel: input.channel,
        recipient: input.recipient,
        templateCode: input.templateCode,
        subject,
        body,
        status: 'pending',
        sendAfter: input.sendAfter ?? new Date(),
        dedupeKey,
      },
      { transaction },
    );
    return { notification, created: true, language: template.language };
  } catch (err) {
    // Two writers raced on the same key: the other one's row stands (MySQL rolls back only the statement).
    if (dedupeKey && err instanceof UniqueConstraintError) {
      const existing = await Notification.findOne({ where: { dedupeKey }, transaction });
      if (existing) return { notification: existing, created: false, language: input.language };
    }
    throw err;
  }
}
