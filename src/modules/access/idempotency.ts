import { randomUUID } from 'node:crypto';
import { Op, UniqueConstraintError, type Transaction, type WhereOptions } from 'sequelize';
import { dialect } from '../../platform/db/dialect';
import { insertRow, placeholders, sqlOf } from '../../platform/db/sql';
import type { AnswerFill, ClaimOptions, ClaimResult, IdempotencyClaim, IdempotencyStore } from '../../platform/http/idempotency';
import { HttpProblem, problems } from '../../platform/http/problem';
import type { Logger } from '../../platform/logging/logger';
import type { JobDefinition } from '../../platform/queue';
import { IdempotencyKey } from './clients.models';

export interface IdempotencyOptions {
  /** How long a claim holds (IDEMPOTENCY_LEASE_SECONDS): after it a retry may take the key over. */
  leaseMs?: number;
  /** How long an answered key is kept for replay (IDEMPOTENCY_RETENTION_HOURS). */
  retentionMs?: number;
  /** The clock (tests move it). Every host must keep its clock in step (NTP): leases are compared with it. */
  now?: () => Date;
  logger?: Logger;
}

const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_RETENTION_MS = 24 * 3600_000;

/** The key was taken over by a retry after this request's lease ran out: this request must not commit. */
export function leaseLost(): HttpProblem {
  return problems.conflict(
    'This request outlived its claim on the Idempotency-Key and a retry has taken it over; nothing was changed by this request.',
    'idempotency-lease-lost',
  );
}

/**
 * An instant for a plain-SQL statement: mysql2 writes a Date in UTC (the connection's zone); on
 * SQLite (the demo) the text the models store ('YYYY-MM-DD HH:MM:SS.SSS +00:00'), so comparisons
 * with stored values hold whatever the process's zone.
 */
function sqlInstant(d: Date): Date | string {
  return dialect(IdempotencyKey.sequelize!).mysql ? d : `${d.toISOString().replace('T', ' ').replace('Z', '')} +00:00`;
}

interface ClaimRow {
  scope: string;
  idempotencyKey: string;
  requestHash: string;
  status: 'in_progress';
  ownerToken: string;
  leaseExpiresAt: Date;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The claim's INSERT. On MySQL a plain statement on a pooled connection: it runs before every
 * money request, and the model's build, validation and hooks cost more CPU than the statement.
 * On SQLite (the demo) through the model, which writes its instants as the other rows hold them.
 */
async function insertClaim(row: ClaimRow): Promise<number> {
  const sequelize = IdempotencyKey.sequelize!;
  if (!dialect(sequelize).mysql) return (await IdempotencyKey.create(row, { silent: true })).id;
  return insertRow(
    sequelize,
    `INSERT INTO idempotencyKeys (scope, idempotencyKey, requestHash, status, ownerToken, leaseExpiresAt, expiresAt, createdAt, updatedAt) VALUES ${placeholders(1, 9)}`,
    [row.scope, row.idempotencyKey, row.requestHash, row.status, row.ownerToken, row.leaseExpiresAt, row.expiresAt, row.createdAt, row.updatedAt],
  );
}

class Claim implements IdempotencyClaim {
  completed = false;
  /** The transaction that holds this claim's row locked (hold), if any. */
  private heldIn?: Transaction;
  constructor(
    private readonly store: SqlIdempotencyStore,
    private readonly id: number,
    /** The fencing token: every write this claim makes is conditional on it still being on the row. */
    private readonly ownerToken: string,
    /** How long the answer is kept for replay. */
    private readonly retentionMs: number,
  ) {}

