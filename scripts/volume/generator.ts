/**
 * Volume generator: fills a migrated and seeded database with a realistic portfolio (regions,
 * agents, customers, a catalogue, devices, accounts with their schedules, and the payment history
 * that produced their current state), for load tests and benchmarks.
 *
 * Rows are written as multi-row INSERTs, one transaction per batch of accounts, with ids assigned
 * here (from the tables' current MAX(id)) so rows can point at each other without round trips:
 * run it on a database nobody else is writing to. The same seed, batch size, writers, as-of date
 * and database state give the same data.
 *
 * What is consistent with what (and checked by checkVolumeConsistency):
 * - each instalment's paidAmount is the sum of the allocations to it; paid means fully paid, with
 *   paidDate the business date of the payment that completed it;
 * - each payment's amount is the sum of its allocations (payments are allocated oldest first,
 *   as the posting service does with the default order), and each has a receipt;
 * - each account's balance is what its schedule still owes (waived rows owe nothing), its DPD and
 *   PAR bucket follow the app's own definitions (src/modules/accounts/arrears.ts) as of the
 *   business date, and its status follows: pending until the down payment, closed when paid off,
 *   suspended past the plan's days until suspension, written off (schedule waived, with an
 *   approved write-off) or repossessed (device back in stock) for some long-defaulted ones, with
 *   the status history that led there;
 * - credit days follow CreditService: one creditDayEntries row per payment that bought days, their
 *   sum floor(total paid / dailyRate), and the account's creditExpiresAt the last entry's;
 * - account and receipt numbers come from numberSequences, which are advanced past them;
 * - with a data encryption key, devices carry OpenPAYGO keys sealed as the app seals them.
 * Not generated: journal entries, mobile-money callbacks, cash collections, device tokens (the
 * devices' tokenCount is set as if one token per payment had been issued), and customers'
 * national ids (their encryption and normalisation belong to the customers module).
 */
import { createCipheriv } from 'node:crypto';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { addMonths, localDate, type CalendarDate } from '../../src/platform/dates';
import { dialect } from '../../src/platform/db/dialect';
import { parBucket } from '../../src/modules/accounts/arrears';
import type { InstallmentStatus } from '../../src/modules/accounts/models';
import { buildSchedule, type Frequency } from '../../src/modules/accounts/schedule';
import { nextAccountState, type AccountFacts } from '../../src/modules/accounts/status';
import { DEVICE_KEY_CONTEXT } from '../../src/modules/devices/tokens';
import { Random } from '../../src/platform/random';
import { cents, maxId, TableWriter, type SqlValue } from './sql';

export interface VolumeOptions {
  /** Accounts to create. */
  accounts: number;
  seed?: number;
  /** Accounts per transaction. */
  batch?: number;
  /** ISO code of a seeded country. */
  country?: string;
  /** Business date the portfolio is as of; defaults to the country's business date (or today there). */
  asOf?: CalendarDate;
  /** Activation dates spread over this many months before asOf. */
  months?: number;
  /** Batches written at once, on as many connections. */
  writers?: number;
  /** When given, milliseconds spent writing each table are added to it (summed over concurrent writers). */
  timings?: Record<string, number>;
  /**
   * The app's data encryption key (64 hex characters). When given, every device gets an
   * OpenPAYGO key encrypted as the app stores it, so payments on generated accounts mint tokens;
   * without it devices have no key and the app treats them as not pay-as-you-go.
   */
  dataEncryptionKey?: string;
  /**
   * MySQL checks every foreign key row by row unless this is false; the generator assigns all ids
   * itself, so it loads with the checks off by default (as a dump restore does) and
   * checkForeignKeys verifies the references afterwards.
   */
  foreignKeyChecks?: boolean;
}

export interface VolumeProgress {
  accountsDone: number;
  accountsTotal: number;
  rowsWritten: number;
  elapsedMs: number;
}

export interface VolumeReport {
  seed: number;
  asOf: CalendarDate;
  accounts: number;
  rows: Record<string, number>;
  totalRows: number;
  elapsedMs: number;
  /** Ids of the first and last account created. */
  accountIds: [number, number];
  /** First and last id written per table. */
  idRanges: Record<string, [number, number]>;
}

// ---------------------------------------------------------------------------------------------
// The catalogue the generator sells: plans (their mix gives about 12 schedule rows per account,
// down payment included) and products with the plans they may be sold on.

interface PlanDef {
  code: string;
  name: string;
  frequency: Frequency;
  duration: number;
  weight: number;
  /** Credit price relative to the product's 12-month price. */
  factor: number;
  gracePeriodDays: number;
  daysUntilSuspension: number;
}

const PLANS: PlanDef[] = [
  { code: 'M6', name: '6 monthly instalments', frequency: 'monthly', duration: 6, weight: 0.38, factor: 0.92, gracePeriodDays: 5, daysUntilSuspension: 15 },
  { code: 'M12', name: '12 monthly instalments', frequency: 'monthly', duration: 12, weight: 0.41, factor: 1.0, gracePeriodDays: 5, daysUntilSuspension: 15 },
  { code: 'M18', name: '18 monthly instalments', frequency: 'monthly', duration: 18, weight: 0.04, factor: 1.08, gracePeriodDays: 5, daysUntilSuspension: 15 },
  { code: 'W12', name: '12 weekly instalments', frequency: 'weekly', duration: 12, weight: 0.1, factor: 0.9, gracePeriodDays: 2, daysUntilSuspension: 7 },
  { code: 'W26', name: '26 weekly instalments', frequency: 'weekly', duration: 26, weight: 0.04, factor: 0.95, gracePeriodDays: 2, daysUntilSuspension: 7 },
  { code: 'D30', name: '30 daily instalments', frequency: 'daily', duration: 30, weight: 0.03, factor: 0.88, gracePeriodDays: 0, daysUntilSuspension: 3 },
];

interface ProductDef {
  code: string;
  name: string;
  typeCode: string;
  category: string;
  /** Cash price, in whole currency units (KES-like scale; other currencies scale by rate). */
  cashPrice: number;
  /** Price on a 12-month plan. */
  creditPrice: number;
  downShare: number;
  warrantyMonths: number;
  weight: number;
  plans: string[];
  serialPrefix: string;
  manufacturer: string;
  modelName: string;
}

const PRODUCTS: ProductDef[] = [
  {
    code: 'SHS80',
    name: 'Solar home system 80W',
    typeCode: 'SOLAR_HOME_SYSTEM',
    category: 'solar',
    cashPrice: 24000,
    creditPrice: 30000,
    downShare: 0.1,
    warrantyMonths: 24,
    weight: 0.4,
    plans: ['M6', 'M12', 'M18', 'W12', 'W26', 'D30'],
    serialPrefix: 'SH8',
    manufacturer: 'Helios Power',
    modelName: 'Helios 80',
  },
  {
    code: 'SHS200',
    name: 'Solar home system 200W with TV',
    typeCode: 'SOLAR_HOME_SYSTEM',
    category: 'solar',
    cashPrice: 52000,
    creditPrice: 62000,
    downShare: 0.1,
    warrantyMonths: 24,
    weight: 0.15,
    plans: ['M6', 'M12', 'M18', 'W26'],
    serialPrefix: 'SH2',
    manufacturer: 'Helios Power',
    modelName: 'Helios 200 TV',
  },
  {
    code: 'PHONE',
    name: 'Smartphone A10',
    typeCode: 'PHONE',
    category: 'phones',
    cashPrice: 12000,
    creditPrice: 15600,
    downShare: 0.2,
    warrantyMonths: 12,
    weight: 0.3,
    plans: ['M6', 'M12', 'W12', 'W26', 'D30'],
    serialPrefix: 'PA1',
    manufacturer: 'Kito Mobile',
    modelName: 'A10',
  },
  {
    code: 'EBIKE',
    name: 'Electric motorbike E1',
    typeCode: 'E_BIKE',
    category: 'mobility',
    cashPrice: 150000,
    creditPrice: 185000,
    downShare: 0.15,
    warrantyMonths: 12,
    weight: 0.05,
    plans: ['M12', 'M18'],
    serialPrefix: 'EB1',
    manufacturer: 'Ampere Moto',
    modelName: 'E1',
  },
  {
    code: 'PUMP',
    name: 'Solar water pump P1',
    typeCode: 'WATER_PUMP',
    category: 'agriculture',
    cashPrice: 38000,
    creditPrice: 46000,
    downShare: 0.1,
    warrantyMonths: 24,
    weight: 0.1,
    plans: ['M6', 'M12', 'W26'],
    serialPrefix: 'WP1',
    manufacturer: 'Maji Solar',
    modelName: 'P1',
  },
];

