import { Op } from 'sequelize';
import { employeeActor } from '../platform/auth/actor';
import type { Principal } from '../platform/auth/principal';
import { regionScope } from '../platform/auth/principal';
import type { AppContext } from '../platform/context';
import { dataCrypto } from '../platform/crypto';
import { addDays, daysBetween, localDate, type CalendarDate } from '../platform/dates';
import { withTransaction } from '../platform/db/transaction';
import { Decimal, toMoneyString, type MoneyString } from '../platform/money';
import { Employee } from '../modules/access/models';
import { createPrincipalLoader } from '../modules/access/principal-loader';
import { AccountService } from '../modules/accounts/account.service';
import { Account, InstallmentSchedule, OPEN_INSTALLMENT_STATUSES } from '../modules/accounts/models';
import { assertCashBelowLimit } from '../modules/cash/cash-limit';
import { Payplan, Product, ProductPayplanPricing, ProductType, type PayplanFrequency } from '../modules/catalogue/models';
import { CustomerService } from '../modules/customers/customer.service';
import { Customer, type Gender } from '../modules/customers/models';
import { FiscalPeriod } from '../modules/ledger/models';
import { closeDayInline } from '../modules/operations/close-day.jobs';
import { setBusinessDate } from '../modules/organisation/business-date';
import { CompanyRegion, Country } from '../modules/organisation/models';
import { PaymentPostingService } from '../modules/payments/posting.service';
import { Random } from '../platform/random';

/**
 * DEMO DATA (demo mode only): a small portfolio for someone trying the API after `npm start`.
 *
 * Loaded once, on a first demo start (no accounts yet), and only through the real services, so the
 * books hold together exactly as they would in production: customers are onboarded and KYC-checked
 * by CustomerService, accounts opened by AccountService (schedule, receivable journal entry),
 * payments posted by PaymentPostingService (allocation, journal entry, receipt, credit days,
 * commissions), and arrears come from the real nightly close. To get arrears, Kenya's business
 * date is set back DAYS days before the first sale and closed day by day (closeDayInline, the
 * same service `amt close-day` runs) up to today's date in Africa/Nairobi, with sales and M-Pesa
 * payments along the way. Everything random comes from a seeded generator: every first start
 * builds the same portfolio (apart from the dates, which follow today's).
 */

/** How far back the demo's history starts (business days closed one by one). */
const DAYS = 63;
const SEED = 20261124;

type ProductKey = 'sunbox' | 'phone';
type PlanKey = 'sunWeekly' | 'phoneDaily' | 'phoneWeekly';
/** How a customer pays. */
type Profile =
  /** On or shortly after each due date (daily plans: a few days at a time, ahead). */
  | 'steady'
  /** Steady at first, then stops paying: arrears, DPD, suspension. */
  | 'slipping'
  /** Now and then, part of what is due. */
  | 'irregular'
  /** Steady, then pays the whole balance: closed (paid off). */
  | 'payoff'
  /** Opened in the last days, down payment not paid yet. */
  | 'pending';

const PRODUCTS: Record<
  ProductKey,
  { code: string; name: string; type: string; price: MoneyString; category: string; description: string; warrantyPeriod: number }
> = {
  sunbox: {
    code: 'DEMO-SUNBOX-200',
    name: 'SunBox 200 solar home kit',
    type: 'SOLAR_HOME_SYSTEM',
    price: '18000.00',
    category: 'solar',
    description: '50 W panel, 12 Ah battery, four lamps, radio and phone charger (demo product).',
    warrantyPeriod: 24,
  },
  phone: {
    code: 'DEMO-SPARK-4G',
    name: 'Spark 4G smartphone',
    type: 'PHONE',
    price: '12000.00',
    category: 'phones',
    description: '6.5" Android smartphone, 64 GB, locked until paid off (demo product).',
    warrantyPeriod: 12,
  },
};

