import { Op, QueryTypes, type Sequelize } from 'sequelize';
import { addDays, type CalendarDate } from '../../platform/dates';
import { dialect } from '../../platform/db/dialect';
import { withTransaction } from '../../platform/db/transaction';
import { Decimal, toMoneyString } from '../../platform/money';
import { ReportSnapshot } from './models';

/**
 * The portfolio snapshot the nightly close writes for the day it closes (C), per region of the
 * country and for the country (regionId NULL), replaced on a re-run.
 *
 * Definitions (docs/nightly-close.md):
 *  - accountsByStatus: every account of the region by status.
 *  - portfolio: accounts that are active or suspended (live contracts); outstandingBalance is the
 *    sum of their balances.
 *  - PAR<N> (N = 1, 30, 60, 90): outstanding balance of portfolio accounts with DPD > N over the
 *    whole outstanding balance (0 when nothing is outstanding); DPD as the close left it (as of
 *    C + 1, i.e. at the end of day C).
 *  - restructured (in metrics): the portfolio accounts ever restructured (accounts.restructuredAt
 *    set), apart: their count, outstanding balance and PAR<N> over their own outstanding balance
 *    (regulators and investors report restructured loans apart).
 *  - collectionRate: over the period = the first day of C's month to C (month to date), cash
 *    collected (completed payments with a business date in the period, minus what they paid
 *    on down payments, instalment 0) over the instalments due in the period (installmentNumber
 *    > 0, not waived); null when nothing fell due. Refunds are not netted off. Month to date is
 *    the sum of each day's figures as that day's close saw them (previous snapshot + day C), so
 *    a payment reversed on a later day still counts on the day it was collected.
 */
export interface SnapshotTarget {
  countryId: number;
  closedDate: CalendarDate;
  regionIds: number[];
}

export const PAR_THRESHOLDS = [1, 30, 60, 90] as const;
const PORTFOLIO_STATUSES = new Set(['active', 'suspended']);

type ParFigures = Record<(typeof PAR_THRESHOLDS)[number], Decimal>;

interface RegionFigures {
  accountsByStatus: Record<string, number>;
  outstanding: Decimal;
  par: ParFigures;
  restructured: { accounts: number; outstanding: Decimal; par: ParFigures };
  collected: Decimal;
  due: Decimal;
}

function emptyFigures(): RegionFigures {
  return {
    accountsByStatus: {},
    outstanding: new Decimal(0),
    par: { 1: new Decimal(0), 30: new Decimal(0), 60: new Decimal(0), 90: new Decimal(0) },
    restructured: { accounts: 0, outstanding: new Decimal(0), par: { 1: new Decimal(0), 30: new Decimal(0), 60: new Decimal(0), 90: new Decimal(0) } },
    collected: new Decimal(0),
    due: new Decimal(0),
  };
}

function ratio(part: Decimal, whole: Decimal): string {
  if (whole.lessThanOrEqualTo(0)) return '0.0000';
  return Decimal.min(part.dividedBy(whole), new Decimal('999.9999')).toFixed(4);
}

export function periodOf(closedDate: CalendarDate): { from: CalendarDate; to: CalendarDate } {
  return { from: `${closedDate.slice(0, 8)}01`, to: closedDate };
}

