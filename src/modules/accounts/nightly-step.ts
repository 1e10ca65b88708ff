import { Op, type Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import type { Payplan } from '../catalogue/models';
import { accountDaysPastDue, parBucket } from './arrears';
import { transition } from './lifecycle';
import { Account, InstallmentSchedule } from './models';

/**
 * The nightly close's work for one account, applied to a locked account whose last close is
 * older than the business date (a payment at 00:05 must see what the close would have done).
 * The set-based nightly job computes exactly the same: instalments due before the business date
 * and not fully paid become overdue; DPD and PAR bucket follow (0 and current while the account is
 * pending: carriesArrears); past the plan's limit, suspended.
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
    attributes: ['dueDate', 'amount', 'paidAmount', 'status'],
    transaction,
  });
  const dpd = accountDaysPastDue(account.status, open, businessDate);
  account.daysPastDue = dpd;
  account.parBucket = parBucket(dpd);
  account.lastNightlyBusinessDate = businessDate;
  if (account.status === 'active' && dpd > payplan.daysUntilSuspension) {
    await transition(account, 'suspended', { reason: `DPD ${dpd} beyond the plan's ${payplan.daysUntilSuspension} days`, businessDate }, transaction);
  }
}
