import { createHash } from 'node:crypto';
import { Op, QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { ScopedActor } from '../../platform/auth/actor';
import { inRegionScope } from '../../platform/auth/principal';
import { addDays, type CalendarDate } from '../../platform/dates';
import { withTransaction } from '../../platform/db/transaction';
import { HttpProblem, problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { outstanding as owedOn } from '../accounts/arrears';
import { Account, AccountCharge, InstallmentSchedule } from '../accounts/models';
import { chargeAfter, installmentAfter, lockAccount, preparedAccount } from '../accounts/settlement';
import { audit } from '../audit/audit';
import { Payplan } from '../catalogue/models';
import { LEDGER } from '../ledger/chart';
import { postEntry } from '../ledger/journal.service';
import { allocate, isAllocationOrder, type OpenItem } from '../payments/allocation';
import { PaymentAllocation, type PaymentChannel } from '../payments/models';
import { PaymentPostingService, type PostedPayment } from '../payments/posting.service';
import { PayoffQuote } from './models';

/** How far ahead a payoff may be quoted (days after the business date). */
export const MAX_PAYOFF_DAYS_AHEAD = 90;

/** Statuses an account may be paid off from: a live contract (not pending, closed, written off or repossessed). */
const PAYABLE = new Set(['active', 'suspended']);

interface OpenItems {
  installments: InstallmentSchedule[];
  charges: AccountCharge[];
}

export interface QuoteFigures {
  outstanding: Decimal;
  discount: Decimal;
  creditApplied: Decimal;
  amount: Decimal;
  stateHash: string;
}

export interface PayoffPaymentInput {
  quoteId: number;
  amount?: MoneyString;
  paymentTypeCode: string;
  channel: PaymentChannel;
  transactionRef: string;
  paymentDate?: Date;
}

export interface PaidOff {
  quote: PayoffQuote;
  posted: PostedPayment;
}

async function openItems(accountId: number, t: Transaction): Promise<OpenItems> {
  const [installments, charges] = await Promise.all([
    InstallmentSchedule.findAll({
      where: { accountId, status: { [Op.in]: ['pending', 'partial', 'overdue'] } },
      order: [['installmentNumber', 'ASC']],
      transaction: t,
    }),
    AccountCharge.findAll({ where: { accountId, status: { [Op.in]: ['pending', 'partial'] } }, order: [['id', 'ASC']], transaction: t }),
  ]);
  return { installments, charges };
}

const chargeOwed = (c: Pick<AccountCharge, 'amount' | 'paidAmount'>) => Decimal.max(new Decimal(c.amount).minus(c.paidAmount), 0);

/**
 * The payplan's early-payoff discount on what falls due after `payoffDate` (instalments after
 * the down payment): a percentage of it, or a fixed amount capped at it; none when the plan has
 * no rule. Rounded down to the cent (the company never gives more than the rule says).
 */
export function payoffDiscount(
  rule: Pick<Payplan, 'earlyPayoffDiscountPercent' | 'earlyPayoffDiscountAmount'>,
  installments: Pick<InstallmentSchedule, 'installmentNumber' | 'dueDate' | 'amount' | 'paidAmount' | 'status'>[],
  payoffDate: CalendarDate,
): Decimal {
  let notYetDue = new Decimal(0);
  for (const i of installments) if (i.installmentNumber > 0 && i.dueDate > payoffDate) notYetDue = notYetDue.plus(owedOn(i));
  if (rule.earlyPayoffDiscountPercent != null) {
    return notYetDue.times(rule.earlyPayoffDiscountPercent).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_DOWN);
  }
  if (rule.earlyPayoffDiscountAmount != null) return Decimal.min(new Decimal(rule.earlyPayoffDiscountAmount), notYetDue);
  return new Decimal(0);
}

/** The state a quote is for: the open items (id, amount, paid) and the credit balance. Any payment, charge or schedule change moves it. */
function stateHash(account: Pick<Account, 'creditBalance' | 'balance'>, items: OpenItems): string {
  const state = {
    balance: new Decimal(account.balance).toFixed(2),
    credit: new Decimal(account.creditBalance).toFixed(2),
    installments: items.installments.map((i) => [i.id, new Decimal(i.amount).toFixed(2), new Decimal(i.paidAmount).toFixed(2)]),
    charges: items.charges.map((c) => [c.id, new Decimal(c.amount).toFixed(2), new Decimal(c.paidAmount).toFixed(2)]),
  };
  return createHash('sha256').update(JSON.stringify(state)).digest('hex');
}

/**
 * @param paymentCredit the part of the credit balance earlier payments left (their live
 *   credit-balance allocations). Only that part is applied: credit from a credit note has no
 *   payment behind it to allocate from, so it stays on the closed account (refundable).
 */
export function quoteFigures(
  account: Pick<Account, 'creditBalance' | 'balance'>,
  rule: Pick<Payplan, 'earlyPayoffDiscountPercent' | 'earlyPayoffDiscountAmount'>,
  items: OpenItems,
  payoffDate: CalendarDate,
  paymentCredit: Decimal,
): QuoteFigures {
  let outstanding = new Decimal(0);
  for (const i of items.installments) outstanding = outstanding.plus(owedOn(i));
  for (const c of items.charges) outstanding = outstanding.plus(chargeOwed(c));
  const discount = Decimal.min(payoffDiscount(rule, items.installments, payoffDate), outstanding);
  const creditApplied = Decimal.min(new Decimal(account.creditBalance), paymentCredit, outstanding.minus(discount));
  return { outstanding, discount, creditApplied, amount: outstanding.minus(discount).minus(creditApplied), stateHash: stateHash(account, items) };
}

function refuseUnpayable(account: Account): void {
  if (!PAYABLE.has(account.status)) {
    throw problems.conflict(`An account that is ${account.status} cannot be paid off early.`, 'account-not-payable', { status: account.status });
  }
  if (!new Decimal(account.balance).greaterThan(0)) throw problems.conflict('This account owes nothing.', 'nothing-owed');
}

/**
 * Early payoff (docs/contract-changes.md, "Payoff quotes"). A quote is the amount that settles
 * the account on a date: what the open instalments and charges owe, less the payplan's discount,
 * less the credit balance; kept in payoffQuotes. Paying it (POST /accounts/:id/payoff) posts the
 * payment through payment posting, with the credit balance applied first and the discount waived
 * inside the posting (SettleRest), so the account closes by the lifecycle and the devices get
 * their DISABLE_PAYG token as for any paid-off account.
 */
export class PayoffService {
  private readonly posting: PaymentPostingService;
  constructor(private readonly sequelize: Sequelize) {
    this.posting = new PaymentPostingService(sequelize);
  }

  private async visibleAccount(actor: ScopedActor, accountId: number): Promise<void> {
    const a = await Account.findByPk(accountId, { attributes: ['id', 'regionId'] });
    if (!a || !inRegionScope(actor.scope, a.regionId)) throw problems.notFound('account');
  }

  async quote(actor: ScopedActor, accountId: number, date: CalendarDate | undefined): Promise<PayoffQuote> {
    await this.visibleAccount(actor, accountId);
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(accountId, t);
      const { calendar } = await preparedAccount(account, t);
      const businessDate = calendar.businessDate;
      const payoffDate = date ?? businessDate;
      if (payoffDate < businessDate || payoffDate > addDays(businessDate, MAX_PAYOFF_DAYS_AHEAD)) {
        throw problems.validation([
          { field: 'date', in: 'query', message: `date must be between the business date ${businessDate} and ${MAX_PAYOFF_DAYS_AHEAD} days after it` },
        ]);
      }
      refuseUnpayable(account);
      const rule = (await Payplan.findByPk(account.payplanId, {
        attributes: ['id', 'earlyPayoffDiscountPercent', 'earlyPayoffDiscountAmount'],
        transaction: t,
      }))!;
      const f = quoteFigures(account, rule, await openItems(account.id, t), payoffDate, await this.paymentCredit(account.id, t));
      const quote = await PayoffQuote.create(
        {
          accountId: account.id,
          businessDate,
          payoffDate,
          validUntil: payoffDate,
          outstanding: toMoneyString(f.outstanding),
          discount: toMoneyString(f.discount),
          creditApplied: toMoneyString(f.creditApplied),
          amount: toMoneyString(f.amount),
          stateHash: f.stateHash,
          createdBy: actor.employeeId,
        },
        { transaction: t },
      );
      await audit.record(t, {
        actor,
        action: 'payoff.quote',
        entity: 'payoffQuotes',
        entityId: quote.id,
        after: { accountId: account.id, payoffDate, amount: quote.amount, discount: quote.discount, creditApplied: quote.creditApplied },
      });
      return quote;
    });
  }

  async get(actor: ScopedActor, accountId: number, quoteId: number): Promise<PayoffQuote> {
    await this.visibleAccount(actor, accountId);
    const q = await PayoffQuote.findOne({ where: { id: quoteId, accountId } });
    if (!q) throw problems.notFound('payoff quote');
    return q;
  }

  /**
   * Pays a quote: exactly its amount, while it is open, not past validUntil, and the account is as
   * it was quoted. A refusal marks the quote expired or stale (committed) and answers 409.
   */
  async pay(
    actor: ScopedActor,
    accountId: number,
    input: PayoffPaymentInput,
    beforeCommit?: (paid: PaidOff, t: Transaction) => Promise<void>,
  ): Promise<PaidOff> {
    await this.visibleAccount(actor, accountId);
    const outcome = await withTransaction(this.sequelize, async (t): Promise<PaidOff | HttpProblem> => {
      const account = await lockAccount(accountId, t);
      const quote = await PayoffQuote.findOne({ where: { id: input.quoteId, accountId }, lock: t.LOCK.UPDATE, transaction: t });
      if (!quote) throw problems.notFound('payoff quote');
      if (quote.status !== 'open') {
        throw problems.conflict(`This quote is ${quote.status}; ask for a new one.`, 'quote-not-open', { quoteStatus: quote.status });
      }
      const { calendar, payplan } = await preparedAccount(account, t);
      const businessDate = calendar.businessDate;
      if (businessDate > quote.validUntil) {
        await quote.update({ status: 'expired' }, { transaction: t });
        return problems.conflict(`This quote was valid until ${quote.validUntil}; ask for a new one.`, 'quote-expired', { validUntil: quote.validUntil });
      }
      refuseUnpayable(account);
      const items = await openItems(account.id, t);
      if (stateHash(account, items) !== quote.stateHash) {
        await quote.update({ status: 'stale' }, { transaction: t });
        return problems.conflict('The account changed since this quote (a payment, a charge or a schedule change); ask for a new one.', 'quote-stale');
      }
      if (input.amount !== undefined && !new Decimal(input.amount).equals(quote.amount)) {
        throw problems.validation([
          { field: 'amount', in: 'body', message: `amount must be the quoted ${quote.amount} (any other amount is an ordinary payment)` },
        ]);
      }
      if (!new Decimal(quote.amount).greaterThan(0)) {
        throw problems.conflict('The credit balance covers this payoff; nothing is to be paid through this route.', 'nothing-to-pay');
      }

      const order = isAllocationOrder(payplan.allocationOrder) ? payplan.allocationOrder : undefined;
      await this.applyCredit(account, quote, items, businessDate, order, calendar, actor, t);

      let discountEntryId: number | null = null;
      const posted = await this.posting.postLocked(
        account,
        new Decimal(quote.amount),
        {
          accountId: account.id,
          amount: quote.amount,
          paymentTypeCode: input.paymentTypeCode,
          channel: input.channel,
          transactionRef: input.transactionRef,
          paymentDate: input.paymentDate,
          createdBy: actor.employeeId,
          settleRest: async (locked, tx) => {
            discountEntryId = await this.waiveDiscount(locked, quote, businessDate, calendar, actor, tx);
          },
        },
        t,
      );
      if (posted.account.status !== 'closed') throw new Error(`payoff quote ${quote.id} did not close account ${account.id}`);
      await quote.update({ status: 'paid', paymentId: posted.payment.id, journalEntryId: discountEntryId, paidAt: new Date() }, { transaction: t });
      await audit.record(t, {
        actor,
        action: 'payoff.pay',
        entity: 'payoffQuotes',
        entityId: quote.id,
        after: { accountId: account.id, paymentId: posted.payment.id, amount: quote.amount, discount: quote.discount, creditApplied: quote.creditApplied },
      });
      // The payment's own outbox row (payment.completed) carries the account's new state to the CRM;
      // the discount and credit entries reach NetSuite with the day's journal (ledger.day_closed).
      const paid = { quote, posted };
      await beforeCommit?.(paid, t);
      return paid;
    });
    if (outcome instanceof HttpProblem) throw outcome;
    return outcome;
  }

  /**
   * The credit balance settles open items first: live credit-balance allocations of earlier
   * payments (newest first) become allocations to the items, so each payment still allocates
   * exactly its amount; Dr 2100 / Cr 1200.
   */
  private async applyCredit(
    account: Account,
    quote: PayoffQuote,
    items: OpenItems,
    businessDate: CalendarDate,
    order: Parameters<typeof allocate>[3],
    calendar: { countryId: number; currency: string },
    actor: ScopedActor,
    t: Transaction,
  ): Promise<void> {
    const credit = new Decimal(quote.creditApplied);
    if (!credit.greaterThan(0)) return;
    const sources = await this.creditSources(account.id, t);
    const open: OpenItem[] = [
      ...items.charges.map((c) => ({ kind: 'charge' as const, id: c.id, dueDate: c.dueDate, outstanding: chargeOwed(c), order: c.id })),
      ...items.installments.map((i) => ({ kind: 'installment' as const, id: i.id, dueDate: i.dueDate, outstanding: owedOn(i), order: i.installmentNumber })),
    ];
    const installmentById = new Map(items.installments.map((i) => [i.id, i]));
    const chargeById = new Map(items.charges.map((c) => [c.id, c]));
    const now = new Date();
    let left = credit;
    for (const source of sources) {
      if (!left.greaterThan(0)) break;
      const take = Decimal.min(left, source.amount);
      left = left.minus(take);
      // Only reversedAt is written: the row-level validators (which need the whole row) have nothing to check.
      await PaymentAllocation.update({ reversedAt: now }, { where: { id: source.id }, transaction: t, validate: false });
      const rest = new Decimal(source.amount).minus(take);
      if (rest.greaterThan(0)) {
        await PaymentAllocation.create({ paymentId: source.paymentId, allocationType: 'credit_balance', amount: toMoneyString(rest) }, { transaction: t });
      }
      const { allocations } = allocate(take, open, businessDate, order);
      for (const a of allocations) {
        const item = open.find((o) => o.kind === a.kind && o.id === a.id)!;
        item.outstanding = item.outstanding.minus(a.amount);
        if (a.kind === 'installment') {
          const i = installmentById.get(a.id)!;
          const after = installmentAfter(i, a.amount, businessDate);
          await InstallmentSchedule.update(after, { where: { id: i.id }, transaction: t });
          Object.assign(i, after);
        } else {
          const c = chargeById.get(a.id)!;
          const after = chargeAfter(c, a.amount);
          await AccountCharge.update(after, { where: { id: c.id }, transaction: t });
          Object.assign(c, after);
        }
        await PaymentAllocation.create(
          {
            paymentId: source.paymentId,
            allocationType: a.kind,
            installmentScheduleId: a.kind === 'installment' ? a.id : null,
            accountChargeId: a.kind === 'charge' ? a.id : null,
            amount: toMoneyString(a.amount),
          },
          { transaction: t },
        );
      }
    }
    if (left.greaterThan(0)) {
      // The quote applies no more than the payments' credit (quoteFigures) and its state hash was checked.
      throw new Error(`payoff quote ${quote.id}: ${left.toFixed(2)} of the applied credit has no payment behind it`);
    }
    account.creditBalance = toMoneyString(new Decimal(account.creditBalance).minus(credit));
    account.balance = toMoneyString(new Decimal(account.balance).minus(credit));
    await Account.update({ creditBalance: account.creditBalance, balance: account.balance }, { where: { id: account.id }, transaction: t });
    await postEntry(
      {
        businessDate,
        countryId: calendar.countryId,
        description: `Credit balance applied to the payoff of ${account.accountNumber}`,
        sourceType: 'payoff_credit',
        sourceId: quote.id,
        accountId: account.id,
        currency: calendar.currency,
        createdBy: actor.employeeId,
        lines: [
          { ledger: LEDGER.customerCreditBalances, debit: toMoneyString(credit), accountId: account.id },
          { ledger: LEDGER.loansReceivable, credit: toMoneyString(credit), accountId: account.id },
        ],
      },
      t,
    );
  }

  /** Live credit-balance allocations of the account's completed payments, newest first: where its payment credit sits. */
  private creditSources(accountId: number, t: Transaction) {
    return this.sequelize.query<{ id: number; paymentId: number; amount: string }>(
      `SELECT pa.id, pa.paymentId, pa.amount FROM paymentAllocations pa JOIN payments p ON p.id = pa.paymentId
        WHERE p.accountId = ? AND p.status = 'completed' AND pa.allocationType = 'credit_balance' AND pa.reversedAt IS NULL ORDER BY pa.id DESC`,
      { replacements: [accountId], type: QueryTypes.SELECT, transaction: t },
    );
  }

  /** The credit balance earlier payments left (see quoteFigures). */
  private async paymentCredit(accountId: number, t: Transaction): Promise<Decimal> {
    let sum = new Decimal(0);
    for (const s of await this.creditSources(accountId, t)) sum = sum.plus(s.amount);
    return sum;
  }

  /**
   * Inside the posting, after the quoted amount is allocated: what is still open is exactly the
   * quoted discount (the state was checked against the quote). Those items are waived and the
   * discount booked, Dr 5500 / Cr 1200; the balance is then zero and the posting closes the account.
   */
  private async waiveDiscount(
    account: Account,
    quote: PayoffQuote,
    businessDate: CalendarDate,
    calendar: { countryId: number; currency: string },
    actor: ScopedActor,
    t: Transaction,
  ): Promise<number | null> {
    const rest = await openItems(account.id, t);
    let left = new Decimal(0);
    for (const i of rest.installments) left = left.plus(owedOn(i));
    for (const c of rest.charges) left = left.plus(chargeOwed(c));
    if (!left.equals(quote.discount) || !new Decimal(account.balance).equals(quote.discount)) {
      throw new Error(`payoff quote ${quote.id}: ${left.toFixed(2)} left open (balance ${account.balance}), the discount is ${quote.discount}`);
    }
    if (left.isZero()) return null;
    await InstallmentSchedule.update({ status: 'waived' }, { where: { id: { [Op.in]: rest.installments.map((i) => i.id) } }, transaction: t });
    if (rest.charges.length) await AccountCharge.update({ status: 'waived' }, { where: { id: { [Op.in]: rest.charges.map((c) => c.id) } }, transaction: t });
    account.balance = toMoneyString(new Decimal(account.balance).minus(left));
    const entry = await postEntry(
      {
        businessDate,
        countryId: calendar.countryId,
        description: `Early payoff discount on ${account.accountNumber} (quote ${quote.id})`,
        sourceType: 'payoff_discount',
        sourceId: quote.id,
        accountId: account.id,
        currency: calendar.currency,
        createdBy: actor.employeeId,
        lines: [
          { ledger: LEDGER.earlyPayoffDiscounts, debit: quote.discount },
          { ledger: LEDGER.loansReceivable, credit: quote.discount, accountId: account.id },
        ],
      },
      t,
    );
    return entry.id;
  }
}

export function payoffQuoteView(q: PayoffQuote) {
  return {
    id: q.id,
    accountId: q.accountId,
    businessDate: q.businessDate,
    payoffDate: q.payoffDate,
    validUntil: q.validUntil,
    outstanding: q.outstanding,
    discount: q.discount,
    creditApplied: q.creditApplied,
    amount: q.amount,
    status: q.status,
    paymentId: q.paymentId ?? null,
    journalEntryId: q.journalEntryId ?? null,
    paidAt: q.paidAt ? q.paidAt.toISOString() : null,
    createdAt: q.createdAt.toISOString(),
  };
}