/** Cash collected (down payments excluded) and instalments due, per region, over [from, to]. */
async function collections(
  sequelize: Sequelize,
  regions: number[],
  from: CalendarDate,
  to: CalendarDate,
): Promise<Map<number, { collected: Decimal; due: Decimal }>> {
  const out = new Map<number, { collected: Decimal; due: Decimal }>(regions.map((id) => [id, { collected: new Decimal(0), due: new Decimal(0) }]));
  const replacements = { regions, from, to };
  const collected = await sequelize.query<{ regionId: number; amount: string | null }>(
    `SELECT regionId, SUM(amount) AS amount FROM payments
      WHERE regionId IN (:regions) AND businessDate BETWEEN :from AND :to AND status = 'completed' GROUP BY regionId`,
    { replacements, type: QueryTypes.SELECT },
  );
  for (const r of collected) out.get(Number(r.regionId))!.collected = new Decimal(String(r.amount ?? 0));
  const downPayments = await sequelize.query<{ regionId: number; amount: string | null }>(
    `SELECT p.regionId, SUM(pa.amount) AS amount
       FROM payments p
       JOIN paymentAllocations pa ON pa.paymentId = p.id AND pa.allocationType = 'installment' AND pa.reversedAt IS NULL
       JOIN installmentSchedules i ON i.id = pa.installmentScheduleId AND i.installmentNumber = 0
      WHERE p.regionId IN (:regions) AND p.businessDate BETWEEN :from AND :to AND p.status = 'completed'
      GROUP BY p.regionId`,
    { replacements, type: QueryTypes.SELECT },
  );
  for (const r of downPayments) {
    const f = out.get(Number(r.regionId))!;
    f.collected = f.collected.minus(String(r.amount ?? 0));
  }
  const due = await sequelize.query<{ regionId: number; amount: string | null }>(
    `SELECT a.regionId, SUM(i.amount) AS amount
       FROM installmentSchedules i JOIN accounts a ON a.id = i.accountId
      WHERE i.status IN ('pending', 'partial', 'paid', 'overdue') AND i.dueDate BETWEEN :from AND :to
        AND i.installmentNumber > 0 AND a.regionId IN (:regions)
      GROUP BY a.regionId`,
    { replacements, type: QueryTypes.SELECT },
  );
  for (const r of due) out.get(Number(r.regionId))!.due = new Decimal(String(r.amount ?? 0));
  return out;
}

/** metrics.collected / metrics.due of the previous day's snapshots, when every region has one. */
async function previousMonthToDate(regions: number[], previousDay: CalendarDate): Promise<Map<number, { collected: Decimal; due: Decimal }> | undefined> {
  const rows = await ReportSnapshot.findAll({ where: { snapshotDate: previousDay, regionId: { [Op.in]: regions } }, attributes: ['regionId', 'metrics'] });
  const out = new Map<number, { collected: Decimal; due: Decimal }>();
  for (const r of rows) {
    const m = (typeof r.metrics === 'string' ? safeParse(r.metrics) : r.metrics) as Record<string, unknown> | null;
    if (typeof m?.collected !== 'string' || typeof m?.due !== 'string' || m.periodFrom !== `${previousDay.slice(0, 8)}01`) return undefined;
    out.set(Number(r.regionId), { collected: new Decimal(m.collected), due: new Decimal(m.due) });
  }
  return out.size === regions.length ? out : undefined;
}

/**
 * Reads the figures of every region of the country (set-based: a few GROUP BY queries). The
 * month-to-date collection figures are the previous day's snapshot plus day C's own (payments
 * and instalments of that one day), so a close reads one day of payments, not a month; the first
 * day of a month, or a day without the previous day's snapshots, reads the whole period.
 */
