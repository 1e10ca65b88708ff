// @ts-check
// Connection settings for sequelize-cli (see .sequelizerc) and for the app itself
// (src/platform/db reads connectionOptions from here), so both always agree.
'use strict';
const path = require('node:path');
const { Transaction } = require('sequelize');

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_SQLITE_PATH = path.join(ROOT, 'data', 'amt.sqlite');

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {import('sequelize').Options & { url?: string, seederStorage: string, migrationStorageTableName: string, seederStorageTableName: string }}
 */
function connectionOptions(env = process.env) {
  const common = {
    seederStorage: 'sequelize',
    migrationStorageTableName: 'SequelizeMeta',
    seederStorageTableName: 'SequelizeData',
    logging: false,
    define: { freezeTableName: true },
  };
  if (env.DATABASE_URL) {
    return {
      ...common,
      url: env.DATABASE_URL,
      dialect: 'mysql',
      // Store and read DATETIME as UTC whatever the process timezone is.
      timezone: '+00:00',
      dialectOptions: {
        // DECIMAL comes back as a string (never a float); DATE/DATETIME parsing stays with Sequelize.
        decimalNumbers: false,
        supportBigNumbers: true,
        bigNumberStrings: true,
        connectTimeout: Number(env.DB_CONNECT_TIMEOUT_MS || 5000),
        // The payment path sends a few statements in one round trip (src/platform/db/sql.ts:
        // deferred writes, rowsOfEach). Every value is bound with `?` (escaped by mysql2), never
        // concatenated into SQL text, so this opens no new way in for injected statements.
        multipleStatements: true,
      },
      // During an outage a request waits at most `acquire` for a connection, then answers 503
      // (src/platform/db/unavailable.ts): a few seconds, not the 30 s that left clients hanging.
      // A dead pooled connection is never handed out again: Sequelize destroys it on a connection
      // error and validates each one (socket not destroyed, no fatal error) before lending it, so
      // the pool refills by itself when the database is back.
      //
      // A connection idle for DB_POOL_IDLE_MS is closed. The pool lends the most recently returned
      // connection first, so the ones beyond what the load needs right now sit idle; at 10 s a
      // lull of a few seconds closed them and the next burst opened them again on the requests'
      // own path (connect, handshake, two SETs, every prepared statement prepared again): in
      // bench:callbacks' open loop 16 to 28 requests a run did so, nearly all over 100 ms (issue
      // 17). A minute keeps the last minute's peak, below the idle timeouts of usual load
      // balancers and NATs (a connection they dropped fails its next use) and far below MariaDB's
      // wait_timeout.
      pool: {
        max: Number(env.DB_POOL_MAX || 20),
        min: 0,
        acquire: Number(env.DB_POOL_ACQUIRE_MS || 5000),
        idle: Number(env.DB_POOL_IDLE_MS || 60_000),
      },
    };
  }
  return {
    ...common,
    dialect: 'sqlite',
    storage: env.SQLITE_PATH || DEFAULT_SQLITE_PATH,
    // One writer at a time (src/platform/db/sqlite.ts): a transaction takes SQLite's write lock at
    // BEGIN, rather than failing with SQLITE_BUSY when it first writes after reading.
    transactionType: Transaction.TYPES.IMMEDIATE,
    pool: { max: 1, min: 0, idle: 10000 },
  };
}

const options = connectionOptions(process.env);
module.exports = {
  development: options,
  test: options,
  production: options,
  connectionOptions,
  DEFAULT_SQLITE_PATH,
};
