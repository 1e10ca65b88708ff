import { Op, type Sequelize, type Transaction } from 'sequelize';
import { inRegionScope } from '../../platform/auth/principal';
import { withTransaction } from '../../platform/db/transaction';
import { problems } from '../../platform/http/problem';
import { type Paged, pageOf } from '../../platform/http/pagination';
import { Decimal, toMoneyString } from '../../platform/money';
import { audit } from '../audit/audit';
import { integrations } from '../integrations/outbox';
import { LEDGER } from '../ledger/chart';
import { postEntry, reverseEntry } from '../ledger/journal.service';
import { JournalEntry } from '../ledger/models';
import { paymentEvents, type Effects } from './events';
import { Payment, PaymentAllocation, PaymentReversal, type PaymentReversalStatus } from './models';
import { decisionListWhere, refuseOwnRequest, type Decider, type InboxAfter, type PendingItem, pendingInScope } from '../../platform/approvals/kit';
import type { ScopedActor } from '../../platform/auth/actor';
import { lockAccount, preparedAccount, settleAccount } from '../accounts/settlement';
import { unapplyAllocations } from './unapply';

export function reversalView(r: PaymentReversal) {
  return {
    id: r.id,
    paymentId: r.paymentId,
    amount: r.amount,
    reason: r.reason,
    status: r.status,
    requestedBy: r.requestedBy,
    approvedBy: r.approvedBy,
    decidedAt: r.decidedAt ? r.decidedAt.toISOString() : null,
    journalEntryId: r.journalEntryId,
    createdAt: r.createdAt.toISOString(),
  };
}

/**
 * Payment reversal, maker-checker: one employee asks, another decides. Approval undoes the
 * payment exactly, in one transaction with the account locked: allocations taken back, the
 * overpayment taken back from the credit balance, balance, DPD and status recomputed, and the
 * payment's journal entry reversed (its lines are never touched).
 */
export class ReversalService {
  constructor(private readonly sequelize: Sequelize) {}

  private async visiblePayment(actor: ScopedActor, paymentId: number): Promise<Payment> {
    const payment = await Payment.findByPk(paymentId, { attributes: ['id', 'accountId', 'regionId'] });
    if (!payment || !inRegionScope(actor.scope, payment.regionId)) throw problems.notFound('payment');
    return payment;
  }

  private async visibleReversal(actor: ScopedActor, id: number): Promise<PaymentReversal> {
    const r = await PaymentReversal.findByPk(id, { include: [{ model: Payment, as: 'payment', attributes: ['id', 'accountId', 'regionId'] }] });
    if (!r || !inRegionScope(actor.scope, r.payment!.regionId)) throw problems.notFound('payment reversal');
    return r;
  }

  async get(actor: ScopedActor, id: number): Promise<PaymentReversal> {
    return this.visibleReversal(actor, id);
  }

