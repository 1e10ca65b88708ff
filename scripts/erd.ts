/**
 * Writes docs/schema.md: the data model as mermaid entity-relationship diagrams, one per domain
 * module, built from the Sequelize models and their associations (no database needed: the models
 * are initialised on an in-memory SQLite instance that never connects).
 *
 *   npm run docs:erd            # rewrite docs/schema.md
 *   npm run docs:erd -- --check # exit 1 when docs/schema.md is out of date
 *
 * test/data-model/erd.test.ts runs the same generator and fails when the file is stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Model, ModelStatic, Sequelize } from 'sequelize';
import { createSequelize } from '../src/platform/db/sequelize';
import { modules } from '../src/modules';

export const SCHEMA_DOC = path.resolve(__dirname, '..', 'docs', 'schema.md');

type AnyModel = ModelStatic<Model>;

interface RawAttribute {
  type: { key: string; values?: string[]; _precision?: number; _scale?: number; _length?: number | string; _binary?: boolean };
  field?: string;
  allowNull?: boolean;
  primaryKey?: boolean;
  unique?: unknown;
  references?: { model?: string | { tableName?: string } };
}

interface Catalogue {
  /** Module name -> table names it owns, in module order. */
  modules: { name: string; tables: string[] }[];
  models: Map<string, AnyModel>;
}

/** One foreign key: child.column points at parent. */
interface Link {
  parent: string;
  child: string;
  column: string;
  optional: boolean;
  unique: boolean;
}

/**
 * Initialises every module's models on a fresh, never-connected SQLite instance and records which
 * module owns which table. It rebinds the model classes to that instance, so a process that uses
 * the models against a real database (the test suite) must run this in a child process.
 */
export function buildCatalogue(): Catalogue {
  const sequelize: Sequelize = createSequelize({ sqlitePath: ':memory:' });
  const owned: { name: string; tables: string[] }[] = [];
  for (const m of modules) {
    const before = new Set(Object.keys(sequelize.models));
    m.initModels?.(sequelize);
    const added = Object.keys(sequelize.models).filter((k) => !before.has(k));
    owned.push({ name: m.name, tables: added.map((k) => String(sequelize.models[k].getTableName())).sort() });
  }
  for (const m of modules) m.associate?.();
  const models = new Map<string, AnyModel>();
  for (const model of Object.values(sequelize.models)) models.set(String(model.getTableName()), model);
  return { modules: owned.filter((m) => m.tables.length > 0), models };
}

function attributesOf(model: AnyModel): [string, RawAttribute][] {
  return Object.entries((model as unknown as { rawAttributes: Record<string, RawAttribute> }).rawAttributes).filter(([, a]) => a.type.key !== 'VIRTUAL');
}

const columnOf = (model: AnyModel, attr: string) => {
  const raw = (model as unknown as { rawAttributes: Record<string, RawAttribute> }).rawAttributes[attr];
  return raw?.field ?? attr;
};

/** A mermaid-safe type word: letters, digits and underscores only (`decimal_14_2`, `varchar_50`). */
export function typeWord(attr: RawAttribute): string {
  const t = attr.type;
  switch (t.key) {
    case 'INTEGER':
      return 'int';
    case 'DECIMAL':
      return `decimal_${t._precision ?? 10}_${t._scale ?? 0}`;
    case 'STRING':
      return `${t._binary ? 'varbinary' : 'varchar'}_${t._length ?? 255}`;
    case 'CHAR':
      return `char_${t._length ?? 255}`;
    case 'TEXT':
      return `${typeof t._length === 'string' ? t._length : ''}text`;
    case 'DATE':
      return 'datetime';
    case 'DATEONLY':
      return 'date';
    default:
      return t.key.toLowerCase();
  }
}

