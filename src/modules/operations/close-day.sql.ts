import type { Sequelize } from 'sequelize';
import { isMysql } from '../../platform/db/sequelize';

/**
 * The set-based statements of the nightly close, written once for MySQL/MariaDB and SQLite (demo).
 * They implement, for many accounts at a time, exactly what src/modules/accounts/arrears.ts and
 * nightly-step.ts do for one:
 *  - an instalment is overdue when it is due before the business date and not fully paid
 *    (status pending/partial -> overdue);
 *  - DPD = business date - due date of the oldest instalment that is due before the business date
 *    and still owes something (status pending/partial/overdue, amount > paidAmount); 0 without one;
 *  - PAR bucket: 0 current, 1-30, 31-60, 61-90, above 90 '90+'.
 * test/operations/arrears-sql.test.ts compares them with arrears.ts on random schedules.
 *
 * Every statement works on one chunk: accounts with ids in [:lo, :hi], in the country's regions
 * (:regions), whose nightly step for the business date (:bd) has not run yet (the guard below).
 * The guard is what makes a re-run (Bull is at-least-once) change nothing: the last statement of
 * the chunk sets lastNightlyBusinessDate = :bd in the same transaction.
 */
export interface Dialect {
  mysql: boolean;
  /** Whole days from a to b (b later: positive). */
  daysBetween(a: string, b: string): string;
  concat(...parts: string[]): string;
  forUpdate: string;
}

export function dialectOf(sequelize: Sequelize): Dialect {
  if (isMysql(sequelize)) {
    return { mysql: true, daysBetween: (a, b) => `DATEDIFF(${b}, ${a})`, concat: (...p) => `CONCAT(${p.join(', ')})`, forUpdate: 'FOR UPDATE' };
  }
  return {
    mysql: false,
    daysBetween: (a, b) => `CAST(julianday(${b}) - julianday(${a}) AS INTEGER)`,
    concat: (...p) => p.join(' || '),
    forUpdate: '',
  };
}

/** Rows the overdue flag changes per statement (MySQL; SQLite, the demo, does it in one). */
export const FLAG_BATCH = 20_000;

/** Accounts of the chunk still waiting for the step of business date :bd. */
export const CHUNK_ACCOUNTS = `id BETWEEN :lo AND :hi AND regionId IN (:regions)
  AND (lastNightlyBusinessDate IS NULL OR lastNightlyBusinessDate < :bd)`;

/** Instalments that count for DPD: due before :bd and owing something (arrears.ts outstanding > 0). */
export const UNPAID_PAST_DUE = `i.status IN ('pending', 'partial', 'overdue') AND i.amount > i.paidAmount AND i.dueDate < :bd`;

/** The PAR bucket of a DPD expression, as parBucket() in arrears.ts. */
export function bucketSql(dpd: string): string {
  return `CASE WHEN ${dpd} <= 0 THEN 'current' WHEN ${dpd} <= 30 THEN '1-30' WHEN ${dpd} <= 60 THEN '31-60' WHEN ${dpd} <= 90 THEN '61-90' ELSE '90+' END`;
}