const REGION_NAMES = [
  'Nairobi',
  'Mombasa',
  'Kisumu',
  'Nakuru',
  'Eldoret',
  'Machakos',
  'Meru',
  'Nyeri',
  'Kakamega',
  'Kisii',
  'Kericho',
  'Embu',
  'Bungoma',
  'Busia',
  'Kitui',
  'Garissa',
  'Malindi',
  'Naivasha',
  'Thika',
  'Kitale',
  'Homa Bay',
  'Migori',
  'Narok',
  'Nanyuki',
  'Voi',
  'Lamu',
  'Isiolo',
  'Marsabit',
  'Lodwar',
  'Kajiado',
  "Murang'a",
  'Kiambu',
  'Siaya',
  'Vihiga',
  'Bomet',
  'Nyamira',
  'Kerugoya',
  'Chuka',
  'Kapenguria',
  'Iten',
  'Kabarnet',
  'Maralal',
  'Wajir',
  'Mandera',
  'Hola',
  'Kwale',
  'Mwingi',
];
const FIRST_NAMES = [
  'Wanjiru',
  'Achieng',
  'Njeri',
  'Akinyi',
  'Wambui',
  'Atieno',
  'Nyambura',
  'Chebet',
  'Jepkosgei',
  'Mwende',
  'Kemunto',
  'Nafula',
  'Amina',
  'Fatuma',
  'Grace',
  'Mercy',
  'Faith',
  'Joyce',
  'Esther',
  'Lucy',
  'Mary',
  'Ann',
  'Beatrice',
  'Caroline',
  'Kamau',
  'Otieno',
  'Mwangi',
  'Odhiambo',
  'Kiprono',
  'Mutua',
  'Wafula',
  'Ochieng',
  'Kipchoge',
  'Njoroge',
  'Omondi',
  'Barasa',
  'Hassan',
  'Juma',
  'Peter',
  'John',
  'James',
  'Joseph',
  'David',
  'Daniel',
  'Samuel',
  'Brian',
  'Kevin',
  'Dennis',
];
const LAST_NAMES = [
  'Kamau',
  'Otieno',
  'Mwangi',
  'Odhiambo',
  'Kiprotich',
  'Mutua',
  'Wafula',
  'Ochieng',
  'Kipchoge',
  'Njoroge',
  'Omondi',
  'Barasa',
  'Wanjiku',
  'Onyango',
  'Kariuki',
  'Chege',
  'Koech',
  'Rotich',
  'Kibet',
  'Cheruiyot',
  'Muthoni',
  'Gitau',
  'Macharia',
  'Korir',
  'Mohamed',
  'Abdi',
  'Ali',
  'Hussein',
  'Wekesa',
  'Simiyu',
  'Makokha',
  'Nyongesa',
  'Owino',
  'Okoth',
  'Ouma',
  'Ndungu',
  'Kimani',
  'Karanja',
  'Maina',
  'Njuguna',
  'Mugo',
  'Muriuki',
  'Kirui',
  'Langat',
  'Tanui',
  'Biwott',
  'Ruto',
  'Sang',
];

type Profile = 'good' | 'late' | 'bad' | 'payoff';
const PROFILES: [Profile, number][] = [
  ['good', 0.55],
  ['late', 0.22],
  ['bad', 0.15],
  ['payoff', 0.08],
];

// ---------------------------------------------------------------------------------------------
// Calendar helpers on day numbers (days since 1970-01-01): fast, and exact for calendar dates.

const MS_DAY = 86_400_000;
const dayOf = (d: CalendarDate): number => Math.round(Date.parse(`${d}T00:00:00Z`) / MS_DAY);
const dateCache = new Map<number, string>();
function dateOfDay(n: number): CalendarDate {
  let s = dateCache.get(n);
  if (s === undefined) {
    s = new Date(n * MS_DAY).toISOString().slice(0, 10);
    dateCache.set(n, s);
  }
  return s;
}

/** Minutes the zone is ahead of UTC at an instant. */
function zoneOffsetMinutes(timeZone: string, at: Date): number {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  const local = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((local - at.getTime()) / 60000);
}

function asDateString(v: unknown): CalendarDate | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v).slice(0, 10);
}

// ---------------------------------------------------------------------------------------------

interface Ctx {
  sequelize: Sequelize;
  mysql: boolean;
  rnd: Random;
  asOf: CalendarDate;
  asOfDay: number;
  /** Local wall-clock minutes ahead of UTC, for turning local times into stored UTC. */
  offsetMin: number;
  country: { id: number; code: string; currency: string; phoneCode: string };
  holidays: Set<number>;
  stamp: string;
  /** Seals device keys; its own random stream, so keys never change the rest of the data. */
  sealKey?: () => string;
}

/**
 * A random OpenPAYGO key (32 hex characters) sealed as src/platform/crypto.ts writes it
 * (`v1:<iv>:<tag>:<ciphertext>`, AES-256-GCM, AAD = the column). The IV comes from the seeded
 * stream instead of the system's random source, so the same seed gives the same rows.
 */
function deviceKeySealer(dataKeyHex: string, rnd: Random): () => string {
  if (!/^[0-9a-fA-F]{64}$/.test(dataKeyHex)) throw new Error('the data encryption key must be 64 hexadecimal characters');
  const key = Buffer.from(dataKeyHex, 'hex');
  const bytes = (n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(rnd.next() * 256);
    return b;
  };
  return () => {
    const plaintext = bytes(16).toString('hex');
    const iv = bytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(DEVICE_KEY_CONTEXT, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  };
}

/** 'YYYY-MM-DD HH:MM:SS' (UTC, as DATETIME stores it) of a local time of day on a day. */
function instant(ctx: Ctx, day: number, minuteOfDay: number): string {
  return formatUtcMinutes(utcMinutes(ctx, day, minuteOfDay));
}

/** Minutes since 1970-01-01T00:00Z of a local time of day on a day. */
function utcMinutes(ctx: Ctx, day: number, minuteOfDay: number): number {
  return day * 1440 + minuteOfDay - ctx.offsetMin;
}

/** 'YYYY-MM-DD HH:MM:SS' of minutes since the epoch (UTC). */
function formatUtcMinutes(total: number): string {
  const d = Math.floor(total / 1440);
  const m = total - d * 1440;
  const h = (m / 60) | 0;
  const min = m % 60;
  return `${dateOfDay(d)} ${h < 10 ? '0' : ''}${h}:${min < 10 ? '0' : ''}${min}:00`;
}

async function select<T extends object>(ctx: Ctx, sql: string, replacements: unknown[] = [], transaction?: Transaction): Promise<T[]> {
  return ctx.sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements, transaction });
}

/**
 * Inserts the rows of `wanted` whose key is not in the table yet; returns key -> id for all of them.
 * Used for the small reference sets (regions, agents, products...), so a second run reuses them.
 */
async function ensureByKey(ctx: Ctx, table: string, key: string, wanted: Record<string, SqlValue>[]): Promise<Map<string, number>> {
  const keys = wanted.map((w) => String(w[key]));
  const found = new Map<string, number>();
  for (let i = 0; i < keys.length; i += 500) {
    const part = keys.slice(i, i + 500);
    const rows = await select<{ id: number; k: string }>(
      ctx,
      `SELECT id, \`${key}\` AS k FROM \`${table}\` WHERE \`${key}\` IN (${part.map(() => '?').join(',')})`,
      part,
    );
    for (const r of rows) found.set(String(r.k), Number(r.id));
  }
  const missing = wanted.filter((w) => !found.has(String(w[key])));
  if (missing.length) {
    const w = new TableWriter(table, Object.keys(missing[0]));
    for (const m of missing) w.add(Object.values(m));
    await ctx.sequelize.transaction(async (t) => void (await w.flush(ctx.sequelize, t)));
    return ensureByKey(ctx, table, key, wanted);
  }
  return found;
}

/** A product on a plan: what an account is sold as. */
interface Offer {
  plan: PlanDef;
  planId: number;
  /** Schedule amounts in cents, down payment first (the app's own arithmetic, remainder on the last). */
  amounts: number[];
  price: number;
  /** Price of one credit day, in cents (payplans.dailyRate): payments buy floor(total paid / rate) days. */
  dailyRate: number;
}

interface Catalogue {
  products: (ProductDef & { id: number; deviceModelId: number; typeId: number })[];
  /** `${productCode}:${planCode}` */
  offers: Map<string, Offer>;
}

