import { Op, type Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import type { Payplan } from '../catalogue/models';
import { Account, InstallmentSchedule } from './models';
import { applyAccountState, nextAccountState } from './status';

/**
 * The nightly close's work for one account, applied to a locked account whose last close is
 * older than the business date (a payment at 00:05 must see what the close would have done).
 * The set-based nightly job computes exactly the same: instalments due before the business date
 * and not fully paid become overdue; then status.ts nextAccountState(..., 'close'): DPD and PAR
 * bucket (0 and current while the account is pending: carriesArrears); past the plan's limit, suspended.
 */
export async function catchUpNightly(
  account: Account,
  payplan: Pick<Payplan, 'daysUntilSuspension'>,
  businessDate: CalendarDate,
  transaction: Transaction,
): Promise<void> {
  if (account.lastNightlyBusinessDate && account.lastNightlyBusinessDate >= businessDate) return;
  await InstallmentSchedule.update(
    { status: 'overdue' },
    { where: { accountId: account.id, status: { [Op.in]: ['pending', 'partial'] }, dueDate: { [Op.lt]: businessDate } }, transaction },
  );
  const open = await InstallmentSchedule.findAll({
    where: { accountId: account.id, status: { [Op.in]: ['pending', 'partial', 'overdue'] } },
    attributes: ['installmentNumber', 'dueDate', 'amount', 'paidAmount', 'status'],
    transaction,
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
    'close',
  );
  account.lastNightlyBusinessDate = businessDate;
  await applyAccountState(account, next, { businessDate }, transaction);
}
