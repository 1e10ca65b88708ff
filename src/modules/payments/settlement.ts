import { Op, type Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { installmentStatus, outstanding } from '../accounts/arrears';
import { Account, AccountCharge, InstallmentSchedule, type AccountChargeStatus, type InstallmentStatus } from '../accounts/models';
import { catchUpNightly } from '../accounts/nightly-step';
import { applyAccountState, nextAccountState } from '../accounts/status';
import type { Payplan } from '../catalogue/models';
import { payplanTerms, type PayplanTerms } from '../catalogue/payplan-terms';
import { calendarOfRegion, type CountryCalendar } from '../organisation/business-date';
import { PaymentAllocation } from './models';

/**
 * How money moving onto or off an instalment or a charge changes it. Payment posting applies a
 * positive amount; reversals and refunds take money back with a negative one. One definition, so
 * that undoing a payment restores exactly what posting it changed.
 */
export interface InstallmentChange {
  paidAmount: MoneyString;
  status: InstallmentStatus;
  paidDate: CalendarDate | null;
}

export function installmentAfter(
  i: Pick<InstallmentSchedule, 'dueDate' | 'amount' | 'paidAmount' | 'status' | 'paidDate'>,
  delta: Decimal,
  businessDate: CalendarDate,
): InstallmentChange {
  const paid = new Decimal(i.paidAmount).plus(delta);
  if (paid.isNegative()) throw new Error(`instalment paidAmount would go below zero (${paid.toFixed(2)})`);
  const paidAmount = toMoneyString(paid);
  const status = installmentStatus({ dueDate: i.dueDate, amount: i.amount, paidAmount, status: i.status === 'waived' ? 'waived' : undefined }, businessDate);
  // A fully paid instalment keeps the date it was first settled on; anything less has no paid date.
  const paidDate = status === 'paid' ? (i.status === 'paid' && i.paidDate ? i.paidDate : businessDate) : null;
  return { paidAmount, status, paidDate };
}

export interface ChargeChange {
  paidAmount: MoneyString;
  status: AccountChargeStatus;
}

export function chargeAfter(c: Pick<AccountCharge, 'amount' | 'paidAmount' | 'status'>, delta: Decimal): ChargeChange {
  const paid = new Decimal(c.paidAmount).plus(delta);
  if (paid.isNegative()) throw new Error(`charge paidAmount would go below zero (${paid.toFixed(2)})`);
  const status: AccountChargeStatus =
    c.status === 'waived' ? 'waived' : paid.greaterThanOrEqualTo(c.amount) ? 'paid' : paid.greaterThan(0) ? 'partial' : 'pending';
  return { paidAmount: toMoneyString(paid), status };
}

export interface Unapplied {
  /** Receivable that is owed again (goes back onto the account's balance). */
  reopened: Decimal;
  /**
   * Receivable restored on items that are waived (a written-off account, or a waived charge): it
   * must be written off again by the caller (Dr `ledger` / Cr 1200) so the balance keeps equal to
   * what the open items owe.
   */
  waived: { ledger: '5200' | '4300' | '4400'; amount: Decimal }[];
  /** Allocation rows taken back (reversedAt set). */
  allocationIds: number[];
}

/**
 * Takes back a payment's instalment and charge allocations, newest first, up to `limit` (all of
 * them when undefined), on an account the caller has locked. Each allocation taken back gets its
 * reversedAt; when only part of one is taken, the rest is written as a new allocation row so that
 * the payment's live allocations (reversedAt IS NULL) always say what it still settles.
 */
export async function unapplyAllocations(
  account: Account,
  paymentId: number,
  limit: Decimal | undefined,
  businessDate: CalendarDate,
  t: Transaction,
): Promise<Unapplied> {
  const rows = await PaymentAllocation.findAll({
    where: { paymentId, reversedAt: null, allocationType: { [Op.in]: ['installment', 'charge'] } },
    order: [['id', 'DESC']],
    transaction: t,
  });
  const now = new Date();
  const result: Unapplied = { reopened: new Decimal(0), waived: [], allocationIds: [] };
  let left = limit;
  const writtenOff = account.status === 'written_off';
  for (const a of rows) {
    if (left !== undefined && left.lessThanOrEqualTo(0)) break;
    const take = left === undefined ? new Decimal(a.amount) : Decimal.min(left, a.amount);
    if (left !== undefined) left = left.minus(take);
    if (a.allocationType === 'installment') {
      const i = (await InstallmentSchedule.findByPk(a.installmentScheduleId!, { transaction: t }))!;
      const after = installmentAfter(i, take.negated(), businessDate);
      // On a written-off account what comes back is written off again: the item stays waived.
      if (writtenOff && after.status !== 'paid') after.status = 'waived';
      await InstallmentSchedule.update(after, { where: { id: i.id }, transaction: t });
      if (after.status === 'waived') result.waived.push({ ledger: '5200', amount: take });
      else result.reopened = result.reopened.plus(take);
    } else {
      const c = (await AccountCharge.findByPk(a.accountChargeId!, { transaction: t }))!;
      const after = chargeAfter(c, take.negated());
      if (writtenOff && after.status !== 'paid') after.status = 'waived';
      await AccountCharge.update(after, { where: { id: c.id }, transaction: t });
      if (after.status === 'waived') result.waived.push({ ledger: writtenOff ? '5200' : c.chargeType === 'penalty' ? '4400' : '4300', amount: take });
      else result.reopened = result.reopened.plus(take);
    }
    await a.update({ reversedAt: now }, { transaction: t });
    result.allocationIds.push(a.id);
    const rest = new Decimal(a.amount).minus(take);
    if (rest.greaterThan(0)) {
      await PaymentAllocation.create(
        {
          paymentId,
          allocationType: a.allocationType,
          installmentScheduleId: a.installmentScheduleId,
          accountChargeId: a.accountChargeId,
          amount: toMoneyString(rest),
        },
        { transaction: t },
      );
    }
  }
  return result;
}

/** What the open instalments and charges of an account owe: the one true balance. */
export async function owedByItems(accountId: number, t: Transaction): Promise<Decimal> {
  const [installments, charges] = await Promise.all([
    InstallmentSchedule.findAll({
      where: { accountId, status: { [Op.in]: ['pending', 'partial', 'overdue'] } },
      attributes: ['amount', 'paidAmount', 'status'],
      transaction: t,
    }),
    AccountCharge.findAll({
      where: { accountId, status: { [Op.in]: ['pending', 'partial'] } },
      attributes: ['amount', 'paidAmount', 'status'],
      transaction: t,
    }),
  ]);
  let owed = new Decimal(0);
  for (const i of installments) owed = owed.plus(outstanding(i));
  for (const c of charges) owed = owed.plus(Decimal.max(new Decimal(c.amount).minus(c.paidAmount), 0));
  return owed;
}

/**
 * After the balance of a locked account moved (reversal, refund, charge, waiver): DPD, PAR and
 * the status that follows, by status.ts nextAccountState(..., 'balance'). A balance coming back
 * re-opens a closed account; a zero balance closes an active or suspended one; arrears beyond the
 * plan's limit suspend an active one, and cleared arrears re-activate a suspended one.
 */
export async function settleAccount(
  account: Account,
  payplan: Pick<Payplan, 'daysUntilSuspension'>,
  businessDate: CalendarDate,
  ctx: { by: number | null; reason: string },
  t: Transaction,
): Promise<void> {
  const open = await InstallmentSchedule.findAll({
    where: { accountId: account.id, status: { [Op.in]: ['pending', 'partial', 'overdue'] } },
    attributes: ['installmentNumber', 'dueDate', 'amount', 'paidAmount', 'status'],
    transaction: t,
  });
  const next = nextAccountState(
    {
      status: account.status,
      activationDate: account.activationDate ?? null,
      balance: account.balance,
      installments: open,
      daysUntilSuspension: payplan.daysUntilSuspension,
      businessDate,
    },
    'balance',
  );
  await applyAccountState(account, next, { by: ctx.by, businessDate, reasonPrefix: ctx.reason }, t);
}

/** Locks an account row for a money change: always the first lock a money transaction takes. */
export async function lockAccount(accountId: number, t: Transaction): Promise<Account> {
  const account = await Account.findByPk(accountId, { lock: t.LOCK.UPDATE, transaction: t });
  if (!account) throw problems.notFound('account');
  return account;
}

/**
 * For a locked account: its country's calendar and its payplan, with the nightly step it missed
 * applied first (as payment posting does), so DPD and overdue flags are those of today.
 */
export async function preparedAccount(account: Account, t: Transaction): Promise<{ calendar: CountryCalendar; payplan: PayplanTerms }> {
  const [calendar, payplan] = await Promise.all([calendarOfRegion(account.regionId, t), payplanTerms(account.payplanId, t)]);
  await catchUpNightly(account, payplan, calendar.businessDate, t);
  return { calendar, payplan };
}
