import fs from 'node:fs';
import path from 'node:path';
import { Sequelize, type Options } from 'sequelize';
import type { AppConfig } from '../config';

// eslint-disable-next-line @typescript-eslint/no-require-imports
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

function setIsolation(connection: unknown): Promise<void> {
  const conn = connection as CallbackConnection;
  return new Promise((resolve, reject) =>
    conn.query(`SET SESSION TRANSACTION ISOLATION LEVEL ${MYSQL_ISOLATION}`, (err) => (err ? reject(err) : resolve())),
  );
}

/** Builds the Sequelize instance from the same settings sequelize-cli uses (config/database.cjs). */
export function createSequelize(config: Pick<AppConfig, 'databaseUrl' | 'sqlitePath'>, extra: Options = {}): Sequelize {
  const { url, ...options } = connectionOptions({
    DATABASE_URL: config.databaseUrl,
    SQLITE_PATH: config.sqlitePath,
    DB_POOL_MAX: process.env.DB_POOL_MAX,
  });
  if (options.dialect === 'sqlite' && options.storage && options.storage !== ':memory:') {
    fs.mkdirSync(path.dirname(options.storage), { recursive: true });
  }
  const merged: Options = { ...options, ...extra };
  const sequelize = url ? new Sequelize(url, merged) : new Sequelize(merged);
  if (isMysql(sequelize)) sequelize.addHook('afterConnect', (connection) => setIsolation(connection));
  return sequelize;
}

export function isMysql(sequelize: Sequelize): boolean {
  const d = sequelize.getDialect();
  return d === 'mysql' || d === 'mariadb';
}
