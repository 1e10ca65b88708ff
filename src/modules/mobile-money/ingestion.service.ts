import { Op, UniqueConstraintError, type CreationAttributes, type Sequelize, type Transaction } from 'sequelize';
import { dialect } from '../../platform/db/dialect';
import { sqlOf } from '../../platform/db/sql';
import { withTransaction } from '../../platform/db/transaction';
import { isDatabaseUnavailable } from '../../platform/db/unavailable';
import type { AppContext } from '../../platform/context';
import type { Logger } from '../../platform/logging/logger';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { Account, AccountDevice } from '../accounts/models';
import { Device } from '../devices/models';
import { LEDGER } from '../ledger/chart';
import { postEntry } from '../ledger/journal.service';
import { calendarOfCountry, calendarOfRegion, type CountryCalendar } from '../organisation/business-date';
import { MobileMoneyTransaction, UnmatchedPayment } from '../payments/models';
import { paymentSubscriptions } from '../payments/events';
import { PaymentPostingService, type LockedAccount } from '../payments/posting.service';
import { countryByCode, PROVIDERS, type ProviderCode } from './providers';

/** A provider's transaction as received (callback or statement line), before it is stored. */
export interface IncomingTransaction {
  provider: ProviderCode;
  transactionId: string;
  transactionType?: string | null;
  amount: MoneyString;
  currency?: string | null;
  msisdn?: string | null;
  /** The account reference the customer typed (Daraja BillRefNumber). */
  billRefNumber?: string | null;
  businessShortCode?: string | null;
  payerName?: string | null;
  transTime?: Date | null;
  /** What the provider sent, as sent (plus `country` when the provider has no home country). */
  rawPayload: Record<string, unknown>;
}

export type MatchResult = { kind: 'account'; accountId: number; by: 'accountNumber' | 'deviceSerial' } | { kind: 'none'; reason: string };

/** Account statuses that take no money automatically: the payment waits in suspense for staff. */
const REFUSING_STATUSES: Record<string, string> = {
  closed: 'the account is closed (paid off)',
  repossessed: 'the account was repossessed',
};

/** What a stored transaction looks like to staff and in callback answers. */
export function transactionView(t: MobileMoneyTransaction) {
  return {
    id: t.id,
    provider: t.provider,
    transactionId: t.transactionId,
    transactionType: t.transactionType,
    amount: t.amount,
    currency: t.currency,
    billRefNumber: t.billRefNumber,
    msisdn: t.msisdn,
    payerName: t.payerName,
    transTime: t.transTime ? t.transTime.toISOString() : null,
    status: t.status,
    accountId: t.accountId,
    paymentId: t.paymentId,
    note: t.errorMessage,
    createdAt: t.createdAt.toISOString(),
  };
}

/**
 * Mobile money in: every provider transaction is stored raw first (the unique (provider,
 * transactionId) key settles duplicates, sequential or concurrent), then processed exactly once:
 * in one transaction holding a row lock on the stored transaction, it is matched to an account
 * (account number, else the serial of a device actively linked to an account) and posted through
 * PaymentPostingService (allocation, ledger Dr 1100 / Cr 1200, receipt, events: credit days and a
 * token), or, when it cannot be matched, parked in suspense (unmatchedPayments; Dr 1100 / Cr 2200).
 *
 * Matching rules:
 *  - the reference is trimmed and its spaces removed; account numbers compare case-insensitively;
 *  - pending, active and suspended accounts take the money; a written-off account takes it as a
 *    recovery (the posting service credits 4500);
 *  - closed and repossessed accounts, an unknown reference, a device with no (or more than one)
 *    active account, or a currency other than the account's go to suspense with that reason.
 *
 * A crash between storing and posting leaves the row `received`; whoever comes next (a repeated
 * callback, a statement upload, or the re-drive job) takes the row lock and posts it, once.
 */
export class MobileMoneyService {
  private readonly posting: PaymentPostingService;

  constructor(
    private readonly sequelize: Sequelize,
    private readonly logger?: Logger,
  ) {
    this.posting = new PaymentPostingService(sequelize);
  }

  /** Store, then process. Answers the stored row as it stands afterwards. */
  async ingest(tx: IncomingTransaction): Promise<{ transaction: MobileMoneyTransaction; created: boolean }> {
    const { row, created } = await this.store(tx);
    if (row.status !== 'received') return { transaction: row, created };
    return { transaction: await this.processSafely(row.id, row.billRefNumber), created };
  }

