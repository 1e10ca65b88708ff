import type { Sequelize } from 'sequelize';

/**
 * The one place that knows which SQL dialect a Sequelize instance speaks: MySQL/MariaDB (every real
 * deployment and the tests) or SQLite (the demo). SQL that differs between them takes its fragments
 * from here; values are never part of a fragment, they are always bound.
 */
export interface Dialect {
  /** MySQL or MariaDB: row locks, READ COMMITTED, mysql2 connections. */
  readonly mysql: boolean;
  /** SQLite (the demo): one writer at a time, no row locks. */
  readonly sqlite: boolean;
  /** ' FOR UPDATE' where the dialect has row locks, '' on SQLite (it serialises writers instead). */
  readonly forUpdate: string;
  /**
   * ' FOR UPDATE SKIP LOCKED' (MariaDB 10.6+, MySQL 8) where the dialect has row locks: rows another
   * transaction holds are passed over, not waited for (queue workers). '' on SQLite (one writer).
   */
  readonly forUpdateSkipLocked: string;
  /** The statement head of an INSERT that skips rows a unique key already holds. */
  readonly insertIgnore: string;
  /** Whole days from date a to date b (b later: positive); a and b are SQL expressions. */
  daysBetween(a: string, b: string): string;
  /** True when two SQL expressions differ, NULL counting as a value (NULL and 1 differ, NULL and NULL do not). */
  differs(a: string, b: string): string;
  /** String concatenation of SQL expressions. */
  concat(...parts: string[]): string;
  /** The calendar date (YYYY-MM-DD) of a DATETIME expression as stored (UTC). */
  dateOf(instant: string): string;
  /** The integer part of a non-negative numeric expression. */
  floor(x: string): string;
  /** The instant `seconds` (a whole constant, not a value) before the database's now, as a DATE(3) column compares. */
  secondsAgo(seconds: number): string;
  /** ' LOCK IN SHARE MODE' where the dialect has row locks (waits for rows other transactions have not committed), '' on SQLite. */
  readonly lockInShareMode: string;
  /**
   * An UPDATE of `table` (aliased `alias`) from the rows of `source` (a table with its alias)
   * matched by `on`: MySQL's UPDATE ... JOIN, SQLite's UPDATE ... FROM. `set` names the target's
   * columns unqualified, so the source's must not share their names; no value in `set` may read a
   * column `set` assigns (MySQL reads the row as updated so far, SQLite the old row).
   */
  updateFrom(table: string, alias: string, source: string, on: string, set: string, where: string): string;
  /** Statements that create a temporary table (this connection's only) from a SELECT, dropping any left by an earlier failure first. */
  createTemporaryTable(name: string, select: string): string[];
  /** The statement that drops a temporary table of this connection. */
  dropTemporaryTable(name: string): string;
}

function wholeSeconds(seconds: number): number {
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new Error(`secondsAgo takes a whole number of seconds, not ${seconds}`);
  return seconds;
}

const MYSQL: Dialect = Object.freeze({
  mysql: true,
  sqlite: false,
  forUpdate: ' FOR UPDATE',
  forUpdateSkipLocked: ' FOR UPDATE SKIP LOCKED',
  insertIgnore: 'INSERT IGNORE INTO',
  daysBetween: (a: string, b: string) => `DATEDIFF(${b}, ${a})`,
  differs: (a: string, b: string) => `NOT (${a} <=> ${b})`,
  concat: (...p: string[]) => `CONCAT(${p.join(', ')})`,
  dateOf: (x: string) => `DATE(${x})`,
  floor: (x: string) => `FLOOR(${x})`,
  secondsAgo: (seconds: number) => `(NOW(3) - INTERVAL ${wholeSeconds(seconds)} SECOND)`,
  lockInShareMode: ' LOCK IN SHARE MODE',
  updateFrom: (table: string, alias: string, source: string, on: string, set: string, where: string) =>
    `UPDATE ${table} ${alias} JOIN ${source} ON ${on} SET ${set} WHERE ${where}`,
  createTemporaryTable: (name: string, select: string) => [`DROP TEMPORARY TABLE IF EXISTS ${name}`, `CREATE TEMPORARY TABLE ${name} AS ${select}`],
  dropTemporaryTable: (name: string) => `DROP TEMPORARY TABLE IF EXISTS ${name}`,
});

const SQLITE: Dialect = Object.freeze({
  mysql: false,
  sqlite: true,
  forUpdate: '',
  forUpdateSkipLocked: '',
  insertIgnore: 'INSERT OR IGNORE INTO',
  daysBetween: (a: string, b: string) => `CAST(julianday(${b}) - julianday(${a}) AS INTEGER)`,
  differs: (a: string, b: string) => `(${a} IS NOT ${b})`,
  concat: (...p: string[]) => p.join(' || '),
  // Sequelize stores a DATE as 'YYYY-MM-DD HH:MM:SS.SSS +00:00' on SQLite.
  dateOf: (x: string) => `substr(${x}, 1, 10)`,
  floor: (x: string) => `CAST(${x} AS INTEGER)`,
  secondsAgo: (seconds: number) => `strftime('%Y-%m-%d %H:%M:%f +00:00', 'now', '-${wholeSeconds(seconds)} seconds')`,
  lockInShareMode: '',
  updateFrom: (table: string, alias: string, source: string, on: string, set: string, where: string) =>
    `UPDATE ${table} AS ${alias} SET ${set} FROM ${source} WHERE ${on} AND (${where})`,
  createTemporaryTable: (name: string, select: string) => [`DROP TABLE IF EXISTS temp.${name}`, `CREATE TEMP TABLE ${name} AS ${select}`],
  dropTemporaryTable: (name: string) => `DROP TABLE IF EXISTS temp.${name}`,
});

/** The dialect of `sequelize`. Only the two dialects the app is built for are accepted. */
export function dialect(sequelize: Sequelize): Dialect {
  const name = sequelize.getDialect();
  if (name === 'mysql' || name === 'mariadb') return MYSQL;
  if (name === 'sqlite') return SQLITE;
  throw new Error(`unsupported SQL dialect ${name}`);
}