const PERIOD_DAYS: Record<Frequency, number> = { monthly: 30, weekly: 7, daily: 1 };

/**
 * The generated catalogue: products, their device models, and one payplan per product and plan
 * shape (a plan's dailyRate only makes sense for the price it was set for), with pricing.
 * Created when absent, reused (with whatever prices they now carry) when present.
 */
async function ensureCatalogue(ctx: Ctx): Promise<Catalogue> {
  const cc = ctx.country.code;
  const st = ctx.stamp;
  const typeRows = await select<{ id: number; code: string }>(ctx, 'SELECT id, code FROM productTypes');
  const types = new Map(typeRows.map((r) => [r.code, Number(r.id)]));
  for (const p of PRODUCTS) {
    if (!types.has(p.typeCode)) {
      const made = await ensureByKey(ctx, 'productTypes', 'code', [
        { name: p.typeCode.replace(/_/g, ' ').toLowerCase(), code: p.typeCode, description: null, isActive: true, version: 0, createdAt: st, updatedAt: st },
      ]);
      types.set(p.typeCode, made.get(p.typeCode)!);
    }
  }
  const productIds = await ensureByKey(
    ctx,
    'products',
    'code',
    PRODUCTS.map((p) => ({
      name: p.name,
      code: `GEN-${p.code}`,
      description: `Generated product (${p.manufacturer} ${p.modelName})`,
      category: p.category,
      price: cents(p.cashPrice * 100),
      productTypeId: types.get(p.typeCode)!,
      warrantyPeriod: p.warrantyMonths,
      isActive: true,
      version: 0,
      createdAt: st,
      updatedAt: st,
    })),
  );
  const modelIds = await ensureByKey(
    ctx,
    'deviceModels',
    'code',
    PRODUCTS.map((p) => ({
      manufacturer: p.manufacturer,
      name: p.modelName,
      code: `GEN-DM-${p.code}`,
      productTypeId: types.get(p.typeCode)!,
      supportsOpenPaygo: true,
      tokenType: 'standard',
      restrictedDigitSet: false,
      isActive: true,
      version: 0,
      createdAt: st,
      updatedAt: st,
    })),
  );
  const products = PRODUCTS.map((p) => ({
    ...p,
    id: productIds.get(`GEN-${p.code}`)!,
    deviceModelId: modelIds.get(`GEN-DM-${p.code}`)!,
    typeId: types.get(p.typeCode)!,
  }));

  // Intended prices; plans and pricing already in the database keep theirs.
  const planCode = (prod: ProductDef, plan: PlanDef) => `GEN-${cc}-${prod.code}-${plan.code}`;
  const intended = new Map<string, { price: string; down: string; each: string; dailyRate: string }>();
  for (const prod of PRODUCTS) {
    for (const plan of PLANS) {
      if (!prod.plans.includes(plan.code)) continue;
      const price = Math.round((prod.creditPrice * plan.factor) / 10) * 10;
      const down = Math.round((price * prod.downShare) / 100) * 100;
      const s = buildSchedule({
        price: String(price),
        downPayment: String(down),
        installments: plan.duration,
        frequency: plan.frequency,
        interestRate: '0',
        startDate: '2026-01-01',
      });
      const each = Math.round(Number(s.rows[1].amount) * 100);
      intended.set(planCode(prod, plan), {
        price: s.totalPrice,
        down: s.rows[0].amount,
        each: s.rows[1].amount,
        dailyRate: cents(Math.floor(each / PERIOD_DAYS[plan.frequency])),
      });
    }
  }
  const planIds = await ensureByKey(
    ctx,
    'payplans',
    'code',
    PRODUCTS.flatMap((prod) =>
      PLANS.filter((plan) => prod.plans.includes(plan.code)).map((plan) => {
        const i = intended.get(planCode(prod, plan))!;
        return {
          name: `${prod.name}: ${plan.name} (${cc})`,
          code: planCode(prod, plan),
          description: `Generated plan: down payment, then ${plan.duration} ${plan.frequency} instalments`,
          duration: plan.duration,
          interestRate: '0.00',
          downPayment: i.down,
          installmentAmount: i.each,
          frequency: plan.frequency,
          gracePeriodDays: plan.gracePeriodDays,
          daysUntilSuspension: plan.daysUntilSuspension,
          dailyRate: i.dailyRate,
          countryId: ctx.country.id,
          isActive: true,
          version: 0,
          createdAt: st,
          updatedAt: st,
        };
      }),
    ),
  );
  const ids = [...planIds.values()];
  const planRows = await select<{ id: number; duration: number; frequency: Frequency; interestRate: string; dailyRate: string; daysUntilSuspension: number }>(
    ctx,
    `SELECT id, duration, frequency, interestRate, dailyRate, daysUntilSuspension FROM payplans WHERE id IN (${ids.map(() => '?').join(',')})`,
    ids,
  );
  const planById = new Map(planRows.map((r) => [Number(r.id), r]));
  const existing = await select<{ productId: number; payplanId: number; price: string; downPayment: string }>(
    ctx,
    `SELECT productId, payplanId, price, downPayment FROM productPayplanPricing WHERE productId IN (${products.map(() => '?').join(',')})`,
    products.map((p) => p.id),
  );
  const have = new Map(existing.map((e) => [`${e.productId}:${e.payplanId}`, e]));
  const newPricing = new TableWriter('productPayplanPricing', [
    'productId',
    'payplanId',
    'price',
    'downPayment',
    'installmentAmount',
    'isActive',
    'version',
    'createdAt',
    'updatedAt',
  ]);
  const offers = new Map<string, Offer>();
  for (const prod of products) {
    for (const plan of PLANS) {
      if (!prod.plans.includes(plan.code)) continue;
      const planId = planIds.get(planCode(prod, plan))!;
      const stored = planById.get(planId)!;
      const row = have.get(`${prod.id}:${planId}`);
      const i = intended.get(planCode(prod, plan))!;
      const price = row ? String(row.price) : i.price;
      const down = row ? String(row.downPayment) : i.down;
      // As AccountService.open builds it, from the plan as stored.
      const s = buildSchedule({
        price,
        downPayment: down,
        installments: Number(stored.duration),
        frequency: stored.frequency,
        interestRate: String(stored.interestRate ?? '0'),
        startDate: '2026-01-01',
      });
      const amounts = s.rows.map((r) => Math.round(Number(r.amount) * 100));
      offers.set(`${prod.code}:${plan.code}`, {
        plan: { ...plan, duration: Number(stored.duration), frequency: stored.frequency, daysUntilSuspension: Number(stored.daysUntilSuspension) },
        planId,
        amounts,
        price: Math.round(Number(s.totalPrice) * 100),
        dailyRate: Math.round(Number(stored.dailyRate) * 100),
      });
      if (!row) newPricing.add([prod.id, planId, price, down, s.rows[1].amount, true, 0, st, st]);
    }
  }
  if (newPricing.pending) await ctx.sequelize.transaction(async (t) => void (await newPricing.flush(ctx.sequelize, t)));
  return { products, offers };
}

interface Staff {
  regions: { id: number; warehouseId: number; name: string }[];
  agents: { id: number; regionIndex: number }[];
  /** Agents by region index. */
  agentsByRegion: number[][];
  backOffice: number;
  finance: number;
}

