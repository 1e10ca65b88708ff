import { DataTypes, QueryTypes, type Model, type ModelStatic, type Sequelize, type Transaction } from 'sequelize';
import { dialect } from './dialect';

/**
 * Plain SQL on a transaction's own connection, for the hot money paths (payment posting): one
 * statement, one round trip, no model instances. On MySQL it goes straight to the mysql2
 * connection Sequelize opened for the transaction, which keeps Sequelize's settings (UTC
 * timezone, DATE as 'YYYY-MM-DD', DECIMAL as strings); elsewhere (SQLite, the demo) through
 * sequelize.query. Values are always bound with `?`, never concatenated into the text.
 */
export type SqlValue = string | number | Date | null;

export interface WriteResult {
  insertId: number;
  affectedRows: number;
}

/** mysql2's per-query options we use: a pooled read may ask for mysql2's own conversions (selectRows). */
interface QueryOptions {
  typeCast?: (field: unknown, next: () => unknown) => unknown;
  dateStrings?: string[];
}

/**
 * mysql2's own conversion of every field, as a function: Sequelize's connections carry its typeCast
 * function, and mysql2 replaces a query's non-function `typeCast` (true) by the connection's while
 * compiling the row parser, so that parser was cached under different options than the next query
 * looked it up by: every query compiled a new parser and the cache's list for that shape grew
 * without bound (most of the change feed's CPU). One function, the same for every query, is found
 * again; the conversions are mysql2's (the connection's UTC timezone, DATE as text by dateStrings).
 */
const nativeCast = (_field: unknown, next: () => unknown): unknown => next();

interface Mysql2Connection {
  query(options: { sql: string; values: unknown[] } & QueryOptions, cb: (err: Error | null, result: unknown) => void): void;
}

function mysqlConnection(t: Transaction): Mysql2Connection | undefined {
  const conn = (t as unknown as { connection?: Mysql2Connection }).connection;
  return conn && typeof conn.query === 'function' ? conn : undefined;
}

type QueryClass = new (connection: unknown, sequelize: Sequelize, options: object) => { formatError(err: Error, stack?: string): Error };

/** mysql2 errors become the same Sequelize errors (UniqueConstraintError, DatabaseError, ...) models throw. */
function runOnConnection<T>(sequelize: Sequelize, conn: Mysql2Connection, sql: string, values: unknown[], options: QueryOptions = {}): Promise<T> {
  return new Promise((resolve, reject) =>
    conn.query({ sql, values, ...options }, (err, result) => {
      if (!err) return resolve(result as T);
      const Query = (sequelize as unknown as { dialect: { Query: QueryClass } }).dialect.Query;
      const wrapped = new Query(conn, sequelize, {}).formatError(Object.assign(err, { sql }), err.stack);
      reject(wrapped);
    }),
  );
}

/** SQL text with its `?` values: a statement, or an expression that goes into one. */
export interface SqlText {
  sql: string;
  values: SqlValue[];
}

interface Statement extends SqlText {
  /** Run on the statement's raw result when it comes back; a throw fails the statement it went with. */
  check?: (result: unknown) => void;
}

/** Statements sent in the COMMIT's own round trip, and who hears of their results. */
interface CommitTail {
  statements: Statement[];
  onResults: ((results: unknown[]) => void)[];
}

/**
 * Writes deferred in a transaction (MySQL only), sent ahead of the next statement on its
 * connection in the same round trip; and the statements that go with its COMMIT. Kept per
 * transaction; a rollback drops them.
 */
const deferred = new WeakMap<Transaction, Statement[]>();
const tails = new WeakMap<Transaction, CommitTail>();

function takeDeferred(t: Transaction): Statement[] {
  const pending = deferred.get(t);
  if (!pending || pending.length === 0) return [];
  deferred.set(t, []);
  return pending;
}

/** A rollback drops what was deferred (once per transaction). */
function dropOnRollback(t: Transaction): void {
  if (deferred.has(t) || tails.has(t)) return;
  const rollback = t.rollback.bind(t);
  t.rollback = () => {
    deferred.delete(t);
    tails.delete(t);
    return rollback();
  };
}

/** The checks of deferred statements, on their results (a lone statement's result is not in an array). */
function checkResults(statements: Statement[], results: unknown): void {
  const list = statements.length === 1 ? [results] : (results as unknown[]);
  statements.forEach((s, i) => s.check?.(list[i]));
}

type QueryRun = (sql: string, parameters?: unknown) => Promise<unknown>;

