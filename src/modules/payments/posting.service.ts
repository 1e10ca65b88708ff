import type { CreationAttributes, Sequelize, Transaction } from 'sequelize';
import { inRegionScope, type RegionScope } from '../../platform/auth/principal';
import { dialect } from '../../platform/db/dialect';
import { placeholders, sqlOf, type Sql, type SqlText } from '../../platform/db/sql';
import { TtlCache } from '../../platform/ttl-cache';
import { withTransaction } from '../../platform/db/transaction';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { outstanding } from '../accounts/arrears';
import { Account, type AccountChargeStatus, type InstallmentSchedule } from '../accounts/models';
import { catchUpNightly } from '../accounts/nightly-step';
import { applyAccountState, nextAccountState } from '../accounts/status';
import { payplanTerms, type PayplanTerms } from '../catalogue/payplan-terms';
import { integrations } from '../integrations/outbox';
import { LEDGER, type LedgerCode } from '../ledger/chart';
import { postEntry, type LineSpec } from '../ledger/journal.service';
import { calendarOfRegion, calendarWithBusinessDate, type CountryCalendar } from '../organisation/business-date';
import { nextNumber, nextNumberAtCommit, type NumberWrite } from '../organisation/number-sequences';
import { allocate, isAllocationOrder, type OpenItem } from './allocation';
import { paymentEvents, type Effects, type SettleRest } from './events';
import { Payment, PaymentType, type MobileMoneyTransaction, type PaymentChannel } from './models';
import { chargeAfter, installmentAfter } from '../accounts/settlement';

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
  /** The provider's stored transaction being posted; handed to the payment-posted listeners. */
  mobileMoneyTransaction?: MobileMoneyTransaction;
  /** Settles what the payment left before the status is worked out (events.ts SettleRest; the payoff's discount). */
  settleRest?: SettleRest;
  /**
   * Take the receipt number in the COMMIT's own round trip (nextNumberAtCommit): the company-wide
   * lock is then held for no application turn. The number is null inside the transaction and set
   * on the result once committed; for callers that show it to nobody before commit (callbacks), or
   * that store it by SQL in the commit tail (PostedPayment.receiptSql: POST /payments' answer).
   */
  receiptAtCommit?: boolean;
}

export interface PostedPayment {
  payment: Payment;
  account: Account;
  allocations: { kind: 'charge' | 'installment' | 'credit_balance'; id: number | null; amount: MoneyString }[];
  /** Null inside the transaction when taken at commit (PostPaymentInput.receiptAtCommit), then set. */
  receiptNumber: string | null;
  /**
   * The receipt number as SQL (nextNumberAtCommit's answer): `?` with its value once taken, else
   * the variable the COMMIT's round trip sets, for a statement added to the commit tail after it
   * (sql.atCommit) that stores the number too.
   */
  receiptSql: SqlText;
  journalEntryId: number;
  /** What other domains did in the same transaction (credit days, device token). */
  effects: Effects;
}

export interface PostingHooks {
  /** Runs inside the transaction right after the account's lock (e.g. holding the idempotency claim). */
  afterLock?(transaction: Transaction): Promise<void>;
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
  payplan: PayplanTerms;
  typeId: number;
  /** What the account owed, read under its lock; read again when the nightly catch-up changes it. */
  openItems?: OpenItems;
}

/** Active payment types by code, read again after PAYMENT_TYPE_TTL_MS so a retired type stops being taken. */
const PAYMENT_TYPE_TTL_MS = 30_000;
const paymentTypes = new TtlCache<string, number>(PAYMENT_TYPE_TTL_MS);
function paymentTypeId(code: string, transaction?: Transaction): Promise<number> {
  return paymentTypes.get(code, async () => {
    const t = await PaymentType.findOne({ where: { code, isActive: true }, attributes: ['id'], transaction });
    if (!t) throw problems.validation([{ field: 'paymentType', in: 'body', message: `unknown payment type ${code}` }]);
    return t.id;
  });
}

