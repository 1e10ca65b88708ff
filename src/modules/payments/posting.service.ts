import { Op, type Sequelize, type Transaction } from 'sequelize';
import { inRegionScope, type RegionScope } from '../../platform/auth/principal';
import { withTransaction } from '../../platform/db/transaction';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { daysPastDue, parBucket, outstanding } from '../accounts/arrears';
import { transition } from '../accounts/lifecycle';
import { Account, AccountCharge, InstallmentSchedule } from '../accounts/models';
import { catchUpNightly } from '../accounts/nightly-step';
import { Payplan } from '../catalogue/models';
import { LEDGER, type LedgerCode } from '../ledger/chart';
import { postEntry, type LineSpec } from '../ledger/journal.service';
import { SyncOutbox } from '../integrations/models';
import { calendarOfRegion, type CountryCalendar } from '../organisation/business-date';
import { nextNumber } from '../organisation/number-sequences';
import { allocate, isAllocationOrder, type OpenItem } from './allocation';
import { paymentEvents, type Effects } from './events';
import { Payment, PaymentAllocation, PaymentType, Receipt, type PaymentChannel } from './models';
import { chargeAfter, installmentAfter } from './settlement';

export interface PostPaymentInput {
  accountId: number;
  amount: MoneyString;
  paymentTypeCode: string;
  channel: PaymentChannel;
  transactionRef: string;
  paymentDate?: Date;
  paymentMethod?: string | null;
  createdBy?: number | null;
  /** Where the money sits now; defaults by channel. */
  debitLedger?: LedgerCode;
  /** The caller's region scope: an account outside it is a 404. */
  scope?: RegionScope;
}

export interface PostedPayment {
  payment: Payment;
  account: Account;
  allocations: { kind: 'charge' | 'installment' | 'credit_balance'; id: number | null; amount: MoneyString }[];
  receiptNumber: string;
  journalEntryId: number;
  /** What other domains did in the same transaction (credit days, device token). */
  effects: Effects;
}

export interface PostingHooks {
  /** Runs inside the transaction, just before commit (e.g. storing the idempotent response). */
  beforeCommit?(posted: PostedPayment, transaction: Transaction): Promise<void>;
}

const CHANNEL_LEDGER: Record<PaymentChannel, LedgerCode> = {
  mobile_money: LEDGER.mobileMoneyClearing,
  cash: LEDGER.cashOnHand,
  bank: LEDGER.bank,
  adjustment: LEDGER.suspense,
};

export interface PostingContext {
  calendar: CountryCalendar;
  payplan: Pick<Payplan, 'daysUntilSuspension' | 'allocationOrder'>;
  typeId: number;
}

const PAYPLAN_TTL_MS = 30_000;
const payplans = new Map<number, { terms: PostingContext['payplan']; expires: number }>();
/** A payplan's terms, cached briefly (reference data; a change applies within PAYPLAN_TTL_MS). */
async function payplanTerms(id: number, transaction?: Transaction): Promise<PostingContext['payplan']> {
  const hit = payplans.get(id);
  if (hit && hit.expires > Date.now()) return hit.terms;
  const p = await Payplan.findByPk(id, { attributes: ['id', 'daysUntilSuspension', 'allocationOrder'], transaction });
  if (!p) throw new Error(`payplan ${id} not found`);
  const terms = { daysUntilSuspension: p.daysUntilSuspension, allocationOrder: p.allocationOrder };
  payplans.set(id, { terms, expires: Date.now() + PAYPLAN_TTL_MS });
  return terms;
}

const paymentTypes = new Map<string, number>();
async function paymentTypeId(code: string, transaction?: Transaction): Promise<number> {
  let id = paymentTypes.get(code);
  if (id === undefined) {
    const t = await PaymentType.findOne({ where: { code, isActive: true }, attributes: ['id'], transaction });
    if (!t) throw problems.validation([{ field: 'paymentType', in: 'body', message: `unknown payment type ${code}` }]);
    id = t.id;
    paymentTypes.set(code, id);
  }
  return id;
}

/**
 * Posts a payment to an account: the heart of AMT. In one transaction, with the account row
 * locked: bring the account up to its business date, allocate the money in the payplan's order,
 * update instalments, charges, balance, DPD and status, write the payment, its allocations, a
 * receipt, the journal entry and an outbox event. A deadlock retries the whole transaction.
 */
