import { QueryTypes, type CreationAttributes, type Sequelize, type Transaction } from 'sequelize';
import { addDays, type CalendarDate } from '../../platform/dates';
import { withTransaction } from '../../platform/db/transaction';
import { toMoneyString } from '../../platform/money';
import { Notification, type NotificationTemplate } from '../notifications/models';
import { findTemplate, NotificationError, renderTemplate, type EnqueueNotificationInput } from '../notifications/outbox';
import type { JobRunError } from './models';
import { affectedRows, UNPAID_PAST_DUE } from './close-day.sql';
import { dialect } from '../../platform/db/dialect';

/**
 * Step (e) of the nightly close: customer reminders for business date N, through the
 * notifications outbox. Per account and day at most one, the most urgent:
 *   3. account_suspended  the account was suspended on N (by the close or by a payment's catch-up)
 *   2. overdue_first_day  an instalment due on C = N - 1 is unpaid: N is its first overdue day
 *   1. reminder_due       an instalment falls due on N + daysBeforeDue
 * for active and suspended accounts, in the customer's language (English when the template has
 * none in it), with dedupeKey reminder:<accountId>:<N>: a re-run (or a second worker) writes
 * nothing new. Candidates are read from the data for the whole id range, not from what this run
 * changed, so an account the payment path caught up before the close reached it gets its
 * reminder too, and a run that died between its chunks and its reminders loses none.
 *
 * The rows are the outbox's (src/modules/notifications/outbox.ts): a pending notification
 * rendered with its findTemplate and renderTemplate, as enqueueNotification writes it, but a chunk
 * at a time: one multi-row INSERT that ignores the dedupe keys already written (by an earlier run
 * or a concurrent one; raw rows, no model instance each), not three queries per reminder.
 */
export interface ReminderWrite {
  created: number;
  existing: number;
  failed: number;
  errors: JobRunError[];
}

/** Writes a chunk's reminders in the caller's transaction. */
export type ReminderWriter = (inputs: EnqueueNotificationInput[], transaction: Transaction) => Promise<ReminderWrite>;

const MAX_ERRORS = 50;
/** The outbox columns a reminder sets, in the order of the values below. */
const OUTBOX_COLUMNS = [
  'customerId',
  'accountId',
  'employeeId',
  'channel',
  'recipient',
  'templateCode',
  'subject',
  'body',
  'status',
  'sendAfter',
  'dedupeKey',
  'attempts',
  'createdAt',
  'updatedAt',
];
/** Accounts whose reminder candidates one query reads. */
const READ_RANGE = 25_000;