type OpenInstallment = Pick<InstallmentSchedule, 'id' | 'installmentNumber' | 'dueDate' | 'amount' | 'paidAmount' | 'status' | 'paidDate'>;
interface OpenCharge {
  id: number;
  dueDate: string;
  amount: string;
  paidAmount: string;
  status: AccountChargeStatus;
}

/**
 * Posts a payment to an account: the heart of AMT. In one transaction, with the account row
 * locked: bring the account up to its business date, allocate the money in the payplan's order,
 * update instalments, charges, balance, DPD and status, write the payment, its allocations, a
 * receipt, the journal entry and an outbox event. A deadlock retries the whole transaction.
 */
export class PaymentPostingService {
  private readonly sql: Sql;
  constructor(private readonly sequelize: Sequelize) {
    this.sql = sqlOf(sequelize);
  }

  async post(input: PostPaymentInput, hooks: PostingHooks = {}): Promise<PostedPayment> {
    const amount = new Decimal(input.amount);
    if (amount.lessThanOrEqualTo(0) || amount.decimalPlaces() > 2) {
      throw problems.validation([{ field: 'amount', in: 'body', message: 'amount must be a positive amount with at most 2 decimals' }]);
    }
    const work = async (t: Transaction) => {
      const locked = await this.lockAccount({ id: input.accountId }, t);
      if (!locked || (input.scope && !inRegionScope(input.scope, locked.account.regionId))) throw problems.notFound('account');
      const { account } = locked;
      await hooks.afterLock?.(t);
      const context = await this.lockedContext(locked, input.paymentTypeCode, t);
      const posted = await this.postLocked(account, amount, input, t, context);
      await hooks.beforeCommit?.(posted, t);
      return posted;
    };
    // BEGIN goes with the lock, the transaction's first statement (docs/architecture.md).
    return withTransaction(this.sequelize, work, { deferBegin: true });
  }

  /**
   * Locks an account (by id, or by account number) and reads what it owes and its country's
   * business date, in one round trip on MySQL: the first statement takes the row lock (the
   * business-date subquery takes none: the nightly close may move the date meanwhile, never under
   * a payment); the second runs once the lock is held. Null when there is no such account.
   */
  async lockAccount(by: { id: number } | { accountNumber: string }, t: Transaction): Promise<LockedAccount | null> {
    return (await this.lockAccountAfter(by, [], t)).locked;
  }

  /**
   * lockAccount, after the statements `first` (e.g. the lock of a row that must be locked before
   * the account), all in the same round trip on MySQL; their rows come back with it.
   */
  async lockAccountAfter(
    by: { id: number } | { accountNumber: string },
    first: SqlText[],
    t: Transaction,
  ): Promise<{ locked: LockedAccount | null; first: object[][] }> {
    const [column, value] = 'id' in by ? ['id', by.id] : ['accountNumber', by.accountNumber];
    const results = await this.sql.rowsOfEach(t, [
      ...first,
      {
        sql: `SELECT a.*, (SELECT c.businessDate FROM companyRegions r JOIN countries c ON c.id = r.countryId WHERE r.id = a.regionId) AS businessDateNow
                FROM accounts a WHERE a.${column} = ?${dialect(this.sequelize).forUpdate}`,
        values: [value],
      },
      {
        sql: OPEN_ITEMS_SQL.replace(/accountId = \?/g, `accountId = (SELECT id FROM accounts WHERE ${column} = ?)`),
        values: [value, value],
      },
    ]);
    const [[row], items] = results.slice(first.length) as [(Record<string, unknown> & { businessDateNow: string | null })[], OpenItemRow[]];
    if (!row) return { locked: null, first: results.slice(0, first.length) };
    const { businessDateNow, ...columns } = row;
    const account = Account.build(this.sql.instants(Account, columns) as unknown as CreationAttributes<Account>, { isNewRecord: false, raw: true });
    return { locked: { account, businessDateNow, openItems: splitOpenItems(items) }, first: results.slice(0, first.length) };
  }

