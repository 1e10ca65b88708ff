import { Op, type Sequelize, type Transaction } from 'sequelize';
import { inRegionScope } from '../../platform/auth/principal';
import { withTransaction } from '../../platform/db/transaction';
import { type Paged, pageOf } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { Account } from '../accounts/models';
import { audit } from '../audit/audit';
import { integrations } from '../integrations/outbox';
import { LEDGER, type LedgerCode } from '../ledger/chart';
import { postEntry, type LineSpec } from '../ledger/journal.service';
import { paymentEvents, type Effects } from '../payments/events';
import { Payment, PaymentAllocation, PaymentReversal } from '../payments/models';
import {
  decisionListWhere,
  refuseOwnRequest,
  rejectPending,
  type Decider,
  type InboxAfter,
  type PendingItem,
  pendingInScope,
} from '../../platform/approvals/kit';
import type { ScopedActor } from '../../platform/auth/actor';
import { lockAccount, preparedAccount, settleAccount } from '../accounts/settlement';
import { unapplyAllocations } from '../payments/unapply';
import { calendarOfRegion } from '../organisation/business-date';
import { Refund, type RefundMethod, type RefundStatus } from './models';

/** Where the money of a paid-out refund leaves from. */
export const REFUND_PAYOUT_LEDGER: Record<RefundMethod, LedgerCode> = {
  mobile_money: LEDGER.mobileMoneyClearing,
  bank: LEDGER.bank,
  cash: LEDGER.cashOnHand,
};

/** Refunds that keep a payment from being reversed: it really happened, part of it went back. */
const LIVE_REFUND_STATUSES = ['pending', 'approved', 'completed'] as const;

/**
 * The reversal guard billing registers (payments/events.ts beforeReversal), in the reversal's
 * transaction: 409 payment-refunded for a payment with a live refund.
 */
export async function refuseReversalOfRefunded(payment: Payment, t: Transaction): Promise<void> {
  const refunds = await Refund.count({ where: { paymentId: payment.id, status: { [Op.in]: [...LIVE_REFUND_STATUSES] } }, transaction: t });
  if (refunds > 0) throw problems.conflict('Part of this payment is refunded or being refunded; it can no longer be reversed.', 'payment-refunded');
}

export interface RefundRequest {
  paymentId: number;
  amount: MoneyString;
  reason: string;
  method: RefundMethod;
  destination?: string;
}

export function refundView(r: Refund) {
  return {
    id: r.id,
    paymentId: r.paymentId,
    accountId: r.accountId,
    amount: r.amount,
    currency: r.currency,
    reason: r.reason,
    method: r.method,
    destination: r.destination,
    status: r.status,
    requestedBy: r.requestedBy,
    approvedBy: r.approvedBy,
    decidedAt: r.decidedAt ? r.decidedAt.toISOString() : null,
    rejectionReason: r.rejectionReason,
    refundDate: r.refundDate,
    payoutReference: r.payoutReference,
    journalEntryId: r.journalEntryId,
    createdAt: r.createdAt.toISOString(),
  };
}

/**
 * Refunds of money a customer paid, maker-checker. Approval (account locked) takes the amount
 * first from the account's credit balance (Dr 2100), the rest by taking back the payment's
 * allocations newest first (Dr 1200: the customer owes it again) or, for a recovery on a
 * written-off account, from recoveries (Dr 4500); the credit side is Cr 2400 refunds payable.
 * Paying it out later (complete) is Dr 2400 / Cr the money account of the refund's method.
 */
export class RefundService {
  constructor(private readonly sequelize: Sequelize) {}

  private async visibleRefund(actor: ScopedActor, id: number): Promise<Refund> {
    const refund = await Refund.findByPk(id, { include: [{ model: Account, as: 'account', attributes: ['id', 'regionId'] }] });
    if (!refund || !refund.account || !inRegionScope(actor.scope, refund.account.regionId)) throw problems.notFound('refund');
    return refund;
  }

  async get(actor: ScopedActor, id: number): Promise<Refund> {
    return this.visibleRefund(actor, id);
  }

