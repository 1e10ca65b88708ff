import fs from 'node:fs';
import path from 'node:path';
import { Sequelize, type Options } from 'sequelize';
import type { AppConfig } from '../config';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { connectionOptions } = require('../../../config/database.cjs') as {
  connectionOptions(env: NodeJS.ProcessEnv): Options & { url?: string };
};

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
  return url ? new Sequelize(url, merged) : new Sequelize(merged);
}

export function isMysql(sequelize: Sequelize): boolean {
  const d = sequelize.getDialect();
  return d === 'mysql' || d === 'mariadb';
}