/** Columns that are unique on their own (attribute `unique`, or a one-column unique index). */
function uniqueColumns(model: AnyModel): Set<string> {
  const out = new Set<string>();
  for (const [name, a] of attributesOf(model)) if (a.unique === true) out.add(a.field ?? name);
  const indexes = (model as unknown as { _indexes?: { unique?: boolean; fields: (string | { name?: string; attribute?: string })[] }[] })._indexes ?? [];
  for (const idx of indexes) {
    if (idx.unique && idx.fields.length === 1) {
      const f = idx.fields[0];
      out.add(typeof f === 'string' ? f : (f.name ?? f.attribute ?? ''));
    }
  }
  return out;
}

/** Every foreign key the associations (and `references` on attributes) describe, once each. */
export function collectLinks(models: Map<string, AnyModel>): Link[] {
  const links = new Map<string, Link>();
  const add = (parent: AnyModel, child: AnyModel, foreignKey: string) => {
    const childTable = String(child.getTableName());
    const column = columnOf(child, foreignKey);
    const key = `${childTable}.${column}`;
    if (links.has(key)) return;
    const raw = (child as unknown as { rawAttributes: Record<string, RawAttribute> }).rawAttributes[foreignKey];
    links.set(key, {
      parent: String(parent.getTableName()),
      child: childTable,
      column,
      optional: raw ? raw.allowNull !== false : true,
      unique: uniqueColumns(child).has(column),
    });
  };
  for (const model of models.values()) {
    for (const assoc of Object.values(model.associations)) {
      const a = assoc as unknown as {
        associationType: string;
        source: AnyModel;
        target: AnyModel;
        foreignKey: string;
        otherKey?: string;
        through?: { model: AnyModel };
      };
      if (a.associationType === 'BelongsTo') add(a.target, a.source, a.foreignKey);
      else if (a.associationType === 'HasMany' || a.associationType === 'HasOne') add(a.source, a.target, a.foreignKey);
      else if (a.associationType === 'BelongsToMany' && a.through) {
        add(a.source, a.through.model, a.foreignKey);
        add(a.target, a.through.model, a.otherKey!);
      }
    }
    for (const [name, attr] of attributesOf(model)) {
      const ref = attr.references?.model;
      const table = typeof ref === 'string' ? ref : ref?.tableName;
      const parent = table ? models.get(table) : undefined;
      if (parent) add(parent, model, name);
    }
  }
  return [...links.values()].sort((x, y) => `${x.child}.${x.column}`.localeCompare(`${y.child}.${y.column}`));
}

function entityBlock(model: AnyModel, fkColumns: Set<string>): string[] {
  const table = String(model.getTableName());
  const unique = uniqueColumns(model);
  const lines = [`    ${table} {`];
  for (const [name, attr] of attributesOf(model)) {
    const column = attr.field ?? name;
    const keys = [attr.primaryKey ? 'PK' : '', fkColumns.has(column) ? 'FK' : '', unique.has(column) && !attr.primaryKey ? 'UK' : ''].filter(Boolean);
    const notes: string[] = [];
    if (attr.allowNull !== false && !attr.primaryKey && !['createdAt', 'updatedAt'].includes(column)) notes.push('null');
    if (attr.type.key === 'ENUM') notes.push((attr.type.values ?? []).join(' / '));
    const comment = notes.length ? ` "${notes.join('; ').replace(/"/g, "'")}"` : '';
    lines.push(`        ${typeWord(attr)} ${column}${keys.length ? ` ${keys.join(', ')}` : ''}${comment}`);
  }
  lines.push('    }');
  return lines;
}

function relationshipLine(l: Link): string {
  const parentSide = l.optional ? '|o' : '||';
  const childSide = l.unique ? 'o|' : 'o{';
  return `    ${l.parent} ${parentSide}--${childSide} ${l.child} : "${l.column}"`;
}