async function ensureStaff(ctx: Ctx, accounts: number): Promise<Staff> {
  const cc = ctx.country.code;
  const st = ctx.stamp;
  const regionCount = Math.min(REGION_NAMES.length, Math.max(3, Math.round(accounts / 5000)));
  const regionDefs = REGION_NAMES.slice(0, regionCount).map((name, i) => ({ name, code: `GEN-${cc}-R${String(i + 1).padStart(2, '0')}` }));
  const regionIds = await ensureByKey(
    ctx,
    'companyRegions',
    'code',
    regionDefs.map((r) => ({
      name: `${r.name} (generated)`,
      countryId: ctx.country.id,
      code: r.code,
      managerId: null,
      isActive: true,
      version: 0,
      createdAt: st,
      updatedAt: st,
    })),
  );
  const warehouseIds = await ensureByKey(
    ctx,
    'warehouses',
    'code',
    regionDefs.map((r) => ({
      name: `${r.name} depot`,
      code: `${r.code}-WH`,
      regionId: regionIds.get(r.code)!,
      areaId: null,
      address: null,
      capacity: 5000,
      isActive: true,
      version: 0,
      createdAt: st,
      updatedAt: st,
    })),
  );
  const regions = regionDefs.map((r) => ({ id: regionIds.get(r.code)!, warehouseId: warehouseIds.get(`${r.code}-WH`)!, name: r.name }));

  const roles = await select<{ id: number; name: string }>(ctx, "SELECT id, name FROM roles WHERE name IN ('agent', 'back_office', 'finance')");
  const roleId = (name: string) => {
    const r = roles.find((x) => x.name === name);
    if (!r) throw new Error(`role ${name} is not seeded: run npx sequelize-cli db:seed:all first`);
    return Number(r.id);
  };
  const agentCount = Math.max(regionCount * 2, Math.ceil(accounts / 250));
  // Deterministic names and phones for staff, from their own stream so they never depend on the accounts.
  const staffRnd = new Random(0x5eed);
  const existingPhones = new Set((await select<{ phone: string }>(ctx, 'SELECT phone FROM employees WHERE phone IS NOT NULL')).map((r) => r.phone));
  const phoneFor = (n: number) => {
    for (let k = 0; ; k++) {
      const p = `${ctx.country.phoneCode}7${String((n * 7919 + k * 104729) % 100_000_000).padStart(8, '0')}`;
      if (!existingPhones.has(p) || k > 50) return p;
    }
  };
  const employees: Record<string, SqlValue>[] = [];
  for (let i = 1; i <= agentCount; i++) {
    const code = `GEN-${cc}-AG${String(i).padStart(5, '0')}`;
    employees.push({
      employeeCode: code,
      firstName: staffRnd.pick(FIRST_NAMES),
      lastName: staffRnd.pick(LAST_NAMES),
      email: `${code.toLowerCase()}@agents.amt.example`,
      phone: phoneFor(i),
      passwordHash: null,
      departmentId: null,
      roleId: roleId('agent'),
      supervisorId: null,
      isActive: true,
      lastLoginAt: null,
      createdAt: st,
      updatedAt: st,
      deletedAt: null,
    });
  }
  for (const [code, role] of [
    [`GEN-${cc}-BO1`, 'back_office'],
    [`GEN-${cc}-FIN1`, 'finance'],
  ] as const) {
    employees.push({
      employeeCode: code,
      firstName: staffRnd.pick(FIRST_NAMES),
      lastName: staffRnd.pick(LAST_NAMES),
      email: `${code.toLowerCase()}@staff.amt.example`,
      phone: null,
      passwordHash: null,
      departmentId: null,
      roleId: roleId(role),
      supervisorId: null,
      isActive: true,
      lastLoginAt: null,
      createdAt: st,
      updatedAt: st,
      deletedAt: null,
    });
  }
  const empIds = await ensureByKey(ctx, 'employees', 'employeeCode', employees);
  const agents = employees.slice(0, agentCount).map((e, i) => ({ id: empIds.get(String(e.employeeCode))!, regionIndex: i % regionCount }));

  // Every agent covers their home region; one in ten also covers the next one.
  const links: [number, number][] = [];
  for (const [i, a] of agents.entries()) {
    links.push([a.id, regions[a.regionIndex].id]);
    if (i % 10 === 9) links.push([a.id, regions[(a.regionIndex + 1) % regionCount].id]);
  }
  const have = new Set(
    (
      await select<{ e: number; r: number }>(
        ctx,
        `SELECT employeeId AS e, regionId AS r FROM employeeRegions WHERE regionId IN (${regions.map(() => '?').join(',')})`,
        regions.map((r) => r.id),
      )
    ).map((x) => `${x.e}:${x.r}`),
  );
  const er = new TableWriter('employeeRegions', ['employeeId', 'regionId', 'createdAt', 'updatedAt']);
  for (const [e, r] of links) if (!have.has(`${e}:${r}`)) er.add([e, r, st, st]);
  if (er.pending) await ctx.sequelize.transaction(async (t) => void (await er.flush(ctx.sequelize, t)));

  const agentsByRegion: number[][] = regions.map(() => []);
  for (const a of agents) agentsByRegion[a.regionIndex].push(a.id);
  return { regions, agents, agentsByRegion, backOffice: empIds.get(`GEN-${cc}-BO1`)!, finance: empIds.get(`GEN-${cc}-FIN1`)! };
}

async function paymentTypeIds(ctx: Ctx): Promise<{ mpesa: number; airtel: number; cash: number }> {
  const rows = await select<{ id: number; code: string }>(ctx, "SELECT id, code FROM paymentTypes WHERE code IN ('MPESA', 'AIRTEL', 'CASH')");
  const id = (code: string) => {
    const r = rows.find((x) => x.code === code);
    if (!r) throw new Error(`payment type ${code} is not seeded: run npx sequelize-cli db:seed:all first`);
    return Number(r.id);
  };
  return { mpesa: id('MPESA'), airtel: id('AIRTEL'), cash: id('CASH') };
}

// ---------------------------------------------------------------------------------------------
// Sequences: account and receipt numbers come from numberSequences (defaults as in
// src/modules/organisation/number-sequences.ts). They are read once and numbered here; each
// batch's transaction, as its last statement, moves the sequence past the numbers it used (never
// back), so whichever batches commit, the app's next number is free.

const SEQUENCE_DEFAULTS: Record<SequenceName, { prefix: string; padding: number }> = {
  account: { prefix: 'AC', padding: 8 },
  receipt: { prefix: 'RC', padding: 9 },
};
type SequenceName = 'account' | 'receipt';

class Sequence {
  constructor(
    readonly name: SequenceName,
    private readonly prefix: string,
    private readonly padding: number,
    /** Next value to hand out here. */
    public next: number,
  ) {}

  take(): string {
    return `${this.prefix}${String(this.next++).padStart(this.padding, '0')}`;
  }
}

async function openSequence(ctx: Ctx, name: SequenceName): Promise<Sequence> {
  let [row] = await select<{ prefix: string; nextValue: string | number; padding: number }>(
    ctx,
    'SELECT prefix, nextValue, padding FROM numberSequences WHERE name = ?',
    [name],
  );
  if (!row) {
    const d = SEQUENCE_DEFAULTS[name];
    await ensureByKey(ctx, 'numberSequences', 'name', [
      { name, prefix: d.prefix, nextValue: 1, padding: d.padding, createdAt: ctx.stamp, updatedAt: ctx.stamp },
    ]);
    [row] = await select(ctx, 'SELECT prefix, nextValue, padding FROM numberSequences WHERE name = ?', [name]);
  }
  return new Sequence(name, row.prefix, Number(row.padding), Number(row.nextValue));
}

/** Moves a sequence to at least `to`, in the batch's transaction. */
async function advance(ctx: Ctx, name: SequenceName, to: number, t: Transaction): Promise<void> {
  await ctx.sequelize.query('UPDATE numberSequences SET nextValue = CASE WHEN nextValue < ? THEN ? ELSE nextValue END, updatedAt = ? WHERE name = ?', {
    replacements: [to, to, ctx.stamp, name],
    type: QueryTypes.UPDATE,
    transaction: t,
  });
}

// ---------------------------------------------------------------------------------------------

const TABLES: [string, string[]][] = [
  [
    'customers',
    [
      'id',
      'firstName',
      'lastName',
      'email',
      'phone',
      'dateOfBirth',
      'gender',
      'kycStatus',
      'regionId',
      'agentId',
      'referredBy',
      'preferredLanguage',
      'createdAt',
      'updatedAt',
    ],
  ],
  [
    'devices',
    [
      'id',
      'serialNumber',
      'deviceModelId',
      'productId',
      'warehouseId',
      'status',
      'openpaygoSecretKey',
      'startingCode',
      'tokenCount',
      'firmwareVersion',
      'activatedAt',
      'paygDisabledAt',
      'createdAt',
      'updatedAt',
    ],
  ],
  [
    'accounts',
    [
      'id',
      'accountNumber',
      'customerId',
      'productId',
      'payplanId',
      'regionId',
      'agentId',
      'status',
      'activationDate',
      'expiryDate',
      'totalPrice',
      'downPaymentAmount',
      'financedAmount',
      'balance',
      'creditBalance',
      'daysPastDue',
      'parBucket',
      'creditExpiresAt',
      'lastNightlyBusinessDate',
      'closedAt',
      'createdAt',
      'updatedAt',
    ],
  ],
  ['accountDevices', ['id', 'accountId', 'deviceId', 'deviceSerial', 'deviceType', 'status', 'installationDate', 'warrantyExpiry', 'createdAt', 'updatedAt']],
  ['installmentSchedules', ['id', 'accountId', 'installmentNumber', 'dueDate', 'amount', 'paidAmount', 'status', 'paidDate', 'createdAt', 'updatedAt']],
  [
    'payments',
    [
      'id',
      'accountId',
      'amount',
      'currency',
      'paymentTypeId',
      'channel',
      'transactionRef',
      'paymentDate',
      'businessDate',
      'status',
      'completedAt',
      'paymentMethod',
      'receiptNumber',
      'regionId',
      'createdBy',
      'createdAt',
      'updatedAt',
    ],
  ],
  ['paymentAllocations', ['id', 'paymentId', 'allocationType', 'installmentScheduleId', 'amount', 'createdAt', 'updatedAt']],
  ['receipts', ['id', 'receiptNumber', 'paymentId', 'accountId', 'amount', 'issuedAt', 'channel', 'sentTo', 'createdAt', 'updatedAt']],
  ['creditDayEntries', ['id', 'accountId', 'days', 'reason', 'paymentId', 'createdBy', 'creditExpiresAt', 'createdAt', 'updatedAt']],
  ['accountStatusHistories', ['id', 'accountId', 'previousStatus', 'newStatus', 'reason', 'changedBy', 'changedAt', 'businessDate', 'createdAt', 'updatedAt']],
  ['writeoffs', ['id', 'accountId', 'amount', 'reason', 'status', 'requestedBy', 'approvedBy', 'decidedAt', 'writeoffDate', 'createdAt', 'updatedAt']],
];

