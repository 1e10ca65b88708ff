import mysql from 'mysql2/promise';
import { runClosedLoop, type RunResult } from './stats';

/**
 * What the database alone allows for the statements one API payment runs, sent in the same round
 * trips as the API path sends them (docs/architecture.md lists them: 6 for POST /payments on an
 * account without devices, the claim, BEGIN (with the lock) and COMMIT included; several statements share a round
 * trip as one multi-statement query): mysql2 directly, no HTTP, no application code. It bounds what
 * the full API path can reach on this machine; the gap between it and the raw ceiling is the cost
 * of the work the issue asks for (idempotency claim, allocation, ledger, outbox, credit days,
 * gapless receipt), not of the application.
 */
export async function statementCeiling(opts: { url: string; concurrency: number; total: number; accountIds: number[]; refPrefix: string }): Promise<RunResult> {
  const { url, concurrency, total, accountIds, refPrefix } = opts;
  const pool = mysql.createPool({ uri: url, connectionLimit: concurrency, multipleStatements: true });
  const [[ref]] = (await pool.query(
    "SELECT (SELECT id FROM ledgerAccounts WHERE code='1100') AS clearing, (SELECT id FROM ledgerAccounts WHERE code='1200') AS recv, (SELECT id FROM fiscalPeriods WHERE countryId IS NULL AND CURDATE() BETWEEN startDate AND endDate) AS period",
  )) as unknown as [{ clearing: number; recv: number; period: number }[]];
  const result = await runClosedLoop(concurrency, total, async (i) => {
    const accountId = accountIds[i % accountIds.length]!;
    const key = `${refPrefix}-${i}`;
    const conn = await pool.getConnection();
    try {
      const [claim] = (await conn.query(
        "INSERT INTO idempotencyKeys (scope, idempotencyKey, requestHash, status, expiresAt, createdAt, updatedAt) VALUES ('bench', ?, REPEAT('0', 64), 'in_progress', NOW() + INTERVAL 1 DAY, NOW(), NOW())",
        [key],
      )) as unknown as [{ insertId: number }];
      const [[, [account], items]] = (await conn.query(
        `START TRANSACTION;
         SELECT a.*, (SELECT c.businessDate FROM companyRegions r JOIN countries c ON c.id = r.countryId WHERE r.id = a.regionId) AS businessDateNow FROM accounts a WHERE a.id = ? FOR UPDATE;
         SELECT 'installment' AS kind, id, installmentNumber, dueDate, amount, paidAmount, status, paidDate FROM installmentSchedules WHERE accountId = ? AND status IN ('pending', 'partial', 'overdue')
         UNION ALL SELECT 'charge', id, 0, dueDate, amount, paidAmount, status, NULL FROM accountCharges WHERE accountId = ? AND status IN ('pending', 'partial')`,
        [accountId, accountId, accountId],
      )) as unknown as [[unknown, { regionId: number; customerId: number }[], { id: number; installmentNumber: number }[]]];
      const first = items.filter((x) => x.installmentNumber > 0).sort((a, b) => a.installmentNumber - b.installmentNumber)[0]!;
      const [writes] = (await conn.query(
        `SELECT id FROM idempotencyKeys WHERE id = ? AND status = 'in_progress' FOR UPDATE;
         UPDATE installmentSchedules SET paidAmount = paidAmount + 10, status = 'partial', updatedAt = NOW() WHERE id = ?;
         UPDATE accounts SET balance = balance - 10, daysPastDue = 0, parBucket = 'current', updatedAt = NOW() WHERE id = ?;
         INSERT INTO payments (accountId, amount, currency, paymentTypeId, channel, transactionRef, paymentDate, businessDate, status, completedAt, regionId, createdAt, updatedAt) VALUES (?, '10.00', 'KES', 1, 'mobile_money', ?, NOW(), CURDATE(), 'completed', NOW(), ?, NOW(), NOW())`,
        [claim.insertId, first.id, accountId, accountId, key, account!.regionId],
      )) as unknown as [{ insertId: number }[]];
      const paymentId = writes[3]!.insertId;
      const [entryWrites] = (await conn.query(
        `INSERT INTO paymentAllocations (paymentId, allocationType, installmentScheduleId, amount, createdAt, updatedAt) VALUES (?, 'installment', ?, '10.00', NOW(), NOW());
         INSERT INTO journalEntries (entryNumber, businessDate, fiscalPeriodId, description, sourceType, sourceId, accountId, currency, createdAt, updatedAt) VALUES (?, CURDATE(), ?, 'bench', 'payment', ?, ?, 'KES', NOW(), NOW())`,
        [paymentId, first.id, key, ref!.period, paymentId, accountId],
      )) as unknown as [{ insertId: number }[]];
      const entryId = entryWrites[1]!.insertId;
      await conn.query(
        `INSERT INTO journalLines (journalEntryId, ledgerAccountId, accountId, debit, credit, createdAt, updatedAt) VALUES (?, ?, NULL, '10.00', '0.00', NOW(), NOW()), (?, ?, ?, '0.00', '10.00', NOW(), NOW());
         INSERT INTO syncOutbox (aggregateType, aggregateId, eventType, payload, target, status, attempts, availableAt, createdAt, updatedAt) VALUES ('payment', ?, 'payment.completed', '{}', 'netsuite', 'pending', 0, NOW(), NOW(), NOW()), ('account', ?, 'payment.completed', '{}', 'salesforce', 'pending', 0, NOW(), NOW(), NOW());
         SELECT (SELECT COALESCE(SUM(amount), 0) FROM payments WHERE accountId = ? AND status = 'completed') AS paid,
                (SELECT COALESCE(SUM(days), 0) FROM creditDayEntries WHERE accountId = ? AND reason IN ('payment', 'reversal')) AS granted,
                (SELECT GROUP_CONCAT(deviceId) FROM accountDevices WHERE accountId = ? AND status = 'active') AS devices;
         SELECT id, firstName, phone, preferredLanguage FROM customers WHERE id = ?;
         SELECT language, subject, body FROM notificationTemplates WHERE code = 'payment_received' AND channel = 'sms' AND isActive = 1
           AND EXISTS (SELECT 1 FROM accountDevices WHERE accountId = ? AND status = 'active')`,
        [entryId, ref!.clearing, entryId, ref!.recv, accountId, paymentId, accountId, accountId, accountId, accountId, account!.customerId, accountId],
      );
      // The receipt number in the COMMIT's round trip, the answer filled with it there.
      await conn.query(
        `UPDATE numberSequences SET nextValue = LAST_INSERT_ID(nextValue) + 1, updatedAt = NOW() WHERE name = 'receipt';
         SET @amt_number = IF(ROW_COUNT() = 1, CONCAT('RB', LPAD(LAST_INSERT_ID(), GREATEST(9, CHAR_LENGTH(LAST_INSERT_ID())), '0')), NULL);
         UPDATE payments SET receiptNumber = @amt_number WHERE id = ?;
         INSERT INTO receipts (receiptNumber, paymentId, accountId, amount, issuedAt, channel, createdAt, updatedAt) VALUES (@amt_number, ?, ?, '10.00', NOW(), 'sms', NOW(), NOW());
         UPDATE idempotencyKeys SET status = 'completed', responseStatus = 201, responseBody = REPLACE('{"receiptNumber":"r"}', '"r"', JSON_QUOTE(@amt_number)), updatedAt = NOW() WHERE id = ?;
         COMMIT`,
        [paymentId, paymentId, accountId, claim.insertId],
      );
    } catch (err) {
      await conn.query('ROLLBACK');
      throw err;
    } finally {
      conn.release();
    }
  });
  await pool.end();
  return result;
}
