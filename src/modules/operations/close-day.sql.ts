import type { Dialect } from '../../platform/db/dialect';

/**
 * The set-based statements of the nightly close, written once for MySQL/MariaDB and SQLite (demo).
 * They implement, for many accounts at a time, exactly what src/modules/accounts/arrears.ts and
 * nightly-step.ts do for one:
 *  - an instalment is overdue when it is due before the business date and not fully paid
 *    (status pending/partial -> overdue);
 *  - DPD = business date - due date of the oldest instalment that is due before the business date
 *    and still owes something (status pending/partial/overdue, amount > paidAmount); 0 without one;
 *  - PAR bucket: 0 current, 1-30, 31-60, 61-90, above 90 '90+';
 *  - a pending account (down payment unpaid: no loan yet) carries no arrears: DPD 0, current
 *    (carriesArrears); its instalments are flagged like any other.
 * test/operations/arrears-sql.test.ts compares them with arrears.ts on random schedules.
 *
 * Every statement works on one chunk: accounts with ids in [:lo, :hi], in the country's regions
 * (:regions), whose nightly step for the business date (:bd) has not run yet (the guard below).
 * The guard is what makes a re-run (Bull is at-least-once) change nothing: the settle statement
 * sets lastNightlyBusinessDate = :bd in the chunk's transaction.
 */
/** Rows the overdue flag changes per statement (MySQL; SQLite, the demo, does it in one). */
export const FLAG_BATCH = 20_000;

/** Accounts of the chunk still waiting for the step of business date :bd. */
export const CHUNK_ACCOUNTS = `id BETWEEN :lo AND :hi AND regionId IN (:regions)
  AND (lastNightlyBusinessDate IS NULL OR lastNightlyBusinessDate < :bd)`;

/** Instalments that count for DPD: due before :bd and owing something (arrears.ts outstanding > 0). */
export const UNPAID_PAST_DUE = `i.status IN ('pending', 'partial', 'overdue') AND i.amount > i.paidAmount AND i.dueDate < :bd`;

/** The same on MySQL/MariaDB, by status alone (the CHECK installmentSchedules_unpaid_owes). */
export const UNPAID_PAST_DUE_BY_STATUS = `i.status IN ('pending', 'partial', 'overdue') AND i.dueDate < :bd`;

/** The PAR bucket of a DPD expression, as parBucket() in arrears.ts. */
export function bucketSql(dpd: string): string {
  return `CASE WHEN ${dpd} <= 0 THEN 'current' WHEN ${dpd} <= 30 THEN '1-30' WHEN ${dpd} <= 60 THEN '31-60' WHEN ${dpd} <= 90 THEN '61-90' ELSE '90+' END`;
}

/** The account's payplan's daysUntilSuspension. */
const SUSPENSION_LIMIT = (account: string) => `(SELECT p.daysUntilSuspension FROM payplans p WHERE p.id = ${account}.payplanId)`;

/** DPD as of :bd from the oldest unpaid due date (o.oldest, NULL without one). */
function dpdOf(d: Dialect, oldest: string): string {
  return `COALESCE(${d.daysBetween(oldest, ':bd')}, 0)`;
}

/**
 * The account's DPD (accountDaysPastDue in arrears.ts): dpdOf, 0 while pending. The settle
 * changes status only from active, so a pending account is pending before and after it.
 */
export function accountDpdSql(status: string, dpd: string): string {
  return `CASE WHEN ${status} = 'pending' THEN 0 ELSE ${dpd} END`;
}