/** enqueueNotification's rows for many inputs: one INSERT that skips the dedupe keys already written. */
export function bulkOutboxWriter(): ReminderWriter {
  const templates = new Map<string, NotificationTemplate>();
  const template = async (code: string, language: string, t: Transaction) => {
    const key = `${code}|${language}`;
    let found = templates.get(key);
    if (!found) {
      found = await findTemplate(code, language, 'sms', t);
      templates.set(key, found);
    }
    return found;
  };
  return async (inputs, t) => {
    const out: ReminderWrite = { created: 0, existing: 0, failed: 0, errors: [] };
    const sequelize = Notification.sequelize!;
    const now = new Date();
    const rows: (CreationAttributes<Notification> & { sendAfter: Date; attempts: number; createdAt: Date; updatedAt: Date })[] = [];
    for (const input of inputs) {
      try {
        const tpl = await template(input.templateCode, input.language, t);
        rows.push({
          customerId: input.customerId ?? null,
          accountId: input.accountId ?? null,
          employeeId: input.employeeId ?? null,
          channel: input.channel,
          recipient: input.recipient,
          templateCode: input.templateCode,
          subject: tpl.subject ? renderTemplate(tpl.subject, input.variables) : null,
          body: renderTemplate(tpl.body, input.variables),
          status: 'pending',
          sendAfter: input.sendAfter ?? new Date(),
          dedupeKey: input.dedupeKey ?? null,
          attempts: 0,
          createdAt: now,
          updatedAt: now,
        });
      } catch (err) {
        // A missing template is an operator's fix, not a reason to fail the close: counted and listed.
        if (!(err instanceof NotificationError)) throw err;
        out.failed++;
        if (out.errors.length < MAX_ERRORS) out.errors.push({ message: err.message, accountId: input.accountId ?? null, step: 'reminders' });
      }
    }
    if (rows.length === 0) return out;
    // One multi-row INSERT that the database tells to skip a dedupe key already there (a re-run,
    // or a concurrent one): what was written is its affected rows, the rest existed. The values
    // are escaped by Sequelize's own escape, each date once (every row shares a few), not through
    // the query generator's per-attribute path (a third of the step's time for 8,000 rows).
    const dates = new Map<number, string>();
    const date = (d: Date) => {
      let sql = dates.get(d.getTime());
      if (sql === undefined) dates.set(d.getTime(), (sql = sequelize.escape(d)));
      return sql;
    };
    const value = (v: string | number | null | undefined) => (v === null || v === undefined ? 'NULL' : typeof v === 'number' ? String(v) : sequelize.escape(v));
    const tuples = rows.map(
      (r) =>
        `(${value(r.customerId)},${value(r.accountId)},${value(r.employeeId)},${value(r.channel)},${value(r.recipient)},${value(r.templateCode)},` +
        `${value(r.subject)},${value(r.body)},${value(r.status)},${date(r.sendAfter)},${value(r.dedupeKey)},${r.attempts},${date(r.createdAt)},${date(r.updatedAt)})`,
    );
    const sql = `${dialect(sequelize).insertIgnore} notifications (${OUTBOX_COLUMNS.join(', ')}) VALUES ${tuples.join(',')}`;
    out.created = affectedRows(await sequelize.query(sql, { type: QueryTypes.INSERT, transaction: t }));
    out.existing = rows.length - out.created;
    return out;
  };
}

export interface ReminderTarget {
  countryId: number;
  currency: string;
  timezone: string;
  closedDate: CalendarDate;
  businessDate: CalendarDate;
  regionIds: number[];
}

interface Candidate {
  accountId: number;
  priority: number;
  dueDate: string | Date | null;
  amount: string | null;
  accountNumber: string;
  customerId: number;
  daysPastDue: number;
  status: string;
  firstName: string;
  phone: string;
  preferredLanguage: string | null;
}

const TEMPLATE_BY_PRIORITY: Record<number, string> = { 3: 'account_suspended', 2: 'overdue_first_day', 1: 'reminder_due' };

/** Reminders go out from 08:00 local time on N, not in the middle of the night the close runs in. */
export const REMINDER_LOCAL_HOUR = 8;

export function reminderDedupeKey(accountId: number, businessDate: CalendarDate): string {
  return `reminder:${accountId}:${businessDate}`;
}

export interface ReminderResult {
  counts: Record<string, number>;
  errors: JobRunError[];
}

/** The reminder candidates of one id range: one row per reason, most urgent first per account. */
const CANDIDATES = `
  SELECT x.accountId, x.priority, x.dueDate, x.amount, a.accountNumber, a.customerId, a.daysPastDue, a.status,
         c.firstName, c.phone, c.preferredLanguage
    FROM (
      SELECT s.id AS accountId, 3 AS priority, NULL AS dueDate,
             (SELECT SUM(i.amount - i.paidAmount) FROM installmentSchedules i WHERE i.accountId = s.id AND ${UNPAID_PAST_DUE}) AS amount
        FROM accounts s
       WHERE s.id BETWEEN :lo AND :hi AND s.status = 'suspended'
         AND EXISTS (SELECT 1 FROM accountStatusHistories h
                      WHERE h.accountId = s.id AND h.changedAt >= :since AND h.newStatus = 'suspended' AND h.businessDate = :bd)
      UNION ALL
      SELECT i.accountId, 2 AS priority, i.dueDate, i.amount - i.paidAmount AS amount
        FROM installmentSchedules i
       WHERE i.dueDate = :closed AND i.status IN ('pending', 'partial', 'overdue') AND i.amount > i.paidAmount AND i.accountId BETWEEN :lo AND :hi
      UNION ALL
      SELECT i.accountId, 1 AS priority, i.dueDate, i.amount - i.paidAmount AS amount
        FROM installmentSchedules i
       WHERE i.dueDate = :soon AND i.status IN ('pending', 'partial') AND i.amount > i.paidAmount AND i.accountId BETWEEN :lo AND :hi
    ) x
    JOIN accounts a ON a.id = x.accountId
    JOIN customers c ON c.id = a.customerId
   WHERE a.regionId IN (:regions) AND a.status IN ('active', 'suspended')
   ORDER BY x.accountId, x.priority DESC, x.dueDate`;