  /** Inserts the raw transaction; a duplicate (provider, transactionId) returns the row already there. */
  async store(tx: IncomingTransaction): Promise<{ row: MobileMoneyTransaction; created: boolean }> {
    try {
      const row = await MobileMoneyTransaction.create({
        provider: tx.provider,
        transactionId: tx.transactionId,
        transactionType: tx.transactionType?.slice(0, 50) ?? null,
        amount: tx.amount,
        currency: tx.currency ?? PROVIDERS[tx.provider].currency,
        msisdn: tx.msisdn && tx.msisdn.length <= 20 ? tx.msisdn : null,
        billRefNumber: tx.billRefNumber?.slice(0, 100) ?? null,
        businessShortCode: tx.businessShortCode?.slice(0, 20) ?? null,
        payerName: tx.payerName?.slice(0, 255) || null,
        transTime: tx.transTime ?? null,
        rawPayload: tx.rawPayload,
        status: 'received',
      });
      return { row, created: true };
    } catch (err) {
      if (!(err instanceof UniqueConstraintError)) throw err;
    }
    const row = await MobileMoneyTransaction.findOne({ where: { provider: tx.provider, transactionId: tx.transactionId } });
    if (!row) throw new Error(`mobile-money transaction ${tx.provider}/${tx.transactionId} vanished after a duplicate insert`);
    if (!new Decimal(row.amount).equals(tx.amount)) {
      this.logger?.warn(
        { provider: tx.provider, transactionId: tx.transactionId },
        'repeated mobile-money transaction with a different amount; the first is kept',
      );
    }
    return { row, created: false };
  }

  /**
   * Processes a stored transaction once. Errors (e.g. a closed fiscal period) leave it `received`
   * with the error noted, for the re-drive job; the caller still gets the stored row.
   */
  async processSafely(id: number, reference?: string | null): Promise<MobileMoneyTransaction> {
    try {
      return await this.process(id, reference);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (isDatabaseUnavailable(err)) {
        // An outage, not a fault of this transaction: nothing to note on the row (it could not be
        // written anyway); a warning, and the re-drive job or the next copy posts it.
        this.logger?.warn(
          { mobileMoneyTransactionId: id, dependency: 'database' },
          'mobile-money transaction not processed (database unavailable); left for re-drive',
        );
        return (await MobileMoneyTransaction.findByPk(id))!;
      }
      this.logger?.error({ mobileMoneyTransactionId: id, err: message }, 'mobile-money transaction could not be processed; left for re-drive');
      await MobileMoneyTransaction.update({ errorMessage: `processing failed: ${message}`.slice(0, 2000) }, { where: { id, status: 'received' } }).catch(
        () => undefined,
      );
      return (await MobileMoneyTransaction.findByPk(id))!;
    }
  }

  /**
   * Matches and posts (or suspends) a `received` transaction under its row lock; anything else is
   * left as it is. With the reference as stored (the callback has it at hand), the transaction's
   * row lock, the lock of the account of that number and what it owes are taken in one round trip.
   */
  async process(id: number, reference?: string | null): Promise<MobileMoneyTransaction> {
    return withTransaction(this.sequelize, async (t) => {
      const ref = normaliseReference(reference);
      const byNumber = ref && ref.length <= 100 ? ref : null;
      const { row, locked } = await this.lockTransaction(id, byNumber, t);
      if (!row) throw new Error(`mobile-money transaction ${id} not found`);
      if (row.status !== 'received') return row;
      const matched =
        locked && normaliseReference(row.billRefNumber) === byNumber
          ? { kind: 'account' as const, account: locked.account }
          : await lockMatchedAccount(row.billRefNumber, t);
      if (matched.kind === 'none') {
        await this.suspend(row, matched.reason, null, t);
        return row;
      }
      const { account } = matched;
      const refusal = REFUSING_STATUSES[account.status];
      if (refusal) {
        await this.suspend(row, refusal, account, t);
        return row;
      }
      const currency = await regionCurrency(account.regionId, t);
      if (row.currency && row.currency !== currency) {
        await this.suspend(row, `paid in ${row.currency}; the account is in ${currency}`, account, t);
        return row;
      }
      // The row is marked posted by the payment-posted listener below (registerMobileMoneyListeners).
      const paymentTypeCode = PROVIDERS[row.provider as ProviderCode].paymentType;
      // Locked with what it owed and its business date: nothing to read again.
      const context = locked?.account === account ? await this.posting.lockedContext(locked, paymentTypeCode, t) : undefined;
      const posted = await this.posting.postLocked(
        account,
        new Decimal(row.amount),
        {
          accountId: account.id,
          amount: row.amount,
          paymentTypeCode,
          channel: 'mobile_money',
          transactionRef: row.transactionId,
          paymentDate: row.transTime ?? row.createdAt,
          paymentMethod: row.transactionType,
          createdBy: null,
          mobileMoneyTransaction: row,
          // Nobody is shown the receipt before commit: the company-wide lock is held for the COMMIT's round trip alone.
          receiptAtCommit: true,
        },
        t,
        context,
      );
      if (row.paymentId !== posted.payment.id) throw new Error(`mobile-money transaction ${row.id} was not linked to payment ${posted.payment.id}`);
      return row;
    });
  }

