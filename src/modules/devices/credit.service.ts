import type { CreationAttributes, Transaction } from 'sequelize';
import { placeholders, sqlOf } from '../../platform/db/sql';
import type { AppContext } from '../../platform/context';
import { dataCrypto, type DataCrypto } from '../../platform/crypto';
import type { Logger } from '../../platform/logging/logger';
import { Decimal } from '../../platform/money';
import type { JobQueue } from '../../platform/queue';
import { Account } from '../accounts/models';
import { scheduleChangeSubscriptions, type HolidayAppliedEvent } from '../accounts/schedule-change-events';
import { Product } from '../catalogue/models';
import { payplanTerms } from '../catalogue/payplan-terms';
import { Customer } from '../customers/models';
import { requestSend } from '../notifications/jobs';
import { NotificationError, pickTemplate, queueNotification, type TemplateText } from '../notifications/outbox';
import { paymentSubscriptions, type Effects, type PaymentPostedEvent, type PaymentRefundedEvent, type PaymentReversedEvent } from '../payments/events';
import type { Payment } from '../payments/models';
import { DeviceToken } from './models';
import { DAY_MS, DeviceTokenError, wholeSeconds, lockDeviceForMinting, mintTokens, spacedToken, type MintedToken, type MintSpec } from './tokens';

/** Credit-day entries that follow from payments (and refunds of them): their sum is what the money kept has bought so far. */
const PAYMENT_REASONS = ['payment', 'reversal', 'refund'] as const;

export interface CreditDeps {
  crypto: DataCrypto;
  logger: Logger;
  queue?: JobQueue;
}

/** What POST /payments (and a reversal approval) report from this module. */
export interface CreditEffects extends Effects {
  /** Days this payment bought (negative: days a reversal took back). */
  creditDays: number;
  creditExpiresAt: string | null;
  /** The token for the customer's device (null: none minted); with several devices, the first. */
  token: string | null;
  tokens: { deviceId: number; serialNumber: string; tokenType: string; value: number; token: string; tokenCount: number }[];
  /** Devices that could not get a token (no key, unreadable key): the payment stands regardless. */
  tokenErrors?: { deviceId: number; code: string; message: string }[];
}

/**
 * Credit never runs more than this many days ahead: with a tiny daily rate a large payment would
 * buy millions of days, an expiry no DATETIME holds (a 500). Days beyond it are not granted.
 */
export const MAX_CREDIT_DAYS_AHEAD = 36_500;

/** Days a payment may still add to the account's credit under MAX_CREDIT_DAYS_AHEAD. */
function creditRoom(account: Account, now: Date): number {
  const base = Math.max(now.getTime(), account.creditExpiresAt?.getTime() ?? 0);
  return Math.max(0, Math.floor((now.getTime() + MAX_CREDIT_DAYS_AHEAD * DAY_MS - base) / DAY_MS));
}

/** Whole days from now until `expiry`, rounded up (a started day counts); 0 when expired. */
export function remainingDays(expiry: Date | null, now: Date): number {
  if (!expiry) return 0;
  const ms = expiry.getTime() - now.getTime();
  return ms <= 0 ? 0 : Math.ceil(ms / DAY_MS);
}

/**
 * Payments buy days of device use. The rule is one invariant: the days granted for payments (the
 * sum of creditDayEntries with reason payment, reversal or refund) equal floor((total of the
 * account's completed payments - what approved refunds gave back of them) / payplan.dailyRate).
 * So a remainder smaller than a day carries over to the next payment, a reversal or a refund takes
 * back exactly what the books no longer support, and no float is ever involved (Decimal, integer
 * division).
 *
 * Runs inside the payment's transaction with the account row locked (payments lock it first);
 * each device row is then locked (SELECT ... FOR UPDATE, in id order) before a token is minted
 * from its stored count, so counts strictly increase per device under concurrent payments.
 */
export class CreditService {
  constructor(private readonly deps: CreditDeps) {}

