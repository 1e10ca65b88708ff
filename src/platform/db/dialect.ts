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
  concat: (...p: string[]) => `CONCAT(${p.join(', ')})`,
  dateOf: (x: string) => `DATE(${x})`,
  floor: (x: string) => `FLOOR(${x})`,
  secondsAgo: (seconds: number) => `(NOW(3) - INTERVAL ${wholeSeconds(seconds)} SECOND)`,
  lockInShareMode: ' LOCK IN SHARE MODE',
});

const SQLITE: Dialect = Object.freeze({
  mysql: false,
  sqlite: true,
  forUpdate: '',
  forUpdateSkipLocked: '',
  insertIgnore: 'INSERT OR IGNORE INTO',
  daysBetween: (a: string, b: string) => `CAST(julianday(${b}) - julianday(${a}) AS INTEGER)`,
  concat: (...p: string[]) => p.join(' || '),
  // Sequelize stores a DATE as 'YYYY-MM-DD HH:MM:SS.SSS +00:00' on SQLite.
  dateOf: (x: string) => `substr(${x}, 1, 10)`,
  floor: (x: string) => `CAST(${x} AS INTEGER)`,
  secondsAgo: (seconds: number) => `strftime('%Y-%m-%d %H:%M:%f +00:00', 'now', '-${wholeSeconds(seconds)} seconds')`,
  lockInShareMode: '',
});

/** The dialect of `sequelize`. Only the two dialects the app is built for are accepted. */
export function dialect(sequelize: Sequelize): Dialect {
  const name = sequelize.getDialect();
  if (name === 'mysql' || name === 'mariadb') return MYSQL;
  if (name === 'sqlite') return SQLITE;
  throw new Error(`unsupported SQL dialect ${name}`);
}