/** Payplans, and the price of their product on them (down payment + instalments = price; no interest). */
const PLANS: Record<
  PlanKey,
  {
    product: ProductKey;
    code: string;
    name: string;
    frequency: PayplanFrequency;
    duration: number;
    price: MoneyString;
    downPayment: MoneyString;
    installment: MoneyString;
    dailyRate: MoneyString;
    daysUntilSuspension: number;
    /** A late fee the nightly close raises (docs/contract-changes.md): fixed, after grace days. */
    lateFee?: { amount: MoneyString; graceDays: number };
  }
> = {
  // 2,000 down, then 26 weeks of 700.
  sunWeekly: {
    product: 'sunbox',
    code: 'DEMO-SUN-W26',
    name: 'SunBox weekly, 26 weeks',
    frequency: 'weekly',
    duration: 26,
    price: '20200.00',
    downPayment: '2000.00',
    installment: '700.00',
    dailyRate: '100.00',
    daysUntilSuspension: 14,
    lateFee: { amount: '100.00', graceDays: 3 },
  },
  // 1,500 down, then 120 days of 105.
  phoneDaily: {
    product: 'phone',
    code: 'DEMO-PHONE-D120',
    name: 'Smartphone daily, 120 days',
    frequency: 'daily',
    duration: 120,
    price: '14100.00',
    downPayment: '1500.00',
    installment: '105.00',
    dailyRate: '105.00',
    daysUntilSuspension: 7,
  },
  // 1,500 down, then 20 weeks of 650.
  phoneWeekly: {
    product: 'phone',
    code: 'DEMO-PHONE-W20',
    name: 'Smartphone weekly, 20 weeks',
    frequency: 'weekly',
    duration: 20,
    price: '14500.00',
    downPayment: '1500.00',
    installment: '650.00',
    dailyRate: '93.00',
    daysUntilSuspension: 14,
  },
};

type Kyc = 'verified' | 'pending' | 'rejected';
interface DemoCustomer {
  first: string;
  last: string;
  gender: Gender;
  region: 'KE-NAI' | 'KE-CST';
  town: string;
  kyc: Kyc;
  accounts: [PlanKey, Profile][];
}