export async function sendReminders(
  sequelize: Sequelize,
  target: ReminderTarget,
  range: { fromId: number; toId: number },
  options: { daysBeforeDue: number; chunkSize: number; writer?: ReminderWriter },
): Promise<ReminderResult> {
  const result: ReminderResult = { counts: { reminders: 0, remindersExisting: 0, reminderErrors: 0 }, errors: [] };
  if (target.regionIds.length === 0) return result;
  const write = options.writer ?? bulkOutboxWriter();
  const sendAfter = localInstant(target.businessDate, REMINDER_LOCAL_HOUR, target.timezone);
  const soon = addDays(target.businessDate, options.daysBeforeDue);
  // A history dated N is written once N is open, so never before day C began anywhere (UTC - 2
  // days covers every timezone and clock skew): lets the index on (accountId, changedAt) skip the rest.
  const since = new Date(Date.parse(`${target.closedDate}T00:00:00Z`) - 2 * 86_400_000);
  // The instalment branches read the (status, dueDate) index for the whole table and keep the
  // range's rows, so the candidates are read in wide account ranges (few queries; the rows are only
  // the accounts with a reminder, a few percent), and written a chunk at a time.
  const step = Math.max(options.chunkSize, READ_RANGE);
  for (let lo = range.fromId; lo <= range.toId; lo += step) {
    const hi = Math.min(range.toId, lo + step - 1);
    const rows = await sequelize.query<Candidate>(CANDIDATES, {
      replacements: { lo, hi, bd: target.businessDate, closed: target.closedDate, soon, since, regions: target.regionIds },
      type: QueryTypes.SELECT,
    });
    const inputs: EnqueueNotificationInput[] = [];
    let last: number | undefined;
    for (const r of rows) {
      const accountId = Number(r.accountId);
      if (accountId === last) continue;
      last = accountId;
      const priority = Number(r.priority);
      const variables: Record<string, string | number> = {
        customerName: r.firstName,
        currency: target.currency,
        amount: toMoneyString(r.amount ?? 0),
        accountNumber: r.accountNumber,
      };
      if (priority === 1) Object.assign(variables, { daysBefore: options.daysBeforeDue, dueDate: dateText(r.dueDate) });
      if (priority === 2) variables.dueDate = dateText(r.dueDate);
      if (priority === 3) variables.daysPastDue = Number(r.daysPastDue);
      inputs.push({
        customerId: Number(r.customerId),
        accountId,
        channel: 'sms',
        recipient: r.phone,
        templateCode: TEMPLATE_BY_PRIORITY[priority]!,
        language: r.preferredLanguage || 'en',
        variables,
        dedupeKey: reminderDedupeKey(accountId, target.businessDate),
        sendAfter,
      });
    }
    for (let i = 0; i < inputs.length; i += options.chunkSize) {
      const slice = inputs.slice(i, i + options.chunkSize);
      const written = await withTransaction(sequelize, (t) => write(slice, t));
      result.counts.reminders! += written.created;
      result.counts.remindersExisting! += written.existing;
      result.counts.reminderErrors! += written.failed;
      result.errors.push(...written.errors.slice(0, MAX_ERRORS - result.errors.length));
    }
  }
  return result;
}

function dateText(value: string | Date | null): string {
  if (value === null) return '';
  return typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);
}

/** The instant of `hour`:00 on `date` in an IANA timezone. */
export function localInstant(date: CalendarDate, hour: number, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d, hour, 0, 0);
  // The zone's offset at (about) that instant, from what the wall clock there shows.
  const offsetAt = (ms: number) => {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(ms))
      .reduce<Record<string, number>>((acc, p) => (p.type === 'literal' ? acc : { ...acc, [p.type]: Number(p.value) }), {});
    return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) - ms;
  };
  const first = guess - offsetAt(guess);
  return new Date(guess - offsetAt(first));
}