  /** What posting to a locked account needs besides it (cached per process, but for the business date read with the lock). */
  async lockedContext(locked: LockedAccount, paymentTypeCode: string, t: Transaction): Promise<PostingContext> {
    const [calendar, payplan, typeId] = await Promise.all([
      calendarWithBusinessDate(locked.account.regionId, locked.businessDateNow, t),
      payplanTerms(locked.account.payplanId, t),
      paymentTypeId(paymentTypeCode, t),
    ]);
    return { calendar, payplan, typeId, openItems: locked.openItems };
  }

  private async context(account: Pick<Account, 'regionId' | 'payplanId'>, paymentTypeCode: string, transaction?: Transaction): Promise<PostingContext> {
    const [calendar, payplan, typeId] = await Promise.all([
      calendarOfRegion(account.regionId, transaction),
      payplanTerms(account.payplanId, transaction),
      paymentTypeId(paymentTypeCode, transaction),
    ]);
    return { calendar, payplan, typeId };
  }

  /**
   * The posting itself, for callers that already hold the account lock in their own transaction.
   * Plain statements (src/platform/db/sql.ts), one round trip each: this runs for every payment.
   */
  async postLocked(account: Account, amount: Decimal, input: PostPaymentInput, t: Transaction, context?: PostingContext): Promise<PostedPayment> {
    const { calendar, payplan, typeId, openItems } = context ?? (await this.context(account, input.paymentTypeCode, t));
    const businessDate = calendar.businessDate;
    const caughtUp = Boolean(account.lastNightlyBusinessDate && account.lastNightlyBusinessDate >= businessDate);
    await catchUpNightly(account, payplan, businessDate, t);
    const wasOpen = account.status !== 'closed';
    const now = new Date();

    const allocationRows: PostedPayment['allocations'] = [];
    const creditLines: LineSpec[] = [];
    if (account.status === 'written_off') {
      // Money on a written-off account is a recovery: it no longer settles the (zeroed) schedule.
      creditLines.push({ ledger: LEDGER.recoveries, credit: toMoneyString(amount), accountId: account.id });
    } else {
      const { installments, charges } = caughtUp && openItems ? openItems : await this.openItems(account.id, t);
      // What each item owes is worked out only when the allocation reaches it (an account has
      // dozens of open instalments; a payment settles the first few).
      const items: OpenItem[] = [
        ...charges.map((c) => new LazyItem('charge', c.id, c.dueDate, c.id, c)),
        ...installments.map((i) => new LazyItem('installment', i.id, i.dueDate, i.installmentNumber, i)),
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
          await this.sql.defer(t, 'UPDATE installmentSchedules SET paidAmount = ?, status = ?, paidDate = ?, updatedAt = ? WHERE id = ?', [
            after.paidAmount,
            after.status,
            after.paidDate,
            now,
            i.id,
          ]);
          Object.assign(i, after);
        } else {
          const after = chargeAfter(chargeById.get(a.id)!, a.amount);
          await this.sql.defer(t, 'UPDATE accountCharges SET paidAmount = ?, status = ?, updatedAt = ? WHERE id = ?', [
            after.paidAmount,
            after.status,
            now,
            a.id,
          ]);
        }
      }
      if (settled.greaterThan(0)) creditLines.push({ ledger: LEDGER.loansReceivable, credit: toMoneyString(settled), accountId: account.id });
      if (credit.greaterThan(0)) {
        allocationRows.push({ kind: 'credit_balance', id: null, amount: toMoneyString(credit) });
        creditLines.push({ ledger: LEDGER.customerCreditBalances, credit: toMoneyString(credit), accountId: account.id });
      }
      account.balance = toMoneyString(new Decimal(account.balance).minus(settled));
      account.creditBalance = toMoneyString(new Decimal(account.creditBalance).plus(credit));
      if (input.settleRest) await input.settleRest(account, t);
      // pending -> active on the down payment; suspended -> active when caught up; -> closed when
      // paid off; DPD 0 while a down payment is still short (status.ts).
      const next = nextAccountState(
        {
          status: account.status,
          activationDate: account.activationDate ?? null,
          balance: account.balance,
          installments,
          daysUntilSuspension: payplan.daysUntilSuspension,
          businessDate,
        },
        'payment',
      );
      await applyAccountState(account, next, { by: input.createdBy ?? null, businessDate }, t);
    }
    await this.sql.defer(
      t,
      `UPDATE accounts SET balance = ?, creditBalance = ?, daysPastDue = ?, parBucket = ?, status = ?, activationDate = ?, closedAt = ?,
              lastNightlyBusinessDate = ?, updatedAt = ? WHERE id = ?`,
      [
        account.balance,
        account.creditBalance,
        account.daysPastDue,
        account.parBucket,
        account.status,
        account.activationDate ?? null,
        account.closedAt ?? null,
        account.lastNightlyBusinessDate ?? null,
        now,
        account.id,
      ],
    );
    account.setDataValue('updatedAt', now);

