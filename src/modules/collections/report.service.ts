import { QueryTypes, type Sequelize } from 'sequelize';
import type { RegionScope } from '../../platform/auth/principal';
import { inRegionScope } from '../../platform/auth/principal';
import { addDays, type CalendarDate } from '../../platform/dates';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString } from '../../platform/money';

export interface CollectionsReportQuery {
  from?: CalendarDate;
  to?: CalendarDate;
  regionId?: number;
}

interface Performance {
  cases: number;
  casesOpened: number;
  casesClosed: number;
  contacts: number;
  visits: number;
  promisesMade: number;
  promisesKept: number;
  promisesPartlyKept: number;
  promisesBroken: number;
  amountRecovered: string;
}

const empty = (): Performance => ({
  cases: 0,
  casesOpened: 0,
  casesClosed: 0,
  contacts: 0,
  visits: 0,
  promisesMade: 0,
  promisesKept: 0,
  promisesPartlyKept: 0,
  promisesBroken: 0,
  amountRecovered: '0.00',
});

/** The longest period one report covers. */
export const MAX_REPORT_DAYS = 366;

/**
 * Collections performance over a period [from, to] (business dates; activities by their UTC date),
 * per collector and per region (the account's region), in the caller's regions:
 *  - cases: cases open at some point of the period (assigned to the collector); casesOpened,
 *    casesClosed: opened or closed in it;
 *  - contacts: calls, SMS and visits the collector performed (visits: of them, the visits);
 *  - promisesMade: promises the collector recorded in the period; promisesKept, promisesPartlyKept,
 *    promisesBroken: promises they recorded that the nightly close judged in the period;
 *  - amountRecovered: completed payments with a business date in the period on an account while its
 *    case was open (from its opening day until the day before it closed), to the case's assignee.
 * Default period: the month to date of `today`.
 */
