import { Op, type WhereOptions } from 'sequelize';
import type { RegionScope } from '../../platform/auth/principal';
import { inRegionScope } from '../../platform/auth/principal';
import type { CalendarDate } from '../../platform/dates';
import { problems } from '../../platform/http/problem';
import { CompanyRegion, Country } from '../organisation/models';
import { ReportSnapshot } from './models';
import { ACCOUNT_STATUSES } from '../accounts/models';

export interface PortfolioRow {
  snapshotDate: CalendarDate;
  level: 'region' | 'country';
  countryId: number | null;
  countryCode: string | null;
  regionId: number | null;
  regionCode: string | null;
  regionName: string | null;
  accounts: number;
  accountsByStatus: Record<string, number>;
  outstandingBalance: string;
  par1: string;
  par30: string;
  par60: string;
  par90: string;
  collectionRate: string | null;
  /** Restructured portfolio accounts, apart (null on snapshots written before schedule changes). */
  restructured: RestructuredFigures | null;
  collected: string | null;
  due: string | null;
  periodFrom: string | null;
  periodTo: string | null;
}

export interface RestructuredFigures {
  accounts: number;
  outstandingBalance: string;
  par1: string;
  par30: string;
  par60: string;
  par90: string;
}

function parsed(v: unknown): Record<string, unknown> {
  if (typeof v === 'string') {
    try {
      return JSON.parse(v) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return (v ?? {}) as Record<string, unknown>;
}

function rowOf(s: ReportSnapshot): PortfolioRow {
  const metrics = parsed(s.metrics);
  const byStatus = parsed(s.accountsByStatus) as Record<string, number>;
  return {
    snapshotDate: s.snapshotDate,
    level: s.regionId === null ? 'country' : 'region',
    countryId: s.countryId ?? null,
    countryCode: s.country?.code ?? null,
    regionId: s.regionId ?? null,
    regionCode: s.region?.code ?? null,
    regionName: s.region?.name ?? null,
    accounts: Object.values(byStatus).reduce((a, b) => a + Number(b), 0),
    accountsByStatus: byStatus,
    outstandingBalance: s.outstandingBalance,
    par1: s.par1,
    par30: s.par30,
    par60: s.par60,
    par90: s.par90,
    collectionRate: s.collectionRate ?? null,
    restructured: (metrics.restructured as RestructuredFigures | undefined) ?? null,
    collected: (metrics.collected as string | undefined) ?? null,
    due: (metrics.due as string | undefined) ?? null,
    periodFrom: (metrics.periodFrom as string | undefined) ?? null,
    periodTo: (metrics.periodTo as string | undefined) ?? null,
  };
}

/**
 * The portfolio report from the nightly snapshots. Region-scoped callers see their regions' rows
 * only (never country totals, which include other regions); another region is a 404. Without a
 * date, the latest snapshot date the caller can see.
 */
export async function portfolioReport(
  scope: RegionScope,
  query: { date?: CalendarDate; regionId?: number },
): Promise<{ date: CalendarDate | null; data: PortfolioRow[] }> {
  if (query.regionId !== undefined) {
    if (!inRegionScope(scope, query.regionId) || !(await CompanyRegion.findByPk(query.regionId, { attributes: ['id'] }))) throw problems.notFound('region');
  }
  let where: WhereOptions<ReportSnapshot>;
  if (query.regionId !== undefined) where = { regionId: query.regionId };
  else if (scope.all) where = {};
  else where = { regionId: { [Op.in]: scope.regionIds.length ? [...scope.regionIds] : [-1] } };
  let date = query.date;
  if (!date) {
    const latest = (await ReportSnapshot.max('snapshotDate', { where })) as string | Date | null;
    if (!latest) return { date: null, data: [] };
    date = typeof latest === 'string' ? latest.slice(0, 10) : latest.toISOString().slice(0, 10);
  }
  const rows = await ReportSnapshot.findAll({
    where: { ...where, snapshotDate: date } as WhereOptions<ReportSnapshot>,
    include: [
      { model: CompanyRegion, as: 'region', attributes: ['id', 'code', 'name'] },
      { model: Country, as: 'country', attributes: ['id', 'code'] },
    ],
    order: [
      ['countryId', 'ASC'],
      ['regionId', 'ASC'],
    ],
  });
  if (query.regionId !== undefined && rows.length === 0) throw problems.notFound('portfolio snapshot');
  return { date, data: rows.map(rowOf) };
}

const CSV_COLUMNS = [
  'snapshotDate',
  'level',
  'countryCode',
  'regionCode',
  'regionName',
  'accounts',
  ...ACCOUNT_STATUSES,
  'outstandingBalance',
  'par1',
  'par30',
  'par60',
  'par90',
  'collectionRate',
  'collected',
  'due',
  'periodFrom',
  'periodTo',
  'restructuredAccounts',
  'restructuredOutstanding',
  'restructuredPar30',
] as const;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  // Quoted when needed; a leading = + - @ is neutralised so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function portfolioCsv(rows: PortfolioRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    const record: Record<string, unknown> = { ...r };
    for (const s of ACCOUNT_STATUSES) record[s] = r.accountsByStatus[s] ?? 0;
    record.restructuredAccounts = r.restructured?.accounts;
    record.restructuredOutstanding = r.restructured?.outstandingBalance;
    record.restructuredPar30 = r.restructured?.par30;
    lines.push(CSV_COLUMNS.map((c) => csvCell(record[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
