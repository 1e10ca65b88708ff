import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import { dialect, type Dialect } from '../../platform/db/dialect';
import { affectedRows } from '../operations/close-day.sql';
import { countryPolicy, thresholdSql, type CountryPolicy } from './policy';

/**
 * The collections step of the nightly close (registered in collections/index.ts as a country step:
 * it runs after every account of the country has its DPD, status and balance of business date N,
 * in one transaction). Set-based SQL for MySQL/MariaDB and SQLite; nothing is loaded row by row.
 * In order:
 *  1. promises whose date has passed (promisedDate < N) are judged from the completed payments on
 *     the account with a business date from the day the promise was made to its date: kept (they
 *     cover it; the payment that completed the amount is linked), partly_kept, or broken;
 *  2. open cases of accounts that are current again (DPD 0) or out of the portfolio (not active
 *     nor suspended) close;
 *  3. an active or suspended account whose DPD reached the policy's openAtDpd (policy.ts) and has
 *     no open case gets one (the unique openAccountId makes a second impossible), opened with its
 *     agent when ASSIGNMENT_RULE allows and with its priority (newCasesSql);
 *  4. unassigned open cases are assigned (ASSIGNMENT_RULE);
 *  5. each open case's figures are refreshed: DPD, amount at risk (the balance), broken promises,
 *     status promise while a promise is open (in_progress once none is);
 *  6. escalation to repossession_review: DPD at the policy's escalateAtDpd, broken promises at
 *     escalateAfterBrokenPromises, or a repossession scheduled on the account;
 *  7. the priority score and band (priorityScoreSql, PRIORITY_BAND_SQL).
 * Steps 4-7 are computed together for every open case into a temporary table (figuresSql), then
 * one UPDATE writes the cases whose values change: a case is written at most once a night (each
 * write also fires its changeLog trigger), and statements find the country's cases from the open
 * ones (openAccountId) and their accounts by id, never by walking every account of the country.
 * Idempotent: a re-run of the same day finds nothing to judge, open, close, assign or escalate, and
 * no figure that changes, so it writes no row (the figures are derived and leave updatedAt alone).
 */
export const ASSIGNMENT_RULE =
  "The account's agent (accounts.agentId) when that employee is active, covers the account's region (employeeRegions) and " +
  "holds collections:write; otherwise the region's collections staff (active employees of the role 'collections' with the " +
  'region in employeeRegions), round robin by case id (case id modulo the number of staff, staff ordered by id). A region ' +
  'without staff leaves the case unassigned until it has some (each close tries again). A supervisor reassigns.';

export interface CollectionsNightlyCounts {
  promisesKept: number;
  promisesPartlyKept: number;
  promisesBroken: number;
  casesClosed: number;
  casesOpened: number;
  casesAssigned: number;
  casesEscalated: number;
  [key: string]: number;
}

/** Whole days since the last contact (or the opening, before any) to :bd, at most 60. */
function daysSinceContact(d: Dialect): string {
  const days = d.daysBetween(`COALESCE(${d.dateOf('lastContactAt')}, openedOn)`, ':bd');
  return `(CASE WHEN ${days} > 60 THEN 60 WHEN ${days} < 0 THEN 0 ELSE ${days} END)`;
}

/**
 * The worklist's priority score of a collectionCases row (higher first), from its columns:
 *   10 per day past due (at most 365 days) + 1 per 100 of amount at risk (at most 1,000)
 *   + 5 per day without contact (at most 60 days) + 100 per broken promise + 500 in repossession review.
 * `:bd` is the business date the days are counted to.
 */
export function priorityScoreSql(d: Dialect): string {
  const dpd = `(CASE WHEN daysPastDue > 365 THEN 365 ELSE daysPastDue END)`;
  const amount = `(CASE WHEN amountAtRisk >= 100000 THEN 1000 ELSE ${d.floor('amountAtRisk / 100')} END)`;
  return `(${dpd} * 10 + ${amount} + ${daysSinceContact(d)} * 5 + brokenPromises * 100 + CASE WHEN status = 'repossession_review' THEN 500 ELSE 0 END)`;
}