export class Sql {
  private readonly mysql: boolean;
  constructor(private readonly sequelize: Sequelize) {
    this.mysql = dialect(sequelize).mysql;
    if (this.mysql) {
      // A model statement (or COMMIT) in a transaction with deferred writes sends them first, so
      // every statement still runs in the order the code issued it.
      // COMMIT takes the deferred writes and the commit tail in its own round trip instead.
      // A transaction opened with `deferBegin` (withTransaction) sends its START TRANSACTION the
      // same way, ahead of its first statement.
      sequelize.addHook(
        'beforeQuery',
        async (options: { transaction?: Transaction | null; completesTransaction?: boolean; deferBegin?: boolean }, query: unknown) => {
          const t = options.transaction;
          if (!t) return;
          if (options.completesTransaction) this.commitWithTail(t, query as { run: QueryRun });
          else if (options.deferBegin) this.beginWithNext(t, query as { run: QueryRun });
          else await this.flush(t);
        },
      );
    }
  }

  /**
   * Several statements in one round trip (MySQL: one multi-statement query; elsewhere one by
   * one), after any deferred writes: the result of each, in order. Each runs when the one before
   * it has finished, exactly as separate calls would (a locking SELECT first, then the reads that
   * depend on its lock).
   */
  private async batch(t: Transaction, statements: Statement[]): Promise<unknown[]> {
    const conn = this.mysql ? mysqlConnection(t) : undefined;
    if (!conn) throw new Error('batch is for MySQL connections');
    const pending = takeDeferred(t);
    const all = [...pending, ...statements];
    if (all.length === 1) return [await runOnConnection<unknown>(this.sequelize, conn, all[0]!.sql, all[0]!.values)];
    const results = await runOnConnection<unknown[]>(
      this.sequelize,
      conn,
      all.map((s) => s.sql).join(';\n'),
      all.flatMap((s) => s.values),
    );
    checkResults(all, results);
    return results.slice(results.length - statements.length);
  }

  /** Rows of a SELECT, as plain objects. */
  async rows<T extends object>(t: Transaction, sql: string, values: SqlValue[] = []): Promise<T[]> {
    const conn = this.mysql ? mysqlConnection(t) : undefined;
    if (conn) return (await this.batch(t, [{ sql, values }]))[0] as T[];
    return this.sequelize.query<T>(sql, { replacements: values, type: QueryTypes.SELECT, transaction: t });
  }

  /**
   * The rows of several SELECTs, in one round trip on MySQL, each run after the one before it
   * (e.g. the account's row lock, then what it owes): as many database round trips saved as
   * statements after the first.
   */
  async rowsOfEach(t: Transaction, statements: SqlText[]): Promise<object[][]> {
    const conn = this.mysql ? mysqlConnection(t) : undefined;
    if (conn) return (await this.batch(t, statements)) as object[][];
    const out: object[][] = [];
    for (const s of statements) out.push(await this.sequelize.query<object>(s.sql, { replacements: s.values, type: QueryTypes.SELECT, transaction: t }));
    return out;
  }

  /**
   * A write whose result nobody reads (no id, no count), deferred on MySQL: it goes to the
   * database with the transaction's next statement, in the same round trip (a multi-statement
   * query), and in the order issued; COMMIT or any model statement in the transaction sends it
   * first. Its error, if any, comes out of that next statement. Elsewhere (SQLite) it runs now.
   * `check` hears its raw result (mysql2's: `affectedRows` of a write, the rows of a locking read;
   * on SQLite the WriteResult) and may throw: the error of the statement it went with.
   */
  async defer(t: Transaction, sql: string, values: SqlValue[] = [], check?: (result: unknown) => void): Promise<void> {
    if (!this.canDefer(t)) {
      const result = await this.write(t, sql, values);
      check?.(result);
      return;
    }
    dropOnRollback(t);
    let pending = deferred.get(t);
    if (!pending) deferred.set(t, (pending = []));
    pending.push({ sql, values, check });
  }

  /** Whether writes of `t` are deferred (MySQL): else `defer` runs them at once and `atCommit` is not available. */
  canDefer(t: Transaction): boolean {
    return this.mysql && mysqlConnection(t) !== undefined;
  }

