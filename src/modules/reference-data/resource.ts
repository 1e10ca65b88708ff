import Joi from 'joi';
import {
  Op,
  QueryTypes,
  col,
  fn,
  where as sqlWhere,
  type Attributes,
  type BelongsTo,
  type CreationAttributes,
  type Model,
  type ModelAttributeColumnOptions,
  type ModelStatic,
  type Order,
  type Transaction,
  type WhereOptions,
} from 'sequelize';
import type { Principal } from '../../platform/auth/principal';
import { withTransaction } from '../../platform/db/transaction';
import { decodeCursor, encodeCursor, pagedResponseSchema, paginationQuery, type Paged } from '../../platform/http/pagination';
import { checkIfMatch, etagOf, versionsIn } from '../../platform/http/etag';
import { problems, type FieldError } from '../../platform/http/problem';
import { defineRoute, type ApiResult, type ResponseSpec, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import { audit } from '../audit/audit';

/**
 * One declarative mechanism for reference and master data: a resource is declared in a few lines
 * and gets list, get, create, update and retire, with the same rules everywhere:
 *
 *  - GET    /<path>              list: `limit` + keyset `cursor` (or `page`, which adds `total`),
 *                                 `sort=name,-code`, declared filters, `q` search; retired rows
 *                                 only with `includeRetired=true` (or `isActive=false`).
 *  - GET    /<path>/:id          one row, `ETag: "<version>"` (304 on a matching If-None-Match).
 *  - POST   /<path>              create: 201, Location, ETag.
 *  - PATCH  /<path>/:id          change: needs `If-Match: "<version>"` (428 without, 412 stale).
 *  - POST   /<path>/:id/retire   isActive=false (soft delete where the model has no isActive);
 *                                 idempotent. `isActive: true` in a PATCH brings a row back.
 *
 * Unknown query parameters and body fields are 400 (the router), as are wrong types; a foreign key
 * to a missing row is 400 naming the field; a duplicate unique value is 409 naming the fields.
 *
 * `defineResource` reads the model's attributes, associations and indexes, so it must run after
 * the models are initialised and associated: call it from a module's `routes(ctx)`.
 */

type AttributeName<M extends Model> = Extract<keyof Attributes<M>, string>;

/**
 * The type of a resource's create body: the attributes of model M it names, e.g.
 * `Joi.object<ResourceBody<Area, 'regionId' | 'name' | 'code'>, true>({...})`. Joi's strict map
 * then refuses a key that is not listed, a listed key without a schema, and a schema of another
 * type than the attribute's (a number schema for a string column).
 */
export type ResourceBody<M extends Model, K extends keyof CreationAttributes<M>> = Pick<CreationAttributes<M>, K>;

/** A body as the generic routes handle it: the per-resource type was checked where the resource is declared. */
type Values = Record<string, unknown>;

type IsAny<T> = 0 extends 1 & T ? true : false;

export interface FilterSpec {
  /** Validates the query value (converted from the query string). */
  schema: Joi.Schema;
  /** The condition for a value; without it, the column of the same name equals the value. */
  where?: (value: any) => WhereOptions;
}

/** What a rule or hook is handed, inside the write's transaction. */
export interface WriteContext {
  transaction: Transaction;
  /** The row as it was (plain values), on update and retire; undefined on create. */
  before?: Record<string, unknown>;
  principal: Principal;
}

export interface ResourceDefinition<M extends Model = any, B = any> {
  /** Plural, lower case: the tag and the words of the summaries, e.g. 'countries'. */
  name: string;
  /** One of them, for messages: 'country'. */
  singular: string;
  /** Below /api/v1, e.g. '/countries'. */
  path: string;
  model: ModelStatic<M>;
  permissions: { read: string; write: string };
  /** Body of POST, typed with ResourceBody: `Joi.object<ResourceBody<M, keys>, true>({...})`; keys it does not list are refused. */
  create: Joi.ObjectSchema<B>;
  /** Body of PATCH; by default the keys of `create`, all optional, less `immutable`. `isActive` is always accepted. */
  update?: Joi.ObjectSchema;
  /** Keys of `create` that identify the row and may not change afterwards (default update schema). */
  immutable?: AttributeName<M>[];
  /**
   * Rules across fields or rows that a Joi schema cannot say, checked on create and update against
   * the row as it would be (current values overlaid with the sent ones). Return the failing fields
   * (answered 400).
   */
  rules?: (next: Record<string, any>, ctx: WriteContext) => Promise<FieldError[] | void> | FieldError[] | void;
  /** Runs in the write's transaction after create or update (e.g. price history). */
  afterWrite?: (row: M, changed: string[], ctx: WriteContext) => Promise<void>;
  /** Query filters: a Joi schema (equality on that column) or a FilterSpec. `isActive` is implied. */
  filters?: Record<string, Joi.Schema | FilterSpec>;
  /** Fields the list may be sorted by; the first is the default order. `id` is always the tie-break. */
  sort?: AttributeName<M>[];
  /** Fields `q` searches (case-insensitive substring, any of them). */
  search?: AttributeName<M>[];
  /** Attributes never sent to clients. */
  hidden?: AttributeName<M>[];
  /** Longer text for the OpenAPI list operation. */
  description?: string;
}

/**
 * Types a definition against its model at the declaration site; returns it unchanged. The create
 * schema must be typed (an untyped `Joi.object({...})` is refused) with attributes of the model.
 */
export function resource<M extends Model, B extends Partial<CreationAttributes<M>>>(
  def: ResourceDefinition<M, B> &
    (IsAny<B> extends true ? { create: 'the create schema states its type: Joi.object<ResourceBody<Model, keys>, true>({...})' } : unknown),
): ResourceDefinition {
  return def as ResourceDefinition;
}

// ------------------------------------------------------------------------------------------------
// Headers, ETags and shared schemas

const RESERVED_QUERY = new Set(['limit', 'cursor', 'page', 'sort', 'q', 'includeRetired']);
const idParams = Joi.object<{ id: number }, true>({ id: idField().required() });
const ifMatchHeaders = (required: boolean) =>
  Joi.object<{ 'if-match'?: string }, true>({
    'if-match': Joi.string()
      .max(200)
      .description(
        required
          ? 'Required: the ETag from GET (the version you are changing). 428 without it, 412 when stale.'
          : 'Optional: the ETag from GET; 412 when stale.',
      ),
  });
const ifNoneMatchHeaders = Joi.object<{ 'if-none-match'?: string }, true>({
  'if-none-match': Joi.string().max(200).description('An ETag from an earlier GET: 304 when unchanged.'),
});

// ETags and If-Match live in src/platform/http/etag.ts (customers' records use them too).
export { checkIfMatch, etagOf };

// ------------------------------------------------------------------------------------------------
// Model introspection

interface SortKey {
  field: string;
  desc: boolean;
}

type Attr = ModelAttributeColumnOptions & { values?: readonly string[] };

function typeKey(attr: Attr): string {
  const t = attr.type as unknown as { key?: string; constructor?: { key?: string } };
  return t.key ?? t.constructor?.key ?? 'STRING';
}

/** A documentation schema for one attribute (responses are not validated; this is for OpenAPI). */
function attributeSchema(name: string, attr: Attr): Joi.Schema {
  let s: Joi.Schema;
  switch (typeKey(attr)) {
    case 'INTEGER':
    case 'BIGINT':
    case 'SMALLINT':
    case 'MEDIUMINT':
    case 'TINYINT':
      s = Joi.number().integer();
      break;
    case 'FLOAT':
    case 'DOUBLE':
    case 'REAL':
      s = Joi.number();
      break;
    case 'DECIMAL':
      s = Joi.string()
        .pattern(/^-?\d+\.\d+$/)
        .description('Decimal as a string, e.g. "1500.00"');
      break;
    case 'BOOLEAN':
      s = Joi.boolean();
      break;
    case 'DATEONLY':
      s = Joi.string()
        .pattern(/^\d{4}-\d{2}-\d{2}$/)
        .description('Calendar date YYYY-MM-DD');
      break;
    case 'DATE':
      s = Joi.string().isoDate();
      break;
    case 'ENUM': {
      const values = attr.values ?? (attr.type as unknown as { values?: string[] }).values ?? [];
      s = Joi.string().valid(...values);
      break;
    }
    case 'JSON':
      s = Joi.any();
      break;
    default:
      s = Joi.string();
  }
  const required = attr.allowNull === false || attr.primaryKey === true || name === 'createdAt' || name === 'updatedAt';
  return required ? s : s.allow(null);
}

interface Reference {
  field: string;
  what: string;
  exists(value: unknown, transaction: Transaction): Promise<boolean>;
}

function referencesOf(model: ModelStatic<Model>): Map<string, Reference> {
  const refs = new Map<string, Reference>();
  for (const assoc of Object.values(model.associations)) {
    if (assoc.associationType !== 'BelongsTo') continue;
    const target = (assoc as BelongsTo).target;
    const field = (assoc as BelongsTo).foreignKey;
    refs.set(field, {
      field,
      what: target.name,
      exists: async (value, transaction) => (await target.count({ where: { [target.primaryKeyAttribute]: value }, paranoid: false, transaction })) > 0,
    });
  }
  const qi = model.sequelize!.getQueryInterface();
  for (const [field, attr] of Object.entries(model.getAttributes() as Record<string, Attr>)) {
    if (refs.has(field) || !attr.references || typeof attr.references === 'string') continue;
    const ref = attr.references;
    const table = typeof ref.model === 'string' ? ref.model : (ref.model as unknown as ModelStatic<Model>).getTableName().toString();
    const key = ref.key ?? 'id';
    refs.set(field, {
      field,
      what: table,
      exists: async (value, transaction) => {
        const rows = await model.sequelize!.query(`SELECT 1 AS found FROM ${qi.quoteTable(table)} WHERE ${qi.quoteIdentifier(key)} = ? LIMIT 1`, {
          replacements: [value],
          type: QueryTypes.SELECT,
          transaction,
        });
        return rows.length > 0;
      },
    });
  }
  return refs;
}

/** Every set of fields the table keeps unique: single-column `unique` and unique indexes. */
function uniqueSetsOf(model: ModelStatic<Model>): string[][] {
  const sets: string[][] = [];
  const groups = new Map<string, string[]>();
  for (const [field, attr] of Object.entries(model.getAttributes() as Record<string, Attr>)) {
    if (attr.primaryKey || !attr.unique) continue;
    if (attr.unique === true) sets.push([field]);
    else {
      const name = typeof attr.unique === 'string' ? attr.unique : (attr.unique.name ?? field);
      groups.set(name, [...(groups.get(name) ?? []), field]);
    }
  }
  sets.push(...groups.values());
  for (const index of model.options.indexes ?? []) {
    if (!index.unique || !index.fields) continue;
    sets.push(
      index.fields.map((f) =>
        typeof f === 'string' ? f : ((f as { name?: string; attribute?: string }).name ?? (f as { attribute?: string }).attribute ?? ''),
      ),
    );
  }
  return sets.filter((s) => s.length && s.every(Boolean));
}

// ------------------------------------------------------------------------------------------------
// Listing

function sortSchema(allowed: string[]): Joi.StringSchema {
  return Joi.string()
    .max(200)
    .custom((value: string, helpers) => {
      const seen = new Set<string>();
      for (const part of value.split(',')) {
        const field = part.trim().replace(/^-/, '');
        if (!allowed.includes(field)) {
          return helpers.message({ custom: `sort key "${field}" is not allowed; use ${allowed.join(', ')} (prefix - for descending)` });
        }
        if (seen.has(field)) return helpers.message({ custom: `sort key "${field}" is given twice` });
        seen.add(field);
      }
      return value;
    })
    .description(`Comma-separated keys of ${allowed.join(', ')}; prefix - for descending. Default ${allowed[0]}.`);
}

function parseSort(value: string): SortKey[] {
  const keys = value.split(',').map((part) => {
    const p = part.trim();
    return { field: p.replace(/^-/, ''), desc: p.startsWith('-') };
  });
  if (!keys.some((k) => k.field === 'id')) keys.push({ field: 'id', desc: false });
  return keys;
}

/**
 * Rows strictly after `values` in the order `sort`, with NULL sorting first ascending and last
 * descending (MySQL, MariaDB and SQLite all do so): (k1 after v1) OR (k1 = v1 AND k2 after v2) ...
 */
function keysetWhere(sort: SortKey[], values: unknown[]): WhereOptions {
  const ors: WhereOptions[] = [];
  for (let i = 0; i < sort.length; i++) {
    const { field, desc } = sort[i]!;
    const v = values[i];
    let after: WhereOptions | undefined;
    if (!desc) after = v === null ? { [field]: { [Op.ne]: null } } : { [field]: { [Op.gt]: v } };
    else if (v !== null) after = { [Op.or]: [{ [field]: { [Op.lt]: v } }, { [field]: null }] };
    if (after) {
      const equal = sort.slice(0, i).map((k, j) => ({ [k.field]: values[j] ?? null }));
      ors.push({ [Op.and]: [...equal, after] });
    }
  }
  return { [Op.or]: ors };
}

function cursorValue(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  return v ?? null;
}

// ------------------------------------------------------------------------------------------------
// The routes

type Row = Model & { id: number; version: number; isActive?: boolean; deletedAt?: Date | null };

/** The five routes of one resource. Call after the models are initialised and associated. */
export function defineResource<M extends Model>(def: ResourceDefinition<M>): RouteSpec[] {
  const model = def.model as unknown as ModelStatic<Row>;
  const sequelize = model.sequelize;
  if (!sequelize) throw new Error(`reference resource ${def.name}: model ${model.name} is not initialised`);
  const attributes = model.getAttributes() as Record<string, Attr>;
  const has = (field: string) => Object.prototype.hasOwnProperty.call(attributes, field);
  const fail = (message: string): never => {
    throw new Error(`reference resource ${def.name}: ${message}`);
  };

  if (!model.options.version || !has('version')) fail(`${model.name} needs a version column with model option version: true (the ETag)`);
  const hasIsActive = has('isActive');
  const paranoid = model.options.paranoid === true;
  if (!hasIsActive && !paranoid) fail(`${model.name} has neither isActive nor paranoid: it cannot be retired`);

  const sortable = [...new Set([...(def.sort ?? []), 'id'])];
  for (const f of [...sortable, ...(def.search ?? []), ...(def.hidden ?? [])]) if (!has(f)) fail(`${f} is not an attribute of ${model.name}`);

  const filters: [string, FilterSpec][] = Object.entries(def.filters ?? {}).map(([k, f]) => [
    k,
    Joi.isSchema(f) ? { schema: f as Joi.Schema } : (f as FilterSpec),
  ]);
  if (hasIsActive && !filters.some(([k]) => k === 'isActive')) {
    filters.push(['isActive', { schema: Joi.boolean().description('true: active only (the default); false: retired only') }]);
  }
  for (const [k, f] of filters) {
    if (RESERVED_QUERY.has(k)) fail(`filter ${k} clashes with a list parameter`);
    if (!f.where && !has(k)) fail(`filter ${k} is not an attribute of ${model.name}; give it a where()`);
  }

  const createKeys = Object.keys((def.create.describe() as { keys?: Record<string, unknown> }).keys ?? {});
  const immutable = new Set<string>(def.immutable ?? []);
  for (const k of immutable) if (!createKeys.includes(k)) fail(`immutable ${k} is not a key of the create schema`);
  const updateBase: Joi.ObjectSchema<Values> =
    def.update ?? Joi.object<Values, false>(Object.fromEntries(createKeys.filter((k) => !immutable.has(k)).map((k) => [k, def.create.extract(k).optional()])));
  const createBody: Joi.ObjectSchema<Values> = def.create;
  const updateSchema = (
    hasIsActive && !(updateBase.describe() as { keys?: Record<string, unknown> }).keys?.isActive
      ? updateBase.keys({ isActive: Joi.boolean().description('true brings a retired row back') })
      : updateBase
  ).min(1);

  const hidden = new Set<string>(def.hidden ?? []);
  const item = Joi.object(
    Object.fromEntries(
      Object.entries(attributes)
        .filter(([k]) => !hidden.has(k))
        .map(([k, a]) => [k, attributeSchema(k, a)]),
    ),
  );
  const references = referencesOf(model as unknown as ModelStatic<Model>);
  const uniqueSets = uniqueSetsOf(model as unknown as ModelStatic<Model>);
  const singular = def.singular;
  const tags = [def.name];
  const read = { permission: def.permissions.read };
  const write = { permission: def.permissions.write };
  const location = (id: number) => `/api/v1${def.path}/${id}`;

  const represent = (row: Row): Record<string, unknown> => {
    const plain = row.get({ plain: true }) as Record<string, unknown>;
    for (const h of hidden) delete plain[h];
    return plain;
  };
  const answer = (row: Row, status = 200): ApiResult => ({ status, headers: { ETag: etagOf(row.version) }, body: represent(row) });

  async function checkReferences(values: Record<string, unknown>, transaction: Transaction): Promise<void> {
    const errors: FieldError[] = [];
    for (const [field, value] of Object.entries(values)) {
      const ref = references.get(field);
      if (!ref || value === null || value === undefined) continue;
      if (!(await ref.exists(value, transaction))) {
        errors.push({ field, in: 'body', message: `${field} refers to a ${ref.what} that does not exist`, type: 'reference.missing' } as FieldError);
      }
    }
    if (errors.length) throw problems.validation(errors, 'The request refers to records that do not exist.');
  }

  async function checkUnique(values: Record<string, unknown>, transaction: Transaction, current?: Row): Promise<void> {
    const base = current ? (current.get({ plain: true }) as Record<string, unknown>) : {};
    for (const fields of uniqueSets) {
      if (!fields.some((f) => f in values)) continue;
      const candidate = Object.fromEntries(fields.map((f) => [f, f in values ? values[f] : base[f]]));
      if (Object.values(candidate).some((v) => v === null || v === undefined)) continue;
      const clash = await model.findOne({
        where: { ...candidate, ...(current ? { id: { [Op.ne]: current.id } } : {}) },
        attributes: ['id'],
        paranoid: false,
        transaction,
      });
      if (clash) {
        throw problems.conflict(`A ${singular} with the same ${fields.join(' and ')} already exists.`, 'duplicate', {
          errors: fields.map((field) => ({ field, message: `${field} is already taken` })),
        });
      }
    }
  }

  async function checkRules(next: Record<string, unknown>, ctx: WriteContext): Promise<void> {
    const errors = (await def.rules?.(next, ctx)) ?? [];
    if (errors.length) {
      throw problems.validation(
        errors.map((e) => ({ in: 'body', ...e }) as FieldError),
        `The request breaks a rule of ${def.name}.`,
      );
    }
  }

  const entity = model.tableName;
  const actionPrefix = model.name.charAt(0).toLowerCase() + model.name.slice(1);
  /** One systemLogs row per change, in the same transaction: who, what, old and new values. */
  async function recordChange(action: string, row: Row, changed: string[], ctx: WriteContext): Promise<void> {
    const visible = changed.filter((k) => !hidden.has(k) && k !== 'updatedAt' && k !== 'createdAt');
    const pick = (o: Record<string, unknown>) => Object.fromEntries(visible.map((k) => [k, o[k] ?? null]));
    await audit.record(ctx.transaction, {
      actor: ctx.principal,
      action: `${actionPrefix}.${action}`,
      entity,
      entityId: row.id,
      before: ctx.before ? pick(ctx.before) : null,
      after: pick(row.get({ plain: true }) as Record<string, unknown>),
    });
  }

  function listWhere(q: Record<string, any>): WhereOptions {
    const and: WhereOptions[] = [];
    if (hasIsActive && q.isActive === undefined && !q.includeRetired) and.push({ isActive: true });
    for (const [k, f] of filters) {
      if (q[k] === undefined) continue;
      and.push(f.where ? f.where(q[k]) : { [k]: q[k] });
    }
    if (def.search?.length && q.q) {
      const needle = String(q.q).toLowerCase();
      and.push({ [Op.or]: def.search.map((f) => sqlWhere(fn('INSTR', fn('LOWER', col(f)), needle), Op.gt, 0)) });
    }
    return { [Op.and]: and };
  }

  async function list(q: Record<string, any>): Promise<Paged<Record<string, unknown>>> {
    if (q.cursor !== undefined && q.page !== undefined) {
      throw problems.validation([{ field: 'page', in: 'query', message: 'use either cursor or page, not both' } as FieldError]);
    }
    const sort = parseSort(q.sort ?? sortable[0]!);
    const signature = sort.map((k) => (k.desc ? '-' : '') + k.field).join(',');
    const order: Order = sort.map((k) => [k.field, k.desc ? 'DESC' : 'ASC']);
    const where = listWhere(q);
    const scope = { paranoid: !(paranoid && !hasIsActive && q.includeRetired) };
    const limit: number = q.limit;

    if (q.page !== undefined) {
      const [total, rows] = await Promise.all([
        model.count({ where, ...scope }),
        model.findAll({ where, order, limit, offset: (q.page - 1) * limit, ...scope }),
      ]);
      return { data: rows.map(represent), page: { limit, nextCursor: null, page: q.page, total } };
    }

    let keyset: WhereOptions | undefined;
    if (q.cursor !== undefined) {
      const [sig, ...values] = decodeCursor(q.cursor, sort.length + 1);
      const valid = sig === signature && values.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
      if (!valid) throw problems.validation([{ field: 'cursor', in: 'query', message: 'cursor is not valid for this list and sort' } as FieldError]);
      const typed = values.map((v, i) => (v !== null && typeKey(attributes[sort[i]!.field]!) === 'DATE' ? new Date(String(v)) : v));
      keyset = keysetWhere(sort, typed);
    }
    const rows = await model.findAll({ where: keyset ? { [Op.and]: [where, keyset] } : where, order, limit: limit + 1, ...scope });
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = more && last ? encodeCursor([signature, ...sort.map((k) => cursorValue(last.get(k.field)))]) : null;
    return { data: page.map(represent), page: { limit, nextCursor } };
  }

  const problemsOf = (...codes: number[]): Record<number, ResponseSpec> => {
    const words: Record<number, string> = {
      304: 'Not modified (If-None-Match matched)',
      404: `No such ${singular}`,
      409: 'A unique value is already taken',
      412: 'If-Match does not name the current version',
      428: 'If-Match is missing',
    };
    return Object.fromEntries(codes.map((c) => [c, { description: words[c]!, contentType: 'application/problem+json' }]));
  };

  const listQuery = Joi.object<Record<string, any>, false>({
    limit: paginationQuery.limit,
    cursor: paginationQuery.cursor.description('nextCursor of the previous page (not with page)'),
    page: paginationQuery.page.description('Page number; the answer then carries total (not with cursor)'),
    sort: sortSchema(sortable),
    ...(def.search?.length
      ? {
          q: Joi.string()
            .trim()
            .min(1)
            .max(100)
            .description(`Case-insensitive search in ${def.search.join(', ')}`),
        }
      : {}),
    includeRetired: Joi.boolean().default(false).description('Also list retired rows'),
    ...Object.fromEntries(filters.map(([k, f]) => [k, f.schema])),
  });

  return [
    defineRoute({
      method: 'get',
      path: def.path,
      summary: `List ${def.name}`,
      description: def.description,
      tags,
      access: read,
      query: listQuery,
      responses: { 200: { description: `A page of ${def.name}`, schema: pagedResponseSchema(item) } },
      handler: async (req) => ({ body: await list(req.valid.query) }),
    }),
    defineRoute({
      method: 'get',
      path: `${def.path}/:id`,
      summary: `One ${singular} (retired ones too), with its version as ETag`,
      tags,
      access: read,
      params: idParams,
      headers: ifNoneMatchHeaders,
      responses: { 200: { description: `The ${singular}`, schema: item }, ...problemsOf(304, 404) },
      handler: async (req) => {
        const row = await model.findByPk(req.valid.params.id);
        if (!row) throw problems.notFound(singular);
        const ifNoneMatch: string | undefined = req.valid.headers['if-none-match'];
        if (ifNoneMatch && versionsIn(ifNoneMatch).some((v) => v === '*' || v === row.version)) {
          return { status: 304, headers: { ETag: etagOf(row.version) } };
        }
        return answer(row);
      },
    }),
    defineRoute({
      method: 'post',
      path: def.path,
      summary: `Create a ${singular}`,
      tags,
      access: write,
      body: createBody,
      responses: { 201: { description: `The new ${singular}; Location and ETag headers`, schema: item }, ...problemsOf(409) },
      handler: async (req) => {
        const values = req.valid.body;
        const created = await withTransaction(sequelize, async (transaction) => {
          const ctx: WriteContext = { transaction, principal: req.principal! };
          await checkReferences(values, transaction);
          await checkRules(values, ctx);
          await checkUnique(values, transaction);
          const row = await model.create(values as never, { transaction });
          const changed = Object.keys(row.get({ plain: true }) as object);
          await def.afterWrite?.(row as unknown as M, changed, ctx);
          await recordChange('create', row, changed, ctx);
          return row;
        });
        await created.reload();
        const out = answer(created, 201);
        return { ...out, headers: { ...out.headers, Location: location(created.id) } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: `${def.path}/:id`,
      summary: `Change a ${singular} (If-Match: its ETag)`,
      description: 'Send only the fields to change. The version in If-Match must be the current one.',
      tags,
      access: write,
      params: idParams,
      headers: ifMatchHeaders(true),
      body: updateSchema,
      responses: { 200: { description: `The changed ${singular}, with its new ETag`, schema: item }, ...problemsOf(404, 409, 412, 428) },
      handler: async (req) => {
        const ifMatch: string | undefined = req.valid.headers['if-match'];
        // 428 before touching the database: no If-Match, no write.
        if (!ifMatch?.trim()) checkIfMatch(undefined, 0, true);
        // Only what the caller sent: schema defaults are for creation, never a silent overwrite.
        const sent = new Set(Object.keys((req.body ?? {}) as object));
        const values = Object.fromEntries(Object.entries(req.valid.body).filter(([k]) => sent.has(k)));
        const row = await withTransaction(sequelize, async (transaction) => {
          const current = await model.findByPk(req.valid.params.id, { transaction, lock: transaction.LOCK.UPDATE });
          if (!current) throw problems.notFound(singular);
          checkIfMatch(ifMatch, current.version, true);
          const before = current.get({ plain: true }) as Record<string, unknown>;
          const ctx: WriteContext = { transaction, principal: req.principal!, before };
          await checkReferences(values, transaction);
          await checkRules({ ...before, ...values }, ctx);
          await checkUnique(values, transaction, current);
          current.set(values as never);
          const changed = (current.changed() || []) as string[];
          if (!changed.length) return current;
          // version: true makes this UPDATE ... WHERE version = <read>; a lost race is a 412.
          await current.save({ transaction });
          await def.afterWrite?.(current as unknown as M, changed, ctx);
          await recordChange('update', current, changed, ctx);
          return current;
        });
        await row.reload();
        return answer(row);
      },
    }),
    defineRoute({
      method: 'post',
      path: `${def.path}/:id/retire`,
      summary: `Retire a ${singular} (idempotent; it stays readable and referable)`,
      tags,
      access: write,
      params: idParams,
      headers: ifMatchHeaders(false),
      responses: { 200: { description: `The retired ${singular}`, schema: item }, ...problemsOf(404, 412) },
      handler: async (req) => {
        const ifMatch: string | undefined = req.valid.headers['if-match'];
        const row = await withTransaction(sequelize, async (transaction) => {
          const current = await model.findByPk(req.valid.params.id, { transaction, lock: transaction.LOCK.UPDATE, paranoid: hasIsActive });
          if (!current) throw problems.notFound(singular);
          const retired = hasIsActive ? current.isActive === false : current.deletedAt != null;
          if (retired) return current;
          checkIfMatch(ifMatch, current.version, false);
          const ctx: WriteContext = { transaction, principal: req.principal!, before: current.get({ plain: true }) as Record<string, unknown> };
          if (hasIsActive) {
            current.set({ isActive: false } as never);
            await current.save({ transaction });
          } else {
            await current.destroy({ transaction });
          }
          await recordChange('retire', current, hasIsActive ? ['isActive'] : ['deletedAt'], ctx);
          return current;
        });
        await row.reload({ paranoid: false });
        return answer(row);
      },
    }),
  ];
}