/** The priority band: urgent in review or beyond 60 DPD, high beyond 30 DPD or after a broken promise, normal beyond 7 DPD, else low. */
export const PRIORITY_BAND_SQL = `(CASE WHEN status = 'repossession_review' OR daysPastDue > 60 THEN 'urgent'
  WHEN daysPastDue > 30 OR brokenPromises > 0 THEN 'high' WHEN daysPastDue > 7 THEN 'normal' ELSE 'low' END)`;

/** An employee (alias `e`) who may work cases: active, not retired, with collections:write through their role. */
function mayWork(d: Dialect, e: string): string {
  return `${e}.isActive = ${d.mysql ? 'TRUE' : '1'} AND ${e}.deletedAt IS NULL
     AND EXISTS (SELECT 1 FROM rolePermissions rp JOIN permissions pm ON pm.id = rp.permissionId WHERE rp.roleId = ${e}.roleId AND pm.code = 'collections:write')`;
}

/**
 * The region's collections staff for case `c` of account `a` (ASSIGNMENT_RULE's round robin): the
 * staff of each region in id order, the case id modulo their number picking one; NULL in a region
 * without staff. Values bound as replacements.
 */
function roundRobinSql(staff: { regionId: number; employeeId: number }[], replacements: Record<string, unknown>): string {
  const byRegion = new Map<number, number[]>();
  for (const s of staff) byRegion.set(Number(s.regionId), [...(byRegion.get(Number(s.regionId)) ?? []), Number(s.employeeId)]);
  if (byRegion.size === 0) return 'NULL';
  const regions = [...byRegion].map(([regionId, ids], i) => {
    replacements[`rr${i}`] = regionId;
    replacements[`rr${i}n`] = ids.length;
    const picks = ids.map((id, k) => {
      replacements[`rr${i}s${k}`] = id;
      return `WHEN ${k} THEN :rr${i}s${k}`;
    });
    return `WHEN :rr${i} THEN (CASE c.id % :rr${i}n ${picks.join(' ')} END)`;
  });
  return `(CASE a.regionId ${regions.join(' ')} END)`;
}

/** Account `a`'s agent when ASSIGNMENT_RULE lets them work its case, else NULL. */
function agentSql(d: Dialect): string {
  return `(SELECT e.id FROM employees e WHERE e.id = a.agentId AND ${mayWork(d, 'e')}
      AND EXISTS (SELECT 1 FROM employeeRegions er WHERE er.employeeId = e.id AND er.regionId = a.regionId))`;
}

/**
 * Step 3's rows: a case for every account of the country at its plan's openAtDpd without an open
 * case, in account order (the order gives the ids the round robin uses), already assigned to the
 * account's agent when ASSIGNMENT_RULE allows and with the priority steps 4-7 would give it, so
 * the UPDATE of steps 4-7 writes a new case again only to give it a collector or escalate it.
 */
function newCasesSql(d: Dialect, openAt: string): string {
  const x = `SELECT a.id, ${agentSql(d)} AS assignedTo, 'open' AS status, :bd AS openedOn, NULL AS lastContactAt, a.daysPastDue,
        a.balance AS amountAtRisk, 0 AS brokenPromises
      FROM accounts a
     WHERE a.regionId IN (:regions) AND a.status IN ('active', 'suspended') AND a.daysPastDue > 0 AND a.daysPastDue >= ${openAt}
       AND NOT EXISTS (SELECT 1 FROM collectionCases c WHERE c.openAccountId = a.id)`;
  return `${d.insertIgnore} collectionCases (accountId, openAccountId, assignedTo, status, priority, openedOn, daysPastDueAtOpen, daysPastDue,
        amountAtRisk, brokenPromises, priorityScore, createdAt, updatedAt)
     SELECT id, id, assignedTo, status, ${PRIORITY_BAND_SQL}, openedOn, daysPastDue, daysPastDue, amountAtRisk, brokenPromises,
        ${priorityScoreSql(d)}, :now, :now
       FROM (${x}) x
      ORDER BY id`;
}