  /**
   * Statements sent with the transaction's COMMIT, in its round trip, after the deferred writes
   * (MySQL only: check canDefer): for a lock that every writer queues on (a gapless number), held
   * then for the COMMIT's own round trip and no application turn. `onResults` hears their results
   * once they have run, before the commit resolves. A failure among them fails the commit: the
   * connection is dropped (the server rolls back), no after-commit hook runs, and withTransaction
   * retries a deadlock as usual.
   */
  atCommit(t: Transaction, statements: Statement[], onResults?: (results: unknown[]) => void): void {
    if (!this.canDefer(t)) throw new Error('atCommit is for MySQL transactions');
    dropOnRollback(t);
    let tail = tails.get(t);
    if (!tail) tails.set(t, (tail = { statements: [], onResults: [] }));
    const from = tail.statements.length;
    tail.statements.push(...statements);
    if (onResults) tail.onResults.push((all) => onResults(all.slice(from, from + statements.length)));
  }

  /**
   * The START TRANSACTION of a transaction opened with `deferBegin` (Sequelize passes the
   * transaction's options to its BEGIN) is not sent on its own: it waits, first of the deferred
   * statements, and goes with the transaction's first statement in the same round trip. That
   * statement (the account's row lock on the payment path) is still the first the transaction
   * runs. A rollback before any statement drops it; a model statement sends it first, as any
   * deferred write.
   */
  private beginWithNext(t: Transaction, query: { run: QueryRun }): void {
    if (!mysqlConnection(t)) return;
    const run = query.run.bind(query);
    query.run = async (sql, parameters) => {
      if (!/^\s*START TRANSACTION\b/i.test(sql) || (deferred.get(t)?.length ?? 0) > 0) return run(sql, parameters);
      dropOnRollback(t);
      deferred.set(t, [{ sql: sql.replace(/;\s*$/, ''), values: [] }]);
      return undefined;
    };
  }

  /**
   * The COMMIT of `t` (Sequelize's query object for it) carries the deferred writes and the commit
   * tail in one multi-statement round trip. A deferred write with a check is sent ahead on its own
   * (its check must pass before anything commits).
   */
  private commitWithTail(t: Transaction, query: { run: QueryRun }): void {
    const conn = mysqlConnection(t);
    if (!conn) return;
    const run = query.run.bind(query);
    query.run = async (sql, parameters) => {
      if (!/^\s*COMMIT\b/i.test(sql)) {
        deferred.delete(t);
        tails.delete(t);
        return run(sql, parameters);
      }
      if ((deferred.get(t) ?? []).some((s) => s.check)) await this.flush(t);
      const tail = tails.get(t) ?? { statements: [], onResults: [] };
      tails.delete(t);
      const before = takeDeferred(t);
      if (before.length === 0 && tail.statements.length === 0) return run(sql, parameters);
      const all = [...before, ...tail.statements, { sql: 'COMMIT', values: [] }];
      try {
        const results = await runOnConnection<unknown[]>(
          this.sequelize,
          conn,
          all.map((s) => s.sql).join(';\n'),
          all.flatMap((s) => s.values),
        );
        const own = results.slice(before.length, before.length + tail.statements.length);
        for (const hear of tail.onResults) hear(own);
        return undefined;
      } catch (err) {
        // Nothing committed: Sequelize drops the connection, but would still run after-commit hooks.
        (t as unknown as { _afterCommitHooks?: unknown[] })._afterCommitHooks?.splice(0);
        throw err;
      }
    };
  }

  /** Sends the transaction's deferred writes now (one round trip), if it has any. */
  async flush(t: Transaction): Promise<void> {
    const pending = takeDeferred(t);
    if (pending.length === 0) return;
    const conn = mysqlConnection(t);
    if (!conn) throw new Error('deferred writes on a transaction without a connection');
    const results = await runOnConnection<unknown>(
      this.sequelize,
      conn,
      pending.map((s) => s.sql).join(';\n'),
      pending.flatMap((s) => s.values),
    );
    checkResults(pending, results);
  }

  /** An INSERT, UPDATE or DELETE: the new row's id (inserts) and the rows it changed. */
  async write(t: Transaction, sql: string, values: SqlValue[] = []): Promise<WriteResult> {
    const conn = this.mysql ? mysqlConnection(t) : undefined;
    if (conn) {
      const r = (await this.batch(t, [{ sql, values }]))[0] as { insertId: number; affectedRows: number };
      return { insertId: Number(r.insertId), affectedRows: r.affectedRows };
    }
    if (!/^\s*insert\b/i.test(sql)) {
      // SQLite reports the rows an UPDATE or DELETE changed only when Sequelize runs it as a bulk
      // write (as RAW it reads rows and `changes` is missing, so every fenced update looked lost).
      const changes = await this.sequelize.query(sql, { replacements: values, type: QueryTypes.BULKUPDATE, transaction: t });
      return { insertId: 0, affectedRows: Number(changes ?? 0) };
    }
    const [, meta] = (await this.sequelize.query(sql, { replacements: values, type: QueryTypes.RAW, transaction: t })) as [
      unknown,
      { lastID?: number; changes?: number },
    ];
    return { insertId: Number(meta?.lastID ?? 0), affectedRows: Number(meta?.changes ?? 0) };
  }

