import { daysBetween, type CalendarDate } from '../../platform/dates';
import { Decimal } from '../../platform/money';
import type { AccountStatus, InstallmentStatus, ParBucket } from './models';

/** The one definition of DPD, PAR buckets and instalment status, used by payments and the nightly close. */
export interface InstallmentState {
  dueDate: CalendarDate;
  amount: string;
  paidAmount: string;
  status: InstallmentStatus;
}

/** What a line still owes: nothing when waived or superseded (a schedule change re-issued it). */
export function outstanding(i: Pick<InstallmentState, 'amount' | 'paidAmount' | 'status'>): Decimal {
  if (i.status === 'waived' || i.status === 'superseded') return new Decimal(0);
  return Decimal.max(new Decimal(i.amount).minus(i.paidAmount), 0);
}

/** Days since the oldest unpaid instalment fell due (0 when nothing due before the business date is unpaid). */
export function daysPastDue(installments: InstallmentState[], businessDate: CalendarDate): number {
  let oldest: CalendarDate | undefined;
  for (const i of installments) {
    if (i.dueDate < businessDate && outstanding(i).greaterThan(0) && (!oldest || i.dueDate < oldest)) oldest = i.dueDate;
  }
  return oldest ? daysBetween(oldest, businessDate) : 0;
}

/**
 * Whether an account carries arrears (DPD, a PAR bucket other than current): every status but
 * pending. A pending account's down payment is unpaid, so the loan has not started (no device
 * credit, not in the portfolio PAR counts): DPD 0, bucket current. A late down payment shows as
 * the account's overdue instalment 0 on a pending account (docs/nightly-close.md).
 */
export function carriesArrears(status: AccountStatus): boolean {
  return status !== 'pending';
}

/** An account's DPD: daysPastDue() of its schedule, 0 while it is pending (carriesArrears). */
export function accountDaysPastDue(status: AccountStatus, installments: InstallmentState[], businessDate: CalendarDate): number {
  return carriesArrears(status) ? daysPastDue(installments, businessDate) : 0;
}

export function parBucket(dpd: number): ParBucket {
  if (dpd <= 0) return 'current';
  if (dpd <= 30) return '1-30';
  if (dpd <= 60) return '31-60';
  if (dpd <= 90) return '61-90';
  return '90+';
}

/** What an instalment's status is, given what is paid and the business date. */
export function installmentStatus(i: Omit<InstallmentState, 'status'> & { status?: InstallmentStatus }, businessDate: CalendarDate): InstallmentStatus {
  // Waived and superseded lines keep their status whatever money moves on them (a reversal).
  if (i.status === 'waived' || i.status === 'superseded') return i.status;
  const paid = new Decimal(i.paidAmount);
  if (paid.greaterThanOrEqualTo(i.amount)) return 'paid';
  if (i.dueDate < businessDate) return 'overdue';
  return paid.greaterThan(0) ? 'partial' : 'pending';
}