/** The temporary table of the open cases' new values (one connection's: the close's transaction). */
const FIGURES = 'collectionsNightlyFigures';
/** Its columns holding a case's new value of each column are named NEW + the column. */
const NEW = 'new';
/** The columns steps 4-7 write. */
const FIGURE_COLUMNS = [
  'assignedTo',
  'daysPastDue',
  'amountAtRisk',
  'brokenPromises',
  'status',
  'escalatedOn',
  'escalationReason',
  'priorityScore',
  'priority',
  'updatedAt',
] as const;

/**
 * Steps 4-7 for every open case of the country's regions as one SELECT, from the case as it is
 * (before any of them is written) and its account: the new value of each FIGURE_COLUMNS column
 * (NEW + name), and whether the case is assigned and escalated tonight (1 or 0). Layered so each
 * value is written once: r the inputs, m the verdicts, x the status; the outer SELECT applies the
 * worklist's formula (priorityScoreSql, PRIORITY_BAND_SQL) to x's columns, which carry the names
 * of collectionCases' own.
 */
function figuresSql(d: Dialect, parts: { roundRobin: string; escalateAt: string }): string {
  const agent = agentSql(d);
  const promises = (status: string) => `FROM promisesToPay p WHERE p.collectionCaseId = c.id AND p.status = '${status}'`;
  const r = `SELECT c.id AS caseId, c.status AS oldStatus, c.assignedTo AS oldAssignedTo, c.escalatedOn AS oldEscalatedOn,
        c.escalationReason AS oldEscalationReason, c.updatedAt AS oldUpdatedAt, c.lastContactAt, c.openedOn,
        a.daysPastDue, a.balance AS amountAtRisk,
        (SELECT COUNT(*) ${promises('broken')}) AS brokenPromises,
        CASE WHEN EXISTS (SELECT 1 ${promises('open')}) THEN 1 ELSE 0 END AS promised,
        CASE WHEN EXISTS (SELECT 1 FROM repossessions rp WHERE rp.accountId = c.accountId AND rp.status IN ('scheduled', 'assigned')) THEN 1 ELSE 0 END AS scheduled,
        ${parts.escalateAt} AS escalateAt,
        CASE WHEN c.assignedTo IS NULL THEN COALESCE(${agent}, ${parts.roundRobin}) END AS assignee
      FROM collectionCases c JOIN accounts a ON a.id = c.openAccountId
     WHERE c.openAccountId IS NOT NULL AND a.regionId IN (:regions)`;
  const m = `SELECT r.*,
        CASE WHEN r.oldStatus <> 'repossession_review' AND (r.daysPastDue >= r.escalateAt OR r.brokenPromises >= :brokenLimit OR r.scheduled = 1)
             THEN 1 ELSE 0 END AS escalated,
        CASE WHEN r.assignee IS NOT NULL THEN 1 ELSE 0 END AS assigned
      FROM (${r}) r`;
  const x = `SELECT m.*,
        CASE WHEN m.oldStatus = 'repossession_review' OR m.escalated = 1 THEN 'repossession_review'
             WHEN m.promised = 1 THEN 'promise' WHEN m.oldStatus = 'promise' THEN 'in_progress' ELSE m.oldStatus END AS status
      FROM (${m}) m`;
  const reason = `CASE WHEN scheduled = 1 THEN 'marked for repossession'
        WHEN daysPastDue >= escalateAt THEN ${d.concat(`'DPD '`, 'daysPastDue')}
        ELSE ${d.concat('brokenPromises', `' broken promises'`)} END`;
  const values: Record<(typeof FIGURE_COLUMNS)[number], string> = {
    assignedTo: 'COALESCE(oldAssignedTo, assignee)',
    daysPastDue: 'daysPastDue',
    amountAtRisk: 'amountAtRisk',
    brokenPromises: 'brokenPromises',
    status: 'status',
    escalatedOn: 'CASE WHEN escalated = 1 THEN :bd ELSE oldEscalatedOn END',
    escalationReason: `CASE WHEN escalated = 1 THEN ${reason} ELSE oldEscalationReason END`,
    priorityScore: priorityScoreSql(d),
    priority: PRIORITY_BAND_SQL,
    // Derived figures leave updatedAt alone; an assignment or an escalation is a change of the case.
    updatedAt: 'CASE WHEN assigned = 1 OR escalated = 1 THEN :now ELSE oldUpdatedAt END',
  };
  return `SELECT caseId, assigned, escalated, ${FIGURE_COLUMNS.map((c) => `${values[c]} AS ${NEW}${c}`).join(', ')} FROM (${x}) x`;
}

