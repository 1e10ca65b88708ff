import { QueryTypes, type ModelStatic, type Model, type Sequelize } from 'sequelize';

/**
 * Compares Sequelize models with the live tables the migrations built (MySQL/MariaDB), so a model
 * and its migration can never drift apart unnoticed. Every problem is one line naming the table and
 * the column or index, e.g. `accounts.balance: type is DECIMAL(10,2) in the table, DECIMAL(14,2) in the model`.
 */

/** Tables the migration tooling owns; they have no model. */
export const TOOLING_TABLES = new Set(['SequelizeMeta', 'SequelizeData']);

type AnyModel = ModelStatic<Model>;

interface RawAttribute {
  type: {
    key: string;
    values?: string[];
    _precision?: number;
    _scale?: number;
    _length?: number | string;
    _binary?: boolean;
    _unsigned?: boolean;
    options?: { unsigned?: boolean; length?: number | string };
  };
  field?: string;
  allowNull?: boolean;
  primaryKey?: boolean;
  autoIncrement?: boolean;
  defaultValue?: unknown;
  unique?: boolean | string | { name?: string };
}

export interface LiveColumn {
  type: string;
  allowNull: boolean;
  defaultValue: string | null;
  primaryKey: boolean;
  autoIncrement: boolean;
}

export interface LiveIndex {
  name: string;
  unique: boolean;
  fields: string[];
}

export interface LiveTable {
  columns: Record<string, LiveColumn>;
  indexes: LiveIndex[];
  /** Column lists of the table's foreign-key constraints (MySQL keeps an index for each). */
  foreignKeys: string[][];
}

export interface LiveSchema {
  /** True on MariaDB, where JSON is an alias of LONGTEXT. */
  mariadb: boolean;
  tables: Map<string, LiveTable>;
}

export interface DeclaredIndex {
  name: string | undefined;
  unique: boolean;
  fields: string[];
  /** `unique` on attributes: the database (or belongsToMany) names the index, so it matches on fields. */
  fromAttribute: boolean;
}

/** The canonical SQL type a model attribute stands for on MySQL, e.g. `DECIMAL(14,2)`, `VARCHAR(50)`, `ENUM('a','b')`. */
export function modelColumnType(attr: RawAttribute): string | undefined {
  const t = attr.type;
  const unsigned = t._unsigned || t.options?.unsigned ? ' UNSIGNED' : '';
  switch (t.key) {
    case 'VIRTUAL':
      return undefined;
    case 'INTEGER':
      return `INT${unsigned}`;
    case 'BIGINT':
    case 'SMALLINT':
    case 'MEDIUMINT':
    case 'TINYINT':
      return `${t.key}${unsigned}`;
    case 'BOOLEAN':
      return 'BOOLEAN';
    case 'DECIMAL':
      return `DECIMAL(${t._precision ?? 10},${t._scale ?? 0})`;
    case 'FLOAT':
    case 'DOUBLE':
      return t.key;
    case 'REAL':
      return 'DOUBLE';
    case 'STRING':
      return `${t._binary ? 'VARBINARY' : 'VARCHAR'}(${t._length ?? 255})`;
    case 'CHAR':
      return `${t._binary ? 'BINARY' : 'CHAR'}(${t._length ?? 255})`;
    case 'UUID':
      return 'CHAR(36)';
    case 'TEXT':
      return `${typeof t._length === 'string' ? t._length.toUpperCase() : ''}TEXT`;
    case 'CITEXT':
      return 'TEXT';
    case 'BLOB':
      return `${typeof t._length === 'string' ? t._length.toUpperCase() : ''}BLOB`;
    case 'DATE':
      return t._length ? `DATETIME(${t._length})` : 'DATETIME';
    case 'DATEONLY':
      return 'DATE';
    case 'TIME':
      return 'TIME';
    case 'JSON':
      return 'JSON';
    case 'ENUM':
      return `ENUM(${(t.values ?? []).map((v) => `'${v}'`).join(',')})`;
    default:
      return t.key;
  }
}

