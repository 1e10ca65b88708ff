import { QueryTypes, TimeoutError, type Sequelize } from 'sequelize';

/**
 * The embedded SQLite database (the demo) takes one writer at a time, in arrival order.
 *
 * Sequelize opens a fresh SQLite connection for every transaction and runs everything else on one
 * shared connection. SQLite allows a single writer per file, and a DEFERRED transaction that read
 * first and then tries to write fails at once with SQLITE_BUSY (no busy wait can help it), so 100
 * concurrent payments gave ~22 unhandled 500s, and the rest spun through SQLite's busy handler and
 * withTransaction's back-off for a median of 72-89 s (issue 12, defect 13). Now:
 *  - the file is in WAL mode, so readers never wait for the writer, nor the writer for readers;
 *  - every connection has a busy timeout (SQLITE_BUSY_TIMEOUT_MS) for another process (the CLI);
 *  - transactions BEGIN IMMEDIATE (config/database.cjs): the write lock is taken first, never
 *    upgraded half way;
 *  - in this process, a FIFO writer lock admits one transaction, or one write outside a
 *    transaction, at a time: nobody polls, nobody starves, and each waits at most the same
 *    timeout, after which the request is refused as busy (503 with Retry-After, src/platform/http/errors.ts).
 */
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 15_000;

/** Raised when the writer lock was not free within the timeout; looks like SQLite's own SQLITE_BUSY. */
function busyError(timeoutMs: number): TimeoutError {
  const cause = Object.assign(new Error(`SQLITE_BUSY: waited ${timeoutMs} ms for the writer lock`), { code: 'SQLITE_BUSY', writerLock: true, sql: '' });
  return new TimeoutError(cause);
}

export class WriterLock {
  private held = false;
  private readonly queue: (() => void)[] = [];

  constructor(readonly timeoutMs: number) {}

  /** Writers waiting for the lock (a metric). */
  get waiting(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.held;
  }

  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.queue.indexOf(grant);
        if (i >= 0) this.queue.splice(i, 1);
        reject(busyError(this.timeoutMs));
      }, this.timeoutMs);
      this.queue.push(grant);
    });
  }

  /** Hands the lock straight to the next waiter, so a newcomer cannot jump the queue. */
  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.held = false;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}

/** True for SQLite busy/locked errors (from SQLite itself or the writer lock's timeout). */
export function isSqliteBusy(err: unknown): boolean {
  let e = err as { code?: unknown; parent?: unknown; original?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    if (e.code === 'SQLITE_BUSY' || e.code === 'SQLITE_LOCKED') return true;
    e = (e.parent ?? e.original) as typeof e;
  }
  return false;
}

/** A busy error from the writer lock's own timeout: the request already waited its turn in full. */
export function isWriterLockTimeout(err: unknown): boolean {
  const e = err as { parent?: { writerLock?: unknown }; original?: { writerLock?: unknown } };
  return (e?.parent ?? e?.original)?.writerLock === true;
}

const WRITE_TYPES = new Set<string>([QueryTypes.INSERT, QueryTypes.UPDATE, QueryTypes.BULKUPDATE, QueryTypes.BULKDELETE, QueryTypes.DELETE, QueryTypes.UPSERT]);
const WRITE_SQL = /^\s*(insert|update|delete|replace|create|drop|alter)\b/i;

function isWrite(sql: unknown, options: { type?: string } | undefined): boolean {
  if (options?.type && WRITE_TYPES.has(options.type)) return true;
  const text = typeof sql === 'string' ? sql : (sql as { query?: unknown } | null)?.query;
  return typeof text === 'string' && WRITE_SQL.test(text);
}

interface SqliteDatabase {
  configure(option: 'busyTimeout', ms: number): void;
  run(sql: string, cb: (err: Error | null) => void): void;
}

interface ConnectionManager {
  getConnection(options?: { uuid?: string }): Promise<SqliteDatabase>;
  releaseConnection(connection: SqliteDatabase, force?: boolean): unknown;
  destroyConnection(connection: SqliteDatabase): Promise<unknown>;
}

const locks = new WeakMap<Sequelize, WriterLock>();

/** The writer lock of a SQLite Sequelize instance (undefined on MySQL), e.g. for /metrics. */
export function sqliteWriterLock(sequelize: Sequelize): WriterLock | undefined {
  return locks.get(sequelize);
}

/**
 * Sets up a SQLite Sequelize instance as described above. Called once, by createSequelize, for a
 * file database (':memory:' is a single shared connection, serialised by the driver already).
 */
export function serialiseSqliteWrites(
  sequelize: Sequelize,
  busyTimeoutMs = Number(process.env.SQLITE_BUSY_TIMEOUT_MS || DEFAULT_SQLITE_BUSY_TIMEOUT_MS),
): WriterLock {
  const lock = new WriterLock(busyTimeoutMs);
  locks.set(sequelize, lock);
  const cm = sequelize.connectionManager as unknown as ConnectionManager;
  const getConnection = cm.getConnection.bind(cm);
  const releaseConnection = cm.releaseConnection.bind(cm);
  const destroyConnection = cm.destroyConnection.bind(cm);
  const configured = new WeakSet<SqliteDatabase>();
  const holding = new WeakSet<SqliteDatabase>();
  let walChecked = false;

  async function prepare(conn: SqliteDatabase): Promise<void> {
    if (configured.has(conn)) return;
    configured.add(conn);
    conn.configure('busyTimeout', busyTimeoutMs);
    if (!walChecked) {
      // WAL is a property of the file: set once, it stays (a no-op for ':memory:').
      walChecked = true;
      await new Promise<void>((resolve, reject) => conn.run('PRAGMA journal_mode = WAL', (err) => (err ? reject(err) : resolve())));
    }
  }

  cm.getConnection = async (options) => {
    // Sequelize asks for a connection of its own (uuid = the transaction id) only for a transaction.
    const forTransaction = options?.uuid !== undefined && options.uuid !== 'default';
    if (!forTransaction) {
      const conn = await getConnection(options);
      await prepare(conn);
      return conn;
    }
    await lock.acquire();
    try {
      const conn = await getConnection(options);
      await prepare(conn);
      holding.add(conn);
      return conn;
    } catch (err) {
      lock.release();
      throw err;
    }
  };
  // A transaction ends (commit, rollback, or a failed begin) by releasing its connection.
  cm.releaseConnection = (conn, force) => {
    try {
      return releaseConnection(conn, force);
    } finally {
      if (holding.delete(conn)) lock.release();
    }
  };
  cm.destroyConnection = async (conn) => {
    try {
      return await destroyConnection(conn);
    } finally {
      if (holding.delete(conn)) lock.release();
    }
  };

  // A write outside any transaction (an idempotency claim, a model save) waits its turn too.
  const query = sequelize.query.bind(sequelize) as (sql: unknown, options?: { transaction?: unknown; type?: string }) => Promise<unknown>;
  (sequelize as unknown as { query: typeof query }).query = (sql, options) => {
    if (options?.transaction || !isWrite(sql, options)) return query(sql, options);
    return lock.run(() => query(sql, options));
  };
  return lock;
}
