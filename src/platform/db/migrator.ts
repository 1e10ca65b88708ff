import fs from 'node:fs';
import path from 'node:path';
import { QueryTypes, Sequelize, DataTypes } from 'sequelize';
import type { Logger } from '../logging/logger';

/**
 * Runs the same migration and seeder files as sequelize-cli, recording them in the same tables
 * (SequelizeMeta, SequelizeData), so a database migrated here is in the state the operator's
 * `npx sequelize-cli db:migrate` would leave it, and the other way round. Used at demo start-up.
 */
const ROOT = path.resolve(__dirname, '../../..');
export const MIGRATIONS_DIR = path.join(ROOT, 'migrations');
export const SEEDERS_DIR = path.join(ROOT, 'seeders');

interface Step {
  up(queryInterface: unknown, sequelize: typeof Sequelize): Promise<unknown>;
  down?(queryInterface: unknown, sequelize: typeof Sequelize): Promise<unknown>;
}

function listSteps(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(c?js)$/.test(f))
    .sort();
}

async function ensureTable(sequelize: Sequelize, table: string): Promise<void> {
  await sequelize.getQueryInterface().createTable(table, {
    name: { type: DataTypes.STRING(255), allowNull: false, primaryKey: true, unique: true },
  });
}

async function applied(sequelize: Sequelize, table: string): Promise<Set<string>> {
  await ensureTable(sequelize, table);
  const rows = await sequelize.query<{ name: string }>(`SELECT name FROM ${table}`, { type: QueryTypes.SELECT });
  return new Set(rows.map((r) => r.name));
}

async function runPending(sequelize: Sequelize, dir: string, table: string, logger?: Logger): Promise<string[]> {
  const done = await applied(sequelize, table);
  const ran: string[] = [];
  for (const file of listSteps(dir)) {
    if (done.has(file)) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a migration or seeder is a CommonJS file found at run time (sequelize-cli's format)
    const step = require(path.join(dir, file)) as Step;
    logger?.info({ step: file }, `applying ${path.basename(dir)}/${file}`);
    await step.up(sequelize.getQueryInterface(), Sequelize);
    await sequelize.getQueryInterface().bulkInsert(table, [{ name: file }]);
    ran.push(file);
  }
  return ran;
}

export function migrate(sequelize: Sequelize, logger?: Logger): Promise<string[]> {
  return runPending(sequelize, MIGRATIONS_DIR, 'SequelizeMeta', logger);
}

export function seed(sequelize: Sequelize, logger?: Logger): Promise<string[]> {
  return runPending(sequelize, SEEDERS_DIR, 'SequelizeData', logger);
}
