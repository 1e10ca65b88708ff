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
 *     no open case gets one (the unique openAccountId makes a second impossible);
 *  4. unassigned open cases are assigned (ASSIGNMENT_RULE);
 *  5. each open case's figures are refreshed: DPD, amount at risk (the balance), broken promises,
 *     status promise while a promise is open (in_progress once none is);
 *  6. escalation to repossession_review: DPD at the policy's escalateAtDpd, broken promises at
 *     escalateAfterBrokenPromises, or a repossession scheduled on the account;
 *  7. the priority score and band (priority.ts).
 * Idempotent: a re-run of the same day finds nothing to judge, open, close, assign or escalate, and
 * writes the same figures (the figures of steps 5 and 7 are derived and leave updatedAt alone).
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

/** Open cases carry their account in openAccountId; closed ones null. */
export const OPEN_CASE = 'collectionCases.openAccountId IS NOT NULL';

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
  const countryAccounts = 'SELECT id FROM accounts WHERE regionId IN (:regions)';

  // 1. Promises due: what was paid from the day each was made to its date, then the verdict.
  const window = (p: string) =>
    `${p}.accountId = promisesToPay.accountId AND ${p}.status = 'completed'
     AND ${p}.businessDate >= COALESCE(promisesToPay.promisedOn, ${d.dateOf('promisesToPay.createdAt')}) AND ${p}.businessDate <= promisesToPay.promisedDate`;
  const due = `promisesToPay.status = 'open' AND promisesToPay.promisedDate < :bd AND promisesToPay.accountId IN (${countryAccounts})`;
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
  counts.casesOpened = await insert(
    `${d.insertIgnore} collectionCases (accountId, openAccountId, status, priority, openedOn, daysPastDueAtOpen, daysPastDue, amountAtRisk,
        brokenPromises, priorityScore, createdAt, updatedAt)
     SELECT a.id, a.id, 'open', 'normal', :bd, a.daysPastDue, a.daysPastDue, a.balance, 0, 0, :now, :now
       FROM accounts a
      WHERE a.regionId IN (:regions) AND a.status IN ('active', 'suspended') AND a.daysPastDue > 0 AND a.daysPastDue >= ${openAt}
        AND NOT EXISTS (SELECT 1 FROM collectionCases c WHERE c.openAccountId = a.id)
      ORDER BY a.id`,
    openRepl,
  );

  // 4. Assignment (ASSIGNMENT_RULE): the account's agent first...
  const mayWork = (e: string) =>
    `${e}.isActive = ${d.mysql ? 'TRUE' : '1'} AND ${e}.deletedAt IS NULL
     AND EXISTS (SELECT 1 FROM rolePermissions rp JOIN permissions pm ON pm.id = rp.permissionId WHERE rp.roleId = ${e}.roleId AND pm.code = 'collections:write')`;
  counts.casesAssigned = await write(
    `UPDATE collectionCases SET assignedTo = (SELECT a.agentId FROM accounts a WHERE a.id = collectionCases.accountId), updatedAt = :now
      WHERE assignedTo IS NULL AND openAccountId IN (
        SELECT a.id FROM accounts a JOIN employees e ON e.id = a.agentId
         WHERE a.regionId IN (:regions) AND ${mayWork('e')}
           AND EXISTS (SELECT 1 FROM employeeRegions er WHERE er.employeeId = e.id AND er.regionId = a.regionId))`,
  );
  // ...then the region's collections staff, round robin by case id.
  const staff = await sequelize.query<{ regionId: number; employeeId: number }>(
    `SELECT er.regionId, e.id AS employeeId FROM employeeRegions er JOIN employees e ON e.id = er.employeeId JOIN roles r ON r.id = e.roleId
      WHERE er.regionId IN (:regions) AND r.name = 'collections' AND ${mayWork('e')}
      ORDER BY er.regionId, e.id`,
    { replacements: base, type: QueryTypes.SELECT, transaction: t },
  );
  const byRegion = new Map<number, number[]>();
  for (const s of staff) byRegion.set(Number(s.regionId), [...(byRegion.get(Number(s.regionId)) ?? []), Number(s.employeeId)]);
  for (const [regionId, ids] of byRegion) {
    for (const [k, employeeId] of ids.entries()) {
      counts.casesAssigned += await write(
        `UPDATE collectionCases SET assignedTo = :employeeId, updatedAt = :now
          WHERE assignedTo IS NULL AND (id % :n) = :k AND openAccountId IN (SELECT id FROM accounts WHERE regionId = :regionId)`,
        { employeeId, n: ids.length, k, regionId },
      );
    }
  }

  // 5. Figures (derived: updatedAt is left alone, so a re-run writes nothing new).
  await write(
    `UPDATE collectionCases SET
        daysPastDue = (SELECT a.daysPastDue FROM accounts a WHERE a.id = collectionCases.accountId),
        amountAtRisk = (SELECT a.balance FROM accounts a WHERE a.id = collectionCases.accountId),
        brokenPromises = (SELECT COUNT(*) FROM promisesToPay p WHERE p.collectionCaseId = collectionCases.id AND p.status = 'broken'),
        status = CASE WHEN status = 'repossession_review' THEN status
                      WHEN EXISTS (SELECT 1 FROM promisesToPay p WHERE p.collectionCaseId = collectionCases.id AND p.status = 'open') THEN 'promise'
                      WHEN status = 'promise' THEN 'in_progress' ELSE status END
      WHERE ${OPEN_CASE} AND openAccountId IN (${countryAccounts})`,
  );

  // 6. Escalation to repossession review.
  const escRepl: Record<string, unknown> = { brokenLimit: policy.escalateAfterBrokenPromises };
  const escAt = thresholdSql(policy, 'escalateAtDpd', '(SELECT a.payplanId FROM accounts a WHERE a.id = collectionCases.accountId)', escRepl, 'esc');
  const scheduled = `EXISTS (SELECT 1 FROM repossessions r WHERE r.accountId = collectionCases.accountId AND r.status IN ('scheduled', 'assigned'))`;
  counts.casesEscalated = await write(
    `UPDATE collectionCases SET status = 'repossession_review', escalatedOn = :bd,
        escalationReason = CASE WHEN ${scheduled} THEN 'marked for repossession'
                                WHEN daysPastDue >= ${escAt} THEN ${d.concat(`'DPD '`, 'daysPastDue')}
                                ELSE ${d.concat('brokenPromises', `' broken promises'`)} END,
        updatedAt = :now
      WHERE ${OPEN_CASE} AND status <> 'repossession_review' AND openAccountId IN (${countryAccounts})
        AND (daysPastDue >= ${escAt} OR brokenPromises >= :brokenLimit OR ${scheduled})`,
    escRepl,
  );

  // 7. Priority.
  await write(
    `UPDATE collectionCases SET priorityScore = ${priorityScoreSql(d)}, priority = ${PRIORITY_BAND_SQL}
      WHERE ${OPEN_CASE} AND openAccountId IN (${countryAccounts})`,
  );
  return counts;
}

export type { CountryPolicy };