export async function collectionsReport(sequelize: Sequelize, scope: RegionScope, q: CollectionsReportQuery, today: CalendarDate) {
  const to = q.to ?? today;
  const from = q.from ?? `${to.slice(0, 8)}01`;
  if (from > to)
    throw problems.unprocessable('from is after to.', 'report-period', { errors: [{ field: 'from', in: 'query', message: 'must not be after to' }] });
  if (addDays(from, MAX_REPORT_DAYS) <= to) {
    throw problems.unprocessable(`A report covers at most ${MAX_REPORT_DAYS} days.`, 'report-period', {
      errors: [{ field: 'from', in: 'query', message: `must be within ${MAX_REPORT_DAYS} days of to` }],
    });
  }
  if (q.regionId !== undefined && !inRegionScope(scope, q.regionId)) throw problems.notFound('region');
  const regions = q.regionId !== undefined ? [q.regionId] : scope.all ? null : [...scope.regionIds];
  if (regions !== null && regions.length === 0) return { from, to, collectors: [], regions: [] };
  const inRegions = regions === null ? '1 = 1' : 'a.regionId IN (:regions)';
  const replacements = { from, to, fromTs: new Date(`${from}T00:00:00Z`), toTs: new Date(`${addDays(to, 1)}T00:00:00Z`), regions: regions ?? [0] };

  const run = async (select: string, key: string, fromWhere: string) =>
    sequelize.query<Record<string, unknown> & { k: number | null }>(`SELECT ${key} AS k, ${select} ${fromWhere} GROUP BY ${key}`, {
      replacements,
      type: QueryTypes.SELECT,
    });
  const casesFrom = `FROM collectionCases c JOIN accounts a ON a.id = c.accountId
    WHERE ${inRegions} AND c.openedOn <= :to AND (c.closedOn IS NULL OR c.closedOn >= :from)`;
  const casesSelect = `COUNT(*) AS cases, SUM(CASE WHEN c.openedOn >= :from THEN 1 ELSE 0 END) AS casesOpened,
    SUM(CASE WHEN c.closedOn IS NOT NULL AND c.closedOn <= :to THEN 1 ELSE 0 END) AS casesClosed`;
  const contactsFrom = `FROM collectionActivities x JOIN collectionCases c ON c.id = x.collectionCaseId JOIN accounts a ON a.id = c.accountId
    WHERE ${inRegions} AND x.activityType <> 'note' AND x.performedAt >= :fromTs AND x.performedAt < :toTs`;
  const contactsSelect = `COUNT(*) AS contacts, SUM(CASE WHEN x.activityType = 'visit' THEN 1 ELSE 0 END) AS visits`;
  const madeFrom = `FROM promisesToPay p JOIN accounts a ON a.id = p.accountId WHERE ${inRegions} AND p.promisedOn BETWEEN :from AND :to`;
  const judgedFrom = `FROM promisesToPay p JOIN accounts a ON a.id = p.accountId WHERE ${inRegions} AND p.resolvedOn BETWEEN :from AND :to`;
  const judgedSelect = `SUM(CASE WHEN p.status = 'kept' THEN 1 ELSE 0 END) AS promisesKept,
    SUM(CASE WHEN p.status = 'partly_kept' THEN 1 ELSE 0 END) AS promisesPartlyKept, SUM(CASE WHEN p.status = 'broken' THEN 1 ELSE 0 END) AS promisesBroken`;
  const recoveredFrom = `FROM payments q JOIN collectionCases c ON c.accountId = q.accountId AND q.businessDate >= c.openedOn
      AND (c.closedOn IS NULL OR q.businessDate < c.closedOn)
    JOIN accounts a ON a.id = q.accountId
    WHERE ${inRegions} AND q.status = 'completed' AND q.businessDate BETWEEN :from AND :to`;

  const build = async (keys: { cases: string; contacts: string; promises: string; recovered: string }) => {
    const out = new Map<number | null, Performance>();
    const at = (k: unknown) => {
      const key = k === null || k === undefined ? null : Number(k);
      let row = out.get(key);
      if (!row) out.set(key, (row = empty()));
      return row;
    };
    const n = (v: unknown) => Number(v ?? 0);
    for (const r of await run(casesSelect, keys.cases, casesFrom))
      Object.assign(at(r.k), { cases: n(r.cases), casesOpened: n(r.casesOpened), casesClosed: n(r.casesClosed) });
    for (const r of await run(contactsSelect, keys.contacts, contactsFrom)) Object.assign(at(r.k), { contacts: n(r.contacts), visits: n(r.visits) });
    for (const r of await run('COUNT(*) AS made', keys.promises, madeFrom)) at(r.k).promisesMade = n(r.made);
    for (const r of await run(judgedSelect, keys.promises, judgedFrom)) {
      Object.assign(at(r.k), { promisesKept: n(r.promisesKept), promisesPartlyKept: n(r.promisesPartlyKept), promisesBroken: n(r.promisesBroken) });
    }
    for (const r of await run('SUM(q.amount) AS recovered', keys.recovered, recoveredFrom)) {
      at(r.k).amountRecovered = toMoneyString(new Decimal(String(r.recovered ?? '0')));
    }
    return out;
  };

  const byCollector = await build({ cases: 'c.assignedTo', contacts: 'x.performedBy', promises: 'p.createdBy', recovered: 'c.assignedTo' });
  const byRegion = await build({ cases: 'a.regionId', contacts: 'a.regionId', promises: 'a.regionId', recovered: 'a.regionId' });

  const employeeIds = [...byCollector.keys()].filter((k): k is number => k !== null);
  const names = new Map<number, string>();
  if (employeeIds.length) {
    const rows = await sequelize.query<{ id: number; firstName: string; lastName: string }>(
      'SELECT id, firstName, lastName FROM employees WHERE id IN (:ids)',
      {
        replacements: { ids: employeeIds },
        type: QueryTypes.SELECT,
      },
    );
    for (const e of rows) names.set(Number(e.id), `${e.firstName} ${e.lastName}`);
  }
  const regionIds = [...byRegion.keys()].filter((k): k is number => k !== null);
  const regionNames = new Map<number, string>();
  if (regionIds.length) {
    const rows = await sequelize.query<{ id: number; name: string }>('SELECT id, name FROM companyRegions WHERE id IN (:ids)', {
      replacements: { ids: regionIds },
      type: QueryTypes.SELECT,
    });
    for (const r of rows) regionNames.set(Number(r.id), r.name);
  }
  const order = (a: number | null, b: number | null) => (a ?? 0) - (b ?? 0);
  return {
    from,
    to,
    collectors: [...byCollector.entries()]
      .sort(([a], [b]) => order(a, b))
      .map(([employeeId, p]) => ({ employeeId, employeeName: employeeId === null ? null : (names.get(employeeId) ?? null), ...p })),
    regions: [...byRegion.entries()]
      .filter((e): e is [number, Performance] => e[0] !== null)
      .sort(([a], [b]) => a - b)
      .map(([regionId, p]) => ({ regionId, regionName: regionNames.get(regionId) ?? '', ...p })),
  };
}
