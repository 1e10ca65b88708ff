import { randomUUID } from 'node:crypto';
import { QueryTypes, UniqueConstraintError } from 'sequelize';
import { Account, AccountStatusHistory, InstallmentSchedule } from '../../src/modules/accounts/models';
import { Customer } from '../../src/modules/customers/models';
import { Notification } from '../../src/modules/notifications/models';
import { PaymentPostingService } from '../../src/modules/payments/posting.service';
import { ReportSnapshot } from '../../src/modules/reporting/models';
import { setBusinessDate } from '../../src/modules/organisation/business-date';
import { CompanyRegion, Country } from '../../src/modules/organisation/models';
import { testRuntime } from '../support/app';
import { openAccount, type Market, type PlanOptions } from '../support/lending';

/** Helpers of the nightly-close tests: a crafted portfolio with known outcomes, and table snapshots. */
export const CLOSED = '2026-11-20';
export const NEXT = '2026-11-21';

export async function payNow(accountId: number, amount: string): Promise<void> {
  const rt = await testRuntime();
  await new PaymentPostingService(rt.sequelize).post({
    accountId,
    amount,
    paymentTypeCode: 'MPESA',
    channel: 'mobile_money',
    transactionRef: `TX${randomUUID().slice(0, 12)}`,
  });
}

export interface Crafted {
  name: string;
  account: Account;
  /** After closing CLOSED: instalment statuses by number, DPD, bucket, status, new histories. */
  expect: { statuses: string[]; dpd: number; bucket: string; status: string; newHistories: string[]; reminder: string | null };
}

const weekly = (o: PlanOptions & { startDate: string }) => ({
  price: '1000.00',
  downPayment: '100.00',
  duration: 3,
  frequency: 'weekly' as const,
  daysUntilSuspension: 14,
  ...o,
});

/**
 * Eight accounts in a market at business date CLOSED, each in a state whose close is known:
 * (weekly plans of 3 x 300 after a 100 down payment; daysUntilSuspension 14).
 */
export async function craftPortfolio(market: Market): Promise<Crafted[]> {
  await market.setDate(CLOSED);
  const out: Crafted[] = [];
  const add = async (name: string, plan: PlanOptions & { startDate: string }, payment: string | null, expect: Crafted['expect'], language?: string) => {
    const account = await openAccount(market, weekly(plan));
    if (language) await Customer.update({ preferredLanguage: language }, { where: { id: account.customerId } });
    if (payment) await payNow(account.id, payment);
    out.push({ name, account, expect });
  };
  // Down payment made, first instalment a week away.
  await add('current', { startDate: '2026-11-20' }, '100.00', {
    statuses: ['paid', 'pending', 'pending', 'pending'],
    dpd: 0,
    bucket: 'current',
    status: 'active',
    newHistories: [],
    reminder: null,
  });
  // The instalment due on the closed day is unpaid: overdue from the next day, DPD 1.
  await add(
    'due-today-unpaid',
    { startDate: '2026-11-13' },
    '100.00',
    { statuses: ['paid', 'overdue', 'pending', 'pending'], dpd: 1, bucket: '1-30', status: 'active', newHistories: [], reminder: 'overdue_first_day' },
    'sw',
  );
  // Partly paid on the day it was due: still overdue.
  await add('due-today-partial', { startDate: '2026-11-13' }, '250.00', {
    statuses: ['paid', 'overdue', 'pending', 'pending'],
    dpd: 1,
    bucket: '1-30',
    status: 'active',
    newHistories: [],
    reminder: 'overdue_first_day',
  });
  // DPD 14 on the closed day (not beyond 14); 15 after it: suspended by the close.
  await add('suspended-tonight', { startDate: '2026-10-30' }, '100.00', {
    statuses: ['paid', 'overdue', 'overdue', 'overdue'],
    dpd: 15,
    bucket: '1-30',
    status: 'suspended',
    newHistories: ['active->suspended'],
    reminder: 'account_suspended',
  });
  // Suspended already, by the catch-up of a payment on the closed day: stays so, DPD moves on, no new history.
  await market.setDate('2026-10-15');
  const before = await openAccount(market, weekly({ startDate: '2026-09-25', duration: 10 }));
  await payNow(before.id, '100.00');
  await market.setDate(CLOSED);
  await payNow(before.id, '10.00');
  out.push({
    name: 'suspended-before',
    account: before,
    expect: {
      statuses: ['paid', ...Array<string>(8).fill('overdue'), 'pending', 'pending'],
      dpd: 50,
      bucket: '31-60',
      status: 'suspended',
      newHistories: [],
      reminder: 'overdue_first_day',
    },
  });
  // Never activated: its instalments are flagged like any account's (the late down payment is its overdue
  // instalment 0), but no loan has started: DPD 0, current (arrears.ts carriesArrears), never suspended, no reminders.
  await add('pending', { startDate: '2026-11-13' }, null, {
    statuses: ['overdue', 'overdue', 'pending', 'pending'],
    dpd: 0,
    bucket: 'current',
    status: 'pending',
    newHistories: [],
    reminder: null,
  });
  // Next instalment due three days after the new business date: the due reminder.
  await add('due-in-3-days', { startDate: '2026-11-17' }, '100.00', {
    statuses: ['paid', 'pending', 'pending', 'pending'],
    dpd: 0,
    bucket: 'current',
    status: 'active',
    newHistories: [],
    reminder: 'reminder_due',
  });
  // Paid off: nothing to do.
  await add('closed', { startDate: '2026-11-20', price: '500.00', duration: 2 }, '650.00', {
    statuses: ['paid', 'paid', 'paid'],
    dpd: 0,
    bucket: 'current',
    status: 'closed',
    newHistories: [],
    reminder: null,
  });
  return out;
}