/** The canonical form of a type as SHOW COLUMNS reports it (`int(11)` -> `INT`, `tinyint(1)` -> `BOOLEAN`). */
export function liveColumnType(raw: string): string {
  const enumMatch = /^enum\((.*)\)$/is.exec(raw.trim());
  if (enumMatch) {
    const values = [...enumMatch[1].matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1].replace(/''/g, "'"));
    return `ENUM(${values.map((v) => `'${v}'`).join(',')})`;
  }
  let t = raw.trim().toUpperCase().replace(/\s+/g, ' ');
  if (/^TINYINT\(1\)( UNSIGNED)?$/.test(t)) return 'BOOLEAN';
  if (/^BOOL(EAN)?$/.test(t)) return 'BOOLEAN';
  const int = /^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT)(\(\d+\))?( UNSIGNED)?( ZEROFILL)?$/.exec(t);
  if (int) return `${int[1] === 'INTEGER' ? 'INT' : int[1]}${int[3] ?? ''}`;
  t = t.replace(/^DECIMAL\((\d+), ?(\d+)\)$/, 'DECIMAL($1,$2)');
  t = t.replace(/^(DOUBLE|FLOAT)(\(.*\))?( UNSIGNED)?$/, '$1');
  return t;
}

/** Does the live type satisfy the model's type? JSON may be LONGTEXT on MariaDB. */
export function typesMatch(modelType: string, liveType: string, mariadb: boolean): boolean {
  if (modelType === liveType) return true;
  if (modelType === 'JSON' && mariadb && liveType === 'LONGTEXT') return true;
  return false;
}

/** A model default as the database would report it, `undefined` when there is none, `dynamic` when it is computed (NOW, UUIDV4, functions). */
export function modelDefault(attr: RawAttribute): string | undefined | 'dynamic' {
  const d = attr.defaultValue;
  if (d === undefined || d === null) return undefined;
  if (typeof d === 'boolean') return d ? '1' : '0';
  if (typeof d === 'number' || typeof d === 'bigint') return String(d);
  if (typeof d === 'string') return d;
  return 'dynamic';
}

function defaultsEqual(modelValue: string, liveValue: string, liveType: string): boolean {
  if (modelValue === liveValue) return true;
  // MariaDB reports string defaults quoted in some versions.
  if (liveValue === `'${modelValue}'`) return true;
  if (/^(DECIMAL|INT|BIGINT|SMALLINT|TINYINT|MEDIUMINT|DOUBLE|FLOAT|BOOLEAN)/.test(liveType)) {
    return Number(modelValue) === Number(liveValue);
  }
  return false;
}

function isComputedLiveDefault(value: string): boolean {
  return /^(current_timestamp|now|uuid)\b/i.test(value) || /\(\)$/.test(value);
}

/** The indexes a model declares: `indexes` option and attributes marked `unique`. */
export function declaredIndexes(model: AnyModel): DeclaredIndex[] {
  const m = model as unknown as {
    _indexes: { name?: string; unique?: boolean; fields: (string | { name?: string; attribute?: string })[] }[];
    rawAttributes: Record<string, RawAttribute>;
  };
  const out: DeclaredIndex[] = (m._indexes ?? []).map((idx) => ({
    name: idx.name,
    unique: !!idx.unique,
    fields: idx.fields.map((f) => (typeof f === 'string' ? f : (f.name ?? f.attribute ?? ''))),
    fromAttribute: false,
  }));
  const byName = new Map<string, DeclaredIndex>();
  for (const [attrName, attr] of Object.entries(m.rawAttributes)) {
    if (!attr.unique || attr.primaryKey) continue;
    const column = attr.field ?? attrName;
    if (attr.unique === true) {
      out.push({ name: undefined, unique: true, fields: [column], fromAttribute: true });
      continue;
    }
    // unique: 'name' or { name }: a (possibly composite) unique key. belongsToMany puts one on
    // its through model under a name of its own making, so these match on fields, not name.
    const name = typeof attr.unique === 'string' ? attr.unique : (attr.unique.name ?? `${model.getTableName() as string}_${column}_unique`);
    const existing = byName.get(name);
    if (existing) existing.fields.push(column);
    else {
      const idx: DeclaredIndex = { name, unique: true, fields: [column], fromAttribute: true };
      byName.set(name, idx);
      out.push(idx);
    }
  }
  return out;
}

