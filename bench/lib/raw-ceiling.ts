import mysql from 'mysql2/promise';
import { runClosedLoop, type RunResult } from './stats';

/**
 * The database's own ceiling for a payment: mysql2 directly, `concurrency` connections; per
 * payment: BEGIN, lock the account row, insert the payment, update the balance, insert a journal
 * entry with two lines, COMMIT. What the full paths (API payments, provider callbacks) are
 * measured against, on the same database.
 */
export async function rawCeiling(opts: { url: string; concurrency: number; total: number; accountIds: number[]; refPrefix?: string }): Promise<RunResult> {
  const { url, concurrency, total, accountIds } = opts;
  const prefix = opts.refPrefix ?? 'RAW';
  const pool = mysql.createPool({ uri: url, connectionLimit: concurrency });
  const [[ledger]] = (await pool.query(
    "SELECT (SELECT id FROM ledgerAccounts WHERE code='1100') AS cash, (SELECT id FROM ledgerAccounts WHERE code='1200') AS recv, (SELECT id FROM fiscalPeriods WHERE countryId IS NULL AND CURDATE() BETWEEN startDate AND endDate) AS period",
  )) as unknown as [{ cash: number; recv: number; period: number }[]];
  const result = await runClosedLoop(concurrency, total, async (i) => {
    const accountId = accountIds[i % accountIds.length]!;
    const conn = await pool.getConnection();
    try {
      await conn.beginTransaction();
      await conn.query('SELECT id, balance FROM accounts WHERE id = ? FOR UPDATE', [accountId]);
      const [pay] = (await conn.query(
        "INSERT INTO payments (accountId, amount, currency, paymentTypeId, channel, transactionRef, paymentDate, businessDate, status, regionId, createdAt, updatedAt) SELECT ?, '10.00', 'KES', 1, 'mobile_money', ?, NOW(), CURDATE(), 'completed', regionId, NOW(), NOW() FROM accounts WHERE id = ?",
        [accountId, `${prefix}-${i}`, accountId],
      )) as unknown as [{ insertId: number }];
      await conn.query('UPDATE accounts SET balance = balance - 10.00, updatedAt = NOW() WHERE id = ?', [accountId]);
      const [entry] = (await conn.query(
        "INSERT INTO journalEntries (entryNumber, businessDate, fiscalPeriodId, description, sourceType, sourceId, accountId, currency, createdAt, updatedAt) VALUES (?, CURDATE(), ?, 'raw', 'payment', ?, ?, 'KES', NOW(), NOW())",
        [`${prefix}-${i}`, ledger!.period, pay.insertId, accountId],
      )) as unknown as [{ insertId: number }];
      await conn.query(
        "INSERT INTO journalLines (journalEntryId, ledgerAccountId, accountId, debit, credit, createdAt, updatedAt) VALUES (?, ?, NULL, '10.00', '0.00', NOW(), NOW()), (?, ?, ?, '0.00', '10.00', NOW(), NOW())",
        [entry.insertId, ledger!.cash, entry.insertId, ledger!.recv, accountId],
      );
      await conn.commit();
    } catch (err) {
      await conn.rollback();
      throw err;
    } finally {
      conn.release();
    }
  });
  await pool.end();
  return result;
}
