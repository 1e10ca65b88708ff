import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mysql from 'mysql2/promise';
import type { Model, ModelStatic, Sequelize } from 'sequelize';
import { migrate, seed } from '../../src/platform/db/migrator';
import { createSequelize } from '../../src/platform/db/sequelize';
import { testRuntime } from '../support/app';
import { dropDatabase as dropTestDatabase, recreateDatabase, sequelizeCli } from '../support/database';
import { TEST_DATABASE_URL, testEnv } from '../support/env';
import {
  compareColumns,
  compareIndexes,
  compareModel,
  countModelTables,
  modelColumnType,
  readLiveSchema,
  tablesWithoutModel,
  TOOLING_TABLES,
  type LiveSchema,
} from '../support/schema-compare';

/** The design has 99 tables (docs: ../shared/design/domain.md). */
const DESIGN_TABLE_COUNT = 99;

function report(title: string, problems: string[]): string {
  return `${title} (${problems.length}):\n  ${problems.join('\n  ')}`;
}

function allModels(sequelize: Sequelize): ModelStatic<Model>[] {
  return Object.values(sequelize.models).sort((a, b) => String(a.getTableName()).localeCompare(String(b.getTableName())));
}

describe('data model: models conform to the migrated MySQL schema', () => {
  let sequelize: Sequelize;
  let models: ModelStatic<Model>[];
  let schema: LiveSchema;

  before(async () => {
    sequelize = (await testRuntime()).sequelize;
    models = allModels(sequelize);
    schema = await readLiveSchema(sequelize);
  });

  it(`has at least ${DESIGN_TABLE_COUNT} model tables, one model per table`, () => {
    const modelTables = [...schema.tables.keys()].filter((t) => !TOOLING_TABLES.has(t));
    expect(modelTables.length, `tables in the database: ${modelTables.sort().join(', ')}`).to.be.at.least(DESIGN_TABLE_COUNT);
    const tableNames = models.map((m) => String(m.getTableName()));
    const duplicates = tableNames.filter((t, i) => tableNames.indexOf(t) !== i);
    expect(duplicates, 'tables mapped by more than one model').to.deep.equal([]);
  });

  it('finds a table for every model, with every attribute as a column of the same type, nullability, key and default', () => {
    const problems = models.flatMap((m) => compareColumns(m, schema));
    expect(problems, report('models and tables disagree', problems)).to.deep.equal([]);
  });

  it('finds every index a model declares on its table (same fields, same uniqueness), and no undeclared ones', () => {
    const problems = models.flatMap((m) => compareIndexes(m, schema));
    expect(problems, report('indexes disagree', problems)).to.deep.equal([]);
  });

  it('has a model for every table (except the migration tooling tables)', () => {
    const orphans = tablesWithoutModel(models, schema);
    expect(orphans, `tables without a model: ${orphans.join(', ')}`).to.deep.equal([]);
  });

  it('stores money as DECIMAL(14,2)', () => {
    // A DECIMAL with two decimals is money unless it is a rate; money-named DECIMALs are money whatever their scale.
    const problems: string[] = [];
    for (const m of models) {
      for (const [name, attr] of Object.entries(m.getAttributes())) {
        const type = modelColumnType(attr as never);
        if (!type?.startsWith('DECIMAL(')) continue;
        const twoDecimals = type.endsWith(',2)');
        const moneyName = /amount|price|balance|cost|debit|credit|fee|total|paid|payment|penalt/i.test(name);
        const rateName = /rate|percent|ratio|^par\d|latitude|longitude/i.test(name);
        if ((twoDecimals && !rateName) || (moneyName && !rateName)) {
          if (type !== 'DECIMAL(14,2)') problems.push(`${String(m.getTableName())}.${attr.field ?? name}: ${type}, money must be DECIMAL(14,2)`);
        }
      }
    }
    expect(problems, report('money columns that are not DECIMAL(14,2)', problems)).to.deep.equal([]);
  });
});

/** `<test database>_cycle` on the same server, so parallel runs with their own TEST_DATABASE_URL never share it. */
function cycleDatabaseUrl(): string {
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${u.pathname.replace(/^\//, '')}_cycle`;
  return u.toString();
}

async function dropDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const conn = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
  try {
    await dropTestDatabase(conn, u.pathname.replace(/^\//, ''));
  } finally {
    await conn.end();
  }
}

describe('data model: the migrations run forwards, backwards and forwards again (sequelize-cli)', function () {
  this.timeout(300000);
  const url = cycleDatabaseUrl();
  let db: Sequelize;

  before(async () => {
    await recreateDatabase(url);
    db = createSequelize({ databaseUrl: url });
  });

  after(async () => {
    await db?.close();
    await dropDatabase(url);
  });

  it('migrate builds every table, undo:all removes them all, migrate builds them again', async () => {
    const env = testEnv({ DATABASE_URL: url });
    const modelCount = Object.keys((await testRuntime()).sequelize.models).length;

    sequelizeCli(['db:migrate'], env);
    const first = await countModelTables(db);
    expect(first, 'tables after db:migrate').to.equal(modelCount).and.to.be.at.least(DESIGN_TABLE_COUNT);

    sequelizeCli(['db:migrate:undo:all'], env);
    const remaining = (await db.getQueryInterface().showAllTables()).map(String).filter((t) => !TOOLING_TABLES.has(t));
    expect(remaining, `tables left after db:migrate:undo:all: ${remaining.join(', ')}`).to.deep.equal([]);

    sequelizeCli(['db:migrate'], env);
    expect(await countModelTables(db), 'tables after the second db:migrate').to.equal(first);
    const schema = await readLiveSchema(db);
    const problems = allModels((await testRuntime()).sequelize).flatMap((m) => compareModel(m, schema));
    expect(problems, report('after migrate/undo/migrate, models and tables disagree', problems)).to.deep.equal([]);
  });
});

describe('data model: demo mode migrates and seeds SQLite', function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amt-schema-'));
  let db: Sequelize;

  before(() => {
    db = createSequelize({ sqlitePath: path.join(dir, 'demo.sqlite') });
  });

  after(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates every model table with every model column, and is idempotent', async () => {
    const migrated = await migrate(db);
    await seed(db);
    expect(migrated.length, 'migrations applied').to.be.greaterThan(0);

    const qi = db.getQueryInterface();
    const tables = new Set((await qi.showAllTables()).map(String));
    const problems: string[] = [];
    for (const m of allModels((await testRuntime()).sequelize)) {
      const table = String(m.getTableName());
      if (!tables.has(table)) {
        problems.push(`${table}: table is missing on SQLite`);
        continue;
      }
      const columns = await qi.describeTable(table);
      for (const [name, attr] of Object.entries(m.getAttributes())) {
        if ((attr.type as { key?: string }).key === 'VIRTUAL') continue;
        const column = attr.field ?? name;
        if (!columns[column]) problems.push(`${table}.${column}: column is missing on SQLite`);
      }
    }
    expect(problems, report('SQLite schema is incomplete', problems)).to.deep.equal([]);
    expect([...tables].filter((t) => !TOOLING_TABLES.has(t) && !t.startsWith('sqlite_')).length).to.be.at.least(DESIGN_TABLE_COUNT);

    // A second start-up applies nothing.
    expect(await migrate(db)).to.deep.equal([]);
    expect(await seed(db)).to.deep.equal([]);
  });
});
