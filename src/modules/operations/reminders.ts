import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { addDays, type CalendarDate } from '../../platform/dates';
import { withTransaction } from '../../platform/db/transaction';
import { toMoneyString } from '../../platform/money';
import { enqueueNotification, NotificationError, type EnqueueNotificationInput } from '../notifications/outbox';
import type { JobRunError } from './models';
import { UNPAID_PAST_DUE } from './close-day.sql';

/**
 * Step (e) of the nightly close: customer reminders for business date N, through the
 * notifications outbox. Per account and day at most one, the most urgent:
 *   3. account_suspended  the account was suspended on N (by the close or by a payment's catch-up)
 *   2. overdue_first_day  an instalment due on C = N - 1 is unpaid: N is its first overdue day
 *   1. reminder_due       an instalment falls due on N + daysBeforeDue
 * in the customer's language (the outbox falls back to English), with dedupeKey
 * reminder:<accountId>:<N>: a re-run (or a second worker) writes nothing new. Candidates are read
 * from the data for the whole id range, not from what this run changed, so an account the
 * payment path caught up before the close reached it gets its reminder too.
 */
export type ReminderSender = (input: EnqueueNotificationInput, transaction: Transaction) => Promise<{ created: boolean }>;

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
  dueDate: string | null;
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

export async function sendReminders(
  sequelize: Sequelize,
  target: ReminderTarget,
  range: { fromId: number; toId: number },
  options: { daysBeforeDue: number; chunkSize: number; sender?: ReminderSender },
): Promise<ReminderResult> {
  const result: ReminderResult = { counts: { reminders: 0, remindersExisting: 0, reminderErrors: 0 }, errors: [] };
  if (target.regionIds.length === 0) return result;
  const send: ReminderSender = options.sender ?? ((input, t) => enqueueNotification(input, t));
  const sendAfter = localInstant(target.businessDate, REMINDER_LOCAL_HOUR, target.timezone);
  const soon = addDays(target.businessDate, options.daysBeforeDue);
  for (let lo = range.fromId; lo <= range.toId; lo += options.chunkSize) {
    const hi = Math.min(range.toId, lo + options.chunkSize - 1);
    const rows = await sequelize.query<Candidate>(
      `SELECT x.accountId, x.priority, x.dueDate, x.amount, a.accountNumber, a.customerId, a.daysPastDue, a.status,
              c.firstName, c.phone, c.preferredLanguage
         FROM (
           SELECT h.accountId, 3 AS priority, NULL AS dueDate,
                  (SELECT SUM(i.amount - i.paidAmount) FROM installmentSchedules i WHERE i.accountId = h.accountId AND ${UNPAID_PAST_DUE}) AS amount
             FROM accountStatusHistories h
            WHERE h.accountId BETWEEN :lo AND :hi AND h.newStatus = 'suspended' AND h.businessDate = :bd
           UNION ALL
           SELECT i.accountId, 2 AS priority, i.dueDate, i.amount - i.paidAmount AS amount
             FROM installmentSchedules i
            WHERE i.accountId BETWEEN :lo AND :hi AND i.dueDate = :closed
              AND i.status IN ('pending', 'partial', 'overdue') AND i.amount > i.paidAmount
           UNION ALL
           SELECT i.accountId, 1 AS priority, i.dueDate, i.amount - i.paidAmount AS amount
             FROM installmentSchedules i
            WHERE i.accountId BETWEEN :lo AND :hi AND i.dueDate = :soon
              AND i.status IN ('pending', 'partial') AND i.amount > i.paidAmount
         ) x
         JOIN accounts a ON a.id = x.accountId
         JOIN customers c ON c.id = a.customerId
        WHERE a.regionId IN (:regions) AND a.status IN ('active', 'suspended')
        ORDER BY x.accountId, x.priority DESC, x.dueDate`,
      {
        replacements: { lo, hi, bd: target.businessDate, closed: target.closedDate, soon, regions: target.regionIds },
        type: QueryTypes.SELECT,
      },
    );
    const chosen: Candidate[] = [];
    for (const r of rows) {
      const last = chosen.at(-1);
      if (last && Number(last.accountId) === Number(r.accountId)) continue;
      // A suspension reminder only while the account is still suspended (a payment may have re-activated it).
      if (Number(r.priority) === 3 && r.status !== 'suspended') continue;
      chosen.push(r);
    }
    if (chosen.length === 0) continue;
    await withTransaction(sequelize, async (t) => {
      for (const r of chosen) {
        const priority = Number(r.priority);
        const templateCode = TEMPLATE_BY_PRIORITY[priority]!;
        const variables: Record<string, string | number> = {
          customerName: r.firstName,
          currency: target.currency,
          amount: toMoneyString(r.amount ?? 0),
          accountNumber: r.accountNumber,
        };
        if (priority === 1) Object.assign(variables, { daysBefore: options.daysBeforeDue, dueDate: dateText(r.dueDate) });
        if (priority === 2) variables.dueDate = dateText(r.dueDate);
        if (priority === 3) variables.daysPastDue = Number(r.daysPastDue);
        try {
          const out = await send(
            {
              customerId: Number(r.customerId),
              accountId: Number(r.accountId),
              channel: 'sms',
              recipient: r.phone,
              templateCode,
              language: r.preferredLanguage || 'en',
              variables,
              dedupeKey: reminderDedupeKey(Number(r.accountId), target.businessDate),
              sendAfter,
            },
            t,
          );
          result.counts[out.created ? 'reminders' : 'remindersExisting']! += 1;
        } catch (err) {
          // A missing template is an operator's fix, not a reason to fail the close: counted and listed.
          if (!(err instanceof NotificationError)) throw err;
          result.counts.reminderErrors! += 1;
          if (result.errors.length < 50) result.errors.push({ message: err.message, accountId: Number(r.accountId), step: 'reminders' });
        }
      }
    });
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
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms))
      .reduce<Record<string, number>>((acc, p) => (p.type === 'literal' ? acc : { ...acc, [p.type]: Number(p.value) }), {});
    return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) - ms;
  };
  const first = guess - offsetAt(guess);
  return new Date(guess - offsetAt(first));
}