/** Reads every table of the connected database: columns (SHOW FULL COLUMNS), indexes and foreign keys (information_schema). */
export async function readLiveSchema(sequelize: Sequelize): Promise<LiveSchema> {
  const qi = sequelize.getQueryInterface();
  const [{ v }] = await sequelize.query<{ v: string }>('SELECT VERSION() AS v', { type: QueryTypes.SELECT });
  const tableNames = (await qi.showAllTables()).map((t) => (typeof t === 'string' ? t : (t as { tableName: string }).tableName));
  // queryInterface.showIndex reads Non_unique with `!== 1`, which is wrong when the connection
  // returns big numbers as strings (config/database.cjs: bigNumberStrings), so every index would
  // look unique. information_schema gives the same data with a reliable NON_UNIQUE.
  const stats = await sequelize.query<{ t: string; i: string; nu: string | number; seq: string | number; c: string }>(
    `SELECT TABLE_NAME AS t, INDEX_NAME AS i, NON_UNIQUE AS nu, SEQ_IN_INDEX AS seq, COLUMN_NAME AS c
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    { type: QueryTypes.SELECT },
  );
  const fks = await sequelize.query<{ t: string; n: string; c: string; pos: string | number }>(
    `SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS n, COLUMN_NAME AS c, ORDINAL_POSITION AS pos
       FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`,
    { type: QueryTypes.SELECT },
  );
  const tables = new Map<string, LiveTable>();
  for (const name of tableNames) {
    const described = (await qi.describeTable(name)) as unknown as Record<
      string,
      { type: string; allowNull: boolean; defaultValue: unknown; primaryKey: boolean; autoIncrement: boolean }
    >;
    const columns: Record<string, LiveColumn> = {};
    for (const [col, d] of Object.entries(described)) {
      columns[col] = {
        type: d.type,
        allowNull: d.allowNull,
        defaultValue: d.defaultValue === null || d.defaultValue === undefined ? null : String(d.defaultValue),
        primaryKey: d.primaryKey,
        autoIncrement: d.autoIncrement,
      };
    }
    tables.set(name, { columns, indexes: [], foreignKeys: [] });
  }
  for (const s of stats) {
    const table = tables.get(s.t);
    if (!table) continue;
    let idx = table.indexes.find((i) => i.name === s.i);
    if (!idx) table.indexes.push((idx = { name: s.i, unique: Number(s.nu) === 0, fields: [] }));
    idx.fields[Number(s.seq) - 1] = s.c;
  }
  const fkByName = new Map<string, string[]>();
  for (const f of fks) {
    const key = `${f.t}\u0000${f.n}`;
    if (!fkByName.has(key)) {
      const cols: string[] = [];
      fkByName.set(key, cols);
      tables.get(f.t)?.foreignKeys.push(cols);
    }
    fkByName.get(key)![Number(f.pos) - 1] = f.c;
  }
  return { mariadb: /mariadb/i.test(v), tables };
}

const sameFields = (a: string[], b: string[]) => a.length === b.length && a.every((f, i) => f === b[i]);
const list = (fields: string[]) => `(${fields.join(', ')})`;

/** Every difference between one model and its live table; empty when they agree. */
export function compareModel(model: AnyModel, schema: LiveSchema): string[] {
  return [...compareColumns(model, schema), ...compareIndexes(model, schema)];
}

/** The table exists, and its columns and the model's attributes agree (type, nullability, key, default), both ways. */
export function compareColumns(model: AnyModel, schema: LiveSchema): string[] {
  const table = model.getTableName() as string;
  const live = schema.tables.get(table);
  if (!live) return [`${table}: table is missing (model ${model.name})`];
  const problems: string[] = [];
  const rawAttributes = (model as unknown as { rawAttributes: Record<string, RawAttribute> }).rawAttributes;
  const modelColumns = new Set<string>();
  const ts = (model as unknown as { _timestampAttributes: { createdAt?: string; updatedAt?: string } })._timestampAttributes ?? {};
  const timestampColumns = new Set([ts.createdAt, ts.updatedAt].filter((c): c is string => !!c));

  for (const [attrName, attr] of Object.entries(rawAttributes)) {
    const expected = modelColumnType(attr);
    if (expected === undefined) continue; // VIRTUAL
    const column = attr.field ?? attrName;
    modelColumns.add(column);
    const where = `${table}.${column}`;
    const col = live.columns[column];
    if (!col) {
      problems.push(`${where}: column is missing from the table (model attribute ${attrName}, ${expected})`);
      continue;
    }
    const actual = liveColumnType(col.type);
    if (!typesMatch(expected, actual, schema.mariadb)) {
      problems.push(`${where}: type is ${actual} in the table, ${expected} in the model`);
    }
    const modelPk = !!attr.primaryKey;
    if (modelPk !== col.primaryKey) {
      problems.push(`${where}: primary key is ${col.primaryKey} in the table, ${modelPk} in the model`);
    }
    // createdAt/updatedAt/deletedAt... Sequelize fills the managed timestamps itself, so a model
    // need not say allowNull: false on createdAt/updatedAt for them to be NOT NULL.
    const managedTimestamp = timestampColumns.has(attrName);
    const modelNullable = modelPk || managedTimestamp ? false : attr.allowNull !== false;
    if (modelNullable !== col.allowNull) {
      problems.push(`${where}: ${col.allowNull ? 'NULL' : 'NOT NULL'} in the table, ${modelNullable ? 'NULL' : 'NOT NULL'} in the model`);
    }
    if (!!attr.autoIncrement !== col.autoIncrement) {
      problems.push(`${where}: auto-increment is ${col.autoIncrement} in the table, ${!!attr.autoIncrement} in the model`);
    }
    const md = modelDefault(attr);
    if (md !== 'dynamic') {
      const ld = col.defaultValue;
      if (md === undefined && ld !== null && !isComputedLiveDefault(ld) && !(col.allowNull && ld.toUpperCase() === 'NULL')) {
        problems.push(`${where}: default is ${ld} in the table, none in the model`);
      } else if (md !== undefined && (ld === null || !defaultsEqual(md, ld, actual))) {
        problems.push(`${where}: default is ${ld ?? 'none'} in the table, ${md} in the model`);
      }
    }
  }
  for (const column of Object.keys(live.columns)) {
    if (!modelColumns.has(column)) problems.push(`${table}.${column}: column has no model attribute (model ${model.name})`);
  }
  return problems;
}

/** The model's declared indexes exist on the table as declared, and the table has no undeclared ones. */
export function compareIndexes(model: AnyModel, schema: LiveSchema): string[] {
  const table = model.getTableName() as string;
  const live = schema.tables.get(table);
  if (!live) return [`${table}: table is missing (model ${model.name})`];
  const problems: string[] = [];

  // Indexes: everything the model declares must exist as declared; everything else on the table
  // must be the primary key or an index MySQL keeps for a foreign key.
  const declared = declaredIndexes(model);
  const matched = new Set<string>();
  for (const d of declared) {
    const hit = d.fromAttribute
      ? (live.indexes.find((i) => i.unique && sameFields(i.fields, d.fields)) ?? undefined)
      : live.indexes.find((i) => i.name === d.name);
    if (!hit) {
      const what = d.fromAttribute
        ? `unique index on ${list(d.fields)} (unique on the attribute${d.name ? `, ${d.name}` : ''})`
        : `index ${d.name} on ${list(d.fields)}`;
      problems.push(`${table}: ${what} is declared in the model but missing from the table`);
      continue;
    }
    matched.add(hit.name);
    if (!sameFields(hit.fields, d.fields)) {
      problems.push(`${table}: index ${hit.name} is on ${list(hit.fields)} in the table, ${list(d.fields)} in the model`);
    }
    if (hit.unique !== d.unique) {
      problems.push(`${table}: index ${hit.name} is ${hit.unique ? 'unique' : 'not unique'} in the table, ${d.unique ? 'unique' : 'not unique'} in the model`);
    }
  }
  for (const idx of live.indexes) {
    if (idx.name === 'PRIMARY' || matched.has(idx.name)) continue;
    const forForeignKey = !idx.unique && live.foreignKeys.some((fk) => sameFields(fk, idx.fields));
    if (forForeignKey) continue;
    problems.push(`${table}: ${idx.unique ? 'unique ' : ''}index ${idx.name} on ${list(idx.fields)} exists in the table but the model does not declare it`);
  }
  return problems;
}

/** Tables of the live schema that no model maps (tooling tables excepted). */
export function tablesWithoutModel(models: AnyModel[], schema: LiveSchema): string[] {
  const mapped = new Set(models.map((m) => m.getTableName() as string));
  return [...schema.tables.keys()].filter((t) => !TOOLING_TABLES.has(t) && !mapped.has(t)).sort();
}

/** Number of non-tooling tables in a database. */
export async function countModelTables(sequelize: Sequelize): Promise<number> {
  const names = (await sequelize.getQueryInterface().showAllTables()).map((t) => (typeof t === 'string' ? t : (t as { tableName: string }).tableName));
  return names.filter((t) => !TOOLING_TABLES.has(t)).length;
}
