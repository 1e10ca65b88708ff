import { Op, QueryTypes, type CreationAttributes, type Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import { Decimal } from '../../platform/money';
import type { AppContext } from '../../platform/context';
import { accountSubscriptions, type AccountOpenedEvent } from '../accounts/events';
import { paymentSubscriptions, type PaymentPostedEvent, type PaymentReversedEvent } from '../payments/events';
import { clawBackEntries } from './clawback.service';
import { CommissionEntry, type CommissionEntryStatus, type CommissionEvent } from './models';
import { activeRules, commissionAmount, pickRule, splitStages } from './rules.service';

/** Something that earns commission: a sale, a completed down payment, money collected. */
export interface AccrualEvent {
  eventType: CommissionEvent;
  employeeId: number;
  accountId: number;
  productId: number;
  regionId: number;
  /** 'account' for the sale, 'payment' for the down payment and collections. */
  sourceType: 'account' | 'payment';
  sourceId: number;
  /** The business date of the event; stages are earned afterMonths after it. */
  eventDate: CalendarDate;
  /** What a percentage rule applies to: the sale value, the down payment, the money collected. */
  base: Decimal.Value;
}

/**
 * Accrues commission for events in the caller's transaction: the matching rule (rules.service),
 * one entry per stage, earnedOn = event date + the stage's afterMonths, payable at once when
 * earned on the event date, accrued otherwise. Idempotent: the unique key (rule, source, stage,
 * employee) makes a re-run insert nothing (INSERT IGNORE). Returns how many rows it offered.
 */
export async function accrue(events: AccrualEvent[], t: Transaction): Promise<number> {
  if (events.length === 0) return 0;
  const rules = await activeRules(t);
  if (rules.length === 0) return 0;
  const rows: CreationAttributes<CommissionEntry>[] = [];
  for (const e of events) {
    const rule = pickRule(rules, { eventType: e.eventType, productId: e.productId, regionId: e.regionId, date: e.eventDate });
    if (!rule) continue;
    const total = commissionAmount(rule, e.base);
    if (total.lessThanOrEqualTo(0)) continue;
    for (const s of splitStages(total, rule.stages, e.eventDate)) {
      if (new Decimal(s.amount).lessThanOrEqualTo(0)) continue;
      const status: CommissionEntryStatus = s.earnedOn <= e.eventDate ? 'payable' : 'accrued';
      rows.push({
        employeeId: e.employeeId,
        accountId: e.accountId,
        commissionRuleId: rule.id,
        eventType: e.eventType,
        sourceType: e.sourceType,
        sourceId: e.sourceId,
        stage: s.stage,
        amount: s.amount,
        earnedOn: s.earnedOn,
        status,
      });
    }
  }
  if (rows.length > 0) await CommissionEntry.bulkCreate(rows, { ignoreDuplicates: true, transaction: t });
  return rows.length;
}

/**
 * The payment listener (payments/events.ts), in the payment's transaction with the account
 * locked. For the account's agent (accounts.agentId):
 *  - a payment that completes the down payment (it settles instalment #0, which is now paid; the
 *    account went pending -> active in it) earns 'down_payment' (base: the down payment) and
 *    'sale' (base: the contract's total price), the sale once per account;
 *  - whatever else the payment brings on an active account is 'collection' (base: the payment
 *    amount less what it put on the down payment).
 * Partial down payments (the account still pending) and recoveries on written-off accounts earn
 * nothing. A payment on a day other than the activation day costs no query beyond the insert.
 */
export async function accrueOnPayment(event: PaymentPostedEvent, t: Transaction): Promise<void> {
  const { payment, account, businessDate } = event;
  if (!account.agentId) return;
  if (account.status === 'pending' || account.status === 'written_off' || account.status === 'repossessed') return;
  const common = { employeeId: account.agentId, accountId: account.id, productId: account.productId, regionId: account.regionId, eventDate: businessDate };
  const events: AccrualEvent[] = [];
  let towardsDownPayment = new Decimal(0);
  if (account.activationDate === businessDate) {
    const sequelize = CommissionEntry.sequelize!;
    const [down] = await sequelize.query<{ status: string; allocated: string | number | null }>(
      `SELECT i.status AS status, SUM(pa.amount) AS allocated
         FROM installmentSchedules i
         LEFT JOIN paymentAllocations pa ON pa.installmentScheduleId = i.id AND pa.paymentId = :paymentId AND pa.reversedAt IS NULL
        WHERE i.accountId = :accountId AND i.installmentNumber = 0
        GROUP BY i.id, i.status`,
      { replacements: { paymentId: payment.id, accountId: account.id }, type: QueryTypes.SELECT, transaction: t },
    );
    towardsDownPayment = new Decimal(down?.allocated ?? 0);
    // No instalment #0 (nothing down): the first payment of the activation day activated it.
    const completedHere = down ? towardsDownPayment.greaterThan(0) && down.status === 'paid' : true;
    if (completedHere) {
      const sold = await CommissionEntry.findOne({ where: { accountId: account.id, eventType: 'sale' }, attributes: ['id'], transaction: t });
      if (!sold) events.push({ ...common, eventType: 'sale', sourceType: 'account', sourceId: account.id, base: account.totalPrice });
      if (down) events.push({ ...common, eventType: 'down_payment', sourceType: 'payment', sourceId: payment.id, base: account.downPaymentAmount });
    }
  }
  const collected = new Decimal(payment.amount).minus(towardsDownPayment);
  if (collected.greaterThan(0)) events.push({ ...common, eventType: 'collection', sourceType: 'payment', sourceId: payment.id, base: collected });
  await accrue(events, t);
}

/**
 * The sale listener (accounts/events.ts), in the opening's transaction: the agent of a zero-down
 * account earns the sale commission on its sale date. A down payment's commission events come
 * with the payment that completes it (accrueOnPayment); on a zero-down plan none will.
 */
export async function accrueOnSale(event: AccountOpenedEvent, t: Transaction): Promise<void> {
  const { account, businessDate } = event;
  if (!account.agentId || !new Decimal(account.downPaymentAmount).isZero()) return;
  await accrue(
    [
      {
        eventType: 'sale',
        employeeId: account.agentId,
        accountId: account.id,
        productId: account.productId,
        regionId: account.regionId,
        sourceType: 'account',
        sourceId: account.id,
        eventDate: businessDate,
        base: account.totalPrice,
      },
    ],
    t,
  );
}

/**
 * A reversed payment earns nothing: its entries not yet in a payment are cancelled; those already
 * in one are clawed back (deducted from the next commission payment once that one is approved).
 */
export async function unaccrueOnReversal(event: PaymentReversedEvent, t: Transaction): Promise<void> {
  const { payment, account, businessDate } = event;
  const entries = await CommissionEntry.findAll({
    where: { accountId: account.id, sourceType: 'payment', sourceId: payment.id, status: { [Op.in]: ['accrued', 'payable', 'included'] } },
    attributes: ['id', 'status'],
    transaction: t,
  });
  if (entries.length === 0) return;
  const open = entries.filter((e) => e.status !== 'included').map((e) => e.id);
  if (open.length > 0) await CommissionEntry.update({ status: 'cancelled' }, { where: { id: { [Op.in]: open } }, transaction: t });
  const included = entries.filter((e) => e.status === 'included').map((e) => e.id);
  await clawBackEntries(included, `payment ${payment.id} reversed`, businessDate, t);
}

/**
 * Accrual follows zero-down sales (in the opening's transaction) and posted and reversed payments
 * (in the payment's transaction), from the module's register.
 */
export function registerCommissionListeners(ctx: Pick<AppContext, 'sequelize'>): void {
  accountSubscriptions(ctx.sequelize).onOpened('commissions.accrue-sale', async (event, t) => {
    await accrueOnSale(event, t);
  });
  const payments = paymentSubscriptions(ctx.sequelize);
  payments.onPosted('commissions.accrue', async (event, t) => {
    await accrueOnPayment(event, t);
  });
  payments.onReversed('commissions.unaccrue', async (event, t) => {
    await unaccrueOnReversal(event, t);
  });
}