  /** The stored transaction's row lock, then (with `accountNumber`) that account's, in one round trip. */
  private async lockTransaction(
    id: number,
    accountNumber: string | null,
    t: Transaction,
  ): Promise<{ row: MobileMoneyTransaction | null; locked: LockedAccount | null }> {
    if (!accountNumber) return { row: await MobileMoneyTransaction.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }), locked: null };
    const sql = sqlOf(this.sequelize);
    const { locked, first } = await this.posting.lockAccountAfter(
      { accountNumber },
      [{ sql: `SELECT * FROM mobileMoneyTransactions WHERE id = ?${dialect(this.sequelize).forUpdate}`, values: [id] }],
      t,
    );
    const raw = first[0]?.[0] as Record<string, unknown> | undefined;
    if (!raw) return { row: null, locked };
    // JSON comes back as text from a plain statement (MariaDB stores it as LONGTEXT; SQLite as TEXT).
    const rawPayload = typeof raw.rawPayload === 'string' ? (JSON.parse(raw.rawPayload) as unknown) : raw.rawPayload;
    const row = MobileMoneyTransaction.build(
      sql.instants(MobileMoneyTransaction, { ...raw, rawPayload }) as unknown as CreationAttributes<MobileMoneyTransaction>,
      {
        isNewRecord: false,
        raw: true,
      },
    );
    return { row, locked };
  }

  /**
   * Suspense: Dr 1100 mobile-money clearing / Cr 2200, in the country of the account the money
   * named (if any), else the country the callback named, else the provider's home country.
   */
  private async suspend(row: MobileMoneyTransaction, reason: string, account: Account | null, t: Transaction): Promise<void> {
    const calendar = await suspenseCalendar(row, account?.regionId ?? null, t);
    const unmatched = await UnmatchedPayment.create(
      { mobileMoneyTransactionId: row.id, amount: row.amount, reference: row.billRefNumber, msisdn: row.msisdn, reason: reason.slice(0, 255) },
      { transaction: t },
    );
    await postEntry(
      {
        businessDate: calendar.businessDate,
        countryId: calendar.countryId,
        description: `Unmatched ${row.provider} ${row.transactionId} (${reason})`,
        sourceType: 'unmatched_payment',
        sourceId: unmatched.id,
        currency: row.currency ?? calendar.currency,
        createdBy: null,
        lines: [
          { ledger: LEDGER.mobileMoneyClearing, debit: toMoneyString(row.amount) },
          { ledger: LEDGER.suspense, credit: toMoneyString(row.amount) },
        ],
      },
      t,
    );
    await row.update({ status: 'unmatched', accountId: account?.id ?? null, errorMessage: reason.slice(0, 2000) }, { transaction: t });
  }

  /**
   * Re-drive: transactions stored but not processed (a crash, or an error such as a closed period)
   * for longer than `olderThanMs`, oldest first. Each is processed under its row lock, so this may
   * run alongside live callbacks.
   */
  async redrive(options: { olderThanMs?: number; limit?: number } = {}): Promise<{ processed: number; stillReceived: number }> {
    const rows = await MobileMoneyTransaction.findAll({
      where: { status: 'received', createdAt: { [Op.lt]: new Date(Date.now() - (options.olderThanMs ?? 30_000)) } },
      attributes: ['id'],
      order: [['id', 'ASC']],
      limit: options.limit ?? 200,
    });
    let stillReceived = 0;
    for (const { id } of rows) {
      const after = await this.processSafely(id);
      if (after.status === 'received') stillReceived++;
    }
    return { processed: rows.length - stillReceived, stillReceived };
  }
}

/**
 * The calendar suspense is booked in: the country of the account the money named (if any), else
 * the country the callback or statement named, else the provider's home country.
 */
export async function suspenseCalendar(row: MobileMoneyTransaction, regionId: number | null, t: Transaction): Promise<CountryCalendar> {
  if (regionId !== null) return calendarOfRegion(regionId, t);
  const named = (row.rawPayload as { country?: unknown } | null)?.country;
  const code = typeof named === 'string' ? named : PROVIDERS[row.provider as ProviderCode]?.country;
  const country = code ? await countryByCode(code, t) : null;
  if (!country) throw new Error(`no country to book unmatched ${row.provider} money in (${code ?? 'none named'})`);
  return calendarOfCountry(country.id, t);
}