/** The whole of docs/schema.md, deterministic for a given set of models. */
export function renderSchemaDoc(catalogue: Catalogue): string {
  const { models } = catalogue;
  const links = collectLinks(models);
  const moduleOf = new Map<string, string>();
  for (const m of catalogue.modules) for (const t of m.tables) moduleOf.set(t, m.name);
  const fkByTable = new Map<string, Set<string>>();
  for (const l of links) {
    if (!fkByTable.has(l.child)) fkByTable.set(l.child, new Set());
    fkByTable.get(l.child)!.add(l.column);
  }

  const out: string[] = [];
  out.push('# AMT data model');
  out.push('');
  out.push('<!-- Generated by scripts/erd.ts from the Sequelize models: do not edit by hand, run `npm run docs:erd`. -->');
  out.push('');
  out.push(
    `${models.size} tables in ${catalogue.modules.length} domain modules. Each section below is one module: its tables`,
    'with every column, and the foreign keys its tables hold (a table of another module they point at appears as a',
    'box without columns). Foreign keys between modules are listed again at the end.',
    '',
    'Legend: column types are the model types (`decimal_14_2` is DECIMAL(14,2) money, `varchar_50` is VARCHAR(50),',
    '`date` a calendar date, `datetime` an instant stored in UTC); `PK` primary key, `FK` foreign key, `UK` unique; the',
    'note `null` marks a nullable column, and an enumeration lists its values. Each relationship is labelled with its',
    'foreign-key column; `|o` on the parent side means the key is optional, `o|` on the child side that it is unique.',
    'The schema itself is the migrations (`migrations/`); `test/data-model/conformance.test.ts` proves models and',
    'tables agree, and `test/data-model/erd.test.ts` that this file matches the models.',
  );
  out.push('');
  out.push('## Modules');
  out.push('');
  out.push('| Module | Tables |');
  out.push('| --- | --- |');
  for (const m of catalogue.modules) out.push(`| [${m.name}](#${m.name}) | ${m.tables.map((t) => `\`${t}\``).join(', ')} |`);
  out.push('');

  for (const m of catalogue.modules) {
    const own = new Set(m.tables);
    const moduleLinks = links.filter((l) => own.has(l.child));
    out.push(`## ${m.name}`);
    out.push('');
    out.push('```mermaid');
    out.push('erDiagram');
    for (const t of m.tables) out.push(...entityBlock(models.get(t)!, fkByTable.get(t) ?? new Set()));
    for (const l of moduleLinks) out.push(relationshipLine(l));
    out.push('```');
    out.push('');
  }

  out.push('## Links between modules');
  out.push('');
  out.push('| Foreign key | Points at | From module | To module |');
  out.push('| --- | --- | --- | --- |');
  for (const l of links) {
    const from = moduleOf.get(l.child);
    const to = moduleOf.get(l.parent);
    if (from !== to) out.push(`| \`${l.child}.${l.column}\`${l.optional ? ' (optional)' : ''} | \`${l.parent}\` | ${from} | ${to} |`);
  }
  out.push('');
  return out.join('\n');
}

/** Builds the models and renders the document (what `npm run docs:erd` writes). */
export function generateSchemaDoc(): string {
  return renderSchemaDoc(buildCatalogue());
}

if (require.main === module) {
  const doc = generateSchemaDoc();
  if (process.argv.includes('--stdout')) {
    process.stdout.write(doc);
  } else if (process.argv.includes('--check')) {
    const current = fs.existsSync(SCHEMA_DOC) ? fs.readFileSync(SCHEMA_DOC, 'utf8') : '';
    if (current !== doc) {
      console.error('docs/schema.md is out of date: run npm run docs:erd');
      process.exit(1);
    }
    console.log('docs/schema.md is up to date');
  } else {
    fs.mkdirSync(path.dirname(SCHEMA_DOC), { recursive: true });
    fs.writeFileSync(SCHEMA_DOC, doc);
    console.log(`wrote ${path.relative(process.cwd(), SCHEMA_DOC)}`);
  }
}