    const values = {
      accountId: account.id,
      amount: toMoneyString(amount),
      currency: calendar.currency,
      paymentTypeId: typeId,
      channel: input.channel,
      transactionRef: input.transactionRef,
      paymentDate: input.paymentDate ?? now,
      businessDate,
      status: 'completed' as const,
      completedAt: now,
      paymentMethod: input.paymentMethod ?? null,
      regionId: account.regionId,
      createdBy: input.createdBy ?? null,
      createdAt: now,
      updatedAt: now,
    };
    const { insertId: paymentId } = await this.sql.write(
      t,
      `INSERT INTO payments (accountId, amount, currency, paymentTypeId, channel, transactionRef, paymentDate, businessDate, status, completedAt, paymentMethod, regionId, createdBy, createdAt, updatedAt)
       VALUES ${placeholders(1, 15)}`,
      Object.values(values),
    );
    const payment = Payment.build({ id: paymentId, ...values, receiptNumber: null }, { isNewRecord: false, raw: true });
    if (allocationRows.length > 0) {
      await this.sql.defer(
        t,
        `INSERT INTO paymentAllocations (paymentId, allocationType, installmentScheduleId, accountChargeId, amount, createdAt, updatedAt) VALUES ${placeholders(allocationRows.length, 7)}`,
        allocationRows.flatMap((a) => [paymentId, a.kind, a.kind === 'installment' ? a.id : null, a.kind === 'charge' ? a.id : null, a.amount, now, now]),
      );
    }
    const entry = await postEntry(
      {
        businessDate,
        countryId: calendar.countryId,
        description: `Payment ${input.transactionRef} on ${account.accountNumber}`,
        sourceType: 'payment',
        sourceId: paymentId,
        accountId: account.id,
        currency: calendar.currency,
        createdBy: input.createdBy ?? null,
        lines: [{ ledger: input.debitLedger ?? CHANNEL_LEDGER[input.channel], debit: toMoneyString(amount) }, ...creditLines],
      },
      t,
    );
    await integrations.enqueue(t, {
      aggregate: 'payment',
      id: paymentId,
      event: 'payment.completed',
      payload: { paymentId, accountId: account.id, amount: toMoneyString(amount), businessDate },
    });
    const effects = await paymentEvents.emitPosted(
      { payment, account, businessDate, paidOff: wasOpen && account.status === 'closed', mobileMoneyTransaction: input.mobileMoneyTransaction },
      t,
    );
    const posted: PostedPayment = {
      payment,
      account,
      allocations: allocationRows,
      receiptNumber: null,
      receiptSql: { sql: 'NULL', values: [] },
      journalEntryId: entry.id,
      effects,
    };
    posted.receiptSql = await this.receipt(posted, amount, now, input.receiptAtCommit === true, t);
    return posted;
  }

  /**
   * The gapless receipt number comes last: its row stays locked until commit, and every payment in
   * the company queues on it. Taken now, it and its writes are followed by the caller's last
   * statements and the COMMIT; taken at commit, it is held for the COMMIT's round trip alone.
   */
  private async receipt(posted: PostedPayment, amount: Decimal, now: Date, atCommit: boolean, t: Transaction): Promise<SqlText> {
    const { payment, account } = posted;
    const writes: NumberWrite[] = [
      (n) => ({ sql: `UPDATE payments SET receiptNumber = ${n.sql} WHERE id = ?`, values: [...n.values, payment.id] }),
      (n) => ({
        sql: `INSERT INTO receipts (receiptNumber, paymentId, accountId, amount, issuedAt, channel, createdAt, updatedAt) VALUES (${n.sql}, ?, ?, ?, ?, ?, ?, ?)`,
        values: [...n.values, payment.id, account.id, toMoneyString(amount), now, 'sms', now, now],
      }),
    ];
    const taken = (receiptNumber: string) => {
      payment.setDataValue('receiptNumber', receiptNumber);
      posted.receiptNumber = receiptNumber;
    };
    if (atCommit) return nextNumberAtCommit('receipt', t, writes, taken);
    const receiptNumber = await nextNumber('receipt', t);
    for (const w of writes) {
      const s = w({ sql: '?', values: [receiptNumber] });
      await this.sql.defer(t, s.sql, s.values);
    }
    taken(receiptNumber);
    return { sql: '?', values: [receiptNumber] };
  }

  /** What the account still owes, instalments and charges, in one statement. */
  private async openItems(accountId: number, t: Transaction): Promise<OpenItems> {
    return splitOpenItems(await this.sql.rows<OpenItemRow>(t, OPEN_ITEMS_SQL, [accountId, accountId]));
  }
}