/**
 * Marks the stored provider transaction posted (with the payment's id) inside the posting's own
 * transaction: ingestion and matching from suspense hand the row to the posting
 * (PostPaymentInput.mobileMoneyTransaction), which passes it on in the payment-posted event. Runs
 * before the posting takes the company-wide receipt number, so that lock is held no longer.
 */
export function registerMobileMoneyListeners(ctx: Pick<AppContext, 'sequelize'>): void {
  paymentSubscriptions(ctx.sequelize).onPosted('mobile-money.mark-posted', async ({ payment, account, mobileMoneyTransaction: row }, t) => {
    if (!row) return;
    const values = {
      status: 'posted' as const,
      paymentId: payment.id,
      accountId: account.id,
      errorMessage: row.status === 'unmatched' ? row.errorMessage : null,
    };
    // Deferred: it goes to the database with the payment's next statement.
    await sqlOf(ctx.sequelize).defer(
      t,
      'UPDATE mobileMoneyTransactions SET status = ?, paymentId = ?, accountId = ?, errorMessage = ?, updatedAt = ? WHERE id = ?',
      [values.status, values.paymentId, values.accountId, values.errorMessage, new Date(), row.id],
    );
    row.set(values);
  });
}

const currencies = new Map<number, string>();
/** The currency of a region's country (cached: a region never changes country, nor a country its currency). */
async function regionCurrency(regionId: number, t: Transaction): Promise<string> {
  let c = currencies.get(regionId);
  if (c === undefined) {
    c = (await calendarOfRegion(regionId, t)).currency;
    currencies.set(regionId, c);
  }
  return c;
}

/** A reference as customers type it, trimmed and without spaces. */
export function normaliseReference(reference: string | null | undefined): string {
  return (reference ?? '').replace(/\s+/g, '');
}

/** The account a reference names: an account number, else the serial of a device actively linked to one account. */
export async function matchReference(reference: string | null | undefined, transaction?: Transaction): Promise<MatchResult> {
  const ref = normaliseReference(reference);
  if (!ref) return { kind: 'none', reason: 'no account reference' };
  if (ref.length > 100) return { kind: 'none', reason: 'account reference too long' };
  const account = await Account.findOne({ where: { accountNumber: ref }, attributes: ['id'], transaction });
  if (account) return { kind: 'account', accountId: account.id, by: 'accountNumber' };
  const device = await Device.findOne({ where: { serialNumber: ref }, attributes: ['id'], transaction });
  if (!device) return { kind: 'none', reason: `no account or device ${ref}` };
  const links = await AccountDevice.findAll({ where: { deviceId: device.id, status: 'active' }, attributes: ['accountId'], limit: 2, transaction });
  if (links.length === 0) return { kind: 'none', reason: `device ${ref} is not linked to an account` };
  if (links.length > 1) return { kind: 'none', reason: `device ${ref} is linked to more than one account` };
  return { kind: 'account', accountId: links[0]!.accountId, by: 'deviceSerial' };
}

/**
 * The account a reference names, locked. It is found without a lock, then locked by primary key
 * (a locking read of a reference that matches nothing would gap-lock the account-number index
 * against new accounts). An account number never changes, but a device can be moved to another
 * account between the plain read and the lock, so a device match is read again under the lock
 * (fresh at READ COMMITTED) and followed if it moved: the decision is the one made under the lock.
 */
export async function lockMatchedAccount(
  reference: string | null | undefined,
  t: Transaction,
): Promise<{ kind: 'account'; account: Account } | { kind: 'none'; reason: string }> {
  let match = await matchReference(reference, t);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (match.kind === 'none') return match;
    const account = await Account.findByPk(match.accountId, { lock: t.LOCK.UPDATE, transaction: t });
    if (!account) return { kind: 'none', reason: `account ${match.accountId} not found` };
    if (match.by === 'accountNumber') return { kind: 'account', account };
    const again = await matchReference(reference, t);
    if (again.kind === 'account' && again.accountId === match.accountId) return { kind: 'account', account };
    match = again;
  }
  return { kind: 'none', reason: `device ${normaliseReference(reference)} kept moving between accounts while the payment was posted` };
}

/** Whether a reference would be taken (M-Pesa validation): a matching account that takes money. */
export async function acceptsPayments(reference: string | null | undefined): Promise<boolean> {
  const match = await matchReference(reference);
  if (match.kind === 'none') return false;
  const account = await Account.findByPk(match.accountId, { attributes: ['id', 'status'] });
  return !!account && !REFUSING_STATUSES[account.status];
}
