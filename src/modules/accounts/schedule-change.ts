import { Op, type Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { installmentStatus, outstanding } from './arrears';
import { InstallmentSchedule, OPEN_INSTALLMENT_STATUSES, ScheduleChange, type Account } from './models';
import { settleAccount } from './settlement';
import type { Payplan } from '../catalogue/models';

/**
 * The one way to change an account's schedule (payment holidays, restructures, upgrades): the
 * open lines are superseded, never edited away, and new lines are appended.
 *
 *  - An open line (pending, partial, overdue) becomes 'superseded' with supersededAt and
 *    supersededByChangeId. Its amount and paidAmount stay: the allocations that paid part of it
 *    keep pointing at it (allocations = paid still holds). A superseded line owes nothing
 *    (arrears.ts outstanding), so every reader of open lines (status IN pending/partial/overdue)
 *    leaves it out.
 *  - The new lines get the next installmentNumbers (the (accountId, installmentNumber) key stays
 *    unique) and scheduleChangeId; together they carry exactly what the superseded lines still
 *    owed, plus `added` (an upgrade's new product, whose journal lines and balance the caller posts).
 *  - Paid and waived lines are history and are never touched.
 */

/** One line of a new schedule. */
export interface NewScheduleLine {
  dueDate: CalendarDate;
  amount: MoneyString;
}

export interface OpenSchedule {
  /** The open lines, oldest due first. */
  lines: InstallmentSchedule[];
  /** What they still owe (amount - paidAmount summed). */
  owed: Decimal;
}

/** The open lines of a locked account and what they owe: what a new schedule must carry. */
export async function openSchedule(accountId: number, t: Transaction): Promise<OpenSchedule> {
  const lines = await InstallmentSchedule.findAll({
    where: { accountId, status: { [Op.in]: [...OPEN_INSTALLMENT_STATUSES] } },
    order: [
      ['dueDate', 'ASC'],
      ['installmentNumber', 'ASC'],
    ],
    transaction: t,
  });
  return { lines, owed: lines.reduce((s, l) => s.plus(outstanding(l)), new Decimal(0)) };
}

/**
 * Splits `total` into `count` equal lines (the rounding remainder on the last one), due on the
 * given dates: the shape of every new schedule.
 */
export function evenLines(total: Decimal, dueDates: CalendarDate[]): NewScheduleLine[] {
  const count = dueDates.length;
  if (count < 1) throw new RangeError('a schedule needs at least one due date');
  const each = total.dividedBy(count).toDecimalPlaces(2, Decimal.ROUND_DOWN);
  const last = total.minus(each.times(count - 1));
  return dueDates.map((dueDate, i) => ({ dueDate, amount: toMoneyString(i === count - 1 ? last : each) }));
}

export interface ReplaceOptions {
  businessDate: CalendarDate;
  /** Money the new lines carry on top of what the old ones owed (an upgrade's new product); default 0. */
  added?: MoneyString;
  /** For DPD and status (settleAccount); the caller has it from preparedAccount. */
  payplan: Pick<Payplan, 'daysUntilSuspension'>;
  /** The employee applying the change (status history). */
  by: number | null;
}

export interface ReplacedSchedule {
  superseded: InstallmentSchedule[];
  issued: InstallmentSchedule[];
  /** What the superseded lines owed (recorded as the change's replacedAmount). */
  replaced: MoneyString;
}

/**
 * Replaces the open schedule of an account the caller has locked (lockAccount, then
 * preparedAccount, same transaction) by `newLines`, for `change` (a ScheduleChange row the caller
 * created, status pending). The new lines must add up to what the open lines owe plus `added`,
 * exactly; every line owes more than 0. Then: the change is marked applied (replacedAmount,
 * appliedAt, businessDate), and DPD, PAR bucket and status follow from the new schedule
 * (settlement.ts settleAccount: an account in arrears on lines moved into the future drops to
 * DPD 0, a suspended one re-activates) and the account row is saved.
 * The balance is not changed here: an upgrade raises it by `added` with its journal entry.
 */
export async function replaceOpenSchedule(
  t: Transaction,
  account: Account,
  newLines: NewScheduleLine[],
  change: ScheduleChange,
  options: ReplaceOptions,
): Promise<ReplacedSchedule> {
  if (change.accountId !== account.id) throw new Error(`schedule change ${change.id} is not of account ${account.id}`);
  if (change.status !== 'pending') throw new Error(`schedule change ${change.id} is ${change.status}, not pending`);
  const open = await openSchedule(account.id, t);
  const target = open.owed.plus(options.added ?? '0');
  const total = newLines.reduce((s, l) => s.plus(l.amount), new Decimal(0));
  if (!total.equals(target)) throw new Error(`new schedule totals ${total.toFixed(2)}, the open lines owe ${target.toFixed(2)}`);
  if (newLines.some((l) => !new Decimal(l.amount).greaterThan(0))) throw new RangeError('every new schedule line must owe more than 0');

  const now = new Date();
  if (open.lines.length > 0) {
    await InstallmentSchedule.update(
      { status: 'superseded', supersededAt: now, supersededByChangeId: change.id },
      { where: { id: { [Op.in]: open.lines.map((l) => l.id) } }, transaction: t },
    );
  }
  const last: number | null = await InstallmentSchedule.max('installmentNumber', { where: { accountId: account.id }, transaction: t });
  let next = (last ?? -1) + 1;
  const issued = await InstallmentSchedule.bulkCreate(
    newLines.map((l) => ({
      accountId: account.id,
      installmentNumber: next++,
      dueDate: l.dueDate,
      amount: l.amount,
      paidAmount: '0.00',
      status: installmentStatus({ dueDate: l.dueDate, amount: l.amount, paidAmount: '0.00' }, options.businessDate),
      scheduleChangeId: change.id,
    })),
    { transaction: t },
  );
  await change.update({ status: 'applied', replacedAmount: toMoneyString(open.owed), appliedAt: now, businessDate: options.businessDate }, { transaction: t });
  await settleAccount(account, options.payplan, options.businessDate, { by: options.by, reason: `schedule ${change.changeType}` }, t);
  await account.save({ transaction: t });
  return { superseded: open.lines, issued, replaced: toMoneyString(open.owed) };
}

/**
 * Money taken back (a reversal, a refund) from a superseded line: the line keeps its status (it
 * owes nothing), so what is owed again is appended as a new line, due on the business date, of
 * the change that superseded it. Called by payments' unapply on a locked account; the caller puts
 * the amount back on the balance as for any reopened line.
 */
export async function reissueSuperseded(
  line: Pick<InstallmentSchedule, 'accountId' | 'supersededByChangeId'>,
  amount: Decimal,
  businessDate: CalendarDate,
  t: Transaction,
): Promise<InstallmentSchedule> {
  const last: number | null = await InstallmentSchedule.max('installmentNumber', { where: { accountId: line.accountId }, transaction: t });
  return InstallmentSchedule.create(
    {
      accountId: line.accountId,
      installmentNumber: (last ?? -1) + 1,
      dueDate: businessDate,
      amount: toMoneyString(amount),
      paidAmount: '0.00',
      status: 'pending',
      scheduleChangeId: line.supersededByChangeId ?? null,
    },
    { transaction: t },
  );
}