export function closeStatements(d: Dialect) {
  return {
    /** Locks the chunk's waiting accounts first (the account row is always a money path's first lock). */
    lock: `SELECT id FROM accounts WHERE ${CHUNK_ACCOUNTS} ORDER BY id ${d.forUpdate}`,

    /**
     * (a) Due before the business date and not fully paid: overdue. Once per close for the whole
     * country, before the partitions, in batches: it reads the (status, dueDate) index, so only
     * the instalments that fell due since the last close, not every instalment of every account.
     * It needs no guard: at business date :bd such an instalment is overdue whoever looks at it
     * (the payment path's catch-up flags the same ones).
     */
    flagOverdue: `UPDATE installmentSchedules SET status = 'overdue', updatedAt = :now
      WHERE status IN ('pending', 'partial') AND dueDate < :bd
        AND accountId IN (SELECT id FROM accounts WHERE regionId IN (:regions))
      ${d.mysql ? `LIMIT ${FLAG_BATCH}` : ''}`,

    /** (b) DPD from the oldest unpaid instalment due before the business date. */
    daysPastDue: d.mysql
      ? // One pass over the chunk's instalments (a derived table), not one lookup per account.
        `UPDATE accounts a LEFT JOIN (
            SELECT i.accountId, MIN(i.dueDate) AS oldest FROM installmentSchedules i
             WHERE i.accountId BETWEEN :lo AND :hi AND ${UNPAID_PAST_DUE} GROUP BY i.accountId) o ON o.accountId = a.id
            SET a.daysPastDue = COALESCE(${d.daysBetween('o.oldest', ':bd')}, 0)
          WHERE a.id BETWEEN :lo AND :hi AND a.regionId IN (:regions)
            AND (a.lastNightlyBusinessDate IS NULL OR a.lastNightlyBusinessDate < :bd)`
      : `UPDATE accounts SET daysPastDue = COALESCE((
            SELECT ${d.daysBetween('MIN(i.dueDate)', ':bd')} FROM installmentSchedules i
             WHERE i.accountId = accounts.id AND ${UNPAID_PAST_DUE}), 0)
          WHERE ${CHUNK_ACCOUNTS}`,

    /**
     * (b) on MySQL when the chunk's instalments lie in a dense id range (they are written together
     * when an account opens): the same statement, reading that range of the clustered index in
     * order instead of looking each account's instalments up one by one (about twice as fast).
     * :ilo/:ihi are the chunk's MIN/MAX instalment ids, read after its accounts are locked, so the
     * extra condition never leaves out an instalment of a waiting account.
     */
    daysPastDueByIdRange: d.mysql
      ? `UPDATE accounts a LEFT JOIN (
            SELECT i.accountId, MIN(i.dueDate) AS oldest FROM installmentSchedules i FORCE INDEX (PRIMARY)
             WHERE i.id BETWEEN :ilo AND :ihi AND i.accountId BETWEEN :lo AND :hi AND ${UNPAID_PAST_DUE} GROUP BY i.accountId) o ON o.accountId = a.id
            SET a.daysPastDue = COALESCE(${d.daysBetween('o.oldest', ':bd')}, 0)
          WHERE a.id BETWEEN :lo AND :hi AND a.regionId IN (:regions)
            AND (a.lastNightlyBusinessDate IS NULL OR a.lastNightlyBusinessDate < :bd)`
      : null,
    /** The chunk's instalment id range, and how many instalments it holds. */
    installmentIdRange: `SELECT MIN(id) AS ilo, MAX(id) AS ihi, COUNT(*) AS n FROM installmentSchedules WHERE accountId BETWEEN :lo AND :hi`,

    /** (c) Active accounts past their plan's limit: the history row first, then the status. */
    suspensionHistory: `INSERT INTO accountStatusHistories (accountId, previousStatus, newStatus, reason, changedBy, changedAt, businessDate, createdAt, updatedAt)
      SELECT a.id, 'active', 'suspended',
             ${d.concat(`'nightly close: DPD '`, 'a.daysPastDue', `' beyond the plan''s '`, 'p.daysUntilSuspension', `' days'`)},
             NULL, :now, :bd, :now, :now
        FROM accounts a JOIN payplans p ON p.id = a.payplanId
       WHERE a.id BETWEEN :lo AND :hi AND a.regionId IN (:regions)
         AND (a.lastNightlyBusinessDate IS NULL OR a.lastNightlyBusinessDate < :bd)
         AND a.status = 'active' AND a.daysPastDue > p.daysUntilSuspension`,
    suspend: `UPDATE accounts SET status = 'suspended'
      WHERE ${CHUNK_ACCOUNTS} AND status = 'active'
        AND daysPastDue > (SELECT p.daysUntilSuspension FROM payplans p WHERE p.id = accounts.payplanId)`,

    /** (b) the bucket, and (d) the step is done for this business date. */
    finish: `UPDATE accounts SET parBucket = ${bucketSql('daysPastDue')}, lastNightlyBusinessDate = :bd, updatedAt = :now
      WHERE ${CHUNK_ACCOUNTS}`,
  };
}

/**
 * Affected rows of a raw statement run with QueryTypes.BULKUPDATE (a number) or QueryTypes.INSERT
 * ([insertId, affectedRows]), the same on MySQL and SQLite.
 */
export function affectedRows(result: unknown): number {
  if (typeof result === 'number') return result;
  if (Array.isArray(result) && typeof result[1] === 'number') return result[1];
  throw new Error(`unexpected result of a write statement: ${JSON.stringify(result)}`);
}