/**
 * An open item whose `outstanding` is computed on its first read (allocate reads it only when the
 * money reaches it): an instalment's by arrears.ts `outstanding`, a charge's as amount less paid.
 */
class LazyItem implements OpenItem {
  private owed?: Decimal;
  constructor(
    readonly kind: OpenItem['kind'],
    readonly id: number,
    readonly dueDate: string,
    readonly order: number,
    private readonly row: Pick<OpenInstallment, 'amount' | 'paidAmount' | 'status'> | Pick<OpenCharge, 'amount' | 'paidAmount'>,
  ) {}

  get outstanding(): Decimal {
    return (this.owed ??= this.kind === 'installment' ? outstanding(this.row as OpenInstallment) : new Decimal(this.row.amount).minus(this.row.paidAmount));
  }
}

type OpenItemRow = OpenInstallment & { kind: 'installment' | 'charge' };

/** An account row locked in a transaction, with what it owed when locked. */
export interface LockedAccount {
  account: Account;
  businessDateNow: string | null;
  openItems: OpenItems;
}

interface OpenItems {
  installments: OpenInstallment[];
  charges: OpenCharge[];
}

/** The open instalments and charges of an account (its id twice). */
const OPEN_ITEMS_SQL = `SELECT 'installment' AS kind, id, installmentNumber, dueDate, amount, paidAmount, status, paidDate
     FROM installmentSchedules WHERE accountId = ? AND status IN ('pending', 'partial', 'overdue')
   UNION ALL
   SELECT 'charge' AS kind, id, 0 AS installmentNumber, dueDate, amount, paidAmount, status, NULL AS paidDate
     FROM accountCharges WHERE accountId = ? AND status IN ('pending', 'partial')`;

function splitOpenItems(rows: OpenItemRow[]): OpenItems {
  const installments: OpenInstallment[] = [];
  const charges: OpenCharge[] = [];
  for (const r of rows) {
    const item = { ...r, id: Number(r.id), installmentNumber: Number(r.installmentNumber) };
    if (r.kind === 'installment') installments.push(item);
    else charges.push(item as OpenCharge);
  }
  installments.sort((a, b) => a.installmentNumber - b.installmentNumber);
  charges.sort((a, b) => a.id - b.id);
  return { installments, charges };
}