  /**
   * floor(completed payments / dailyRate) minus the days already granted for payments, and the
   * account's active devices (in id order), in one statement: this runs on every payment.
   */
  private async owedDaysAndDevices(
    account: Account,
    t: Transaction,
    smsTemplate?: string,
  ): Promise<{ owed: number; deviceIds: number[]; customer: Customer | null; templates: TemplateText[] }> {
    const { dailyRate } = await payplanTerms(account.payplanId, t);
    const sql = sqlOf(Account.sequelize!);
    // The customer (whom a token SMS goes to) and, with `smsTemplate`, that SMS's texts in every
    // language (when the account has a device to mint for) come in the same round trip.
    const templateRead = smsTemplate
      ? [
          {
            sql: `SELECT language, subject, body FROM notificationTemplates WHERE code = ? AND channel = 'sms' AND isActive = 1
                    AND EXISTS (SELECT 1 FROM accountDevices WHERE accountId = ? AND status = 'active')`,
            values: [smsTemplate, account.id],
          },
        ]
      : [];
    const [[row], [customerRow], templates = []] = (await sql.rowsOfEach(t, [
      {
        sql: `SELECT
         (SELECT COALESCE(SUM(amount), 0) FROM payments WHERE accountId = ? AND status = 'completed')
           - (SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE accountId = ? AND paymentId IS NOT NULL AND status IN ('approved', 'completed')) AS paid,
         (SELECT COALESCE(SUM(days), 0) FROM creditDayEntries WHERE accountId = ? AND reason IN (${PAYMENT_REASONS.map(() => '?').join(', ')})) AS granted,
         (SELECT GROUP_CONCAT(deviceId) FROM accountDevices WHERE accountId = ? AND status = 'active') AS devices`,
        values: [account.id, account.id, account.id, ...PAYMENT_REASONS, account.id],
      },
      { sql: 'SELECT id, firstName, phone, preferredLanguage FROM customers WHERE id = ?', values: [account.customerId] },
      ...templateRead,
    ])) as [{ paid: string | number | null; granted: string | number | null; devices: string | null }[], Record<string, unknown>[], TemplateText[]?];
    const customer = customerRow ? Customer.build(customerRow as unknown as CreationAttributes<Customer>, { isNewRecord: false, raw: true }) : null;
    const deviceIds = String(row?.devices ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number)
      .sort((a, b) => a - b);
    const granted = Number(row?.granted ?? 0);
    const rate = new Decimal(dailyRate ?? 0);
    if (rate.lessThanOrEqualTo(0)) return { owed: -granted, deviceIds, customer, templates }; // no price per day: nothing is bought
    const bought = new Decimal(String(row?.paid ?? 0)).dividedToIntegerBy(rate).toNumber();
    return { owed: bought - granted, deviceIds, customer, templates };
  }

  /** Mints for every active device of the account, device rows locked in id order. */
  private async mintForDevices(
    deviceIds: number[],
    spec: (deviceId: number, paygDisabled: boolean) => MintSpec | null,
    t: Transaction,
    errors: NonNullable<CreditEffects['tokenErrors']>,
  ): Promise<MintedToken[]> {
    const minted: MintedToken[] = [];
    for (const id of deviceIds) {
      const { device, model } = await lockDeviceForMinting(id, t);
      if (!device || !device.openpaygoSecretKey) continue; // not a PAYG device
      const s = spec(id, device.paygDisabledAt !== null);
      if (!s) continue;
      try {
        minted.push(...(await mintTokens(this.deps.crypto, device, s, t, model)));
      } catch (err) {
        // Refused before any write: the payment must stand even when a device cannot take a token.
        if (!(err instanceof DeviceTokenError)) throw err;
        errors.push({ deviceId: id, code: err.code, message: err.message });
        this.deps.logger.error({ deviceId: id, code: err.code, field: err.field }, 'no token minted for a device');
      }
    }
    return minted;
  }