export function closeStatements(d: Dialect) {
  /** The chunk's oldest unpaid due date per account (SQLite: per account, correlated). */
  const oldestSqlite = `(SELECT MIN(i.dueDate) FROM installmentSchedules i WHERE i.accountId = accounts.id AND ${UNPAID_PAST_DUE})`;
  return {
    /**
     * Locks the chunk's waiting accounts first (the account row is always a money path's first
     * lock) and tells which were active: the ones step (c) may suspend.
     */
    lock: `SELECT id, status FROM accounts WHERE ${CHUNK_ACCOUNTS} ORDER BY id${d.forUpdate}`,

    /**
     * (a) Due before the business date and not fully paid: overdue. Once per partition (id range
     * :fromId-:toId), before its chunks, in batches: it reads the (status, dueDate) prefix of the
     * index, so only the instalments that fell due since the last close, not every instalment of
     * every account. Per partition rather than per chunk: each statement walks the whole due range
     * (measured: per chunk about 4x the cost of one pass), while partitions run side by side.
     * It needs no guard: at business date :bd such an instalment is overdue whoever looks at it
     * (the payment path's catch-up flags the same ones), and DPD does not depend on it (pending,
     * partial and overdue instalments count alike).
     */
    flagOverdue: d.mysql
      ? // The ids come from the (status, dueDate, accountId) index alone (the derived table: no
        // instalment row is read to filter by account range, 5x faster than the plain UPDATE);
        // the UPDATE re-checks the status on the row it locks (a payment may have come between).
        `UPDATE installmentSchedules i JOIN (
            SELECT x.id FROM installmentSchedules x FORCE INDEX (installmentSchedules_status_due_account)
              JOIN accounts a ON a.id = x.accountId AND a.regionId IN (:regions)
             WHERE x.status IN ('pending', 'partial') AND x.dueDate < :bd AND x.accountId BETWEEN :fromId AND :toId
             LIMIT ${FLAG_BATCH}) f ON f.id = i.id
          SET i.status = 'overdue', i.updatedAt = :now
        WHERE i.status IN ('pending', 'partial') AND i.dueDate < :bd`
      : `UPDATE installmentSchedules SET status = 'overdue', updatedAt = :now
        WHERE status IN ('pending', 'partial') AND dueDate < :bd AND accountId BETWEEN :fromId AND :toId
          AND accountId IN (SELECT id FROM accounts WHERE regionId IN (:regions))`,

    /**
     * (b) DPD and PAR bucket (none while pending), (c) suspension of active accounts beyond their plan's limit and
     * (d) the step is done: one write of each waiting account of the chunk. On MySQL the oldest
     * unpaid due dates come from the (status, dueDate, accountId) index alone: the CHECK
     * installmentSchedules_unpaid_owes makes the status say what amount > paidAmount says, so no
     * instalment row is read (an UPDATE's derived table gets no index condition pushdown: with
     * the amounts in the condition it read every past-due row, 25x slower). The past-due range
     * is walked once per chunk, so chunks are large (10,000 accounts by default).
     */
    settle: d.mysql
      ? // accounts drives (LEFT JOIN), by id range: joined to payplans instead, the optimizer may
        // walk accounts by plan and lock rows of other chunks (deadlocks between partitions).
        `UPDATE accounts a LEFT JOIN (
            SELECT i.accountId, MIN(i.dueDate) AS oldest FROM installmentSchedules i FORCE INDEX (installmentSchedules_status_due_account)
             WHERE ${UNPAID_PAST_DUE_BY_STATUS} AND i.accountId BETWEEN :lo AND :hi GROUP BY i.accountId) o ON o.accountId = a.id
          SET a.daysPastDue = ${accountDpdSql('a.status', dpdOf(d, 'o.oldest'))},
              a.parBucket = ${bucketSql(accountDpdSql('a.status', dpdOf(d, 'o.oldest')))},
              a.status = CASE WHEN a.status = 'active' AND o.oldest IS NOT NULL AND ${dpdOf(d, 'o.oldest')} > ${SUSPENSION_LIMIT('a')} THEN 'suspended' ELSE a.status END,
              a.lastNightlyBusinessDate = :bd, a.updatedAt = :now
        WHERE a.id BETWEEN :lo AND :hi AND a.regionId IN (:regions)
          AND (a.lastNightlyBusinessDate IS NULL OR a.lastNightlyBusinessDate < :bd)`
      : `UPDATE accounts SET daysPastDue = ${accountDpdSql('status', dpdOf(d, oldestSqlite))},
              parBucket = ${bucketSql(accountDpdSql('status', dpdOf(d, oldestSqlite)))},
              status = CASE WHEN status = 'active'
                             AND ${dpdOf(d, oldestSqlite)} > ${SUSPENSION_LIMIT('accounts')}
                            THEN 'suspended' ELSE status END,
              lastNightlyBusinessDate = :bd, updatedAt = :now
        WHERE ${CHUNK_ACCOUNTS}`,

    /**
     * (c) The history of each suspension the settle just made: accounts active when the chunk
     * locked them (:active) and suspended now, in the same transaction.
     */
    suspensionHistory: `INSERT INTO accountStatusHistories (accountId, previousStatus, newStatus, reason, changedBy, changedAt, businessDate, createdAt, updatedAt)
      SELECT a.id, 'active', 'suspended',
             ${d.concat(`'nightly close: DPD '`, 'a.daysPastDue', `' beyond the plan''s '`, 'p.daysUntilSuspension', `' days'`)},
             NULL, :now, :bd, :now, :now
        FROM accounts a JOIN payplans p ON p.id = a.payplanId
       WHERE a.id IN (:active) AND a.status = 'suspended'`,
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
