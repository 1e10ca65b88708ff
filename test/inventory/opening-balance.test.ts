import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { recreateDatabase, sequelizeCli } from '../support/database';
import { TEST_DATABASE_URL, testEnv } from '../support/env';

const MIGRATION = '20261207300000-stock-custody-and-installation.js';

/** A scratch database of its own: the migration before 20261207300000, units in a warehouse, then the migration. */
function scratchUrl(): string {
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${u.pathname.replace(/^\//, '')}_opening`;
  return u.toString();
}

describe('inventory: migration 20261207300000 gives warehouses their opening stock levels', function () {
  this.timeout(300000);
  const url = scratchUrl();
  let conn: mysql.Connection;

  before(async () => {
    await recreateDatabase(url);
    const u = new URL(url);
    conn = await mysql.createConnection({
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: u.pathname.replace(/^\//, ''),
    });
  });

  after(async () => {
    await conn?.query('DROP DATABASE IF EXISTS ??', [new URL(url).pathname.replace(/^\//, '')]);
    await conn?.end();
  });

  it('counts the units each warehouse holds (an adjustment movement each), leaves existing levels alone, and undoes its movements', async () => {
    const env = testEnv({ DATABASE_URL: url });
    sequelizeCli(['db:migrate', '--to', '20261206000010-idempotency-key-lease.js'], env);
    const now = new Date();
    const q = async (sql: string, values: unknown[] = []) => (await conn.query(sql, values))[0] as { insertId: number };
    const country = await q('INSERT INTO countries (name, code, currency, phoneCode, timezone, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      'Kenya',
      'KE',
      'KES',
      '+254',
      'Africa/Nairobi',
      now,
      now,
    ]);
    const region = await q('INSERT INTO companyRegions (name, code, countryId, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)', [
      'Nairobi',
      'KE-NAI',
      country.insertId,
      now,
      now,
    ]);
    const [w1, w2] = [
      await q('INSERT INTO warehouses (name, code, regionId, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)', ['Depot 1', 'WH-1', region.insertId, now, now]),
      await q('INSERT INTO warehouses (name, code, regionId, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)', ['Depot 2', 'WH-2', region.insertId, now, now]),
    ];
    const type = await q('INSERT INTO productTypes (name, code, createdAt, updatedAt) VALUES (?, ?, ?, ?)', ['Solar', 'SOLAR', now, now]);
    const product = await q('INSERT INTO products (name, code, productTypeId, price, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)', [
      'Kit',
      'KIT',
      type.insertId,
      '100.00',
      now,
      now,
    ]);
    const model = await q('INSERT INTO deviceModels (manufacturer, name, code, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)', [
      'Sun',
      'Lamp',
      'DM-1',
      now,
      now,
    ]);
    const device = (serial: string, warehouseId: number | null) =>
      q('INSERT INTO devices (serialNumber, deviceModelId, productId, warehouseId, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)', [
        serial,
        model.insertId,
        product.insertId,
        warehouseId,
        now,
        now,
      ]);
    await device('A', w1.insertId);
    await device('B', w1.insertId);
    await device('C', w2.insertId);
    await device('D', null);
    // Depot 2 already keeps a level: it stays as it is.
    await q('INSERT INTO stockItems (warehouseId, productId, quantity, createdAt, updatedAt) VALUES (?, ?, 5, ?, ?)', [
      w2.insertId,
      product.insertId,
      now,
      now,
    ]);

    sequelizeCli(['db:migrate', '--to', MIGRATION], env);
    const levels = (await q('SELECT warehouseId, quantity FROM stockItems ORDER BY warehouseId')) as unknown as { warehouseId: number; quantity: number }[];
    expect(levels.map((l) => [l.warehouseId, l.quantity])).to.deep.equal([
      [w1.insertId, 2],
      [w2.insertId, 5],
    ]);
    const movements = (await q('SELECT warehouseId, quantity, movementType FROM stockMovements')) as unknown as {
      warehouseId: number;
      quantity: number;
      movementType: string;
    }[];
    expect(movements.map((m) => [m.warehouseId, m.quantity, m.movementType])).to.deep.equal([[w1.insertId, 2, 'adjustment']]);

    sequelizeCli(['db:migrate:undo', '--name', MIGRATION], env);
    expect(((await q('SELECT COUNT(*) AS n FROM stockMovements')) as unknown as { n: number }[])[0]!.n).to.equal(0);
    const columns = (await q("SHOW COLUMNS FROM warehouses LIKE 'employeeId'")) as unknown as unknown[];
    expect(columns).to.deep.equal([]);
  });
});