  async list(
    actor: ScopedActor,
    q: { status?: PaymentReversalStatus; requestedBy?: number; paymentId?: number; limit: number; cursor?: string },
  ): Promise<Paged<PaymentReversal>> {
    const where = decisionListWhere(q);
    if (q.paymentId) where.push({ paymentId: q.paymentId });
    const rows = await PaymentReversal.findAll({
      where: { [Op.and]: where },
      include: [
        {
          model: Payment,
          as: 'payment',
          attributes: ['id', 'regionId'],
          where: actor.scope.all ? undefined : { regionId: { [Op.in]: [...actor.scope.regionIds] } },
        },
      ],
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  /** Pending reversals the decider may decide (the approvals inbox): in scope, not their own. */
  async pending(decider: Decider, after: InboxAfter | undefined, limit: number): Promise<PendingItem[]> {
    const rows = await pendingInScope(PaymentReversal, { model: Payment, as: 'payment', attributes: ['id', 'accountId', 'regionId'] }, decider, after, limit);
    return rows.map((r) => ({
      id: r.id,
      amount: r.amount,
      requestedBy: r.requestedBy,
      requestedAt: r.createdAt,
      regionId: r.payment!.regionId,
      accountId: r.payment!.accountId,
      employeeId: null,
    }));
  }

  async request(actor: ScopedActor, paymentId: number, reason: string): Promise<PaymentReversal> {
    const visible = await this.visiblePayment(actor, paymentId);
    return withTransaction(this.sequelize, async (t) => {
      await lockAccount(visible.accountId, t);
      const payment = (await Payment.findByPk(paymentId, { transaction: t }))!;
      await this.checkReversible(payment, t);
      const pending = await PaymentReversal.findOne({ where: { paymentId, status: 'pending' }, attributes: ['id'], transaction: t });
      if (pending) throw problems.conflict('A reversal of this payment is already waiting for approval.', 'reversal-pending', { reversalId: pending.id });
      const reversal = await PaymentReversal.create({ paymentId, reason, amount: payment.amount, requestedBy: actor.employeeId }, { transaction: t });
      await audit.record(t, {
        actor,
        action: 'paymentReversal.request',
        entity: 'paymentReversals',
        entityId: reversal.id,
        after: { paymentId, amount: payment.amount, reason },
      });
      return reversal;
    });
  }

  private async checkReversible(payment: Payment, t: Transaction): Promise<void> {
    if (payment.status !== 'completed') {
      throw problems.conflict(`Only a completed payment can be reversed; this one is ${payment.status}.`, 'payment-not-completed', {
        currentStatus: payment.status,
      });
    }
    // What other domains refuse (billing: a payment refunded in part), registered in their register(ctx).
    await paymentEvents.checkReversal(payment, t);
  }

  async approve(actor: ScopedActor, id: number): Promise<{ reversal: PaymentReversal; effects: Effects }> {
    const visible = await this.visibleReversal(actor, id);
    refuseOwnRequest(visible.requestedBy, actor, 'reversal');
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(visible.payment!.accountId, t);
      const reversal = (await PaymentReversal.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      if (reversal.status !== 'pending')
        throw problems.conflict(`This reversal is already ${reversal.status}.`, 'already-decided', { currentStatus: reversal.status });
      const payment = (await Payment.findByPk(reversal.paymentId, { transaction: t }))!;
      await this.checkReversible(payment, t);
      const { calendar, payplan } = await preparedAccount(account, t);
      const businessDate = calendar.businessDate;

      const original = await JournalEntry.findOne({ where: { sourceType: 'payment', sourceId: payment.id, reversalOfId: null }, transaction: t });
      if (!original) throw new Error(`payment ${payment.id} has no journal entry`);
      const allocations = await PaymentAllocation.findAll({ where: { paymentId: payment.id, reversedAt: null }, transaction: t });
      const live = allocations.reduce((s, a) => s.plus(a.amount), new Decimal(0));
      // A payment on a written-off account (a recovery) has no allocations; any other settles exactly its amount.
      if (allocations.length > 0 && !live.equals(payment.amount)) {
        throw problems.conflict("This payment's allocations no longer add up to its amount; it cannot be reversed automatically.", 'allocations-changed');
      }
      const credit = allocations.filter((a) => a.allocationType === 'credit_balance').reduce((s, a) => s.plus(a.amount), new Decimal(0));
      if (new Decimal(account.creditBalance).lessThan(credit)) {
        throw problems.conflict(
          `The overpayment of ${credit.toFixed(2)} this payment left is no longer all on the account (credit balance ${account.creditBalance}); it was used or refunded.`,
          'credit-already-used',
          { needed: credit.toFixed(2), creditBalance: account.creditBalance },
        );
      }

      const undone = await unapplyAllocations(account, payment.id, undefined, businessDate, t);
      for (const a of allocations) if (a.allocationType === 'credit_balance') await a.update({ reversedAt: new Date() }, { transaction: t });
      account.creditBalance = toMoneyString(new Decimal(account.creditBalance).minus(credit));
      account.balance = toMoneyString(new Decimal(account.balance).plus(undone.reopened));
      await settleAccount(account, payplan, businessDate, { by: actor.employeeId, reason: `payment ${payment.receiptNumber ?? payment.id} reversed` }, t);
      await account.save({ transaction: t });
      await Payment.update({ status: 'reversed' }, { where: { id: payment.id }, transaction: t });
      payment.status = 'reversed';
      // Other domains take back what the payment gave (e.g. devices: credit days and token).
      const effects = await paymentEvents.emitReversed({ payment, account, businessDate, reversedBy: actor.employeeId }, t);

      const spec = { businessDate, countryId: calendar.countryId, sourceType: 'reversal', sourceId: reversal.id, createdBy: actor.employeeId };
      const entry = await reverseEntry(original.id, { ...spec, description: `Reversal of payment ${payment.transactionRef} on ${account.accountNumber}` }, t);
      if (undone.waived.length) {
        // What the payment had settled on waived items (a written-off account) is written off again.
        const total = undone.waived.reduce((s, w) => s.plus(w.amount), new Decimal(0));
        await postEntry(
          {
            ...spec,
            accountId: account.id,
            currency: calendar.currency,
            description: `Receivable restored by reversal on ${account.accountNumber} written off again`,
            lines: [
              ...undone.waived.map((w) => ({ ledger: w.ledger, debit: toMoneyString(w.amount) })),
              { ledger: LEDGER.loansReceivable, credit: toMoneyString(total), accountId: account.id },
            ],
          },
          t,
        );
      }
      await reversal.update({ status: 'approved', approvedBy: actor.employeeId, decidedAt: new Date(), journalEntryId: entry.id }, { transaction: t });
      await integrations.enqueue(t, {
        aggregate: 'payment',
        id: payment.id,
        event: 'payment.reversed',
        payload: { paymentId: payment.id, accountId: account.id, amount: payment.amount, reversalId: reversal.id, journalEntryId: entry.id, businessDate },
      });
      await audit.record(t, {
        actor,
        action: 'paymentReversal.approve',
        entity: 'paymentReversals',
        entityId: reversal.id,
        before: { status: 'pending' },
        after: { status: 'approved', journalEntryId: entry.id },
      });
      return { reversal, effects };
    });
  }

  async reject(actor: ScopedActor, id: number, reason?: string): Promise<PaymentReversal> {
    const visible = await this.visibleReversal(actor, id);
    refuseOwnRequest(visible.requestedBy, actor, 'reversal');
    return withTransaction(this.sequelize, async (t) => {
      await lockAccount(visible.payment!.accountId, t);
      const reversal = (await PaymentReversal.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      if (reversal.status !== 'pending')
        throw problems.conflict(`This reversal is already ${reversal.status}.`, 'already-decided', { currentStatus: reversal.status });
      await reversal.update({ status: 'rejected', approvedBy: actor.employeeId, decidedAt: new Date() }, { transaction: t });
      await audit.record(t, {
        actor,
        action: 'paymentReversal.reject',
        entity: 'paymentReversals',
        entityId: reversal.id,
        before: { status: 'pending' },
        after: { status: 'rejected', reason: reason ?? null },
      });
      return reversal;
    });
  }
}
