import { Op, type Sequelize, type WhereOptions } from 'sequelize';
import type { ScopedActor } from '../../platform/auth/actor';
import { inRegionScope } from '../../platform/auth/principal';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, type Paged, pageOf } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { Decimal } from '../../platform/money';
import { Account } from '../accounts/models';
import { audit } from '../audit/audit';
import { LEDGER } from '../ledger/chart';
import { postEntry } from '../ledger/journal.service';
import { JournalEntry } from '../ledger/models';
import { calendarOfRegion } from '../organisation/business-date';
import { MobileMoneyTransaction, UnmatchedPayment, type UnmatchedPaymentStatus } from '../payments/models';
import { PaymentPostingService, type PostedPayment } from '../payments/posting.service';
import { suspenseCalendar } from './ingestion.service';
import { PROVIDERS, type ProviderCode } from './providers';

export function unmatchedView(u: UnmatchedPayment) {
  const t = u.mobileMoneyTransaction;
  return {
    id: u.id,
    amount: u.amount,
    currency: t?.currency ?? null,
    provider: t?.provider ?? null,
    transactionId: t?.transactionId ?? null,
    transTime: t?.transTime ? t.transTime.toISOString() : null,
    reference: u.reference,
    msisdn: u.msisdn,
    payerName: t?.payerName ?? null,
    reason: u.reason,
    status: u.status,
    accountId: u.accountId,
    paymentId: u.paymentId,
    resolvedBy: u.resolvedBy,
    resolvedAt: u.resolvedAt ? u.resolvedAt.toISOString() : null,
    resolutionNote: u.resolutionNote,
    createdAt: u.createdAt.toISOString(),
  };
}

/**
 * Money in suspense (2200), for staff. Matching posts it to the account a person chose, through
 * the posting service with the debit on suspense (Dr 2200 / Cr 1200), so it leaves suspense and
 * buys credit days like any payment. Refunding records that the money went back to the payer at
 * the provider (e.g. an M-Pesa transaction reversal): Dr 2200 / Cr 1100 clearing.
 */
export class UnmatchedService {
  private readonly posting: PaymentPostingService;

  constructor(private readonly sequelize: Sequelize) {
    this.posting = new PaymentPostingService(sequelize);
  }

