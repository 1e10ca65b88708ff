import fs from 'node:fs';
import path from 'node:path';
import { Sequelize, type Options } from 'sequelize';
import type { AppConfig } from '../config';
import { dialect } from './dialect';
import { serialiseSqliteWrites } from './sqlite';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- config/database.cjs is CommonJS, shared with sequelize-cli
const { connectionOptions } = require('../../../config/database.cjs') as {
  connectionOptions(env: NodeJS.ProcessEnv): Options & { url?: string };
};

/**
 * Every MySQL/MariaDB connection runs at READ COMMITTED. Under InnoDB's default REPEATABLE READ
 * the first plain SELECT of a transaction fixes its snapshot, so a read before the row lock made
 * every later plain read see data from before the lock (concurrent M-Pesa callbacks all settled
 * the same instalment from paidAmount 0). At READ COMMITTED each statement reads what is
 * committed when it runs, so reads after a lock are fresh whatever ran before it. Set once per
 * connection (not per transaction: no extra round trip), on every connection the pool opens.
 */
export const MYSQL_ISOLATION = 'READ COMMITTED';

interface CallbackConnection {
  query(sql: string, cb: (err: Error | null) => void): void;
}

/** Default bound on one statement's wait for the server (DB_QUERY_TIMEOUT_MS). */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

type Callback = (err: (Error & { code?: string }) | null, ...rest: unknown[]) => void;
interface Mysql2Connection {
  query(...args: unknown[]): unknown;
  execute(...args: unknown[]): unknown;
  stream: { destroy(err?: Error): void };
}

/**
 * Bounds every statement on a mysql2 connection to `timeoutMs`, counted from the call (so it covers
 * the prepare of `execute` and time queued behind another command). A hung server or network (the
 * socket stays open, nothing comes back) otherwise blocks a request for ever: the pool's acquire
 * timeout only bounds waiting for a free connection. On expiry the socket is destroyed with a
 * PROTOCOL_SEQUENCE_TIMEOUT error: mysql2 fails every command on it with that error (503 via
 * isDatabaseUnavailable), marks it fatal so the pool never lends it again, and the server rolls
 * back whatever transaction it had open.
 */
function boundStatements(connection: unknown, timeoutMs: number): void {
  const conn = connection as Mysql2Connection;
  for (const method of ['query', 'execute'] as const) {
    const original = conn[method].bind(conn);
    conn[method] = (...args: unknown[]) => {
      const i = args.findIndex((a) => typeof a === 'function');
      if (i < 0) return original(...args);
      const cb = args[i] as Callback;
      const timer = setTimeout(() => {
        const err = Object.assign(new Error(`Query inactivity timeout (${timeoutMs} ms)`), { code: 'PROTOCOL_SEQUENCE_TIMEOUT', fatal: true });
        conn.stream.destroy(err);
      }, timeoutMs);
      timer.unref();
      args[i] = ((err, ...rest) => {
        clearTimeout(timer);
        cb(err, ...rest);
      }) as Callback;
      try {
        return original(...args);
      } catch (err) {
        // Refused before it was sent (e.g. an undefined bind value): the connection is fine.
        clearTimeout(timer);
        throw err;
      }
    };
  }
}

function setIsolation(connection: unknown): Promise<void> {
  const conn = connection as CallbackConnection;
  return new Promise((resolve, reject) => conn.query(`SET SESSION TRANSACTION ISOLATION LEVEL ${MYSQL_ISOLATION}`, (err) => (err ? reject(err) : resolve())));
}

/** Builds the Sequelize instance from the same settings sequelize-cli uses (config/database.cjs). */
export function createSequelize(
  config: Pick<AppConfig, 'databaseUrl' | 'sqlitePath'>,
  extra: Options = {},
  { queryTimeoutMs = Number(process.env.DB_QUERY_TIMEOUT_MS || DEFAULT_QUERY_TIMEOUT_MS) }: { queryTimeoutMs?: number } = {},
): Sequelize {
  const { url, ...options } = connectionOptions({
    DATABASE_URL: config.databaseUrl,
    SQLITE_PATH: config.sqlitePath,
    DB_POOL_MAX: process.env.DB_POOL_MAX,
    DB_POOL_ACQUIRE_MS: process.env.DB_POOL_ACQUIRE_MS,
    DB_POOL_IDLE_MS: process.env.DB_POOL_IDLE_MS,
    DB_CONNECT_TIMEOUT_MS: process.env.DB_CONNECT_TIMEOUT_MS,
  });
  if (options.dialect === 'sqlite' && options.storage && options.storage !== ':memory:') {
    fs.mkdirSync(path.dirname(options.storage), { recursive: true });
  }
  const merged: Options = { ...options, ...extra };
  const sequelize = url ? new Sequelize(url, merged) : new Sequelize(merged);
  if (merged.dialect === 'sqlite' && merged.storage !== ':memory:') serialiseSqliteWrites(sequelize);
  if (dialect(sequelize).mysql) {
    sequelize.addHook('afterConnect', (connection) => {
      boundStatements(connection, queryTimeoutMs);
      return setIsolation(connection);
    });
  }
  return sequelize;
}
