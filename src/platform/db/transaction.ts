import { setTimeout as sleep } from 'node:timers/promises';
import type { Sequelize, Transaction } from 'sequelize';
import { isWriterLockTimeout } from './sqlite';

const RETRYABLE_MYSQL = new Set([1213 /* ER_LOCK_DEADLOCK */, 1205 /* ER_LOCK_WAIT_TIMEOUT */]);

export function isRetryableTxError(err: unknown): boolean {
  const e = err as { parent?: { errno?: number; code?: string }; original?: { errno?: number; code?: string } };
  const cause = e?.parent ?? e?.original;
  if (!cause) return false;
  if (cause.errno !== undefined && RETRYABLE_MYSQL.has(cause.errno)) return true;
  // SQLite busy from another process is worth another try; the writer lock's own timeout is not
  // (that request already waited its turn in full: src/platform/db/sqlite.ts).
  return cause.code === 'SQLITE_BUSY' && !isWriterLockTimeout(err);
}

export interface TxOptions {
  /** Whole-transaction attempts on deadlock or lock-wait timeout. */
  attempts?: number;
  isolationLevel?: Transaction.ISOLATION_LEVELS;
  /**
   * MySQL: send START TRANSACTION with the transaction's first statement, in its round trip (one
   * round trip fewer; src/platform/db/sql.ts). For work whose first statement is its lock (payment
   * posting); elsewhere, and on SQLite, BEGIN is sent on its own as usual.
   */
  deferBegin?: boolean;
}

/**
 * Runs `work` in one transaction and retries the whole of it when the database picks it as a
 * deadlock victim. `work` must therefore be safe to run again from the start: it may do nothing
 * outside the transaction it is handed.
 */
export async function withTransaction<T>(
  sequelize: Sequelize,
  work: (t: Transaction) => Promise<T>,
  { attempts = 5, isolationLevel, deferBegin }: TxOptions = {},
): Promise<T> {
  // Sequelize keeps unknown options on the transaction and hands them to its BEGIN query (sql.ts's hook reads deferBegin there).
  const options = deferBegin ? ({ isolationLevel, deferBegin } as { isolationLevel?: Transaction.ISOLATION_LEVELS }) : { isolationLevel };
  for (let attempt = 1; ; attempt++) {
    try {
      return await sequelize.transaction(options, work);
    } catch (err) {
      if (attempt >= attempts || !isRetryableTxError(err)) throw err;
      // Jittered back-off so the two sides of a deadlock do not collide again at once.
      await sleep(5 * attempt + Math.floor(Math.random() * 10 * attempt));
    }
  }
}
