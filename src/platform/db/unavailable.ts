import { BaseError, ConnectionError } from 'sequelize';

/**
 * One answer to "is this error the database being unreachable or overloaded, so the same request
 * may succeed a little later?" The HTTP error handler turns these into 503 with Retry-After (never
 * 500), and jobs can use it to retry quietly instead of recording a failure.
 *
 * It counts:
 *  - every Sequelize ConnectionError (refused, host not found/reachable, connect timed out, pool
 *    acquire timeout, access denied, invalid connection): the pool could not give us a connection.
 *    Access denied is included: to the caller it is the same outage (ops must fix the credentials;
 *    it is still logged, at warn, with its class name);
 *  - a connection lost under a statement (mysql2's PROTOCOL_CONNECTION_LOST, ECONNRESET, EPIPE, or a
 *    command sent on a connection already closed), which Sequelize wraps as a plain DatabaseError;
 *  - a statement that got no answer within DB_QUERY_TIMEOUT_MS (PROTOCOL_SEQUENCE_TIMEOUT: a hung
 *    server or network), see src/platform/db/sequelize.ts;
 *  - the server refusing work it may accept later: too many connections (1040), shutting down
 *    (1053), connection killed (1927), server gone away / lost (2006, 2013), and lock-wait timeouts
 *    and deadlocks (1205, 1213) that are still failing after withTransaction's retries.
 * Only errors Sequelize raised (or wrapped, as src/platform/db/sql.ts does) count, so a Redis or
 * HTTP ECONNREFUSED is never reported as the database. SQLite busy (the demo) has its own branch.
 */
const LOST_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKET',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
const BUSY_ERRNOS = new Set([1040, 1053, 1205, 1213, 1927, 2006, 2013]);
const CLOSED_MESSAGES = [/can't add new command when connection is in closed state/i, /^connection lost/i, /connection is closed/i];

/** Seconds a client should wait before retrying after a database outage answer. */
export const DATABASE_RETRY_AFTER_SECONDS = 3;

interface DriverError {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  fatal?: unknown;
}

function driverCauses(err: unknown): DriverError[] {
  const out: DriverError[] = [];
  let e = err as (DriverError & { parent?: unknown; original?: unknown; cause?: unknown }) | undefined;
  // Sequelize keeps the driver error as `parent` (and `original`); follow a short chain.
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    out.push(e);
    e = (e.parent ?? e.original ?? e.cause) as typeof e;
  }
  return out;
}

export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof ConnectionError) return true;
  if (!(err instanceof BaseError)) return false;
  for (const cause of driverCauses(err)) {
    if (typeof cause.code === 'string' && LOST_CODES.has(cause.code)) return true;
    if (typeof cause.errno === 'number' && BUSY_ERRNOS.has(cause.errno)) return true;
    if (typeof cause.message === 'string' && CLOSED_MESSAGES.some((re) => re.test(cause.message as string))) return true;
  }
  return false;
}

/** A short label of what went wrong, for the warn log (never the SQL or its values). */
export function databaseFailureKind(err: unknown): string {
  const causes = driverCauses(err);
  const driver = causes.find((c) => c !== err && (c.code !== undefined || c.errno !== undefined));
  const name = (err as { name?: string })?.name ?? 'Error';
  return driver ? `${name} (${String(driver.code ?? driver.errno)})` : name;
}