  private async moveCredit(
    account: Account,
    days: number,
    reason: 'payment' | 'reversal' | 'refund',
    payment: Payment,
    by: number | null,
    now: Date,
    t: Transaction,
  ): Promise<Date | null> {
    if (days === 0) return account.creditExpiresAt ?? null;
    const current = account.creditExpiresAt ?? null;
    const base = days > 0 ? Math.max(now.getTime(), current?.getTime() ?? 0) : (current ?? now).getTime();
    const expiry = wholeSeconds(base + days * DAY_MS);
    const sql = sqlOf(Account.sequelize!);
    // Both deferred: they go to the database with the transaction's next statement.
    await sql.defer(
      t,
      `INSERT INTO creditDayEntries (accountId, days, reason, paymentId, createdBy, creditExpiresAt, createdAt, updatedAt) VALUES ${placeholders(1, 8)}`,
      [account.id, days, reason, payment.id, by, expiry, now, now],
    );
    await sql.defer(t, 'UPDATE accounts SET creditExpiresAt = ? WHERE id = ?', [expiry, account.id]);
    account.setDataValue('creditExpiresAt', expiry);
    return expiry;
  }

  private effects(days: number, expiry: Date | null, minted: MintedToken[], errors: NonNullable<CreditEffects['tokenErrors']>): CreditEffects {
    const tokens = minted.map((m) => ({
      deviceId: m.deviceId,
      serialNumber: m.serialNumber,
      tokenType: m.tokenType,
      value: m.value,
      token: m.token,
      tokenCount: m.tokenCount,
    }));
    return {
      creditDays: days,
      creditExpiresAt: expiry ? expiry.toISOString() : null,
      token: tokens[0]?.token ?? null,
      tokens,
      ...(errors.length ? { tokenErrors: errors } : {}),
    };
  }

  async onPosted(event: PaymentPostedEvent, t: Transaction): Promise<CreditEffects> {
    const { account, payment, paidOff } = event;
    const now = new Date();
    const errors: NonNullable<CreditEffects['tokenErrors']> = [];
    // A closed account's devices are unlocked for good: money after payoff buys no days, and a
    // time token would put the device back into pay-as-you-go mode.
    if (account.status === 'closed' && !paidOff) return this.effects(0, account.creditExpiresAt ?? null, [], errors);

    const sms = paidOff ? 'account_paid_off' : 'payment_received';
    const { owed, deviceIds, customer, templates } = await this.owedDaysAndDevices(account, t, sms);
    const days = Math.min(Math.max(0, owed), creditRoom(account, now));
    const expiry = await this.moveCredit(account, days, 'payment', payment, payment.createdBy ?? null, now, t);
    const base = { source: 'payment' as const, accountId: account.id, paymentId: payment.id, requestedBy: payment.createdBy ?? null };
    const minted = await this.mintForDevices(
      deviceIds,
      () => (paidOff ? { ...base, type: 'DISABLE_PAYG', reason: 'account paid off' } : days > 0 ? { ...base, type: 'ADD_TIME', value: days } : null),
      t,
      errors,
    );
    if (minted.length) await this.notifyCustomer(account, customer, payment, days, minted, paidOff, templates, t);
    return this.effects(days, expiry, minted, errors);
  }

