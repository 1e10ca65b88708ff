import { Op, type Sequelize, type WhereOptions } from 'sequelize';
import { inRegionScope, type RegionScope } from '../../platform/auth/principal';
import type { CalendarDate } from '../../platform/dates';
import { withTransaction } from '../../platform/db/transaction';
import type { StoreAnswer } from '../../platform/http/idempotency';
import { decodeIdCursor, type Paged, pageOf } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString } from '../../platform/money';
import { Payplan, ProductPayplanPricing } from '../catalogue/models';
import { Customer } from '../customers/models';
import { integrations } from '../integrations/outbox';
import { LEDGER } from '../ledger/chart';
import { postEntry } from '../ledger/journal.service';
import { JournalEntry, JournalLine, LedgerAccount } from '../ledger/models';
import { calendarOfRegion } from '../organisation/business-date';
import { nextNumber } from '../organisation/number-sequences';
import { Holiday } from '../organisation/reference.models';
import { accountEvents } from './events';
import { Account, AccountStatusHistory, InstallmentSchedule, type AccountStatus, type ParBucket } from './models';
import { catchUpNightly } from './nightly-step';
import { buildSchedule } from './schedule';

/** limit and cursor of an account's own lists (payments, ledger). */
export interface AccountPageQuery {
  limit: number;
  cursor?: string;
}

export interface OpenAccountInput {
  customerId: number;
  productId: number;
  payplanId: number;
  /** The customer's region (the default); any other is refused (422 naming regionId). */
  regionId?: number;
  agentId?: number | null;
  /** Sale date in the country's calendar; defaults to the country's business date. */
  startDate?: CalendarDate;
}

/** Accounts: opening a financing contract, and the views back office and agents read. */
export interface AccountQuery {
  limit: number;
  cursor?: string;
  status?: AccountStatus;
  parBucket?: ParBucket;
  regionId?: number;
  customerId?: number;
  agentId?: number;
  minDaysPastDue?: number;
}

export class AccountService {
  constructor(private readonly sequelize: Sequelize) {}

