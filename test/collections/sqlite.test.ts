import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { QueryTypes, type Sequelize } from 'sequelize';
import { runCollectionsNightly } from '../../src/modules/collections/nightly';
import { migrate, seed } from '../../src/platform/db/migrator';
import { createSequelize } from '../../src/platform/db/sequelize';

/**
 * The collections step's set-based SQL on SQLite (the demo): a migrated and seeded database with
 * a few accounts written by hand (foreign keys off: only the columns the step reads matter), run
 * twice: a case opens and is assigned round robin, a promise is judged kept with its payment
 * linked, a case escalates, and the second run changes nothing.
 */
describe('collections: the nightly step on SQLite (demo)', function () {
  this.timeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amt-collections-'));
  let db: Sequelize;

  before(async () => {
    db = createSequelize({ sqlitePath: path.join(dir, 'demo.sqlite') });
    await migrate(db);
    await seed(db);
  });

  after(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens, assigns, judges and escalates; a second run changes nothing', async () => {
    const q = (sql: string, replacements: unknown[] = []) => db.query(sql, { replacements, type: QueryTypes.INSERT });
    const now = '2026-11-21 00:00:00.000 +00:00';
    await db.query('PRAGMA foreign_keys = OFF');
    const [country] = await db.query<{ id: number }>("SELECT id FROM countries WHERE code = 'KE'", { type: QueryTypes.SELECT });
    await q('INSERT INTO companyRegions (id, name, code, countryId, isActive, version, createdAt, updatedAt) VALUES (900, ?, ?, ?, 1, 0, ?, ?)', [
      'Lite',
      'LITE',
      country!.id,
      now,
      now,
    ]);
    const [role] = await db.query<{ id: number }>("SELECT id FROM roles WHERE name = 'collections'", { type: QueryTypes.SELECT });
    for (const id of [901, 902]) {
      await q(
        "INSERT INTO employees (id, employeeCode, firstName, lastName, email, roleId, isActive, createdAt, updatedAt) VALUES (?, ?, 'C', 'Staff', ?, ?, 1, ?, ?)",
        [id, `E${id}`, `c${id}@x.test`, role!.id, now, now],
      );
      await q('INSERT INTO employeeRegions (employeeId, regionId, createdAt, updatedAt) VALUES (?, 900, ?, ?)', [id, now, now]);
    }
    const account = (id: number, dpd: number) =>
      q(
        `INSERT INTO accounts (id, accountNumber, customerId, productId, payplanId, regionId, status, totalPrice, downPaymentAmount, financedAmount,
           balance, creditBalance, daysPastDue, parBucket, createdAt, updatedAt)
         VALUES (?, ?, 1, 1, 1, 900, 'active', '1000.00', '100.00', '900.00', '800.00', '0.00', ?, '1-30', ?, ?)`,
        [id, `A${id}`, dpd, now, now],
      );
    await account(1001, 10);
    await account(1002, 75);
    await account(1003, 2);
    await q(
      "INSERT INTO collectionCases (accountId, openAccountId, status, priority, openedOn, daysPastDueAtOpen, createdAt, updatedAt) VALUES (1003, 1003, 'promise', 'normal', '2026-11-10', 8, ?, ?)",
      [now, now],
    );
    await q(
      "INSERT INTO promisesToPay (collectionCaseId, accountId, promisedAmount, promisedDate, promisedOn, status, createdAt, updatedAt) VALUES (1, 1003, '50.00', '2026-11-20', '2026-11-15', 'open', ?, ?)",
      [now, now],
    );
    for (const [id, amount, date] of [
      [1, '30.00', '2026-11-16'],
      [2, '30.00', '2026-11-18'],
      [3, '30.00', '2026-11-19'],
    ] as const) {
      await q(
        `INSERT INTO payments (id, accountId, amount, currency, paymentTypeId, channel, transactionRef, paymentDate, businessDate, status, regionId, createdAt, updatedAt)
         VALUES (?, 1003, ?, 'KES', 1, 'mobile_money', ?, ?, ?, 'completed', 900, ?, ?)`,
        [id, amount, `T${id}`, now, date, now, now],
      );
    }
    await db.query('PRAGMA foreign_keys = ON');

    const run = () => db.transaction((t) => runCollectionsNightly(db, { countryId: country!.id, businessDate: '2026-11-21' }, t));
    const counts = await run();
    expect(counts).to.include({ casesOpened: 2, casesAssigned: 3, casesEscalated: 1, promisesKept: 1, casesClosed: 0 });
    const cases = await db.query<Record<string, unknown>>('SELECT * FROM collectionCases ORDER BY accountId', { type: QueryTypes.SELECT });
    expect(cases.map((c) => [c.accountId, c.status, c.daysPastDue, c.priority])).to.deep.equal([
      [1001, 'open', 10, 'normal'],
      [1002, 'repossession_review', 75, 'urgent'],
      [1003, 'in_progress', 2, 'low'],
    ]);
    expect(cases.map((c) => Number(c.assignedTo) - 901).sort()).to.deep.equal(cases.map((c) => Number(c.id) % 2).sort());
    const [promise] = await db.query<Record<string, unknown>>('SELECT * FROM promisesToPay', { type: QueryTypes.SELECT });
    expect(promise).to.include({ status: 'kept', paymentId: 2 });
    expect(Number(promise!.paidAmount)).to.equal(90);

    const before = await db.query('SELECT * FROM collectionCases ORDER BY id', { type: QueryTypes.SELECT });
    expect(await run()).to.include({ casesOpened: 0, casesAssigned: 0, casesEscalated: 0, promisesKept: 0, casesClosed: 0 });
    expect(await db.query('SELECT * FROM collectionCases ORDER BY id', { type: QueryTypes.SELECT })).to.deep.equal(before);

    await db.query('UPDATE accounts SET daysPastDue = 0 WHERE id = 1001');
    expect(await run()).to.include({ casesClosed: 1 });
  });
});