  /**
   * A payment holiday whose policy grants credit days (accounts/schedule-change-events.ts): its
   * days as credit days (a 'grant' entry, outside the payments' invariant), and an ADD_TIME token
   * for each active device, so the device keeps working while nothing falls due.
   */
  async onHoliday(event: HolidayAppliedEvent, t: Transaction): Promise<CreditEffects> {
    const { account, days, by, change } = event;
    const now = new Date();
    const errors: NonNullable<CreditEffects['tokenErrors']> = [];
    const granted = Math.min(days, creditRoom(account, now));
    if (granted <= 0) return this.effects(0, account.creditExpiresAt ?? null, [], errors);
    const expiry = wholeSeconds(Math.max(now.getTime(), account.creditExpiresAt?.getTime() ?? 0) + granted * DAY_MS);
    const sql = sqlOf(Account.sequelize!);
    await sql.write(
      t,
      `INSERT INTO creditDayEntries (accountId, days, reason, paymentId, createdBy, creditExpiresAt, createdAt, updatedAt) VALUES ${placeholders(1, 8)}`,
      [account.id, granted, 'grant', null, by, expiry, now, now],
    );
    await sql.write(t, 'UPDATE accounts SET creditExpiresAt = ? WHERE id = ?', [expiry, account.id]);
    account.setDataValue('creditExpiresAt', expiry);
    const devices = await sql.rows<{ deviceId: number }>(t, "SELECT deviceId FROM accountDevices WHERE accountId = ? AND status = 'active' ORDER BY deviceId", [
      account.id,
    ]);
    const minted = await this.mintForDevices(
      devices.map((d) => Number(d.deviceId)),
      () => ({ type: 'ADD_TIME', value: granted, source: 'system', accountId: account.id, requestedBy: by, reason: `payment holiday ${change.id}` }),
      t,
      errors,
    );
    return this.effects(granted, expiry, minted, errors);
  }

  async onReversed(event: PaymentReversedEvent, t: Transaction): Promise<CreditEffects> {
    const { account, payment, reversedBy } = event;
    // The reversed payment is no longer completed: what remains buys fewer days (never more here).
    const disabledByPayment = async () =>
      new Set(
        (await DeviceToken.findAll({ where: { paymentId: payment.id, tokenType: 'DISABLE_PAYG' }, attributes: ['deviceId'], transaction: t })).map(
          (d) => d.deviceId,
        ),
      );
    return this.takeBack(account, payment, reversedBy, 'reversal', `payment ${payment.receiptNumber ?? payment.id} reversed`, disabledByPayment, t);
  }

  /** Money given back no longer buys days: the refunded amount leaves the sum the rule counts. */
  async onRefunded(event: PaymentRefundedEvent, t: Transaction): Promise<CreditEffects> {
    const { account, payment, refundId, refundedBy } = event;
    return this.takeBack(
      account,
      payment,
      refundedBy,
      'refund',
      `refund ${refundId} of payment ${payment.receiptNumber ?? payment.id}`,
      async () => new Set(),
      t,
    );
  }

  /**
   * Days the account no longer has paid for are taken back (creditDayEntries, negative) and each
   * device gets a SET_TIME token with what remains; a device that payoff had unlocked goes back
   * under pay-as-you-go. Nothing is minted while the account stays closed.
   */
  private async takeBack(
    account: Account,
    payment: Payment,
    by: number | null,
    source: 'reversal' | 'refund',
    reason: string,
    disabledByPayment: () => Promise<Set<number>>,
    t: Transaction,
  ): Promise<CreditEffects> {
    const now = new Date();
    const errors: NonNullable<CreditEffects['tokenErrors']> = [];
    const { owed, deviceIds } = await this.owedDaysAndDevices(account, t);
    const days = Math.min(0, owed);
    const expiry = await this.moveCredit(account, days, source, payment, by, now, t);
    if (account.status === 'closed') return this.effects(days, expiry, [], errors);

    const unlockedByPayment = await disabledByPayment();
    const remaining = remainingDays(expiry, now);
    const minted = await this.mintForDevices(
      deviceIds,
      (deviceId, paygDisabled) =>
        days < 0 || unlockedByPayment.has(deviceId) || paygDisabled
          ? { type: 'SET_TIME', value: remaining, source, accountId: account.id, paymentId: payment.id, requestedBy: by, reason }
          : null,
      t,
      errors,
    );
    return this.effects(days, expiry, minted, errors);
  }