  async complete(status: number, body: unknown, transaction?: Transaction, fill?: AnswerFill): Promise<void> {
    const now = this.store.now();
    const expiresAt = new Date(now.getTime() + this.retentionMs);
    if (fill && transaction && this.heldIn === transaction) {
      // The value is set in the COMMIT's round trip (a number taken there): the answer is written
      // after it in the same round trip, the placeholder replaced by the value as a JSON string.
      // Fenced and locked by hold(), as below.
      sqlOf(IdempotencyKey.sequelize!).atCommit(transaction, [
        {
          sql: `UPDATE idempotencyKeys SET status = 'completed', responseStatus = ?, responseBody = REPLACE(?, ?, JSON_QUOTE(${fill.value.sql})), expiresAt = ?, updatedAt = ?
                 WHERE id = ? AND ownerToken = ?`,
          values: [
            status,
            JSON.stringify(body ?? null),
            JSON.stringify(fill.placeholder),
            ...fill.value.values,
            sqlInstant(expiresAt),
            sqlInstant(now),
            this.id,
            this.ownerToken,
          ],
        },
      ]);
      transaction.afterCommit(() => void (this.completed = true));
      return;
    }
    // A value known only at COMMIT goes into the answer in the COMMIT's round trip, which only a
    // claim held in the transaction writes in; a caller that knows the value stores it as it is.
    if (fill) throw new Error('an answer filled at commit needs its claim held in the transaction');
    if (transaction && this.heldIn === transaction) {
      // Fenced and locked by hold() in this transaction: nobody can take the key over before our
      // COMMIT, so the answer needs no check and goes with the COMMIT.
      await sqlOf(IdempotencyKey.sequelize!).defer(
        transaction,
        "UPDATE idempotencyKeys SET status = 'completed', responseStatus = ?, responseBody = ?, expiresAt = ?, updatedAt = ? WHERE id = ? AND ownerToken = ?",
        [status, JSON.stringify(body ?? null), sqlInstant(expiresAt), sqlInstant(now), this.id, this.ownerToken],
      );
      transaction.afterCommit(() => void (this.completed = true));
      return;
    }
    if (transaction) {
      // Inside the business transaction (every payment), fenced: only while this request still
      // owns the claim and its lease has not run out. Otherwise a retry owns (or may own) the key,
      // so this transaction must roll back: both may never commit. The row lock this UPDATE takes
      // also makes a concurrent take-over wait for our COMMIT and then find the key completed.
      const r = await sqlOf(IdempotencyKey.sequelize!).write(
        transaction,
        "UPDATE idempotencyKeys SET status = 'completed', responseStatus = ?, responseBody = ?, expiresAt = ?, updatedAt = ? WHERE id = ? AND ownerToken = ? AND status = 'in_progress' AND leaseExpiresAt > ?",
        [status, JSON.stringify(body ?? null), sqlInstant(expiresAt), sqlInstant(now), this.id, this.ownerToken, sqlInstant(now)],
      );
      if (r.affectedRows !== 1) throw leaseLost();
      transaction.afterCommit(() => void (this.completed = true));
      return;
    }
    // After the work (if any) has committed on its own, or for a stored client error: record the
    // answer if the key is still ours, lease or not (nobody else has it; the answer is true).
    const [n] = await IdempotencyKey.update(
      { status: 'completed', responseStatus: status, responseBody: (body ?? null) as never, expiresAt },
      { where: { id: this.id, ownerToken: this.ownerToken, status: 'in_progress' } },
    );
    if (n !== 1) this.store.logger?.warn({ idempotencyKeyId: this.id, status }, 'idempotency claim was taken over before its answer was stored');
    this.completed = true;
  }

  async hold(transaction: Transaction): Promise<void> {
    const sql = sqlOf(IdempotencyKey.sequelize!);
    if (!sql.canDefer(transaction)) return; // SQLite: one writer at a time; complete() fences as it always did
    // complete()'s fence, as a locking read that goes with the transaction's next statement.
    await sql.defer(
      transaction,
      "SELECT id FROM idempotencyKeys WHERE id = ? AND ownerToken = ? AND status = 'in_progress' AND leaseExpiresAt > ? FOR UPDATE",
      [this.id, this.ownerToken, sqlInstant(this.store.now())],
      (rows) => {
        if (!Array.isArray(rows) || rows.length !== 1) throw leaseLost();
      },
    );
    this.heldIn = transaction;
  }

  async release(): Promise<void> {
    // Only our own, unanswered claim: never a retry's, never a stored answer.
    await IdempotencyKey.destroy({ where: { id: this.id, ownerToken: this.ownerToken, status: 'in_progress' } });
  }
}

/**
 * Idempotency keys in the idempotencyKeys table; the unique (scope, key) index settles races.
 * A claim is a lease with a fencing token: a retry takes over an unanswered key only once the
 * lease of the request that claimed it has run out (that request died: a crash, a kill, a lost
 * database connection), and the first request can then no longer store its answer, so it cannot
 * commit. Answered keys are kept for `retentionMs` after the answer, then purged.
 */
export class SqlIdempotencyStore implements IdempotencyStore {
  readonly leaseMs: number;
  readonly retentionMs: number;
  readonly now: () => Date;
  readonly logger?: Logger;

  constructor(options: IdempotencyOptions = {}) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = options.now ?? (() => new Date());
    this.logger = options.logger;
  }