// 24 customers, 24 accounts (two customers have two, three have none yet). Nairobi customers belong to the demo agent (agent@amt.local, who
// covers KE-NAI only); Coast customers to the demo supervisor (KE-NAI and KE-CST), so the agent's
// region scope shows in the API.
const CUSTOMERS: DemoCustomer[] = [
  {
    first: 'Wanjiku',
    last: 'Mwangi',
    gender: 'female',
    region: 'KE-NAI',
    town: 'Kayole',
    kyc: 'verified',
    accounts: [
      ['sunWeekly', 'steady'],
      ['phoneDaily', 'steady'],
    ],
  },
  { first: 'Otieno', last: 'Ochieng', gender: 'male', region: 'KE-NAI', town: 'Kibera', kyc: 'verified', accounts: [['sunWeekly', 'slipping']] },
  { first: 'Achieng', last: 'Odhiambo', gender: 'female', region: 'KE-NAI', town: 'Kawangware', kyc: 'verified', accounts: [['phoneDaily', 'steady']] },
  { first: 'Kamau', last: 'Njoroge', gender: 'male', region: 'KE-NAI', town: 'Githurai', kyc: 'verified', accounts: [['sunWeekly', 'payoff']] },
  { first: 'Njeri', last: 'Kariuki', gender: 'female', region: 'KE-NAI', town: 'Ruiru', kyc: 'verified', accounts: [['phoneWeekly', 'steady']] },
  { first: 'Mutua', last: 'Musyoka', gender: 'male', region: 'KE-NAI', town: 'Embakasi', kyc: 'verified', accounts: [['sunWeekly', 'irregular']] },
  {
    first: 'Akinyi',
    last: 'Onyango',
    gender: 'female',
    region: 'KE-NAI',
    town: 'Dandora',
    kyc: 'verified',
    accounts: [
      ['sunWeekly', 'steady'],
      ['phoneWeekly', 'slipping'],
    ],
  },
  { first: 'Kiprono', last: 'Kiptoo', gender: 'male', region: 'KE-NAI', town: 'Kasarani', kyc: 'verified', accounts: [['phoneDaily', 'irregular']] },
  { first: 'Wairimu', last: 'Ndungu', gender: 'female', region: 'KE-NAI', town: 'Kikuyu', kyc: 'verified', accounts: [['sunWeekly', 'steady']] },
  { first: 'Omondi', last: 'Owino', gender: 'male', region: 'KE-NAI', town: 'Mathare', kyc: 'verified', accounts: [['phoneWeekly', 'steady']] },
  { first: 'Chebet', last: 'Langat', gender: 'female', region: 'KE-NAI', town: 'Rongai', kyc: 'verified', accounts: [['sunWeekly', 'steady']] },
  { first: 'Kimani', last: 'Githinji', gender: 'male', region: 'KE-NAI', town: 'Kangemi', kyc: 'pending', accounts: [['sunWeekly', 'pending']] },
  { first: 'Nyambura', last: 'Wambui', gender: 'female', region: 'KE-NAI', town: 'Kahawa', kyc: 'pending', accounts: [] },
  { first: 'Barasa', last: 'Wekesa', gender: 'male', region: 'KE-NAI', town: 'Mwiki', kyc: 'rejected', accounts: [] },
  { first: 'Mwanajuma', last: 'Salim', gender: 'female', region: 'KE-CST', town: 'Likoni', kyc: 'verified', accounts: [['sunWeekly', 'steady']] },
  { first: 'Baraka', last: 'Mwakio', gender: 'male', region: 'KE-CST', town: 'Kilifi', kyc: 'verified', accounts: [['sunWeekly', 'slipping']] },
  { first: 'Halima', last: 'Abdalla', gender: 'female', region: 'KE-CST', town: 'Malindi', kyc: 'verified', accounts: [['phoneDaily', 'payoff']] },
  { first: 'Kahindi', last: 'Charo', gender: 'male', region: 'KE-CST', town: 'Mtwapa', kyc: 'verified', accounts: [['sunWeekly', 'steady']] },
  { first: 'Zawadi', last: 'Kazungu', gender: 'female', region: 'KE-CST', town: 'Ukunda', kyc: 'verified', accounts: [['phoneWeekly', 'irregular']] },
  { first: 'Juma', last: 'Hamisi', gender: 'male', region: 'KE-CST', town: 'Kwale', kyc: 'verified', accounts: [['sunWeekly', 'steady']] },
  { first: 'Rehema', last: 'Mbaraka', gender: 'female', region: 'KE-CST', town: 'Voi', kyc: 'verified', accounts: [['phoneDaily', 'slipping']] },
  { first: 'Mwangolo', last: 'Mwadime', gender: 'male', region: 'KE-CST', town: 'Wundanyi', kyc: 'verified', accounts: [['sunWeekly', 'steady']] },
  { first: 'Fatuma', last: 'Said', gender: 'female', region: 'KE-CST', town: 'Watamu', kyc: 'pending', accounts: [['phoneWeekly', 'pending']] },
  { first: 'Karisa', last: 'Kenga', gender: 'male', region: 'KE-CST', town: 'Mariakani', kyc: 'verified', accounts: [['sunWeekly', 'pending']] },
];

interface Plan {
  customer: Customer;
  seller: Principal;
  plan: PlanKey;
  profile: Profile;
  /** Sale day (business date). */
  openOn: CalendarDate;
  /** steady/slipping/payoff: days after a due date the customer pays (0-4). */
  lateness: number;
  /** Daily plans: days bought at a time. */
  daysAhead: number;
  /** slipping: last day with a payment; payoff: the day the balance is paid. */
  until?: CalendarDate;
  account?: Account;
}

export interface DemoPortfolioSummary {
  loaded: boolean;
  reason?: string;
  customers?: number;
  accounts?: number;
  payments?: number;
  closes?: number;
  statuses?: Record<string, number>;
  businessDate?: CalendarDate;
  seconds?: number;
}

/** Demo mode only (no DATABASE_URL), and never in test or production. */
export function demoPortfolioWanted(config: AppContext['config']): boolean {
  return config.demo && !config.databaseUrl && config.env === 'development' && process.env.AMT_SEED_DEMO !== 'false';
}