export class PaymentPostingService {
  constructor(private readonly sequelize: Sequelize) {}

  async post(input: PostPaymentInput, hooks: PostingHooks = {}): Promise<PostedPayment> {
    const amount = new Decimal(input.amount);
    if (amount.lessThanOrEqualTo(0) || amount.decimalPlaces() > 2) {
      throw problems.validation([{ field: 'amount', in: 'body', message: 'amount must be a positive amount with at most 2 decimals' }]);
    }
    // Reference lookups happen before the transaction, so the account lock is held only for the write.
    const head = await Account.findByPk(input.accountId, { attributes: ['id', 'regionId', 'payplanId'] });
    if (!head || (input.scope && !inRegionScope(input.scope, head.regionId))) throw problems.notFound('account');
    const context = await this.context(head, input.paymentTypeCode);
    return withTransaction(this.sequelize, async (t) => {
      const account = await Account.findByPk(input.accountId, { lock: t.LOCK.UPDATE, transaction: t });
      const posted = await this.postLocked(account!, amount, input, t, context);
      await hooks.beforeCommit?.(posted, t);
      return posted;
    });
  }

  private async context(account: Pick<Account, 'regionId' | 'payplanId'>, paymentTypeCode: string, transaction?: Transaction): Promise<PostingContext> {
    const [calendar, payplan, typeId] = await Promise.all([
      calendarOfRegion(account.regionId, transaction),
      payplanTerms(account.payplanId, transaction),
      paymentTypeId(paymentTypeCode, transaction),
    ]);
    return { calendar, payplan, typeId };
  }