  async list(
    actor: ScopedActor,
    q: { status?: RefundStatus; requestedBy?: number; paymentId?: number; accountId?: number; limit: number; cursor?: string },
  ): Promise<Paged<Refund>> {
    const where = decisionListWhere(q);
    if (q.paymentId) where.push({ paymentId: q.paymentId });
    if (q.accountId) where.push({ accountId: q.accountId });
    const rows = await Refund.findAll({
      where: { [Op.and]: where },
      include: [
        {
          model: Account,
          as: 'account',
          attributes: ['id', 'regionId'],
          where: actor.scope.all ? undefined : { regionId: { [Op.in]: [...actor.scope.regionIds] } },
        },
      ],
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  /** Pending refunds of payments the decider may decide (the approvals inbox): in scope, not their own. */
  async pending(decider: Decider, after: InboxAfter | undefined, limit: number): Promise<PendingItem[]> {
    const rows = await pendingInScope(Refund, { model: Account, as: 'account', attributes: ['id', 'regionId'] }, decider, after, limit, {
      paymentId: { [Op.ne]: null },
    });
    return rows.map((r) => ({
      id: r.id,
      amount: r.amount,
      requestedBy: r.requestedBy,
      requestedAt: r.createdAt,
      regionId: r.account!.regionId,
      accountId: r.accountId,
      employeeId: null,
    }));
  }

  /** What refunds already hold of a payment (pending ones included when asking). */
  private async refunded(paymentId: number, statuses: RefundStatus[], t: Transaction, exceptId?: number): Promise<Decimal> {
    const rows = await Refund.findAll({
      where: { paymentId, status: { [Op.in]: statuses }, ...(exceptId ? { id: { [Op.ne]: exceptId } } : {}) },
      attributes: ['amount'],
      transaction: t,
    });
    return rows.reduce((s, r) => s.plus(r.amount), new Decimal(0));
  }

  private async checkRefundable(payment: Payment, amount: Decimal, already: Decimal, t: Transaction): Promise<void> {
    if (payment.status !== 'completed') {
      throw problems.conflict(`Only a completed payment can be refunded; this one is ${payment.status}.`, 'payment-not-completed', {
        currentStatus: payment.status,
      });
    }
    const reversal = await PaymentReversal.findOne({ where: { paymentId: payment.id, status: 'pending' }, attributes: ['id'], transaction: t });
    if (reversal)
      throw problems.conflict('A reversal of this payment is waiting for approval; decide it first.', 'reversal-pending', { reversalId: reversal.id });
    const refundable = new Decimal(payment.amount).minus(already);
    if (amount.greaterThan(refundable)) {
      throw problems.unprocessable(
        `A refund of ${amount.toFixed(2)} exceeds what this payment can still give back (${toMoneyString(Decimal.max(refundable, 0))}).`,
        'refund-exceeds-payment',
        { refundable: toMoneyString(Decimal.max(refundable, 0)) },
      );
    }
  }

  async request(actor: ScopedActor, input: RefundRequest): Promise<Refund> {
    const amount = new Decimal(input.amount);
    if (amount.lessThanOrEqualTo(0)) throw problems.validation([{ field: 'amount', in: 'body', message: 'amount must be positive' }]);
    const visible = await Payment.findByPk(input.paymentId, { attributes: ['id', 'accountId', 'regionId'] });
    if (!visible || !inRegionScope(actor.scope, visible.regionId)) throw problems.notFound('payment');
    return withTransaction(this.sequelize, async (t) => {
      await lockAccount(visible.accountId, t);
      const payment = (await Payment.findByPk(input.paymentId, { transaction: t }))!;
      await this.checkRefundable(payment, amount, await this.refunded(payment.id, ['pending', 'approved', 'completed'], t), t);
      const refund = await Refund.create(
        {
          paymentId: payment.id,
          accountId: payment.accountId,
          amount: toMoneyString(amount),
          currency: payment.currency,
          reason: input.reason,
          method: input.method,
          destination: input.destination ?? null,
          requestedBy: actor.employeeId,
        },
        { transaction: t },
      );
      await audit.record(t, {
        actor,
        action: 'refund.request',
        entity: 'refunds',
        entityId: refund.id,
        after: { paymentId: payment.id, amount: refund.amount, method: input.method, reason: input.reason },
      });
      return refund;
    });
  }

  async approve(actor: ScopedActor, id: number): Promise<{ refund: Refund; effects: Effects }> {
    const visible = await this.visibleRefund(actor, id);
    refuseOwnRequest(visible.requestedBy, actor, 'refund');
    if (!visible.paymentId) throw problems.conflict('This refund is not of a payment; it is decided where it was raised.', 'not-a-payment-refund');
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(visible.accountId!, t);
      const refund = (await Refund.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      if (refund.status !== 'pending') throw problems.conflict(`This refund is already ${refund.status}.`, 'already-decided', { currentStatus: refund.status });
      const payment = (await Payment.findByPk(refund.paymentId!, { transaction: t }))!;
      const amount = new Decimal(refund.amount);
      await this.checkRefundable(payment, amount, await this.refunded(payment.id, ['approved', 'completed'], t, refund.id), t);
      const { calendar, payplan } = await preparedAccount(account, t);
      const businessDate = calendar.businessDate;

      const fromCredit = Decimal.min(amount, account.creditBalance);
      const rest = amount.minus(fromCredit);
      const lines: LineSpec[] = [
        { ledger: LEDGER.customerCreditBalances, debit: toMoneyString(fromCredit), accountId: account.id, memo: 'from the credit balance' },
        { ledger: LEDGER.refundsPayable, credit: toMoneyString(amount) },
      ];
      let reopened = new Decimal(0);
      if (rest.greaterThan(0)) {
        const allocated = await PaymentAllocation.count({ where: { paymentId: payment.id }, transaction: t });
        if (allocated === 0) {
          // A recovery on a written-off account settled nothing: giving it back reduces recoveries.
          lines.push({ ledger: LEDGER.recoveries, debit: toMoneyString(rest), memo: 'recovery given back' });
        } else {
          const undone = await unapplyAllocations(account, payment.id, rest, businessDate, t);
          const waived = undone.waived.reduce((s, w) => s.plus(w.amount), new Decimal(0));
          if (!undone.reopened.plus(waived).equals(rest)) {
            throw problems.conflict(
              `Only ${undone.reopened.plus(waived).toFixed(2)} of this payment is still allocated and the credit balance holds ${fromCredit.toFixed(2)}: the refund of ${amount.toFixed(2)} cannot be covered.`,
              'refund-not-covered',
            );
          }
          reopened = undone.reopened;
          lines.push({ ledger: LEDGER.loansReceivable, debit: toMoneyString(rest), accountId: account.id, memo: 'allocations taken back' });
          for (const w of undone.waived) lines.push({ ledger: w.ledger, debit: toMoneyString(w.amount), memo: 'restored on a waived item: written off again' });
          if (waived.greaterThan(0))
            lines.push({ ledger: LEDGER.loansReceivable, credit: toMoneyString(waived), accountId: account.id, memo: 'written off again' });
        }
      }
      account.creditBalance = toMoneyString(new Decimal(account.creditBalance).minus(fromCredit));
      account.balance = toMoneyString(new Decimal(account.balance).plus(reopened));
      await settleAccount(account, payplan, businessDate, { by: actor.employeeId, reason: `refund ${refund.id} approved` }, t);
      await account.save({ transaction: t });
      const entry = await postEntry(
        {
          businessDate,
          countryId: calendar.countryId,
          description: `Refund ${refund.id} of payment ${payment.transactionRef} on ${account.accountNumber}`,
          sourceType: 'refund',
          sourceId: refund.id,
          accountId: account.id,
          currency: calendar.currency,
          createdBy: actor.employeeId,
          lines,
        },
        t,
      );
      await refund.update({ status: 'approved', approvedBy: actor.employeeId, decidedAt: new Date(), journalEntryId: entry.id }, { transaction: t });
      // Other domains take back what the money given back had bought (devices: credit days and a
      // token); after the status change, so the refund counts as given back.
      const effects = await paymentEvents.emitRefunded({ payment, account, businessDate, refundId: refund.id, refundedBy: actor.employeeId }, t);
      await integrations.enqueue(t, {
        aggregate: 'refund',
        id: refund.id,
        event: 'refund.approved',
        payload: {
          refundId: refund.id,
          paymentId: payment.id,
          accountId: account.id,
          amount: refund.amount,
          fromCredit: toMoneyString(fromCredit),
          journalEntryId: entry.id,
          businessDate,
        },
      });
      await audit.record(t, {
        actor,
        action: 'refund.approve',
        entity: 'refunds',
        entityId: refund.id,
        before: { status: 'pending' },
        after: { status: 'approved', journalEntryId: entry.id },
      });
      return { refund, effects };
    });
  }

  async reject(actor: ScopedActor, id: number, reason: string): Promise<Refund> {
    const visible = await this.visibleRefund(actor, id);
    return rejectPending(this.sequelize, audit, {
      model: Refund,
      id,
      what: 'refund',
      requestedBy: visible.requestedBy,
      actor,
      reason,
      action: 'refund.reject',
      lockFirst: (t) => lockAccount(visible.accountId!, t),
    });
  }

  /** The money went out: Dr 2400 refunds payable / Cr the money account of the refund's method. */
  async complete(actor: ScopedActor, id: number, payoutReference: string): Promise<Refund> {
    const visible = await this.visibleRefund(actor, id);
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(visible.accountId!, t);
      const refund = (await Refund.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      if (refund.status !== 'approved')
        throw problems.conflict(`Only an approved refund can be paid out; this one is ${refund.status}.`, 'refund-not-approved', {
          currentStatus: refund.status,
        });
      const calendar = await calendarOfRegion(account.regionId, t);
      const entry = await postEntry(
        {
          businessDate: calendar.businessDate,
          countryId: calendar.countryId,
          description: `Refund ${refund.id} paid out (${refund.method} ${payoutReference})`,
          sourceType: 'refund',
          sourceId: refund.id,
          accountId: account.id,
          currency: calendar.currency,
          createdBy: actor.employeeId,
          lines: [
            { ledger: LEDGER.refundsPayable, debit: refund.amount },
            { ledger: REFUND_PAYOUT_LEDGER[refund.method], credit: refund.amount },
          ],
        },
        t,
      );
      await refund.update({ status: 'completed', payoutReference, refundDate: calendar.businessDate }, { transaction: t });
      await integrations.enqueue(t, {
        aggregate: 'refund',
        id: refund.id,
        event: 'refund.completed',
        payload: {
          refundId: refund.id,
          accountId: account.id,
          amount: refund.amount,
          payoutReference,
          journalEntryId: entry.id,
          refundDate: calendar.businessDate,
        },
      });
      await audit.record(t, {
        actor,
        action: 'refund.complete',
        entity: 'refunds',
        entityId: refund.id,
        before: { status: 'approved' },
        after: { status: 'completed', payoutReference },
      });
      return refund;
    });
  }
}