/** What the close left on a crafted account, in the shape of Crafted['expect']. */
export async function outcome(c: Crafted, since: Date) {
  const a = (await Account.findByPk(c.account.id))!;
  const installments = await InstallmentSchedule.findAll({ where: { accountId: a.id }, order: [['installmentNumber', 'ASC']] });
  const histories = await AccountStatusHistory.findAll({ where: { accountId: a.id }, order: [['id', 'ASC']] });
  const reminder = await Notification.findOne({ where: { dedupeKey: `reminder:${a.id}:${NEXT}` } });
  return {
    statuses: installments.map((i) => i.status),
    dpd: a.daysPastDue,
    bucket: a.parBucket,
    status: a.status,
    newHistories: histories.filter((h) => h.createdAt >= since && h.reason?.startsWith('nightly close')).map((h) => `${h.previousStatus}->${h.newStatus}`),
    reminder: reminder?.templateCode ?? null,
  };
}

/**
 * Every row the close may touch for a market, to compare before and after a re-run (jobRuns, the
 * log of runs, is left out: each run adds its rows there by design).
 */
export async function marketTables(market: Market) {
  const { sequelize } = await testRuntime();
  const q = (sql: string) => sequelize.query(sql, { replacements: { region: market.region.id, country: market.country.id }, type: QueryTypes.SELECT });
  return {
    country: await q('SELECT * FROM countries WHERE id = :country'),
    accounts: await q('SELECT * FROM accounts WHERE regionId = :region ORDER BY id'),
    installments: await q('SELECT i.* FROM installmentSchedules i JOIN accounts a ON a.id = i.accountId WHERE a.regionId = :region ORDER BY i.id'),
    histories: await q('SELECT h.* FROM accountStatusHistories h JOIN accounts a ON a.id = h.accountId WHERE a.regionId = :region ORDER BY h.id'),
    notifications: await q('SELECT n.* FROM notifications n JOIN accounts a ON a.id = n.accountId WHERE a.regionId = :region ORDER BY n.id'),
    snapshots: await q('SELECT * FROM reportSnapshots WHERE countryId = :country ORDER BY id'),
  };
}

/**
 * A market of its own, as createMarket makes, with a country code from a namespace of its own
 * ('Z' + two letters, which createMarket's Q..Y codes never use), retried on a collision: these
 * tests make many markets, and must not make another file's createMarket collide.
 */
export async function freshMarket(options: { businessDate?: string; timezone?: string } = {}): Promise<Market> {
  await testRuntime();
  const letter = () => String.fromCharCode(65 + Math.floor(Math.random() * 26));
  for (let attempt = 1; ; attempt++) {
    try {
      const tag = randomUUID().slice(0, 6);
      const country = await Country.create({
        name: `Closeland ${tag}`,
        code: `Z${letter()}${letter()}`,
        currency: 'KES',
        phoneCode: '+999',
        timezone: options.timezone ?? 'Africa/Nairobi',
        businessDate: options.businessDate ?? CLOSED,
      });
      const region = await CompanyRegion.create({ name: `Region ${tag}`, code: `RG-${tag}`, countryId: country.id });
      return { country, region, setDate: (date) => setBusinessDate(country.id, date) };
    } catch (err) {
      if (!(err instanceof UniqueConstraintError) || attempt >= 20) throw err;
    }
  }
}

export async function businessDateOf(market: Market): Promise<string | null> {
  return (await Country.findByPk(market.country.id))!.businessDate;
}

export async function snapshotsOf(market: Market) {
  return ReportSnapshot.findAll({ where: { countryId: market.country.id }, order: [['regionId', 'ASC']] });
}