  async claim(scope: string, key: string, requestHash: string, options: ClaimOptions = {}, attempt = 1): Promise<ClaimResult> {
    const retentionMs = options.retentionMs ?? this.retentionMs;
    const now = this.now();
    const ownerToken = randomUUID();
    const leaseExpiresAt = new Date(now.getTime() + this.leaseMs);
    try {
      const id = await insertClaim({
        scope,
        idempotencyKey: key,
        requestHash,
        status: 'in_progress',
        ownerToken,
        leaseExpiresAt,
        expiresAt: new Date(now.getTime() + retentionMs),
        createdAt: now,
        updatedAt: now,
      });
      return { kind: 'claimed', claim: new Claim(this, id, ownerToken, retentionMs) };
    } catch (err) {
      if (!(err instanceof UniqueConstraintError)) throw err;
    }
    const existing = await IdempotencyKey.findOne({ where: { scope, idempotencyKey: key } });
    if (!existing) {
      // Released (or purged) in between: claim it afresh; a key that keeps vanishing is a conflict.
      if (attempt < 3) return this.claim(scope, key, requestHash, options, attempt + 1);
      throw problems.conflict('A request with this Idempotency-Key is still being processed.', 'idempotency-in-progress');
    }
    if (existing.requestHash !== requestHash) {
      throw problems.unprocessable('This Idempotency-Key was already used with a different request.', 'idempotency-key-reused');
    }
    if (existing.status === 'completed') return { kind: 'replay', status: existing.responseStatus ?? 200, body: existing.responseBody };

    const expired: WhereOptions = { [Op.or]: [{ leaseExpiresAt: null }, { leaseExpiresAt: { [Op.lte]: now } }] };
    if (!existing.leaseExpiresAt || existing.leaseExpiresAt.getTime() <= now.getTime()) {
      // The request holding the key died (its lease ran out): take the key over with a new token.
      // The conditions are re-checked by the UPDATE itself, so of two retries only one wins, and a
      // first request committing its answer right now makes this wait, then match nothing.
      const [taken] = await IdempotencyKey.update({ ownerToken, leaseExpiresAt }, { where: { id: existing.id, status: 'in_progress', ...expired } });
      if (taken === 1) {
        this.logger?.info({ idempotencyKeyId: existing.id }, 'idempotency key taken over from a request whose lease ran out');
        return { kind: 'claimed', claim: new Claim(this, existing.id, ownerToken, retentionMs) };
      }
      // Answered or taken over meanwhile: look again.
      if (attempt < 3) return this.claim(scope, key, requestHash, options, attempt + 1);
    }
    const waitSeconds = Math.max(1, Math.ceil(((existing.leaseExpiresAt?.getTime() ?? 0) - now.getTime()) / 1000));
    throw new HttpProblem(409, 'A request with this Idempotency-Key is still being processed.', {
      type: 'idempotency-in-progress',
      headers: { 'Retry-After': String(waitSeconds) },
    });
  }
}

/**
 * Deletes keys past their retention in batches: answered ones, and unanswered ones whose request
 * is long dead (retention passed and lease run out). A live claim is never touched. Safe to run
 * twice or concurrently: each DELETE re-checks the conditions, a row already gone is skipped.
 */
export async function purgeExpiredIdempotencyKeys(
  options: { now?: Date; batchSize?: number; maxBatches?: number } = {},
): Promise<{ deleted: number; batches: number }> {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 1000;
  const maxBatches = options.maxBatches ?? 1000;
  const where: WhereOptions = {
    expiresAt: { [Op.lte]: now },
    [Op.or]: [{ status: 'completed' }, { leaseExpiresAt: null }, { leaseExpiresAt: { [Op.lte]: now } }],
  };
  let deleted = 0;
  let batches = 0;
  while (batches < maxBatches) {
    const ids = (await IdempotencyKey.findAll({ attributes: ['id'], where, order: [['expiresAt', 'ASC']], limit: batchSize, raw: true })).map((r) => r.id);
    if (ids.length === 0) break;
    batches++;
    deleted += await IdempotencyKey.destroy({ where: { [Op.and]: [{ id: ids }, where] } });
    if (ids.length < batchSize) break;
  }
  return { deleted, batches };
}

export const IDEMPOTENCY_PURGE_JOB = 'access.idempotency-purge';

/** The purge, every 15 minutes (a worker, or in-process in the demo). */
export function idempotencyJobs(): JobDefinition[] {
  return [
    {
      name: IDEMPOTENCY_PURGE_JOB,
      attempts: 1,
      handler: async (data: { batchSize?: number }, job) => {
        const result = await purgeExpiredIdempotencyKeys({ batchSize: data.batchSize });
        if (result.deleted) job.logger.info(result, 'expired idempotency keys purged');
        return result;
      },
      repeat: [{ key: 'idempotency-purge', cron: '*/15 * * * *', data: { batchSize: 1000 } }],
    },
  ];
}
