import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { Account } from '../../src/modules/accounts/models';
import { AccountService } from '../../src/modules/accounts/account.service';
import { Payplan, Product, ProductPayplanPricing, ProductType } from '../../src/modules/catalogue/models';
import { Customer } from '../../src/modules/customers/models';
import { setBusinessDate } from '../../src/modules/organisation/business-date';
import { CompanyRegion, Country } from '../../src/modules/organisation/models';
import { Decimal } from '../../src/platform/money';
import { testRuntime } from './app';

/**
 * A market of its own for a test file: a country (own business date and timezone) and a region,
 * so one file moving time never moves another's.
 */
export interface Market {
  country: Country;
  region: CompanyRegion;
  setDate(date: string): Promise<void>;
}

let marketSeq = 0;
export async function createMarket(options: { timezone?: string; businessDate?: string; currency?: string } = {}): Promise<Market> {
  await testRuntime();
  const tag = randomUUID().slice(0, 6);
  const country = await Country.create({
    name: `Testland ${tag}`,
    // Q00..QZZ: unique within a run (the test database is new every run); seeded codes are 2 letters.
    code: `Q${(marketSeq++).toString(36).toUpperCase().padStart(2, '0')}`,
    currency: options.currency ?? 'KES',
    phoneCode: '+999',
    timezone: options.timezone ?? 'Africa/Nairobi',
    businessDate: options.businessDate ?? '2026-11-20',
  });
  const region = await CompanyRegion.create({ name: `Region ${tag}`, code: `RG-${tag}`, countryId: country.id });
  return { country, region, setDate: (date) => setBusinessDate(country.id, date) };
}

export interface PlanOptions {
  price?: string;
  downPayment?: string;
  duration?: number;
  frequency?: 'daily' | 'weekly' | 'monthly';
  interestRate?: string;
  daysUntilSuspension?: number;
  allocationOrder?: string[] | null;
}

/** A product sold on a payplan at a price. */
export async function createPlan(o: PlanOptions = {}): Promise<{ product: Product; payplan: Payplan }> {
  await testRuntime();
  const tag = randomUUID().slice(0, 8);
  const type = (await ProductType.findOne({ where: { code: 'SOLAR_HOME_SYSTEM' } }))!;
  const product = await Product.create({ name: `Sun kit ${tag}`, code: `P-${tag}`, price: o.price ?? '10000.00', productTypeId: type.id });
  const payplan = await Payplan.create({
    name: `Plan ${tag}`,
    code: `PL-${tag}`,
    duration: o.duration ?? 10,
    interestRate: o.interestRate ?? '0.00',
    downPayment: o.downPayment ?? '1000.00',
    installmentAmount: '0.00',
    frequency: o.frequency ?? 'weekly',
    gracePeriodDays: 0,
    daysUntilSuspension: o.daysUntilSuspension ?? 14,
    dailyRate: '50.00',
    allocationOrder: o.allocationOrder ?? null,
  });
  await ProductPayplanPricing.create({
    productId: product.id,
    payplanId: payplan.id,
    price: o.price ?? '10000.00',
    downPayment: o.downPayment ?? '1000.00',
    installmentAmount: '0.00',
  });
  return { product, payplan };
}

export async function createCustomer(regionId: number): Promise<Customer> {
  await testRuntime();
  return Customer.create({ firstName: 'Wanjiku', lastName: `Test ${randomUUID().slice(0, 6)}`, phone: '+254711000000', regionId });
}

/** Opens an account through the service, as an admin would. */
export async function openAccount(market: Market, plan?: PlanOptions & { startDate?: string }): Promise<Account> {
  const rt = await testRuntime();
  const { product, payplan } = await createPlan(plan);
  const customer = await createCustomer(market.region.id);
  return new AccountService(rt.sequelize).open(
    { customerId: customer.id, productId: product.id, payplanId: payplan.id, startDate: plan?.startDate },
    { all: true },
    null,
  );
}

/**
 * The books' invariants, checked from the database alone: every journal entry balances, and the
 * receivable control account (1200) and the customer-credit account (2100) equal, account by
 * account, the balances the accounts carry.
 */
export async function expectBooksBalanced(accountIds?: number[]): Promise<void> {
  const { sequelize } = await testRuntime();
  const unbalanced = await sequelize.query<{ id: number }>(
    `SELECT e.id FROM journalEntries e JOIN journalLines l ON l.journalEntryId = e.id
     GROUP BY e.id HAVING SUM(l.debit) <> SUM(l.credit)`,
    { type: QueryTypes.SELECT },
  );
  expect(unbalanced, 'unbalanced journal entries').to.deep.equal([]);
  const filter = accountIds ? `WHERE a.id IN (${accountIds.map(Number).join(',')})` : '';
  const rows = await sequelize.query<{ id: number; balance: string; creditBalance: string; receivable: string | null; credit: string | null }>(
    `SELECT a.id, a.balance, a.creditBalance,
       (SELECT SUM(l.debit) - SUM(l.credit) FROM journalLines l JOIN ledgerAccounts la ON la.id = l.ledgerAccountId WHERE la.code = '1200' AND l.accountId = a.id) AS receivable,
       (SELECT SUM(l.credit) - SUM(l.debit) FROM journalLines l JOIN ledgerAccounts la ON la.id = l.ledgerAccountId WHERE la.code = '2100' AND l.accountId = a.id) AS credit
     FROM accounts a ${filter}`,
    { type: QueryTypes.SELECT },
  );
  for (const r of rows) {
    expect(new Decimal(r.receivable ?? 0).toFixed(2), `receivable of account ${r.id}`).to.equal(new Decimal(r.balance).toFixed(2));
    expect(new Decimal(r.credit ?? 0).toFixed(2), `credit balance of account ${r.id}`).to.equal(new Decimal(r.creditBalance).toFixed(2));
  }
}