  /**
   * Opens an account from a product and payplan: prices it, builds its schedule (down payment
   * first), and books the receivable. The account is pending until the down payment is paid; on a
   * zero-down plan there is no down payment to wait for (no instalment 0), so it is active from
   * its opening, activated on its sale date, and its agent earns the sale commission then.
   *
   * The account lives in its customer's region: region scoping, the portfolio reports and the
   * collections worklists all assume an account and its customer are seen by the same staff.
   */
  async open(input: OpenAccountInput, scope: RegionScope, by: number | null, answer?: StoreAnswer<Account>): Promise<Account> {
    const customer = await Customer.findByPk(input.customerId, { attributes: ['id', 'regionId'] });
    if (!customer || !inRegionScope(scope, customer.regionId)) throw problems.notFound('customer');
    if (input.regionId !== undefined && input.regionId !== customer.regionId) {
      // 422, not 400: the value is well-formed, it contradicts the stored customer.
      throw problems.unprocessable("An account is opened in its customer's region.", 'region-mismatch', {
        errors: [{ field: 'regionId', in: 'body', message: `must be the customer's region (${customer.regionId}) or left out` }],
      });
    }
    const regionId = customer.regionId;
    const [pricing, payplan] = await Promise.all([
      ProductPayplanPricing.findOne({ where: { productId: input.productId, payplanId: input.payplanId, isActive: true } }),
      Payplan.findByPk(input.payplanId),
    ]);
    if (!pricing || !payplan || !payplan.isActive) {
      throw problems.unprocessable('This product is not sold on this payplan.', 'no-pricing');
    }
    const calendar = await calendarOfRegion(regionId);
    const startDate = input.startDate ?? calendar.businessDate;
    const holidays = await Holiday.findAll({ where: { countryId: calendar.countryId, isActive: true, date: { [Op.gte]: startDate } }, attributes: ['date'] });
    const schedule = buildSchedule({
      price: pricing.price,
      downPayment: pricing.downPayment,
      installments: payplan.duration,
      frequency: payplan.frequency,
      interestRate: payplan.interestRate ?? '0',
      startDate,
      holidays: new Set(holidays.map((h) => h.date)),
    });

    const zeroDown = new Decimal(schedule.downPayment).isZero();
    return withTransaction(this.sequelize, async (t) => {
      const account = await Account.create(
        {
          accountNumber: await nextNumber('account', t),
          customerId: customer.id,
          productId: input.productId,
          payplanId: input.payplanId,
          regionId,
          agentId: input.agentId ?? by,
          status: zeroDown ? 'active' : 'pending',
          activationDate: zeroDown ? startDate : null,
          totalPrice: schedule.totalPrice,
          downPaymentAmount: schedule.downPayment,
          financedAmount: schedule.financedAmount,
          balance: schedule.totalPrice,
          creditBalance: '0.00',
          expiryDate: schedule.rows.at(-1)!.dueDate,
          // A sale entered after the fact (start date before the business date) has not had the
          // nightly steps of the days in between: they are applied below, as a payment would.
          lastNightlyBusinessDate: startDate < calendar.businessDate ? null : calendar.businessDate,
        },
        { transaction: t },
      );
      await InstallmentSchedule.bulkCreate(
        schedule.rows.map((r) => ({ accountId: account.id, installmentNumber: r.installmentNumber, dueDate: r.dueDate, amount: r.amount })),
        { transaction: t },
      );
      await AccountStatusHistory.create(
        {
          accountId: account.id,
          previousStatus: null,
          newStatus: account.status,
          reason: zeroDown ? 'account opened with no down payment' : 'account opened',
          changedBy: by,
          changedAt: new Date(),
          businessDate: calendar.businessDate,
        },
        { transaction: t },
      );
      // After the opening's history: a back-dated zero-down sale may be suspended by it.
      if (account.lastNightlyBusinessDate === null) {
        await catchUpNightly(account, payplan, calendar.businessDate, t);
        await account.save({ transaction: t });
      }
      const price = new Decimal(schedule.totalPrice).minus(schedule.interest);
      await postEntry(
        {
          businessDate: calendar.businessDate,
          countryId: calendar.countryId,
          description: `Sale on credit, account ${account.accountNumber}`,
          sourceType: 'sale',
          sourceId: account.id,
          accountId: account.id,
          currency: calendar.currency,
          createdBy: by,
          lines: [
            { ledger: LEDGER.loansReceivable, debit: schedule.totalPrice, accountId: account.id },
            { ledger: LEDGER.salesRevenue, credit: toMoneyString(price) },
            { ledger: LEDGER.interestIncome, credit: schedule.interest },
          ],
        },
        t,
      );
      // Who else acts on a sale (commissions: a zero-down sale's commission) subscribes in accounts/events.ts.
      await accountEvents.emitOpened({ account, businessDate: calendar.businessDate }, t);
      await integrations.enqueue(t, {
        aggregate: 'account',
        id: account.id,
        event: 'account.opened',
        payload: { accountId: account.id, accountNumber: account.accountNumber },
      });
      // The API's answer, when the phone sent a clientId: commits with the account.
      await answer?.(account, t);
      return account;
    });
  }