  async list(q: { status?: UnmatchedPaymentStatus; limit: number; cursor?: string }): Promise<Paged<UnmatchedPayment>> {
    const where: WhereOptions<UnmatchedPayment> = { status: q.status ?? 'open' };
    if (q.cursor) {
      Object.assign(where, { id: { [Op.lt]: decodeIdCursor(q.cursor) } });
    }
    const rows = await UnmatchedPayment.findAll({
      where,
      include: [{ model: MobileMoneyTransaction, as: 'mobileMoneyTransaction' }],
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  async get(id: number): Promise<UnmatchedPayment> {
    const u = await UnmatchedPayment.findByPk(id, { include: [{ model: MobileMoneyTransaction, as: 'mobileMoneyTransaction' }] });
    if (!u) throw problems.notFound('unmatched payment');
    return u;
  }

  /** Posts the money to `accountId` (in the resolver's regions): it leaves suspense. */
  async match(by: ScopedActor, id: number, accountId: number, note?: string): Promise<{ unmatched: UnmatchedPayment; posted: PostedPayment }> {
    const head = await Account.findByPk(accountId, { attributes: ['id', 'regionId'] });
    if (!head || !inRegionScope(by.scope, head.regionId)) throw problems.notFound('account');
    return withTransaction(this.sequelize, async (t) => {
      const u = await UnmatchedPayment.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t });
      if (!u) throw problems.notFound('unmatched payment');
      if (u.status !== 'open') throw problems.conflict(`This payment is already ${u.status}.`, 'already-resolved', { currentStatus: u.status });
      const mm = u.mobileMoneyTransactionId ? await MobileMoneyTransaction.findByPk(u.mobileMoneyTransactionId, { lock: t.LOCK.UPDATE, transaction: t }) : null;
      if (!mm) throw problems.conflict('This unmatched payment is not a mobile-money transaction; it is resolved where it was raised.', 'not-mobile-money');
      const account = (await Account.findByPk(accountId, { lock: t.LOCK.UPDATE, transaction: t }))!;
      const calendar = await calendarOfRegion(account.regionId, t);
      if (mm.currency && mm.currency !== calendar.currency) {
        throw problems.unprocessable(`The money is in ${mm.currency}; account ${account.accountNumber} is in ${calendar.currency}.`, 'currency-mismatch');
      }
      const posted = await this.posting.postLocked(
        account,
        new Decimal(u.amount),
        {
          accountId: account.id,
          amount: u.amount,
          paymentTypeCode: PROVIDERS[mm.provider as ProviderCode].paymentType,
          channel: 'mobile_money',
          transactionRef: mm.transactionId,
          paymentDate: mm.transTime ?? mm.createdAt,
          paymentMethod: mm.transactionType,
          createdBy: by.employeeId,
          debitLedger: LEDGER.suspense,
          mobileMoneyTransaction: mm,
        },
        t,
      );
      const resolvedAt = new Date();
      await u.update(
        { status: 'matched', accountId: account.id, paymentId: posted.payment.id, resolvedBy: by.employeeId, resolvedAt, resolutionNote: note ?? null },
        { transaction: t },
      );
      if (mm.paymentId !== posted.payment.id) throw new Error(`mobile-money transaction ${mm.id} was not linked to payment ${posted.payment.id}`);
      await audit.record(t, {
        actor: by,
        action: 'unmatched_payment.match',
        entity: 'unmatchedPayments',
        entityId: u.id,
        before: { status: 'open' },
        after: { status: 'matched', accountId: account.id, paymentId: posted.payment.id },
      });
      u.mobileMoneyTransaction = mm;
      return { unmatched: u, posted };
    });
  }

  /** The money went back to the payer at the provider: Dr 2200 suspense / Cr 1100 clearing. */
  async refund(by: ScopedActor, id: number, input: { reason: string; payoutReference: string }): Promise<UnmatchedPayment> {
    return withTransaction(this.sequelize, async (t) => {
      const u = await UnmatchedPayment.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t });
      if (!u) throw problems.notFound('unmatched payment');
      if (u.status !== 'open') throw problems.conflict(`This payment is already ${u.status}.`, 'already-resolved', { currentStatus: u.status });
      const mm = u.mobileMoneyTransactionId ? await MobileMoneyTransaction.findByPk(u.mobileMoneyTransactionId, { lock: t.LOCK.UPDATE, transaction: t }) : null;
      if (!mm) throw problems.conflict('This unmatched payment is not a mobile-money transaction; it is resolved where it was raised.', 'not-mobile-money');
      // Back out of the country and currency it was suspended in.
      const named = mm.accountId ? await Account.findByPk(mm.accountId, { attributes: ['id', 'regionId'], transaction: t }) : null;
      const calendar = await suspenseCalendar(mm, named?.regionId ?? null, t);
      const suspended = await JournalEntry.findOne({
        where: { sourceType: 'unmatched_payment', sourceId: u.id },
        attributes: ['currency'],
        order: [['id', 'ASC']],
        transaction: t,
      });
      if (!suspended) throw new Error(`unmatched payment ${u.id} has no suspense entry`);
      await postEntry(
        {
          businessDate: calendar.businessDate,
          countryId: calendar.countryId,
          description: `Unmatched ${mm.provider} ${mm.transactionId} refunded (${input.payoutReference})`,
          sourceType: 'unmatched_payment',
          sourceId: u.id,
          currency: suspended.currency,
          createdBy: by.employeeId,
          lines: [
            { ledger: LEDGER.suspense, debit: u.amount },
            { ledger: LEDGER.mobileMoneyClearing, credit: u.amount },
          ],
        },
        t,
      );
      await u.update(
        {
          status: 'refunded',
          resolvedBy: by.employeeId,
          resolvedAt: new Date(),
          resolutionNote: `${input.reason} (payout ${input.payoutReference})`.slice(0, 4000),
        },
        { transaction: t },
      );
      await mm.update({ status: 'refunded' }, { transaction: t });
      await audit.record(t, {
        actor: by,
        action: 'unmatched_payment.refund',
        entity: 'unmatchedPayments',
        entityId: u.id,
        before: { status: 'open' },
        after: { status: 'refunded', payoutReference: input.payoutReference },
      });
      u.mobileMoneyTransaction = mm;
      return u;
    });
  }
}