  /** The token by SMS, in the customer's language, written with the payment (outbox). */
  private async notifyCustomer(
    account: Account,
    customer: Customer | null,
    payment: Payment,
    days: number,
    minted: MintedToken[],
    paidOff: boolean,
    templates: TemplateText[],
    t: Transaction,
  ): Promise<void> {
    if (!customer?.phone) return;
    const template = pickTemplate(templates, customer.preferredLanguage);
    const token =
      minted.length === 1 || new Set(minted.map((m) => m.deviceId)).size === 1
        ? minted.map((m) => spacedToken(m.token)).join(', ')
        : minted.map((m) => `${m.serialNumber}: ${spacedToken(m.token)}`).join(', ');
    try {
      if (paidOff) {
        const product = await Product.findByPk(account.productId, { attributes: ['id', 'name'], transaction: t });
        await queueNotification(
          {
            customerId: customer.id,
            accountId: account.id,
            channel: 'sms',
            recipient: customer.phone,
            templateCode: 'account_paid_off',
            language: customer.preferredLanguage,
            variables: { customerName: customer.firstName, accountNumber: account.accountNumber, token, productName: product?.name ?? '' },
            dedupeKey: `account_paid_off:${payment.id}`,
          },
          template,
          t,
        );
      } else {
        await queueNotification(
          {
            customerId: customer.id,
            accountId: account.id,
            channel: 'sms',
            recipient: customer.phone,
            templateCode: 'payment_received',
            language: customer.preferredLanguage,
            variables: {
              customerName: customer.firstName,
              currency: payment.currency,
              amount: payment.amount,
              accountNumber: account.accountNumber,
              token,
              creditDays: days,
              balance: account.balance,
              // The receipt number is taken after the listeners run (it is the company-wide hot
              // lock); the provider reference the customer paid with identifies it meanwhile.
              receiptNumber: payment.receiptNumber ?? payment.transactionRef,
            },
            dedupeKey: `payment_received:${payment.id}`,
          },
          template,
          t,
        );
      }
    } catch (err) {
      // A missing template must not undo a payment; the token is in the API answer and on the device's list.
      if (!(err instanceof NotificationError)) throw err;
      this.deps.logger.error({ accountId: account.id, paymentId: payment.id, err: err.message }, 'token SMS not queued');
      return;
    }
    const { queue, logger } = this.deps;
    if (queue) t.afterCommit(() => void requestSend(queue).catch((e: Error) => logger.warn({ err: e.message }, 'could not ask for an SMS round')));
  }
}

/** What a test puts in place of every runtime's dependencies (creditDependencies). */
let override: CreditDeps | undefined;

/**
 * Credit listeners on the payment events of this runtime (from the devices module's register):
 * payments buy days and tokens, reversals and refunds take them back. Each runtime's listeners
 * use that runtime's key, logger and queue.
 */
export function registerCreditListeners(ctx: Pick<AppContext, 'config' | 'logger' | 'sequelize'> & { queue?: JobQueue }): void {
  const deps: CreditDeps = { crypto: dataCrypto(ctx.config.dataEncryptionKey), logger: ctx.logger, queue: ctx.queue };
  const payments = paymentSubscriptions(ctx.sequelize);
  payments.onPosted('devices.credit', (event, t) => new CreditService(override ?? deps).onPosted(event, t));
  payments.onReversed('devices.credit', (event, t) => new CreditService(override ?? deps).onReversed(event, t));
  payments.onRefunded('devices.credit', (event, t) => new CreditService(override ?? deps).onRefunded(event, t));
  scheduleChangeSubscriptions(ctx.sequelize).onHoliday(
    'devices.credit',
    async (event, t) => void (await new CreditService(override ?? deps).onHoliday(event, t)),
  );
}

/**
 * For tests: what the registered listeners use instead of their runtime's (e.g. a capturing
 * logger); returns the previous override. Called with `undefined` (the previous of a first swap),
 * each runtime's own dependencies apply again.
 */
export function creditDependencies(next: CreditDeps | undefined): CreditDeps | undefined {
  const prev = override;
  override = next;
  return prev;
}