  /** Accounts in the caller's regions, newest first, for back office and collections worklists. */
  async list(scope: RegionScope, q: AccountQuery): Promise<Paged<Account>> {
    const where: WhereOptions[] = [];
    if (!scope.all) where.push({ regionId: { [Op.in]: [...scope.regionIds] } });
    if (q.regionId) where.push({ regionId: q.regionId });
    if (q.status) where.push({ status: q.status });
    if (q.parBucket) where.push({ parBucket: q.parBucket });
    if (q.customerId) where.push({ customerId: q.customerId });
    if (q.agentId) where.push({ agentId: q.agentId });
    if (q.minDaysPastDue !== undefined) where.push({ daysPastDue: { [Op.gte]: q.minDaysPastDue } });
    if (q.cursor) where.push({ id: { [Op.lt]: decodeIdCursor(q.cursor) } });
    const rows = await Account.findAll({ where: { [Op.and]: where }, order: [['id', 'DESC']], limit: q.limit + 1 });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  /** An account the caller may see, or 404 (another region's account is not disclosed). */
  async visible(scope: RegionScope, id: number): Promise<Account> {
    const account = await Account.findByPk(id);
    if (!account || !inRegionScope(scope, account.regionId)) throw problems.notFound('account');
    return account;
  }

  async detail(scope: RegionScope, id: number) {
    const account = await this.visible(scope, id);
    const [installments, history] = await Promise.all([
      InstallmentSchedule.findAll({ where: { accountId: id }, order: [['installmentNumber', 'ASC']] }),
      AccountStatusHistory.findAll({
        where: { accountId: id },
        order: [
          ['changedAt', 'ASC'],
          ['id', 'ASC'],
        ],
      }),
    ]);
    return {
      ...accountView(account),
      schedule: installments.map((i) => ({
        id: i.id,
        installmentNumber: i.installmentNumber,
        dueDate: i.dueDate,
        amount: i.amount,
        paidAmount: i.paidAmount,
        status: i.status,
        paidDate: i.paidDate,
      })),
      history: history.map((h) => ({
        from: h.previousStatus,
        to: h.newStatus,
        reason: h.reason,
        changedBy: h.changedBy,
        changedAt: h.changedAt.toISOString(),
        businessDate: h.businessDate,
      })),
    };
  }

  /** An account's journal entries with their lines, oldest first, a page at a time. */
  async ledger(scope: RegionScope, id: number, q: AccountPageQuery) {
    await this.visible(scope, id);
    // Entries first, then their lines: a LIMIT on a query joined to its lines would cut entries short.
    const page = pageOf(
      await JournalEntry.findAll({
        where: { accountId: id, ...(q.cursor ? { id: { [Op.gt]: decodeIdCursor(q.cursor) } } : {}) },
        order: [['id', 'ASC']],
        limit: q.limit + 1,
      }),
      q.limit,
      (last) => [last.id],
    );
    const lines = page.data.length
      ? await JournalLine.findAll({
          where: { journalEntryId: page.data.map((e) => e.id) },
          include: [{ model: LedgerAccount, as: 'ledgerAccount', attributes: ['code', 'name'] }],
          order: [['id', 'ASC']],
        })
      : [];
    const linesOf = new Map<number, JournalLine[]>();
    for (const l of lines) linesOf.set(l.journalEntryId, [...(linesOf.get(l.journalEntryId) ?? []), l]);
    for (const e of page.data) e.lines = linesOf.get(e.id) ?? [];
    return {
      data: page.data.map((e) => ({
        id: e.id,
        entryNumber: e.entryNumber,
        businessDate: e.businessDate,
        description: e.description,
        sourceType: e.sourceType,
        sourceId: e.sourceId,
        reversalOfId: e.reversalOfId,
        lines: (e.lines ?? []).map((l) => ({
          ledger: l.ledgerAccount!.code,
          ledgerName: l.ledgerAccount!.name,
          debit: l.debit,
          credit: l.credit,
          accountId: l.accountId,
        })),
      })),
      page: page.page,
    };
  }
}

export function accountView(a: Account) {
  return {
    id: a.id,
    accountNumber: a.accountNumber,
    customerId: a.customerId,
    productId: a.productId,
    payplanId: a.payplanId,
    regionId: a.regionId,
    agentId: a.agentId,
    status: a.status,
    activationDate: a.activationDate,
    expiryDate: a.expiryDate,
    totalPrice: a.totalPrice,
    downPaymentAmount: a.downPaymentAmount,
    financedAmount: a.financedAmount,
    balance: a.balance,
    creditBalance: a.creditBalance,
    daysPastDue: a.daysPastDue,
    parBucket: a.parBucket,
    creditExpiresAt: a.creditExpiresAt ? a.creditExpiresAt.toISOString() : null,
    restructuredAt: a.restructuredAt ?? null,
  };
}
