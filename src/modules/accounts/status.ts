import type { Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import { Decimal } from '../../platform/money';
import { carriesArrears, daysPastDue, parBucket, type InstallmentState } from './arrears';
import { transition } from './lifecycle';
import type { Account, AccountStatus, ParBucket } from './models';

/**
 * An account's next status and derived fields (DPD, PAR bucket, activation), worked out in one
 * pure function from its open items, its payplan and the business date. Every TypeScript path
 * uses it: the nightly step's catch-up (nightly-step.ts), payment posting, and balance changes
 * (reversals, refunds, charges, waivers, write-offs: accounts/settlement.ts settleAccount), and
 * the volume generator. The set-based SQL of the nightly close (operations/close-day.sql.ts) does
 * the 'close' occasion for many accounts at once; test/operations/arrears-sql.test.ts checks it
 * against this function on random accounts.
 */

/** What moved the account. Each occasion applies its own rules, in this order: */
export type StatusOccasion =
  /**
   * The nightly step of the business date: an active account whose DPD is beyond the plan's
   * limit is suspended. Nothing else changes status.
   */
  | 'close'
  /**
   * A payment settled items: pending -> active once the down payment is paid (activation on the
   * business date); suspended -> active when DPD is 0; active or suspended -> closed when the
   * balance is zero (paid off).
   */
  | 'payment'
  /**
   * The balance moved otherwise (reversal, refund, charge, waiver, write-off): back to pending when
   * the down payment is owed again (from active, suspended, or closed with a balance); closed ->
   * active when a balance is owed again; active or suspended -> closed when nothing is owed;
   * active -> suspended beyond the limit; suspended -> active when DPD is 0.
   */
  | 'balance';

/** An open (or just settled) instalment; installmentNumber 0 is the down payment. */
export interface StatusInstallment extends InstallmentState {
  installmentNumber: number;
}

export interface AccountFacts {
  status: AccountStatus;
  activationDate: CalendarDate | null;
  /** What the account owes (instalments and charges). */
  balance: string;
  /**
   * Its instalments that are not paid or waived (those settled by the payment being posted may be
   * included with status paid): DPD and whether the down payment is still owed come from them.
   */
  installments: StatusInstallment[];
  /** The payplan's days past due beyond which an active account is suspended. */
  daysUntilSuspension: number;
  businessDate: CalendarDate;
}

/** One status change, with the reason recorded in the status history. */
export interface StatusStep {
  from: AccountStatus;
  to: AccountStatus;
  reason: string;
}

export interface AccountState {
  status: AccountStatus;
  /** DPD of the schedule; 0 while the account is pending (arrears.ts carriesArrears). */
  daysPastDue: number;
  parBucket: ParBucket;
  activationDate: CalendarDate | null;
  /** The changes that lead from the account's status to `status`, in order (none: unchanged). */
  steps: StatusStep[];
}

/** Whether the down payment (instalment 0) is among the items still owing. */
export function downPaymentOwed(installments: Pick<StatusInstallment, 'installmentNumber' | 'status'>[]): boolean {
  return installments.some((i) => i.installmentNumber === 0 && i.status !== 'paid' && i.status !== 'waived');
}

export function nextAccountState(facts: AccountFacts, occasion: StatusOccasion): AccountState {
  const dpd = daysPastDue(facts.installments, facts.businessDate);
  const limit = facts.daysUntilSuspension;
  const balance = new Decimal(facts.balance);
  const steps: StatusStep[] = [];
  let status = facts.status;
  let activationDate = facts.activationDate;
  const move = (to: AccountStatus, reason: string) => {
    steps.push({ from: status, to, reason });
    status = to;
  };
  const beyondLimit = `DPD ${dpd} beyond the plan's ${limit} days`;

  if (occasion === 'close') {
    if (status === 'active' && dpd > limit) move('suspended', beyondLimit);
  } else if (occasion === 'payment') {
    if (status === 'pending' && !downPaymentOwed(facts.installments)) {
      activationDate = facts.businessDate;
      move('active', 'down payment received');
    }
    if (status === 'suspended' && dpd === 0) move('active', 'arrears cleared');
    if ((status === 'active' || status === 'suspended') && balance.isZero()) move('closed', 'paid off');
  } else {
    const owes = balance.greaterThan(0);
    if (downPaymentOwed(facts.installments) && (status === 'active' || status === 'suspended' || (status === 'closed' && owes))) {
      move('pending', 'the down payment is owed again');
      activationDate = null;
    }
    if (status === 'closed' && owes) move('active', 'a balance is owed again');
    if ((status === 'active' || status === 'suspended') && !owes) move('closed', 'nothing owed');
    if (status === 'active' && dpd > limit) move('suspended', beyondLimit);
    if (status === 'suspended' && dpd === 0) move('active', 'arrears cleared');
  }

  const accountDpd = carriesArrears(status) ? dpd : 0;
  return { status, daysPastDue: accountDpd, parBucket: parBucket(accountDpd), activationDate, steps };
}

/**
 * Applies a state from nextAccountState to the locked account: each status change through the
 * state machine (lifecycle.ts transition, which records the history and stamps closedAt), then
 * DPD, bucket and activation. `reasonPrefix` names the operation in the history (e.g. a refund).
 */
export async function applyAccountState(
  account: Account,
  next: AccountState,
  ctx: { by?: number | null; businessDate: CalendarDate; reasonPrefix?: string },
  t: Transaction,
): Promise<void> {
  for (const step of next.steps) {
    await transition(
      account,
      step.to,
      { by: ctx.by ?? null, businessDate: ctx.businessDate, reason: ctx.reasonPrefix ? `${ctx.reasonPrefix}: ${step.reason}` : step.reason },
      t,
    );
    // Back to pending: the loan has not started, so it has not closed either.
    if (step.to === 'pending') account.closedAt = null;
  }
  account.daysPastDue = next.daysPastDue;
  account.parBucket = next.parBucket;
  // Only when it changed: an account read without the column keeps it unwritten.
  if (next.activationDate !== (account.activationDate ?? null)) account.activationDate = next.activationDate;
}

/** What back office may do to an account's status by hand (collections/status-actions.ts), each with a reason. */
export const MANUAL_STATUS_ACTIONS = ['suspend', 'reactivate', 'mark-for-repossession', 'close-settled'] as const;
export type ManualStatusAction = (typeof MANUAL_STATUS_ACTIONS)[number];

export interface ManualStatusFacts {
  status: AccountStatus;
  /** DPD as of the business date (after the nightly catch-up). */
  daysPastDue: number;
  balance: string;
  daysUntilSuspension: number;
}

/**
 * The status change a manual action makes (none: the status stays, e.g. marking a suspended account
 * for repossession), or why it is refused (a 409). Pure, like nextAccountState:
 *  - suspend: an active account only;
 *  - reactivate: a suspended account whose DPD is within its plan's limit (beyond it the next close
 *    would suspend it again);
 *  - mark-for-repossession: an active or suspended account in arrears (DPD > 0: a current account
 *    is not repossessed); an active one is suspended;
 *  - close-settled: an active or suspended account that owes nothing (what remains is collected
 *    or written off first).
 */
export function manualStatusStep(action: ManualStatusAction, facts: ManualStatusFacts): { step: StatusStep | null } | { refusal: string } {
  const { status, daysPastDue: dpd } = facts;
  const live = status === 'active' || status === 'suspended';
  switch (action) {
    case 'suspend':
      return status === 'active'
        ? { step: { from: status, to: 'suspended', reason: 'suspended by hand' } }
        : { refusal: `Only an active account can be suspended (it is ${status}).` };
    case 'reactivate':
      if (status !== 'suspended') return { refusal: `Only a suspended account can be reactivated (it is ${status}).` };
      if (dpd > facts.daysUntilSuspension)
        return { refusal: `DPD ${dpd} is beyond the plan's ${facts.daysUntilSuspension} days: the next close would suspend it again.` };
      return { step: { from: status, to: 'active', reason: 'reactivated by hand' } };
    case 'mark-for-repossession':
      if (!live) return { refusal: `Only an active or suspended account can be marked for repossession (it is ${status}).` };
      if (dpd <= 0) return { refusal: 'A current account (DPD 0) is not repossessed.' };
      return { step: status === 'active' ? { from: status, to: 'suspended', reason: 'marked for repossession' } : null };
    case 'close-settled':
      if (!live) return { refusal: `Only an active or suspended account can be closed as settled (it is ${status}).` };
      if (new Decimal(facts.balance).greaterThan(0)) return { refusal: `The account still owes ${facts.balance}: collect it or write it off first.` };
      return { step: { from: status, to: 'closed', reason: 'closed as settled' } };
  }
}