/** The rows of one batch of accounts, as SQL text per table (in foreign-key order), and the numbers it used. */
class Batch {
  readonly writers = new Map<string, TableWriter>();

  constructor(
    private readonly sequences: Record<SequenceName, Sequence>,
    /** Customers a new account may reuse (or be referred by): those of batches already committed when this one writes. */
    readonly customerPool: number,
  ) {
    for (const [t, cols] of TABLES) this.writers.set(t, new TableWriter(t, cols));
  }

  add(table: string, row: SqlValue[]): void {
    this.writers.get(table)!.add(row);
  }

  number(name: SequenceName): string {
    return this.sequences[name].take();
  }
}

async function flushBatch(
  ctx: Ctx,
  batch: Batch,
  to: Record<SequenceName, number>,
  options: Pick<VolumeOptions, 'timings' | 'foreignKeyChecks'>,
): Promise<Record<string, number>> {
  const relaxed = ctx.mysql && !(options.foreignKeyChecks ?? false);
  return ctx.sequelize.transaction(async (t) => {
    // Like mysqldump's output, the batch loads without per-row foreign-key lookups; the ids are
    // assigned here and checkVolumeConsistency verifies every reference afterwards.
    if (relaxed) await ctx.sequelize.query('SET SESSION foreign_key_checks = 0', { transaction: t });
    try {
      const counts: Record<string, number> = {};
      for (const [table, w] of batch.writers) {
        if (!w.pending) continue;
        const t0 = Date.now();
        counts[table] = await w.flush(ctx.sequelize, t);
        if (options.timings) options.timings[table] = (options.timings[table] ?? 0) + Date.now() - t0;
      }
      // Last, so concurrent batches wait on the sequence rows only for the moment before commit.
      await advance(ctx, 'account', to.account, t);
      await advance(ctx, 'receipt', to.receipt, t);
      return counts;
    } finally {
      // The connection goes back to a pool others use.
      if (relaxed) await ctx.sequelize.query('SET SESSION foreign_key_checks = 1', { transaction: t });
    }
  });
}

/** The table each id counter numbers. */
const ID_TABLES = {
  customer: 'customers',
  device: 'devices',
  account: 'accounts',
  accountDevice: 'accountDevices',
  installment: 'installmentSchedules',
  payment: 'payments',
  allocation: 'paymentAllocations',
  receipt: 'receipts',
  history: 'accountStatusHistories',
  writeoff: 'writeoffs',
  credit: 'creditDayEntries',
} as const;

/** The last id used per table; every row gets its id here, so concurrent batches never change the data. */
interface Ids {
  customer: number;
  device: number;
  account: number;
  accountDevice: number;
  installment: number;
  payment: number;
  allocation: number;
  receipt: number;
  history: number;
  writeoff: number;
  credit: number;
}

const TRANSACTION_REF_SPACE = 36 ** 9;

/** An M-Pesa-like 10-character reference, unique per payment id (an injective map of the id). */
function mobileRef(prefix: string, paymentId: number): string {
  const mixed = (paymentId * 2_654_435_761) % TRANSACTION_REF_SPACE;
  return prefix + mixed.toString(36).toUpperCase().padStart(9, '0');
}

interface Payment {
  day: number;
  /** Local minute of the day it was paid. */
  minute: number;
  amount: number;
  kind: PaymentKind;
}

type PaymentKind = 'mpesa' | 'cash' | 'airtel';
const PAYMENT_KINDS: [PaymentKind, number][] = [
  ['mpesa', 0.75],
  ['cash', 0.17],
  ['airtel', 0.08],
];

/**
 * One account and everything that hangs off it, appended to the batch. The simulation works in
 * integer cents; payments are allocated oldest instalment first.
 */