  /** The posting itself, for callers that already hold the account lock in their own transaction. */
  async postLocked(account: Account, amount: Decimal, input: PostPaymentInput, t: Transaction, context?: PostingContext): Promise<PostedPayment> {
    const { calendar, payplan, typeId } = context ?? (await this.context(account, input.paymentTypeCode, t));
    const businessDate = calendar.businessDate;
    await catchUpNightly(account, payplan, businessDate, t);
    const wasOpen = account.status !== 'closed';

    const allocationRows: PostedPayment['allocations'] = [];
    const creditLines: LineSpec[] = [];
    if (account.status === 'written_off') {
      // Money on a written-off account is a recovery: it no longer settles the (zeroed) schedule.
      creditLines.push({ ledger: LEDGER.recoveries, credit: toMoneyString(amount), accountId: account.id });
    } else {
      const [installments, charges] = await Promise.all([
        InstallmentSchedule.findAll({
          where: { accountId: account.id, status: { [Op.in]: ['pending', 'partial', 'overdue'] } },
          order: [['installmentNumber', 'ASC']],
          transaction: t,
        }),
        AccountCharge.findAll({ where: { accountId: account.id, status: { [Op.in]: ['pending', 'partial'] } }, order: [['id', 'ASC']], transaction: t }),
      ]);
      const items: OpenItem[] = [
        ...charges.map((c) => ({ kind: 'charge' as const, id: c.id, dueDate: c.dueDate, outstanding: new Decimal(c.amount).minus(c.paidAmount), order: c.id })),
        ...installments.map((i) => ({ kind: 'installment' as const, id: i.id, dueDate: i.dueDate, outstanding: outstanding(i), order: i.installmentNumber })),
      ];
      const order = isAllocationOrder(payplan.allocationOrder) ? payplan.allocationOrder : undefined;
      const { allocations, credit } = allocate(amount, items, businessDate, order);

      const byId = new Map(installments.map((i) => [i.id, i]));
      const chargeById = new Map(charges.map((c) => [c.id, c]));
      let settled = new Decimal(0);
      for (const a of allocations) {
        settled = settled.plus(a.amount);
        allocationRows.push({ kind: a.kind, id: a.id, amount: toMoneyString(a.amount) });
        if (a.kind === 'installment') {
          const i = byId.get(a.id)!;
          const after = installmentAfter(i, a.amount, businessDate);
          await InstallmentSchedule.update(after, { where: { id: i.id }, transaction: t });
          Object.assign(i, after);
        } else {
          const c = chargeById.get(a.id)!;
          await AccountCharge.update(chargeAfter(c, a.amount), { where: { id: c.id }, transaction: t });
        }
      }
      if (settled.greaterThan(0)) creditLines.push({ ledger: LEDGER.loansReceivable, credit: toMoneyString(settled), accountId: account.id });
      if (credit.greaterThan(0)) {
        allocationRows.push({ kind: 'credit_balance', id: null, amount: toMoneyString(credit) });
        creditLines.push({ ledger: LEDGER.customerCreditBalances, credit: toMoneyString(credit), accountId: account.id });
      }
      account.balance = toMoneyString(new Decimal(account.balance).minus(settled));
      account.creditBalance = toMoneyString(new Decimal(account.creditBalance).plus(credit));
      account.daysPastDue = daysPastDue(installments, businessDate);
      account.parBucket = parBucket(account.daysPastDue);
      await this.settleStatus(account, installments, businessDate, input.createdBy ?? null, t);
    }
    await account.save({ transaction: t });

    const payment = await Payment.create(
      {
        accountId: account.id,
        amount: toMoneyString(amount),
        currency: calendar.currency,
        paymentTypeId: typeId,
        channel: input.channel,
        transactionRef: input.transactionRef,
        paymentDate: input.paymentDate ?? new Date(),
        businessDate,
        status: 'completed',
        completedAt: new Date(),
        paymentMethod: input.paymentMethod ?? null,
        regionId: account.regionId,
        createdBy: input.createdBy ?? null,
      },
      { transaction: t },
    );
    await PaymentAllocation.bulkCreate(
      allocationRows.map((a) => ({
        paymentId: payment.id,
        allocationType: a.kind,
        installmentScheduleId: a.kind === 'installment' ? a.id : null,
        accountChargeId: a.kind === 'charge' ? a.id : null,
        amount: a.amount,
      })),
      { transaction: t },
    );
    const entry = await postEntry(
      {
        businessDate,
        countryId: calendar.countryId,
        description: `Payment ${input.transactionRef} on ${account.accountNumber}`,
        sourceType: 'payment',
        sourceId: payment.id,
        accountId: account.id,
        currency: calendar.currency,
        createdBy: input.createdBy ?? null,
        lines: [{ ledger: input.debitLedger ?? CHANNEL_LEDGER[input.channel], debit: toMoneyString(amount) }, ...creditLines],
      },
      t,
    );
    await SyncOutbox.create(
      {
        aggregateType: 'payment',
        aggregateId: payment.id,
        eventType: 'payment.completed',
        payload: { paymentId: payment.id, accountId: account.id, amount: toMoneyString(amount), businessDate },
        target: 'netsuite',
        availableAt: new Date(),
      },
      { transaction: t },
    );
    const effects = await paymentEvents.emitPosted({ payment, account, businessDate, paidOff: wasOpen && account.status === 'closed' }, t);
    // The gapless receipt number comes last: its row stays locked until commit, and every
    // payment in the company queues on it, so it is held for as few statements as possible.
    const receiptNumber = await nextNumber('receipt', t);
    await Payment.update({ receiptNumber }, { where: { id: payment.id }, transaction: t });
    await Receipt.create(
      { receiptNumber, paymentId: payment.id, accountId: account.id, amount: toMoneyString(amount), issuedAt: new Date(), channel: 'sms' },
      { transaction: t },
    );
    payment.receiptNumber = receiptNumber;
    return { payment, account, allocations: allocationRows, receiptNumber, journalEntryId: entry.id, effects };
  }

  /** pending -> active on the down payment; suspended -> active when caught up; -> closed when paid off. */
  private async settleStatus(account: Account, installments: InstallmentSchedule[], businessDate: string, by: number | null, t: Transaction) {
    const ctx = { by, businessDate };
    if (account.status === 'pending') {
      const down = installments.find((i) => i.installmentNumber === 0);
      if (!down || down.status === 'paid') {
        account.activationDate = businessDate;
        await transition(account, 'active', { ...ctx, reason: 'down payment received' }, t);
      }
    }
    if (account.status === 'suspended' && account.daysPastDue === 0) {
      await transition(account, 'active', { ...ctx, reason: 'arrears cleared' }, t);
    }
    if ((account.status === 'active' || account.status === 'suspended') && new Decimal(account.balance).isZero()) {
      await transition(account, 'closed', { ...ctx, reason: 'paid off' }, t);
    }
  }
}