  /**
   * A row read with `rows`, with its instants (DATE columns of `model`) as Dates, as a model
   * instance built from it expects: mysql2 returns Dates already (the row is returned as is);
   * SQLite (the demo) returns text in UTC ('2026-11-24 14:02:48.685 +00:00'). DATEONLY stays text.
   */
  instants<T extends object>(model: ModelStatic<Model>, row: T): T {
    if (this.mysql) return row;
    const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
    for (const [name, attribute] of Object.entries(model.getAttributes())) {
      const value = out[name];
      if (typeof value === 'string' && attribute.type instanceof DataTypes.DATE) {
        out[name] = new Date(/[+Z]/.test(value.slice(10)) ? value : `${value} +00:00`);
      }
    }
    return out as T;
  }
}

const instances = new WeakMap<Sequelize, Sql>();
/** The Sql of a Sequelize instance (one per instance: it only remembers the dialect). */
export function sqlOf(sequelize: Sequelize): Sql {
  let sql = instances.get(sequelize);
  if (!sql) instances.set(sequelize, (sql = new Sql(sequelize)));
  return sql;
}

const placeholderTexts = new Map<string, string>();

/**
 * `(?, ?, ?), (?, ?, ?)`: placeholders for a multi-row INSERT of `rows` rows of `width` values.
 * Remembered by shape (a payment's statements ask for the same few on every payment).
 */
export function placeholders(rows: number, width: number): string {
  const shape = `${rows}x${width}`;
  let text = placeholderTexts.get(shape);
  if (text === undefined) {
    const row = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    text = Array.from({ length: rows }, () => row).join(', ');
    if (placeholderTexts.size < 4096) placeholderTexts.set(shape, text);
  }
  return text;
}

/** `fn` on a connection of Sequelize's pool outside any transaction (MySQL), given back after. */
async function onPooledConnection<T>(sequelize: Sequelize, type: 'read' | 'write', fn: (conn: Mysql2Connection) => Promise<T>): Promise<T> {
  const cm = sequelize.connectionManager;
  const conn = (await cm.getConnection({ type })) as unknown as Mysql2Connection;
  try {
    return await fn(conn);
  } finally {
    cm.releaseConnection(conn as never);
  }
}

/**
 * Rows of a big read outside any transaction (the agents' change feed): on MySQL on a pooled mysql2
 * connection with mysql2's own conversions (DATETIME as a UTC Date, DATE as 'YYYY-MM-DD', DECIMAL
 * as a string, as Sequelize gives them) instead of Sequelize's per-field type casting, which cost
 * more than the statements on a page of a few thousand rows. An array value fills an `IN (?)`
 * list on both dialects; elsewhere (SQLite) through sequelize.query.
 */
export async function selectRows<T extends object>(sequelize: Sequelize, sql: string, values: unknown[]): Promise<T[]> {
  if (!dialect(sequelize).mysql) return sequelize.query<T>(sql, { replacements: values, type: QueryTypes.SELECT });
  return onPooledConnection(sequelize, 'read', (conn) => runOnConnection<T[]>(sequelize, conn, sql, values, { typeCast: nativeCast, dateStrings: ['DATE'] }));
}

/**
 * One INSERT outside any transaction on MySQL (the Idempotency-Key claim, once per money request),
 * on a pooled mysql2 connection: no model build, validation or hooks, which cost more CPU than the
 * statement. Errors are the Sequelize ones a model would throw (UniqueConstraintError on a
 * duplicate); Dates bind as UTC (the connection's zone). The new row's id.
 */
export async function insertRow(sequelize: Sequelize, sql: string, values: SqlValue[]): Promise<number> {
  if (!dialect(sequelize).mysql) throw new Error('insertRow is for MySQL; use the model elsewhere');
  const result = await onPooledConnection(sequelize, 'write', (conn) => runOnConnection<{ insertId: number }>(sequelize, conn, sql, values));
  return Number(result.insertId);
}
