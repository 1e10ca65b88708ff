import { Op, type Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import { Decimal, toMoneyString } from '../../platform/money';
import { AccountCharge, InstallmentSchedule, type Account } from '../accounts/models';
import { reissueSuperseded } from '../accounts/schedule-change';
import { chargeAfter, installmentAfter } from '../accounts/settlement';
import { PaymentAllocation } from './models';

/**
 * Taking a payment's allocations back (reversals, refunds). The allocation rows are payments';
 * how an instalment or a charge changes when money leaves it is accounts/settlement.ts.
 */
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
      if (after.status === 'waived' || (writtenOff && after.status === 'superseded')) result.waived.push({ ledger: '5200', amount: take });
      else {
        // A superseded line owes nothing: what is owed again goes on a new line (schedule-change.ts).
        if (after.status === 'superseded') await reissueSuperseded(i, take, businessDate, t);
        result.reopened = result.reopened.plus(take);
      }
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
