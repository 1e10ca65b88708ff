import { Op, type Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { installmentStatus, outstanding } from './arrears';
import { Account, AccountCharge, InstallmentSchedule, type AccountChargeStatus, type InstallmentStatus } from './models';
import { catchUpNightly } from './nightly-step';
import { applyAccountState, nextAccountState } from './status';
import type { Payplan } from '../catalogue/models';
import { payplanTerms, type PayplanTerms } from '../catalogue/payplan-terms';
import { calendarOfRegion, type CountryCalendar } from '../organisation/business-date';

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
  const status = installmentStatus(
    { dueDate: i.dueDate, amount: i.amount, paidAmount, status: i.status === 'waived' || i.status === 'superseded' ? i.status : undefined },
    businessDate,
  );
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