export async function runCollectionsNightly(
  sequelize: Sequelize,
  day: { countryId: number; businessDate: CalendarDate },
  t: Transaction,
): Promise<CollectionsNightlyCounts> {
  const d = dialect(sequelize);
  const regions = (
    await sequelize.query<{ id: number }>('SELECT id FROM companyRegions WHERE countryId = ? ORDER BY id', {
      replacements: [day.countryId],
      type: QueryTypes.SELECT,
      transaction: t,
    })
  ).map((r) => Number(r.id));
  const counts: CollectionsNightlyCounts = {
    promisesKept: 0,
    promisesPartlyKept: 0,
    promisesBroken: 0,
    casesClosed: 0,
    casesOpened: 0,
    casesAssigned: 0,
    casesEscalated: 0,
  };
  if (regions.length === 0) return counts;
  const policy = await countryPolicy(sequelize, day.countryId, t);
  const base = { bd: day.businessDate, now: new Date(), regions };
  const write = async (sql: string, replacements: Record<string, unknown> = {}) =>
    affectedRows(await sequelize.query(sql, { replacements: { ...base, ...replacements }, type: QueryTypes.UPDATE, transaction: t }));
  const insert = async (sql: string, replacements: Record<string, unknown> = {}) =>
    affectedRows(await sequelize.query(sql, { replacements: { ...base, ...replacements }, type: QueryTypes.INSERT, transaction: t }));

  // 1. Promises due: what was paid from the day each was made to its date, then the verdict.
  const window = (p: string) =>
    `${p}.accountId = promisesToPay.accountId AND ${p}.status = 'completed'
     AND ${p}.businessDate >= COALESCE(promisesToPay.promisedOn, ${d.dateOf('promisesToPay.createdAt')}) AND ${p}.businessDate <= promisesToPay.promisedDate`;
  const due = `promisesToPay.status = 'open' AND promisesToPay.promisedDate < :bd AND promisesToPay.accountId IN (SELECT id FROM accounts WHERE regionId IN (:regions))`;
  await write(`UPDATE promisesToPay SET paidAmount = (SELECT COALESCE(SUM(q.amount), 0) FROM payments q WHERE ${window('q')}) WHERE ${due}`);
  const judged = await sequelize.query<{ status: string; n: number }>(
    `SELECT CASE WHEN paidAmount >= promisedAmount THEN 'kept' WHEN paidAmount > 0 THEN 'partly_kept' ELSE 'broken' END AS status, COUNT(*) AS n
       FROM promisesToPay WHERE ${due} GROUP BY 1`,
    { replacements: base, type: QueryTypes.SELECT, transaction: t },
  );
  for (const j of judged) {
    if (j.status === 'kept') counts.promisesKept = Number(j.n);
    if (j.status === 'partly_kept') counts.promisesPartlyKept = Number(j.n);
    if (j.status === 'broken') counts.promisesBroken = Number(j.n);
  }
  // The payment that kept it: the first (by id) at which the running sum reaches the amount.
  await write(
    `UPDATE promisesToPay SET
        paymentId = CASE WHEN paidAmount >= promisedAmount THEN
          (SELECT MIN(q.id) FROM payments q WHERE ${window('q')}
              AND (SELECT SUM(r.amount) FROM payments r WHERE ${window('r')} AND r.id <= q.id) >= promisesToPay.promisedAmount)
          ELSE NULL END,
        status = CASE WHEN paidAmount >= promisedAmount THEN 'kept' WHEN paidAmount > 0 THEN 'partly_kept' ELSE 'broken' END,
        resolvedOn = :bd, updatedAt = :now
      WHERE ${due}`,
  );

  // 2. Cases whose account is current again or has left the portfolio.
  counts.casesClosed = await write(
    `UPDATE collectionCases SET status = 'closed', closedOn = :bd,
        resolution = (SELECT CASE WHEN a.status IN ('active', 'suspended') THEN 'account current' ELSE ${d.concat(`'account '`, 'a.status')} END
                        FROM accounts a WHERE a.id = collectionCases.accountId),
        openAccountId = NULL, updatedAt = :now
      WHERE openAccountId IN (SELECT id FROM accounts WHERE regionId IN (:regions) AND (daysPastDue = 0 OR status NOT IN ('active', 'suspended')))`,
  );

  // 3. New cases.
  const openRepl: Record<string, unknown> = {};
  const openAt = thresholdSql(policy, 'openAtDpd', 'a.payplanId', openRepl, 'open');
  const [before] = await sequelize.query<{ last: number | null }>('SELECT MAX(id) AS last FROM collectionCases', { type: QueryTypes.SELECT, transaction: t });
  const last = Number(before?.last ?? 0);
  counts.casesOpened = await insert(newCasesSql(d, openAt), openRepl);
  // Those given to the account's agent as they opened: the country's cases after `last` are this close's (only the close opens cases).
  const [agentAssigned] = await sequelize.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM collectionCases c JOIN accounts a ON a.id = c.openAccountId
      WHERE c.id > :last AND c.assignedTo IS NOT NULL AND a.regionId IN (:regions)`,
    { replacements: { ...base, last }, type: QueryTypes.SELECT, transaction: t },
  );

  // 4.-7. Assignment, figures, escalation and priority of every open case, computed once into a
  // temporary table (from the cases as they are now), then written by one UPDATE to the cases
  // whose values change: each case is written (and its changeLog trigger fires) at most once a night.
  const staff = await sequelize.query<{ regionId: number; employeeId: number }>(
    `SELECT er.regionId, e.id AS employeeId FROM employeeRegions er JOIN employees e ON e.id = er.employeeId JOIN roles r ON r.id = e.roleId
      WHERE er.regionId IN (:regions) AND r.name = 'collections' AND ${mayWork(d, 'e')}
      ORDER BY er.regionId, e.id`,
    { replacements: base, type: QueryTypes.SELECT, transaction: t },
  );
  const figRepl: Record<string, unknown> = { brokenLimit: policy.escalateAfterBrokenPromises };
  const figures = figuresSql(d, {
    roundRobin: roundRobinSql(staff, figRepl),
    escalateAt: thresholdSql(policy, 'escalateAtDpd', 'a.payplanId', figRepl, 'esc'),
  });
  const run = (sql: string) => sequelize.query(sql, { replacements: { ...base, ...figRepl }, transaction: t });
  for (const sql of d.createTemporaryTable(FIGURES, figures)) await run(sql);
  const [changes] = await sequelize.query<{ assigned: number | null; escalated: number | null }>(
    `SELECT SUM(assigned) AS assigned, SUM(escalated) AS escalated FROM ${FIGURES}`,
    { type: QueryTypes.SELECT, transaction: t },
  );
  counts.casesAssigned = Number(agentAssigned?.n ?? 0) + Number(changes?.assigned ?? 0);
  counts.casesEscalated = Number(changes?.escalated ?? 0);
  const set = FIGURE_COLUMNS.map((c) => `${c} = f.${NEW}${c}`).join(', ');
  const differs = FIGURE_COLUMNS.filter((c) => c !== 'updatedAt')
    .map((c) => (c === 'assignedTo' || c === 'escalatedOn' || c === 'escalationReason' ? d.differs(`c.${c}`, `f.${NEW}${c}`) : `c.${c} <> f.${NEW}${c}`))
    .join(' OR ');
  await write(d.updateFrom('collectionCases', 'c', `${FIGURES} f`, 'f.caseId = c.id', set, differs));
  await run(d.dropTemporaryTable(FIGURES));
  return counts;
}

export type { CountryPolicy };