function generateAccount(
  ctx: Ctx,
  cat: Catalogue,
  staff: Staff,
  payTypes: { mpesa: number; airtel: number; cash: number },
  ids: Ids,
  batch: Batch,
  customers: { id: number; regionIndex: number; phone: string }[],
  months: number,
): void {
  const { rnd } = ctx;
  const shape = rnd.weighted(PLANS.map((p) => [p, p.weight] as const));
  const eligible = cat.products.filter((p) => p.plans.includes(shape.code));
  const product = rnd.weighted(eligible.map((p) => [p, p.weight] as const));
  const offer = cat.offers.get(`${product.code}:${shape.code}`)!;
  const plan = offer.plan;
  // Customer: mostly new; some come back for a second product (in their own region).
  const pool = batch.customerPool;
  const previous = pool > 50 && rnd.chance(0.08) ? customers[rnd.int(0, pool - 1)] : undefined;
  const regionIndex = previous ? previous.regionIndex : rnd.int(0, staff.regions.length - 1);
  const region = staff.regions[regionIndex];
  const agentId = rnd.pick(staff.agentsByRegion[regionIndex]);
  const pending = rnd.chance(0.02);

  // Sale date: more sales recently (the portfolio grows), none in the future.
  const window = Math.round(months * 30.44);
  const startDay = pending ? ctx.asOfDay - rnd.int(0, 3) : ctx.asOfDay - Math.floor(window * (1 - Math.sqrt(rnd.next())));
  const activationDay = pending
    ? null
    : Math.min(
        ctx.asOfDay,
        startDay +
          rnd.weighted([
            [0, 0.8],
            [1, 0.12],
            [2, 0.08],
          ] as const),
      );
  const openedAt = instant(ctx, startDay, rnd.int(8 * 60, 17 * 60));

  const accountId = ++ids.account;
  let customerId: number;
  let phone: string;
  if (previous) {
    customerId = previous.id;
    phone = previous.phone;
  } else {
    customerId = ++ids.customer;
    const first = rnd.pick(FIRST_NAMES);
    const last = rnd.pick(LAST_NAMES);
    phone = `${ctx.country.phoneCode}7${rnd.digits(8)}`;
    const email = rnd.chance(0.15) ? `${first}.${last}.${customerId}@example.com`.toLowerCase().replace(/'/g, '') : null;
    const referrer = pool > 100 && rnd.chance(0.05) ? customers[rnd.int(0, pool - 1)].id : null;
    const dob = dateOfDay(dayOf('1960-01-01') + rnd.int(0, 44 * 365));
    batch.add('customers', [
      customerId,
      first,
      last,
      email,
      phone,
      dob,
      rnd.weighted([
        ['female', 0.48],
        ['male', 0.5],
        ['other', 0.02],
      ] as const),
      pending && rnd.chance(0.5) ? 'pending' : 'verified',
      region.id,
      agentId,
      referrer,
      rnd.chance(0.3) ? 'sw' : 'en',
      openedAt,
      openedAt,
    ]);
    customers.push({ id: customerId, regionIndex, phone });
  }

  // Schedule: the app's dates (monthly from the anchor, month-end safe; off holidays).
  const n = plan.duration;
  const due: number[] = new Array(n + 1);
  const startDate = dateOfDay(startDay);
  for (let i = 0; i <= n; i++) {
    let d = plan.frequency === 'monthly' ? dayOf(addMonths(startDate, i)) : startDay + i * (plan.frequency === 'weekly' ? 7 : 1);
    while (ctx.holidays.has(d)) d++;
    due[i] = d;
  }
  const amt = offer.amounts;

  // Payments, by the customer's habits, never after the business date.
  const payments: Payment[] = [];
  const profile: Profile = pending ? 'good' : rnd.weighted(PROFILES);
  if (activationDay !== null) {
    payments.push({ day: activationDay, minute: 0, amount: amt[0], kind: 'mpesa' });
    const stopAt = profile === 'bad' ? rnd.int(1, n) : n + 1;
    const payoffAt = profile === 'payoff' ? rnd.int(Math.ceil(n / 3), n) : -1;
    const daily = plan.frequency === 'daily';
    let carry = 0;
    for (let i = 1; i <= n; i++) {
      let day: number;
      if (profile === 'good' || profile === 'payoff') day = due[i] - rnd.int(0, daily ? 0 : 3);
      else if (profile === 'late') day = due[i] + rnd.int(1, daily ? 3 : 25);
      else day = due[i] + rnd.int(0, daily ? 2 : 20);
      day = Math.max(day, activationDay);
      if (day > ctx.asOfDay) break;
      if (i === payoffAt) {
        let rest = carry;
        for (let k = i; k <= n; k++) rest += amt[k];
        payments.push({ day, minute: 0, amount: rest, kind: 'mpesa' });
        break;
      }
      let amount = amt[i] + carry;
      carry = 0;
      if (i === stopAt) {
        // A defaulter's last payment is often short; then nothing more.
        if (rnd.chance(0.5)) payments.push({ day, minute: 0, amount: Math.max(100, Math.round(amount * (0.2 + 0.6 * rnd.next()))), kind: 'mpesa' });
        break;
      }
      if (profile !== 'good' && rnd.chance(0.1)) {
        const part = Math.max(100, Math.round(amount * (0.4 + 0.5 * rnd.next())));
        carry = amount - part;
        amount = part;
      }
      payments.push({ day, minute: 0, amount, kind: 'mpesa' });
    }
    for (const p of payments) {
      p.minute = rnd.int(7 * 60, 21 * 60);
      p.kind = rnd.weighted(PAYMENT_KINDS);
    }
    payments.sort((a, b) => a.day - b.day || a.minute - b.minute);
  }

  // Days of device use bought, by CreditService's rule: the days granted for payments always
  // equal floor(total paid / dailyRate); each grant extends the expiry from max(now, expiry).
  const credit: { payment: number; days: number; expiresAt: number }[] = [];
  let creditExpiresAt: number | null = null;
  {
    let paidSoFar = 0;
    let granted = 0;
    for (const [pi, p] of payments.entries()) {
      paidSoFar += p.amount;
      const days = offer.dailyRate > 0 ? Math.floor(paidSoFar / offer.dailyRate) - granted : 0;
      if (days <= 0) continue;
      const at = utcMinutes(ctx, p.day, p.minute);
      creditExpiresAt = Math.max(at, creditExpiresAt ?? 0) + days * 1440;
      granted += days;
      credit.push({ payment: pi, days, expiresAt: creditExpiresAt });
    }
  }

  // Allocation, oldest instalment first.
  const paid = new Array<number>(n + 1).fill(0);
  const paidDay = new Array<number>(n + 1).fill(-1);
  const firstInstallmentId = ids.installment + 1;
  ids.installment += n + 1;
  let j = 0;
  const allocations: [number, number, number][] = []; // payment index, row, cents
  for (const [pi, p] of payments.entries()) {
    let left = p.amount;
    while (left > 0 && j <= n) {
      const take = Math.min(left, amt[j] - paid[j]);
      paid[j] += take;
      left -= take;
      allocations.push([pi, j, take]);
      if (paid[j] === amt[j]) {
        paidDay[j] = p.day;
        j++;
      }
    }
    if (left > 0) throw new Error('generator bug: a payment exceeds what the account owes');
  }

  // State as of the business date, by the rules of src/modules/accounts/arrears.ts (in integer
  // cents here; test/data-model/volume-generator.test.ts checks the result with those functions).
  const asOf = ctx.asOf;
  const status_: InstallmentStatus[] = new Array(n + 1);
  let owed = 0;
  let firstOpen = -1;
  for (let i = 0; i <= n; i++) {
    owed += amt[i] - paid[i];
    if (paid[i] >= amt[i]) status_[i] = 'paid';
    else {
      if (firstOpen < 0) firstOpen = i;
      status_[i] = due[i] < ctx.asOfDay ? 'overdue' : paid[i] > 0 ? 'partial' : 'pending';
    }
  }
  const lastPayDay = payments.length ? payments[payments.length - 1].day : -1;

  // Status, DPD and bucket by status.ts, as the app reaches them: the payments made (activation on
  // the down payment, closed when paid off), then the nightly close (suspended beyond the limit).
  const facts: AccountFacts = {
    status: 'pending',
    activationDate: null,
    balance: cents(owed),
    installments: [],
    daysUntilSuspension: plan.daysUntilSuspension,
    businessDate: asOf,
  };
  for (let i = 0; i <= n; i++) {
    if (paid[i] < amt[i])
      facts.installments.push({ installmentNumber: i, dueDate: dateOfDay(due[i]), amount: cents(amt[i]), paidAmount: cents(paid[i]), status: status_[i] });
  }
  const paidUp = nextAccountState(facts, 'payment');
  const state = nextAccountState({ ...facts, status: paidUp.status, activationDate: paidUp.activationDate }, 'close');
  if ((activationDay === null) !== (state.status === 'pending')) throw new Error('generator bug: activation disagrees with the down payment');
  let dpd = state.daysPastDue;

  type Status = 'pending' | 'active' | 'suspended' | 'closed' | 'written_off' | 'repossessed';
  let status: Status = state.status;
  const history: [Status | null, Status, string, number, number | null][] = []; // from, to, reason, day, by
  history.push([null, 'pending', 'account opened', startDay, agentId]);
  let closedDay: number | null = null;
  let writeoffAmount = 0;
  if (activationDay !== null) {
    history.push(['pending', 'active', 'down payment received', activationDay, null]);
    const suspendDay = firstOpen >= 0 ? due[firstOpen] + plan.daysUntilSuspension + 1 : -1;
    if (status === 'closed') {
      closedDay = lastPayDay;
      history.push(['active', 'closed', 'paid off', closedDay, null]);
    } else if (status === 'suspended') {
      history.push(['active', 'suspended', `DPD beyond the plan's ${plan.daysUntilSuspension} days`, Math.max(suspendDay, lastPayDay), null]);
      const oldest = due[firstOpen];
      if (profile === 'bad' && dpd > 180 && rnd.chance(0.6)) {
        const day = Math.min(ctx.asOfDay, Math.max(oldest + 180 + rnd.int(0, 30), lastPayDay + 1));
        status = 'written_off';
        closedDay = day;
        writeoffAmount = owed;
        history.push(['suspended', 'written_off', 'written off after 180 days past due', day, staff.finance]);
      } else if (profile === 'bad' && dpd > 90 && rnd.chance(0.35)) {
        const day = Math.min(ctx.asOfDay, Math.max(oldest + 90 + rnd.int(0, 30), lastPayDay + 1));
        status = 'repossessed';
        closedDay = day;
        history.push(['suspended', 'repossessed', 'device recovered by the field team', day, agentId]);
      }
    }
  }
  if (status === 'written_off') {
    // The write-off waives what is left: the schedule owes nothing more.
    for (let i = 0; i <= n; i++) if (status_[i] !== 'paid') status_[i] = 'waived';
    owed = 0;
    dpd = 0;
  }

  // Rows.
  const accountStamp = instant(ctx, ctx.asOfDay, 2 * 60);
  const totalPrice = offer.price;
  const creditExpires = creditExpiresAt === null ? null : formatUtcMinutes(creditExpiresAt);
  const closedAt = closedDay !== null ? instant(ctx, closedDay, rnd.int(9 * 60, 18 * 60)) : null;
  batch.add('accounts', [
    accountId,
    batch.number('account'),
    customerId,
    product.id,
    offer.planId,
    region.id,
    agentId,
    status,
    activationDay === null ? null : dateOfDay(activationDay),
    dateOfDay(due[n]),
    cents(totalPrice),
    cents(amt[0]),
    cents(totalPrice - amt[0]),
    cents(owed),
    '0.00',
    dpd,
    parBucket(dpd),
    creditExpires,
    asOf,
    closedAt,
    openedAt,
    accountStamp,
  ]);

  const deviceId = ++ids.device;
  const serial = `${product.serialPrefix}${String(deviceId).padStart(9, '0')}`;
  const deviceStatus = status === 'pending' ? 'shipped' : status === 'repossessed' ? 'stored' : status === 'written_off' ? 'terminated' : 'activated';
  const activatedAt = activationDay === null ? null : instant(ctx, activationDay, rnd.int(9 * 60, 18 * 60));
  batch.add('devices', [
    deviceId,
    serial,
    product.deviceModelId,
    product.id,
    status === 'repossessed' ? region.warehouseId : null,
    deviceStatus,
    ctx.sealKey?.() ?? null,
    rnd.int(100_000_000, 999_999_999),
    payments.length,
    rnd.pick(['1.4.2', '1.5.0', '2.0.1']),
    activatedAt,
    status === 'closed' ? closedAt : null,
    openedAt,
    accountStamp,
  ]);
  batch.add('accountDevices', [
    ++ids.accountDevice,
    accountId,
    deviceId,
    serial,
    product.typeCode.toLowerCase(),
    status === 'repossessed' || status === 'written_off' ? 'inactive' : 'active',
    activationDay === null ? null : dateOfDay(activationDay),
    activationDay === null ? null : addMonths(dateOfDay(activationDay), product.warrantyMonths),
    openedAt,
    accountStamp,
  ]);

  for (let i = 0; i <= n; i++) {
    batch.add('installmentSchedules', [
      firstInstallmentId + i,
      accountId,
      i,
      dateOfDay(due[i]),
      cents(amt[i]),
      cents(paid[i]),
      status_[i],
      paidDay[i] >= 0 ? dateOfDay(paidDay[i]) : null,
      openedAt,
      paidDay[i] >= 0 ? instant(ctx, paidDay[i], 20 * 60) : openedAt,
    ]);
  }

  const paymentIds: number[] = [];
  const paymentAt: string[] = [];
  for (const p of payments) {
    const paymentId = ++ids.payment;
    paymentIds.push(paymentId);
    const at = instant(ctx, p.day, p.minute);
    paymentAt.push(at);
    const kind = p.kind;
    const typeId = payTypes[kind];
    const ref = kind === 'mpesa' ? mobileRef('S', paymentId) : kind === 'airtel' ? mobileRef('A', paymentId) : `CASH-${paymentId}`;
    const receipt = batch.number('receipt');
    batch.add('payments', [
      paymentId,
      accountId,
      cents(p.amount),
      ctx.country.currency,
      typeId,
      kind === 'cash' ? 'cash' : 'mobile_money',
      ref,
      at,
      dateOfDay(p.day),
      'completed',
      at,
      kind === 'mpesa' ? 'M-Pesa Paybill' : kind === 'airtel' ? 'Airtel Money' : 'Cash to agent',
      receipt,
      region.id,
      kind === 'cash' ? agentId : null,
      at,
      at,
    ]);
    batch.add('receipts', [++ids.receipt, receipt, paymentId, accountId, cents(p.amount), at, 'sms', phone, at, at]);
  }
  for (const [pi, row, c] of allocations) {
    batch.add('paymentAllocations', [++ids.allocation, paymentIds[pi], 'installment', firstInstallmentId + row, cents(c), paymentAt[pi], paymentAt[pi]]);
  }
  for (const c of credit) {
    const p = payments[c.payment];
    const by = p.kind === 'cash' ? agentId : null;
    batch.add('creditDayEntries', [
      ++ids.credit,
      accountId,
      c.days,
      'payment',
      paymentIds[c.payment],
      by,
      formatUtcMinutes(c.expiresAt),
      paymentAt[c.payment],
      paymentAt[c.payment],
    ]);
  }
  for (const [from, to, reason, day, by] of history) {
    const at = day === startDay ? openedAt : instant(ctx, day, 21 * 60 + 30);
    batch.add('accountStatusHistories', [++ids.history, accountId, from, to, reason, by, at, dateOfDay(day), at, at]);
  }
  if (status === 'written_off' && closedDay !== null) {
    const at = instant(ctx, closedDay, 11 * 60);
    batch.add('writeoffs', [
      ++ids.writeoff,
      accountId,
      cents(writeoffAmount),
      'Over 180 days past due; customer unreachable',
      'approved',
      staff.backOffice,
      staff.finance,
      at,
      dateOfDay(closedDay),
      at,
      at,
    ]);
  }
}

/** Devices in stock (not sold), a few per batch, in the regions' warehouses. */
function generateStockDevice(ctx: Ctx, cat: Catalogue, staff: Staff, ids: Ids, batch: Batch): void {
  const product = ctx.rnd.weighted(cat.products.map((p) => [p, p.weight] as const));
  const region = ctx.rnd.pick(staff.regions);
  const deviceId = ++ids.device;
  const at = instant(ctx, ctx.asOfDay - ctx.rnd.int(0, 120), 10 * 60);
  batch.add('devices', [
    deviceId,
    `${product.serialPrefix}${String(deviceId).padStart(9, '0')}`,
    product.deviceModelId,
    product.id,
    region.warehouseId,
    'stored',
    ctx.sealKey?.() ?? null,
    ctx.rnd.int(100_000_000, 999_999_999),
    0,
    '2.0.1',
    null,
    null,
    at,
    at,
  ]);
}

/** Fills the database; see the file comment. */
export async function generateVolume(sequelize: Sequelize, options: VolumeOptions, onProgress?: (p: VolumeProgress) => void): Promise<VolumeReport> {
  const started = Date.now();
  const seed = options.seed ?? 1;
  const batchSize = Math.max(1, options.batch ?? 5000);
  const writers = Math.max(1, options.writers ?? 2);
  const months = options.months ?? 18;
  if (!Number.isInteger(options.accounts) || options.accounts < 1) throw new Error('accounts must be a positive integer');
  const mysql = dialect(sequelize).mysql;

  const [country] = await sequelize.query<{ id: number; code: string; currency: string; phoneCode: string; timezone: string; businessDate: unknown }>(
    'SELECT id, code, currency, phoneCode, timezone, businessDate FROM countries WHERE code = ?',
    { type: QueryTypes.SELECT, replacements: [options.country ?? 'KE'] },
  );
  if (!country) throw new Error(`country ${options.country ?? 'KE'} is not seeded: run npx sequelize-cli db:seed:all first`);
  const asOf = options.asOf ?? asDateString(country.businessDate) ?? localDate(new Date(), country.timezone);
  const asOfDay = dayOf(asOf);
  const holidayRows = await sequelize.query<{ date: unknown }>('SELECT date FROM holidays WHERE countryId = ? AND isActive = ?', {
    type: QueryTypes.SELECT,
    replacements: [country.id, true],
  });
  const ctx: Ctx = {
    sequelize,
    mysql,
    rnd: new Random(seed),
    asOf,
    asOfDay,
    offsetMin: zoneOffsetMinutes(country.timezone, new Date(`${asOf}T12:00:00Z`)),
    country: { id: Number(country.id), code: country.code, currency: country.currency, phoneCode: country.phoneCode },
    holidays: new Set(holidayRows.map((h) => dayOf(asDateString(h.date)!))),
    stamp: '',
  };
  ctx.stamp = instant(ctx, asOfDay, 1 * 60);
  if (options.dataEncryptionKey) ctx.sealKey = deviceKeySealer(options.dataEncryptionKey, new Random(seed ^ 0x6b657973));

  const cat = await ensureCatalogue(ctx);
  const staff = await ensureStaff(ctx, options.accounts);
  const payTypes = await paymentTypeIds(ctx);
  const ids = {} as Ids;
  for (const [key, table] of Object.entries(ID_TABLES)) ids[key as keyof Ids] = await maxId(sequelize, table);
  const startIds = { ...ids };
  const firstAccount = ids.account + 1;
  const sequences = { account: await openSequence(ctx, 'account'), receipt: await openSequence(ctx, 'receipt') };
  const customers: { id: number; regionIndex: number; phone: string }[] = [];
  const rows: Record<string, number> = {};
  let totalRows = 0;
  let done = 0;
  const progress = () => onProgress?.({ accountsDone: done, accountsTotal: options.accounts, rowsWritten: totalRows, elapsedMs: Date.now() - started });
  progress();

  // Generating a batch (CPU here) overlaps with writing earlier ones, on `writers` connections
  // at once (each INSERT runs on one database thread). Batches touch disjoint rows; an account
  // reuses only customers of batches that have committed by the time its own batch writes.
  const inFlight: Promise<void>[] = [];
  const customersAtBatchStart: number[] = [];
  for (let generated = 0, b = 0; generated < options.accounts; b++) {
    const size = Math.min(batchSize, options.accounts - generated);
    generated += size;
    customersAtBatchStart.push(customers.length);
    const committed = b - writers + 1;
    const batch = new Batch(sequences, committed >= 0 ? customersAtBatchStart[committed] : 0);
    for (let i = 0; i < size; i++) {
      generateAccount(ctx, cat, staff, payTypes, ids, batch, customers, months);
      if (ctx.rnd.chance(0.03)) generateStockDevice(ctx, cat, staff, ids, batch);
      // Yield now and then, so the batches being written keep flowing while this one is built.
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    if (inFlight.length >= writers) await inFlight.shift();
    const writing = flushBatch(ctx, batch, { account: sequences.account.next, receipt: sequences.receipt.next }, options).then((counts) => {
      for (const [t, c] of Object.entries(counts)) {
        rows[t] = (rows[t] ?? 0) + c;
        totalRows += c;
      }
      done += size;
      progress();
    });
    // A failure surfaces when the batch is awaited; until then it must not count as unhandled.
    writing.catch(() => undefined);
    inFlight.push(writing);
  }
  await Promise.all(inFlight);
  const idRanges: Record<string, [number, number]> = {};
  for (const [key, table] of Object.entries(ID_TABLES)) {
    const k = key as keyof Ids;
    if (ids[k] > startIds[k]) idRanges[table] = [startIds[k] + 1, ids[k]];
  }
  return { seed, asOf, accounts: options.accounts, rows, totalRows, elapsedMs: Date.now() - started, accountIds: [firstAccount, ids.account], idRanges };
}

/**
 * Checks the invariants the generator promises, over a range of account ids (all when omitted):
 * returns one line per kind of violation (empty when all hold).
 */
export async function checkVolumeConsistency(sequelize: Sequelize, accountIds?: [number, number]): Promise<string[]> {
  const range = accountIds ? { lo: accountIds[0], hi: accountIds[1] } : { lo: 0, hi: Number.MAX_SAFE_INTEGER };
  const floor = (x: string) => (dialect(sequelize).mysql ? `FLOOR(${x})` : `CAST(${x} AS INTEGER)`);
  const checks: [string, string][] = [
    [
      'accounts whose credit days for payments are not floor(total paid / dailyRate)',
      `SELECT COUNT(*) AS n FROM accounts a JOIN payplans pp ON pp.id = a.payplanId
         LEFT JOIN (SELECT accountId, SUM(amount) AS paid FROM payments WHERE status = 'completed' AND accountId BETWEEN :lo AND :hi GROUP BY accountId) p ON p.accountId = a.id
         LEFT JOIN (SELECT accountId, SUM(days) AS days FROM creditDayEntries WHERE reason IN ('payment', 'reversal') AND accountId BETWEEN :lo AND :hi GROUP BY accountId) c ON c.accountId = a.id
       WHERE a.id BETWEEN :lo AND :hi AND pp.dailyRate > 0 AND COALESCE(c.days, 0) <> ${floor('COALESCE(p.paid, 0) / pp.dailyRate + 0.0000001')}`,
    ],
    [
      "accounts whose creditExpiresAt is not their last credit entry's",
      `SELECT COUNT(*) AS n FROM accounts a LEFT JOIN (SELECT accountId, MAX(creditExpiresAt) AS e FROM creditDayEntries WHERE accountId BETWEEN :lo AND :hi GROUP BY accountId) c
         ON c.accountId = a.id WHERE a.id BETWEEN :lo AND :hi AND (a.creditExpiresAt <> c.e OR (a.creditExpiresAt IS NULL) <> (c.e IS NULL))`,
    ],
    [
      'accounts whose balance is not what their schedule still owes',
      `SELECT COUNT(*) AS n FROM accounts a JOIN (SELECT accountId, SUM(CASE WHEN status = 'waived' THEN 0 ELSE amount - paidAmount END) AS owed
         FROM installmentSchedules WHERE accountId BETWEEN :lo AND :hi GROUP BY accountId) s ON s.accountId = a.id WHERE ABS(a.balance - s.owed) > 0.001`,
    ],
    [
      'instalments whose paidAmount is not the sum of their allocations',
      `SELECT COUNT(*) AS n FROM (SELECT i.id, i.paidAmount, COALESCE(SUM(pa.amount), 0) AS paid FROM installmentSchedules i
         LEFT JOIN paymentAllocations pa ON pa.installmentScheduleId = i.id AND pa.reversedAt IS NULL
         WHERE i.accountId BETWEEN :lo AND :hi GROUP BY i.id, i.paidAmount) x WHERE ABS(x.paidAmount - x.paid) > 0.001`,
    ],
    [
      'payments whose amount is not the sum of their allocations',
      `SELECT COUNT(*) AS n FROM (SELECT p.id, p.amount, COALESCE(SUM(pa.amount), 0) AS s FROM payments p LEFT JOIN paymentAllocations pa ON pa.paymentId = p.id
         WHERE p.accountId BETWEEN :lo AND :hi AND p.status = 'completed' GROUP BY p.id, p.amount) x WHERE ABS(x.amount - x.s) > 0.001`,
    ],
    [
      'instalments marked paid but not fully paid, or fully paid but not marked paid',
      `SELECT COUNT(*) AS n FROM installmentSchedules WHERE accountId BETWEEN :lo AND :hi
         AND ((status = 'paid') <> (paidAmount >= amount) OR (status = 'paid' AND paidDate IS NULL))`,
    ],
    [
      'closed accounts with a balance, or active/suspended accounts without one',
      `SELECT COUNT(*) AS n FROM accounts WHERE id BETWEEN :lo AND :hi
         AND ((status = 'closed' AND balance <> 0) OR (status IN ('active', 'suspended') AND balance = 0))`,
    ],
    [
      'accounts whose totalPrice is not what their schedule adds up to',
      `SELECT COUNT(*) AS n FROM accounts a JOIN (SELECT accountId, SUM(amount) AS total FROM installmentSchedules WHERE accountId BETWEEN :lo AND :hi GROUP BY accountId) s
         ON s.accountId = a.id WHERE ABS(a.totalPrice - s.total) > 0.001`,
    ],
  ];
  // Differences above a tenth of a cent: exact on MySQL (DECIMAL), and SQLite sums money as floats.
  const problems: string[] = [];
  for (const [what, sql] of checks) {
    const [row] = await sequelize.query<{ n: number | string }>(sql, { type: QueryTypes.SELECT, replacements: range });
    const n = Number(row?.n ?? 0);
    if (n > 0) problems.push(`${n} ${what}`);
  }
  return problems;
}

/**
 * Every foreign key of the rows written (per table, ids within the ranges given): returns one
 * line per foreign key with dangling references (empty when all resolve). On SQLite the load
 * enforces foreign keys itself, and PRAGMA foreign_key_check covers the whole database.
 */
export async function checkForeignKeys(sequelize: Sequelize, idRanges: Record<string, [number, number]>): Promise<string[]> {
  const problems: string[] = [];
  if (dialect(sequelize).sqlite) {
    const rows = await sequelize.query<{ table: string; parent: string }>('PRAGMA foreign_key_check', { type: QueryTypes.SELECT });
    for (const r of rows) problems.push(`${r.table}: a row points at a missing ${r.parent} row`);
    return problems;
  }
  const tables = Object.keys(idRanges);
  if (!tables.length) return problems;
  const fks = await sequelize.query<{ t: string; c: string; rt: string; rc: string }>(
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, REFERENCED_TABLE_NAME AS rt, REFERENCED_COLUMN_NAME AS rc FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL AND TABLE_NAME IN (:tables) ORDER BY TABLE_NAME, COLUMN_NAME`,
    { type: QueryTypes.SELECT, replacements: { tables } },
  );
  for (const fk of fks) {
    const [lo, hi] = idRanges[fk.t];
    const [row] = await sequelize.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM \`${fk.t}\` x LEFT JOIN \`${fk.rt}\` r ON r.\`${fk.rc}\` = x.\`${fk.c}\`
        WHERE x.id BETWEEN :lo AND :hi AND x.\`${fk.c}\` IS NOT NULL AND r.\`${fk.rc}\` IS NULL`,
      { type: QueryTypes.SELECT, replacements: { lo, hi } },
    );
    const n = Number(row?.n ?? 0);
    if (n > 0) problems.push(`${n} ${fk.t}.${fk.c} values point at no ${fk.rt} row`);
  }
  return problems;
}
