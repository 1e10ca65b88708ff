import type { Transaction } from 'sequelize';
import { problems } from '../../platform/http/problem';
import { Account, AccountStatusHistory, type AccountStatus } from './models';

/**
 * The account state machine. pending -> active once the down payment is paid (back to pending
 * when a reversal or refund takes that down payment back); active <-> suspended on arrears; closed when paid off (re-opened only when a reversal brings a balance
 * back); written_off and repossessed end the contract.
 */
export const TRANSITIONS: Readonly<Record<AccountStatus, readonly AccountStatus[]>> = {
  pending: ['active', 'closed', 'written_off'],
  active: ['suspended', 'closed', 'written_off', 'repossessed', 'pending'],
  suspended: ['active', 'closed', 'written_off', 'repossessed', 'pending'],
  closed: ['active', 'pending'],
  written_off: [],
  repossessed: ['written_off'],
};

export function canTransition(from: AccountStatus, to: AccountStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export interface TransitionContext {
  reason: string;
  by?: number | null;
  businessDate?: string | null;
}

/** Moves the (locked) account to `to`, recording the change; illegal moves are a 409. */
export async function transition(account: Account, to: AccountStatus, ctx: TransitionContext, transaction: Transaction): Promise<void> {
  const from = account.status;
  if (from === to) return;
  if (!canTransition(from, to)) {
    throw problems.conflict(`An account cannot go from ${from} to ${to}.`, 'illegal-transition', { from, to });
  }
  account.status = to;
  if (to === 'closed' || to === 'written_off' || to === 'repossessed') account.closedAt = new Date();
  if (to === 'active' && from === 'closed') account.closedAt = null;
  await AccountStatusHistory.create(
    {
      accountId: account.id,
      previousStatus: from,
      newStatus: to,
      reason: ctx.reason,
      changedBy: ctx.by ?? null,
      changedAt: new Date(),
      businessDate: ctx.businessDate ?? null,
    },
    { transaction },
  );
}
