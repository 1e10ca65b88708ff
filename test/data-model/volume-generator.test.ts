import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { QueryTypes, type Sequelize } from 'sequelize';
import { accountDaysPastDue, installmentStatus, outstanding, parBucket, type InstallmentState } from '../../src/modules/accounts/arrears';
import type { AccountStatus } from '../../src/modules/accounts/models';
import { DEVICE_KEY_CONTEXT } from '../../src/modules/devices/tokens';
import { dataCrypto } from '../../src/platform/crypto';
import { createSequelize } from '../../src/platform/db/sequelize';
import { addMonths } from '../../src/platform/dates';
import { Decimal } from '../../src/platform/money';
import { checkForeignKeys, checkVolumeConsistency, generateVolume, type VolumeOptions, type VolumeReport } from '../../scripts/volume/generator';
import { recreateDatabase, sequelizeCli } from '../support/database';
import { TEST_DATABASE_URL, testEnv } from '../support/env';

const ROOT = path.resolve(__dirname, '../..');

/** `<test database>_volume`: the generator writes a whole portfolio, so never into the shared test database. */
function volumeDatabaseUrl(): string {
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${u.pathname.replace(/^\//, '')}_volume`;
  return u.toString();
}

async function freshDatabase(url: string): Promise<Sequelize> {
  await recreateDatabase(url);
  const env = testEnv({ DATABASE_URL: url });
  sequelizeCli(['db:migrate'], env);
  sequelizeCli(['db:seed:all'], env);
  return createSequelize({ databaseUrl: url });
}

const GENERATED_TABLES = [
  'customers',
  'devices',
  'accounts',
  'accountDevices',
  'installmentSchedules',
  'payments',
  'paymentAllocations',
  'receipts',
  'accountStatusHistories',
  'writeoffs',
];

async function checksums(db: Sequelize): Promise<Record<string, string>> {
  const rows = await db.query<{ Table: string; Checksum: string | number }>(`CHECKSUM TABLE ${GENERATED_TABLES.map((t) => `\`${t}\``).join(', ')}`, {
    type: QueryTypes.SELECT,
  });
  return Object.fromEntries(rows.map((r) => [r.Table.split('.').pop()!, String(r.Checksum)]));
}

const DATA_KEY = 'ab'.repeat(32);
const OPTIONS: VolumeOptions = { accounts: 400, seed: 11, batch: 90, writers: 2, asOf: '2026-06-30', dataEncryptionKey: DATA_KEY };

describe('data model: volume generator (scripts/volume/generator.ts)', function () {
  this.timeout(240000);
  const url = volumeDatabaseUrl();
  let db: Sequelize;
  let report: VolumeReport;
  let firstChecksums: Record<string, string>;

  before(async () => {
    db = await freshDatabase(url);
    report = await generateVolume(db, OPTIONS);
    firstChecksums = await checksums(db);
  });

  after(async () => {
    await db?.close();
    const u = new URL(url);
    const conn = await mysql.createConnection({
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
    });
    await conn.query(`DROP DATABASE IF EXISTS \`${u.pathname.slice(1)}\``);
    await conn.end();
  });

  it('writes the accounts asked for, with about 12 schedule rows each and their payment history', () => {
    expect(report.rows.accounts).to.equal(OPTIONS.accounts);
    const perAccount = report.rows.installmentSchedules / report.rows.accounts;
    expect(perAccount, 'schedule rows per account').to.be.within(10.5, 13.5);
    expect(report.rows.payments).to.be.greaterThan(report.rows.accounts);
    expect(report.rows.paymentAllocations).to.be.at.least(report.rows.payments);
    expect(report.rows.receipts).to.equal(report.rows.payments);
    expect(report.accountIds[1] - report.accountIds[0] + 1).to.equal(OPTIONS.accounts);
  });

  it('keeps balances, allocations and instalment states consistent', async () => {
    expect(await checkVolumeConsistency(db, report.accountIds)).to.deep.equal([]);
  });

  it('writes no reference that does not resolve, though it loads without per-row foreign-key checks', async () => {
    expect(Object.keys(report.idRanges)).to.include.members(['accounts', 'installmentSchedules', 'payments', 'paymentAllocations', 'creditDayEntries']);
    expect(await checkForeignKeys(db, report.idRanges)).to.deep.equal([]);
    // And the check does find a dangling reference.
    const [lo] = report.idRanges.paymentAllocations;
    const [{ paymentId }] = await db.query<{ paymentId: number }>('SELECT paymentId FROM paymentAllocations WHERE id = ?', {
      type: QueryTypes.SELECT,
      replacements: [lo],
    });
    const setPayment = (value: number) =>
      db.transaction(async (transaction) => {
        await db.query('SET SESSION foreign_key_checks = 0', { transaction });
        await db.query('UPDATE paymentAllocations SET paymentId = ? WHERE id = ?', { replacements: [value, lo], transaction });
        await db.query('SET SESSION foreign_key_checks = 1', { transaction });
      });
    await setPayment(999999999);
    try {
      expect(await checkForeignKeys(db, report.idRanges)).to.deep.equal(['1 paymentAllocations.paymentId values point at no payments row']);
    } finally {
      await setPayment(paymentId);
    }
  });

  it("derives each account's instalment states, DPD, PAR bucket, balance and status by the app's own rules", async () => {
    const accounts = await db.query<{
      id: number;
      status: string;
      balance: string;
      daysPastDue: number;
      parBucket: string;
      activationDate: string | null;
      totalPrice: string;
    }>('SELECT id, status, balance, daysPastDue, parBucket, activationDate, totalPrice FROM accounts WHERE id BETWEEN ? AND ?', {
      type: QueryTypes.SELECT,
      replacements: report.accountIds,
    });
    const rows = await db.query<InstallmentState & { accountId: number; installmentNumber: number }>(
      'SELECT accountId, installmentNumber, dueDate, amount, paidAmount, status FROM installmentSchedules WHERE accountId BETWEEN ? AND ? ORDER BY accountId, installmentNumber',
      { type: QueryTypes.SELECT, replacements: report.accountIds },
    );
    const byAccount = new Map<number, InstallmentState[]>();
    for (const r of rows) {
      const list = byAccount.get(r.accountId) ?? [];
      list.push({ ...r, dueDate: String(r.dueDate).slice(0, 10) });
      byAccount.set(r.accountId, list);
    }
    const asOf = OPTIONS.asOf!;
    const earliest = addMonths(asOf, -19);
    const problems: string[] = [];
    const statuses = new Set<string>();
    for (const a of accounts) {
      statuses.add(a.status);
      const schedule = byAccount.get(a.id)!;
      for (const i of schedule) {
        if (i.status !== 'waived' && installmentStatus(i, asOf) !== i.status)
          problems.push(`account ${a.id}: instalment due ${i.dueDate} is ${i.status}, the app says ${installmentStatus(i, asOf)}`);
      }
      const dpd = accountDaysPastDue(a.status as AccountStatus, schedule, asOf);
      if (dpd !== Number(a.daysPastDue)) problems.push(`account ${a.id}: DPD ${a.daysPastDue}, the app says ${dpd}`);
      if (parBucket(dpd) !== a.parBucket) problems.push(`account ${a.id}: PAR ${a.parBucket}, the app says ${parBucket(dpd)}`);
      const owed = schedule.reduce((s, i) => s.plus(outstanding(i)), new Decimal(0));
      if (!owed.equals(a.balance)) problems.push(`account ${a.id}: balance ${a.balance}, schedule owes ${owed.toFixed(2)}`);
      const downPaid = schedule[0].status === 'paid';
      if ((a.status === 'pending') === downPaid) problems.push(`account ${a.id}: ${a.status} with the down payment ${downPaid ? 'paid' : 'unpaid'}`);
      if ((a.status === 'closed') !== (owed.isZero() && a.status !== 'written_off')) problems.push(`account ${a.id}: ${a.status} with balance ${a.balance}`);
      const activation = a.activationDate === null ? null : String(a.activationDate).slice(0, 10);
      if (activation !== null && (activation < earliest || activation > asOf)) problems.push(`account ${a.id}: activated ${activation}`);
    }
    expect(problems, problems.slice(0, 20).join('\n')).to.deep.equal([]);
    expect([...statuses]).to.include.members(['pending', 'active', 'suspended', 'closed']);
  });

  it('creates agents with their regions and never dates a payment after the business date', async () => {
    const [agents] = await db.query<{ n: number; covered: number }>(
      `SELECT COUNT(DISTINCT e.id) AS n, COUNT(DISTINCT er.employeeId) AS covered FROM employees e JOIN roles r ON r.id = e.roleId
         LEFT JOIN employeeRegions er ON er.employeeId = e.id WHERE r.name = 'agent' AND e.employeeCode LIKE 'GEN-%'`,
      { type: QueryTypes.SELECT },
    );
    expect(Number(agents.n)).to.be.at.least(3);
    expect(Number(agents.covered)).to.equal(Number(agents.n));
    const [late] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM payments WHERE businessDate > ? OR paymentDate > ?', {
      type: QueryTypes.SELECT,
      replacements: [OPTIONS.asOf, `${OPTIONS.asOf} 23:59:59`],
    });
    expect(Number(late.n)).to.equal(0);
  });

  it('gives every device an OpenPAYGO key the app can decrypt, and a serial of its own', async () => {
    const devices = await db.query<{ serialNumber: string; openpaygoSecretKey: string | null; status: string }>(
      'SELECT serialNumber, openpaygoSecretKey, status FROM devices',
      { type: QueryTypes.SELECT },
    );
    expect(devices.length).to.be.at.least(OPTIONS.accounts);
    const crypto = dataCrypto(DATA_KEY);
    for (const d of devices) expect(crypto.decrypt(d.openpaygoSecretKey!, DEVICE_KEY_CONTEXT)).to.match(/^[0-9a-f]{32}$/);
    expect(new Set(devices.map((d) => d.serialNumber)).size).to.equal(devices.length);
    expect(new Set(devices.map((d) => d.status))).to.include.members(['activated', 'stored']);
  });

  it('moves numberSequences past the account and receipt numbers it used, and a second run appends', async () => {
    const second = await generateVolume(db, { ...OPTIONS, accounts: 60, seed: 12 });
    expect(second.accountIds[0]).to.equal(report.accountIds[1] + 1);
    expect(await checkVolumeConsistency(db)).to.deep.equal([]);
    const [products] = await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM products WHERE code LIKE 'GEN-%'", { type: QueryTypes.SELECT });
    expect(Number(products.n), 'the catalogue is reused, not duplicated').to.equal(5);
    for (const [name, sql] of [
      ['account', 'SELECT MAX(accountNumber) AS m FROM accounts'],
      ['receipt', 'SELECT MAX(receiptNumber) AS m FROM receipts'],
    ]) {
      const [{ m }] = await db.query<{ m: string }>(sql, { type: QueryTypes.SELECT });
      const [{ nextValue }] = await db.query<{ nextValue: string }>('SELECT nextValue FROM numberSequences WHERE name = ?', {
        type: QueryTypes.SELECT,
        replacements: [name],
      });
      expect(Number(nextValue), `${name} sequence`).to.equal(Number(m.replace(/^\D+/, '')) + 1);
    }
  });

  it('produces the same data for the same seed on the same starting database', async () => {
    await db.close();
    db = await freshDatabase(url);
    const again = await generateVolume(db, OPTIONS);
    expect(again.rows).to.deep.equal(report.rows);
    expect(await checksums(db)).to.deep.equal(firstChecksums);
  });

  it('refuses to run with NODE_ENV=production unless forced', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generate.ts', '--accounts', '1'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', DATABASE_URL: url },
      encoding: 'utf8',
    });
    expect(res.status).to.equal(2);
    expect(res.stderr).to.match(/NODE_ENV=production/);
  });
});