export async function loadDemoPortfolio(ctx: Pick<AppContext, 'config' | 'sequelize' | 'logger'>, now = new Date()): Promise<DemoPortfolioSummary> {
  const { config, sequelize, logger } = ctx;
  if (!demoPortfolioWanted(config)) return { loaded: false, reason: 'not in demo mode' };
  // Once only: a restart keeps whatever the user did since.
  if ((await Account.count()) > 0) {
    logger.debug('demo portfolio: not loaded, the database already has accounts');
    return { loaded: false, reason: 'the database already has accounts' };
  }
  const started = Date.now();
  const rng = new Random(SEED); // seeded: the portfolio is the same on every first start

  const ke = await Country.findOne({ where: { code: 'KE' } });
  const regions = await CompanyRegion.findAll({ where: { code: ['KE-NAI', 'KE-CST'] } });
  const staff = await Employee.findAll({ where: { employeeCode: ['DEMO-AGENT', 'DEMO-SUPERVISOR', 'DEMO-BACKOFFICE'] }, attributes: ['id', 'employeeCode'] });
  if (!ke || regions.length !== 2 || staff.length !== 3) return { loaded: false, reason: 'demo staff and regions not seeded' };
  const regionId = (code: string) => regions.find((r) => r.code === code)!.id;
  const principals = createPrincipalLoader();
  const principal = async (code: string) => (await principals(staff.find((e) => e.employeeCode === code)!.id))!;
  const [agent, supervisor, backOffice] = await Promise.all(['DEMO-AGENT', 'DEMO-SUPERVISOR', 'DEMO-BACKOFFICE'].map(principal));
  const actor = (p: Principal) => employeeActor(p);

  const today = localDate(now, ke.timezone);
  const first = addDays(today, -DAYS);
  await ensureFiscalPeriods(first, today);
  const catalogue = await ensureCatalogue(sequelize);
  logger.info({ from: first, to: today }, `demo portfolio: loading ${CUSTOMERS.length} customers and their accounts, ${DAYS} business days up to ${today}`);

  // Customers: onboarded by their field staff, KYC decided by back office (never the onboarder).
  const customers = new CustomerService(sequelize, dataCrypto(config.dataEncryptionKey));
  const plans: Plan[] = [];
  for (const [n, c] of CUSTOMERS.entries()) {
    const seller = c.region === 'KE-NAI' ? agent : supervisor;
    const phone = `+2547${String(20000000 + n * 7919).padStart(8, '0')}`;
    const customer =
      (await Customer.findOne({ where: { phone } })) ??
      (await customers.onboard(actor(seller), {
        firstName: c.first,
        lastName: c.last,
        phone,
        nationalId: String(21000000 + rng.int(0, 999) * 1000 + n),
        dateOfBirth: `${rng.int(1965, 2003)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
        gender: c.gender,
        regionId: regionId(c.region),
        preferredLanguage: rng.next() < 0.5 ? 'sw' : 'en',
        address: {
          addressLine: `Plot ${rng.int(2, 400)}, ${c.town}`,
          city: c.town,
          district: c.region === 'KE-NAI' ? 'Nairobi' : 'Coast',
          landmark: 'Near the shopping centre',
        },
      }));
    if (customer.kycStatus === 'pending' && c.kyc !== 'pending') {
      await customers.decideKyc(actor(backOffice), customer.id, c.kyc, c.kyc === 'rejected' ? 'ID photo does not match the applicant' : undefined);
    }
    for (const [plan, profile] of c.accounts) {
      const openAt =
        profile === 'pending' ? rng.int(DAYS - 4, DAYS - 1) : profile === 'slipping' ? rng.int(0, 21) : profile === 'payoff' ? rng.int(0, 10) : rng.int(0, 45);
      const p: Plan = { customer, seller, plan, profile, openOn: addDays(first, openAt), lateness: rng.int(0, 4), daysAhead: rng.int(3, 7) };
      if (profile === 'slipping') p.until = addDays(p.openOn, rng.int(10, 24));
      if (profile === 'payoff') p.until = addDays(p.openOn, rng.int(21, 40));
      plans.push(p);
    }
  }

  // Time: Kenya's business date goes back to the first day, then each day is lived and closed.
  await setBusinessDate(ke.id, first);
  const accounts = new AccountService(sequelize);
  const posting = new PaymentPostingService(sequelize);
  let opened = 0;
  let payments = 0;
  let closes = 0;
  const pay = async (p: Plan, day: CalendarDate, amount: Decimal) => {
    if (amount.lessThanOrEqualTo(0)) return;
    // As an M-Pesa confirmation posts it: no employee, the customer's transaction code.
    const at = new Date(`${day}T${String(rng.int(7, 20)).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')}:00+03:00`);
    await posting.post({
      accountId: p.account!.id,
      amount: toMoneyString(amount),
      paymentTypeCode: 'MPESA',
      channel: 'mobile_money',
      transactionRef: mpesaCode(rng),
      paymentDate: at,
      createdBy: null,
    });
    payments++;
  };
  const closeLogger = logger.child({ demo: 'portfolio' }, { level: 'warn' });

  for (let day = first; day <= today; day = addDays(day, 1)) {
    for (const p of plans.filter((x) => x.openOn === day)) {
      // As POST /accounts does it: the seller's cash limit, then the sale in the seller's scope.
      await assertCashBelowLimit(sequelize, p.seller.employeeId);
      const plan = catalogue.plans[p.plan];
      p.account = await accounts.open(
        { customerId: p.customer.id, productId: plan.productId, payplanId: plan.payplanId, agentId: p.seller.employeeId },
        regionScope(p.seller),
        p.seller.employeeId,
      );
      opened++;
    }
    for (const p of plans) {
      if (!p.account || p.profile === 'pending') continue;
      const amount = await amountPaidOn(p, day, rng);
      if (amount) await pay(p, day, amount);
    }
    if (day === today) break;
    const summary = await closeDayInline({ sequelize, config, logger: closeLogger }, ke.id, day, { partitions: 1 });
    closes++;
    if (summary.errors.length) logger.warn({ day, errors: summary.errors.slice(0, 5) }, 'demo portfolio: nightly close reported problems');
    if (daysBetween(first, day) % 7 === 6) {
      logger.info(`demo portfolio: ${opened}/${plans.length} accounts, ${payments} payments, business date ${summary.businessDate}`);
    }
  }

  const statuses: Record<string, number> = {};
  for (const a of await Account.findAll({ attributes: ['status'] })) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
  const result = {
    loaded: true,
    customers: CUSTOMERS.length,
    accounts: opened,
    payments,
    closes,
    statuses,
    businessDate: today,
    seconds: (Date.now() - started) / 1000,
  };
  logger.info(result, `demo portfolio: ${opened}/${plans.length} accounts, ${payments} payments, ${closes} nightly closes in ${result.seconds.toFixed(1)} s`);
  return result;
}

/** What a customer of this profile pays on this day (nothing: undefined). */
async function amountPaidOn(p: Plan, day: CalendarDate, rng: Random): Promise<Decimal | undefined> {
  const account = (await Account.findByPk(p.account!.id, { attributes: ['id', 'status', 'balance'] }))!;
  if (account.status === 'closed' || new Decimal(account.balance).lessThanOrEqualTo(0)) return undefined;
  const open = await InstallmentSchedule.findAll({
    where: { accountId: account.id, status: { [Op.in]: [...OPEN_INSTALLMENT_STATUSES] } },
    attributes: ['dueDate', 'amount', 'paidAmount'],
    order: [['installmentNumber', 'ASC']],
  });
  const oldest = open[0]?.dueDate;
  if (!oldest) return undefined;
  const owedThrough = (date: CalendarDate) => open.filter((i) => i.dueDate <= date).reduce((s, i) => s.plus(i.amount).minus(i.paidAmount), new Decimal(0));
  // Everyone pays the down payment the day of the sale.
  if (day === p.openOn) return owedThrough(day);
  const daily = PLANS[p.plan].frequency === 'daily';
  const due = daysBetween(oldest, day);
  if (p.profile === 'irregular') {
    if (due < 1 || rng.next() > 0.3) return undefined;
    const owed = owedThrough(day);
    const part = owed
      .times(0.5 + rng.next() * 0.5)
      .dividedBy(50)
      .floor()
      .times(50);
    return Decimal.max(Decimal.min(part, owed), Decimal.min(owed, 100));
  }
  if (p.profile === 'payoff' && day === p.until) return new Decimal(account.balance);
  if (p.profile === 'slipping' && day > p.until!) return undefined;
  // steady (and payoff, slipping until then): on or a little after each due date.
  if (due < p.lateness) return undefined;
  // Daily plans are paid a few days at a time, ahead of their due dates.
  return owedThrough(daily ? addDays(day, p.daysAhead - 1) : day);
}

/** An M-Pesa-like transaction code (10 characters), unique per payment type as payments require. */
const usedCodes = new Set<string>();
function mpesaCode(rng: Random): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
  for (;;) {
    let code = 'TK';
    for (let i = 0; i < 8; i++) code += alphabet[rng.int(0, alphabet.length - 1)];
    if (!usedCodes.has(code)) {
      usedCodes.add(code);
      return code;
    }
  }
}

/** Products, payplans and their pricing, as the catalogue API would create them (kept if already there). */
async function ensureCatalogue(sequelize: AppContext['sequelize']) {
  return withTransaction(sequelize, async (t) => {
    const products = {} as Record<ProductKey, number>;
    for (const [key, p] of Object.entries(PRODUCTS) as [ProductKey, (typeof PRODUCTS)[ProductKey]][]) {
      const type = await ProductType.findOne({ where: { code: p.type }, transaction: t });
      if (!type) throw new Error(`product type ${p.type} not seeded`);
      const existing = await Product.findOne({ where: { code: p.code }, transaction: t });
      const product =
        existing ??
        (await Product.create(
          {
            name: p.name,
            code: p.code,
            price: p.price,
            productTypeId: type.id,
            category: p.category,
            description: p.description,
            warrantyPeriod: p.warrantyPeriod,
          },
          { transaction: t },
        ));
      products[key] = product.id;
    }
    const plans = {} as Record<PlanKey, { productId: number; payplanId: number }>;
    for (const [key, p] of Object.entries(PLANS) as [PlanKey, (typeof PLANS)[PlanKey]][]) {
      const existing = await Payplan.findOne({ where: { code: p.code }, transaction: t });
      const payplan =
        existing ??
        (await Payplan.create(
          {
            name: p.name,
            code: p.code,
            duration: p.duration,
            interestRate: '0.00',
            downPayment: p.downPayment,
            installmentAmount: p.installment,
            frequency: p.frequency,
            gracePeriodDays: 0,
            daysUntilSuspension: p.daysUntilSuspension,
            dailyRate: p.dailyRate,
            ...(p.lateFee ? { lateFeeType: 'fixed' as const, lateFeeAmount: p.lateFee.amount, lateFeeGraceDays: p.lateFee.graceDays } : {}),
          },
          { transaction: t },
        ));
      const productId = products[p.product];
      const pricing = await ProductPayplanPricing.findOne({ where: { productId, payplanId: payplan.id }, transaction: t });
      if (!pricing)
        await ProductPayplanPricing.create(
          { productId, payplanId: payplan.id, price: p.price, downPayment: p.downPayment, installmentAmount: p.installment },
          { transaction: t },
        );
      plans[key] = { productId, payplanId: payplan.id };
    }
    return { products, plans };
  });
}

/** Postings need an open fiscal period; the seeder opens this year's and next year's months (not last year's, which early January needs). */
async function ensureFiscalPeriods(from: CalendarDate, to: CalendarDate): Promise<void> {
  for (let month = `${from.slice(0, 7)}-01`; month <= to;) {
    const [y, m] = month.split('-').map(Number) as [number, number];
    const next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
    if (!(await FiscalPeriod.findOne({ where: { countryId: null, startDate: month }, attributes: ['id'] }))) {
      await FiscalPeriod.create({ name: month.slice(0, 7), startDate: month, endDate: addDays(next, -1), status: 'open', countryId: null });
    }
    month = next;
  }
}