async function regionFigures(sequelize: Sequelize, target: SnapshotTarget): Promise<Map<number, RegionFigures & { dayCollected: Decimal; dayDue: Decimal }>> {
  const byRegion = new Map<number, RegionFigures & { dayCollected: Decimal; dayDue: Decimal }>(
    target.regionIds.map((id) => [id, { ...emptyFigures(), dayCollected: new Decimal(0), dayDue: new Decimal(0) }]),
  );
  if (target.regionIds.length === 0) return byRegion;
  const { from, to } = periodOf(target.closedDate);
  const parColumns = [
    ...PAR_THRESHOLDS.map((n) => `SUM(CASE WHEN daysPastDue > ${n} THEN balance ELSE 0 END) AS par${n}`),
    'SUM(CASE WHEN restructuredAt IS NOT NULL THEN 1 ELSE 0 END) AS rn',
    'SUM(CASE WHEN restructuredAt IS NOT NULL THEN balance ELSE 0 END) AS rbalance',
    ...PAR_THRESHOLDS.map((n) => `SUM(CASE WHEN restructuredAt IS NOT NULL AND daysPastDue > ${n} THEN balance ELSE 0 END) AS rpar${n}`),
  ].join(', ');
  // Every account of the country is read: in id order (one pass over the table) rather than
  // through the (regionId, status) index, which would fetch each row on its own (3x slower).
  const wholeTable = dialect(sequelize).mysql ? 'IGNORE INDEX (accounts_region_status)' : '';
  const accounts = await sequelize.query<Record<string, string | number | null>>(
    `SELECT regionId, status, COUNT(*) AS n, SUM(balance) AS balance, ${parColumns}
       FROM accounts ${wholeTable} WHERE regionId IN (:regions) GROUP BY regionId, status`,
    { replacements: { regions: target.regionIds }, type: QueryTypes.SELECT },
  );
  for (const r of accounts) {
    const f = byRegion.get(Number(r.regionId))!;
    const status = String(r.status);
    f.accountsByStatus[status] = Number(r.n);
    if (!PORTFOLIO_STATUSES.has(status)) continue;
    f.outstanding = f.outstanding.plus(String(r.balance ?? 0));
    for (const n of PAR_THRESHOLDS) f.par[n] = f.par[n].plus(String(r[`par${n}`] ?? 0));
    f.restructured.accounts += Number(r.rn ?? 0);
    f.restructured.outstanding = f.restructured.outstanding.plus(String(r.rbalance ?? 0));
    for (const n of PAR_THRESHOLDS) f.restructured.par[n] = f.restructured.par[n].plus(String(r[`rpar${n}`] ?? 0));
  }
  const day = await collections(sequelize, target.regionIds, to, to);
  const previous = from < to ? await previousMonthToDate(target.regionIds, addDays(to, -1)) : undefined;
  const month = from === to ? day : previous ? undefined : await collections(sequelize, target.regionIds, from, to);
  for (const [regionId, f] of byRegion) {
    const d = day.get(regionId)!;
    f.dayCollected = d.collected;
    f.dayDue = d.due;
    if (month) {
      f.collected = month.get(regionId)!.collected;
      f.due = month.get(regionId)!.due;
    } else {
      const p = previous!.get(regionId)!;
      f.collected = p.collected.plus(d.collected);
      f.due = p.due.plus(d.due);
    }
  }
  return byRegion;
}

interface SnapshotValues {
  accountsByStatus: Record<string, number>;
  outstandingBalance: string;
  par1: string;
  par30: string;
  par60: string;
  par90: string;
  collectionRate: string | null;
  metrics: Record<string, unknown>;
}

function valuesOf(f: RegionFigures & { dayCollected: Decimal; dayDue: Decimal }, closedDate: CalendarDate): SnapshotValues {
  const period = periodOf(closedDate);
  const accounts = Object.values(f.accountsByStatus).reduce((a, b) => a + b, 0);
  return {
    accountsByStatus: sortedKeys(f.accountsByStatus),
    outstandingBalance: toMoneyString(f.outstanding),
    par1: ratio(f.par[1], f.outstanding),
    par30: ratio(f.par[30], f.outstanding),
    par60: ratio(f.par[60], f.outstanding),
    par90: ratio(f.par[90], f.outstanding),
    collectionRate: f.due.greaterThan(0) ? ratio(f.collected, f.due) : null,
    metrics: {
      accounts,
      collected: toMoneyString(f.collected),
      due: toMoneyString(f.due),
      dayCollected: toMoneyString(f.dayCollected),
      dayDue: toMoneyString(f.dayDue),
      parBalances: Object.fromEntries(PAR_THRESHOLDS.map((n) => [`par${n}`, toMoneyString(f.par[n])])),
      restructured: {
        accounts: f.restructured.accounts,
        outstandingBalance: toMoneyString(f.restructured.outstanding),
        ...Object.fromEntries(PAR_THRESHOLDS.map((n) => [`par${n}`, ratio(f.restructured.par[n], f.restructured.outstanding)])),
      },
      periodFrom: period.from,
      periodTo: period.to,
    },
  };
}

function sortedKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

function canonical(value: unknown): string {
  const v = typeof value === 'string' ? safeParse(value) : value;
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function sameValues(row: ReportSnapshot, v: SnapshotValues): boolean {
  return (
    canonical(row.accountsByStatus) === canonical(v.accountsByStatus) &&
    canonical(row.metrics) === canonical(v.metrics) &&
    row.outstandingBalance === v.outstandingBalance &&
    row.par1 === v.par1 &&
    row.par30 === v.par30 &&
    row.par60 === v.par60 &&
    row.par90 === v.par90 &&
    (row.collectionRate ?? null) === v.collectionRate
  );
}

/**
 * Writes (or replaces) the snapshots of day C for the country: one row per region and the
 * country total. Serialised per country by the country row lock; a row whose figures did not
 * change is left alone (so a re-run changes nothing, updatedAt included).
 */
export async function snapshotPortfolio(sequelize: Sequelize, target: SnapshotTarget): Promise<Record<string, number>> {
  const figures = await regionFigures(sequelize, target);
  const total = { ...emptyFigures(), dayCollected: new Decimal(0), dayDue: new Decimal(0) };
  for (const f of figures.values()) {
    total.dayCollected = total.dayCollected.plus(f.dayCollected);
    total.dayDue = total.dayDue.plus(f.dayDue);
    for (const [s, n] of Object.entries(f.accountsByStatus)) total.accountsByStatus[s] = (total.accountsByStatus[s] ?? 0) + n;
    total.outstanding = total.outstanding.plus(f.outstanding);
    for (const n of PAR_THRESHOLDS) total.par[n] = total.par[n].plus(f.par[n]);
    total.restructured.accounts += f.restructured.accounts;
    total.restructured.outstanding = total.restructured.outstanding.plus(f.restructured.outstanding);
    for (const n of PAR_THRESHOLDS) total.restructured.par[n] = total.restructured.par[n].plus(f.restructured.par[n]);
    total.collected = total.collected.plus(f.collected);
    total.due = total.due.plus(f.due);
  }
  const wanted: { regionId: number | null; values: SnapshotValues }[] = [
    ...[...figures.entries()].map(([regionId, f]) => ({ regionId, values: valuesOf(f, target.closedDate) })),
    { regionId: null, values: valuesOf(total, target.closedDate) },
  ];
  return withTransaction(sequelize, async (t) => {
    await sequelize.query(`SELECT id FROM countries WHERE id = :id${dialect(sequelize).forUpdate}`, {
      replacements: { id: target.countryId },
      type: QueryTypes.SELECT,
      transaction: t,
    });
    const existing = await ReportSnapshot.findAll({
      where: {
        snapshotDate: target.closedDate,
        [Op.or]: [{ regionId: { [Op.in]: target.regionIds.length ? target.regionIds : [-1] } }, { regionId: null, countryId: target.countryId }],
      },
      transaction: t,
    });
    const byRegion = new Map(existing.map((r) => [r.regionId ?? null, r]));
    let written = 0;
    let unchanged = 0;
    for (const w of wanted) {
      const row = byRegion.get(w.regionId);
      if (row && sameValues(row, w.values)) {
        unchanged++;
        continue;
      }
      if (row) await row.update({ ...w.values, countryId: target.countryId }, { transaction: t });
      else await ReportSnapshot.create({ snapshotDate: target.closedDate, regionId: w.regionId, countryId: target.countryId, ...w.values }, { transaction: t });
      written++;
    }
    return { snapshots: written, snapshotsUnchanged: unchanged };
  });
}
