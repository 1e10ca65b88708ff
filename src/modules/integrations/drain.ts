import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Transaction, type Sequelize } from 'sequelize';
import type { SyncConfig } from '../../platform/config';
import { dialect } from '../../platform/db/dialect';
import { sqlOf, type SqlValue } from '../../platform/db/sql';
import { withTransaction } from '../../platform/db/transaction';
import type { Logger } from '../../platform/logging/logger';
import type { SyncItem, SyncOutcome, SyncTarget } from './sync-target';

/**
 * The outbox drain (issue 13): moves syncOutbox rows to a SyncTarget, by any number of workers
 * at once, at least once, each aggregate's changes in order.
 *
 * One round, for one target:
 *  1. Lease, in one short transaction: pick up to SYNC_BATCH_SIZE rows that are available
 *     (pending and past their backoff, or processing with an expired lease: a crashed worker's)
 *     with SELECT ... FOR UPDATE SKIP LOCKED, so concurrent workers pass over each other's rows
 *     instead of waiting; then every pending row of the same aggregates (coalescing: all of an
 *     aggregate's changes become ONE item, state transfer). An aggregate is taken only when no
 *     older row of it is held by someone else (another worker's live lease, or a row another
 *     leasing transaction has locked): the worker holding an aggregate's oldest row owns it, so
 *     one aggregate is never pushed by two workers at once and its order is kept. The taken rows
 *     get status 'processing', a fresh leaseId (the fencing token), attempts + 1 and availableAt
 *     = the lease's expiry (so an expired lease is found by the same index as a pending row).
 *  2. Push the items (target.batchSize per call, SYNC_CONCURRENCY calls at once): outside any
 *     transaction, so the database never waits on the remote system. The lease is renewed while
 *     they run (every third of SYNC_LEASE_SECONDS).
 *  3. Mark, fenced by the leaseId: done only once the remote confirmed; retry -> pending again
 *     with exponential backoff and jitter (never sooner than the target's retryAfterMs); dead
 *     (status 'failed', with lastError) on a permanent outcome or after SYNC_MAX_ATTEMPTS. A
 *     worker whose lease expired and was taken over marks nothing (its update matches no row);
 *     the taker pushes again, which is harmless: every remote write is an upsert by external id.
 * Rows enqueued while an item is in flight are pending rows of an aggregate with a live lease:
 * left for the next round. A paused target (pauseState) is not leased at all.
 *
 * On SQLite (the demo) there are no row locks: transactions run one at a time (the writer lock),
 * which makes the lease serial and the same rules hold.
 */

export interface DrainRound {
  /** Outbox rows leased (taken) this round. */
  rows: number;
  /** Items (aggregates) pushed. */
  items: number;
  done: number;
  retried: number;
  dead: number;
  /** Rows whose lease was lost before their outcome could be written (another worker took them over). */
  fencedOut: number;
  /** Aggregates left for later because another worker holds one of their older rows. */
  skippedAggregates: number;
  paused: boolean;
}

export interface DrainOptions {
  sequelize: Sequelize;
  config: SyncConfig;
  logger: Logger;
  /** Who leases: shown in syncOutbox.leasedBy. Default host:pid:random. */
  workerId?: string;
  /** Randomness for the backoff jitter (tests). */
  random?: () => number;
}

interface PickedRow {
  id: number;
  aggregateType: string;
  aggregateId: number;
}

interface AggregateRow extends PickedRow {
  eventType: string;
  payload: unknown;
  status: string;
  attempts: number;
  availableAt: Date | string;
}

/** A leased round, its pushes still to run. */
interface LeasedRound {
  result: DrainRound;
  leaseId: string;
  lease: LeasedItem[];
  /** The lease renewal timer (none for an empty lease). */
  renew?: ReturnType<typeof setInterval>;
}

interface LeasedItem {
  item: SyncItem;
  rowIds: number[];
  /** Highest attempts of its rows (counted with this lease). */
  attempts: number;
}

const ACTIVE = `status IN ('pending', 'processing')`;

function parsePayload(v: unknown): Record<string, unknown> {
  if (typeof v === 'string') {
    try {
      return JSON.parse(v) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return (v ?? {}) as Record<string, unknown>;
}

function keyOf(r: { aggregateType: string; aggregateId: number }): string {
  return `${r.aggregateType}:${Number(r.aggregateId)}`;
}

/** Runs `work` on each element with at most `limit` running at once. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

/** Error text kept on a row: bounded, one paragraph. */
function errorText(e: string): string {
  return e.length > 2000 ? `${e.slice(0, 2000)}...` : e;
}

export class OutboxDrain {
  readonly workerId: string;
  private readonly random: () => number;

  constructor(private readonly options: DrainOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.random = options.random ?? Math.random;
  }

  private get sequelize(): Sequelize {
    return this.options.sequelize;
  }

  private get config(): SyncConfig {
    return this.options.config;
  }

  /** The wait before attempt `attempts + 1`: base * 2^(attempts-1) capped at max, jittered to 50-100 %. */
  backoffMs(attempts: number, retryAfterMs = 0): number {
    const { backoffBaseMs, backoffMaxMs } = this.config;
    const exp = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
    return Math.max(retryAfterMs, Math.round(exp * (0.5 + this.random() * 0.5)));
  }

  /** One round for `target`: lease, push, mark. */
  async round(target: SyncTarget): Promise<DrainRound> {
    const leased = await this.leaseRound(target);
    await this.pushRound(target, leased);
    return leased.result;
  }

  /** A round's lease (step 1). Its renewal starts at once: the rows may wait for a push still in flight (drain). */
  private async leaseRound(target: SyncTarget): Promise<LeasedRound> {
    const result: DrainRound = { rows: 0, items: 0, done: 0, retried: 0, dead: 0, fencedOut: 0, skippedAggregates: 0, paused: false };
    const pause = await target.pauseState?.();
    if (pause?.paused) return { result: { ...result, paused: true }, leaseId: '', lease: [] };
    const leaseId = randomUUID();
    const lease = await this.lease(target.name, leaseId, result);
    result.items = lease.length;
    if (lease.length === 0) return { result, leaseId, lease };
    // While the rows wait and the pushes run, the lease is renewed (every third of it), so a slow
    // remote system (a Bulk API job) does not let another worker take the rows over; a crashed
    // worker renews nothing.
    const ids = lease.flatMap((l) => l.rowIds);
    const renew = setInterval(() => void this.renew(leaseId, ids).catch(() => undefined), Math.max(250, (this.config.leaseSeconds * 1000) / 3));
    renew.unref();
    return { result, leaseId, lease, renew };
  }

  /** Steps 2 and 3 for a leased round. */
  private async pushRound(target: SyncTarget, { result, leaseId, lease, renew }: LeasedRound): Promise<void> {
    if (lease.length === 0) return;
    const batches: LeasedItem[][] = [];
    const size = Math.max(1, target.batchSize);
    for (let i = 0; i < lease.length; i += size) batches.push(lease.slice(i, i + size));
    try {
      await this.pushAll(target, leaseId, batches, result);
    } finally {
      clearInterval(renew);
    }
  }

  private async pushAll(target: SyncTarget, leaseId: string, batches: LeasedItem[][], result: DrainRound): Promise<void> {
    await eachLimited(batches, this.config.concurrency, async (batch) => {
      let outcomes: SyncOutcome[];
      try {
        outcomes = await target.push(batch.map((b) => b.item));
        if (outcomes.length !== batch.length) throw new Error(`${target.name}: push answered ${outcomes.length} outcomes for ${batch.length} items`);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        outcomes = batch.map(() => ({ status: 'retry' as const, error }));
      }
      await this.mark(leaseId, batch, outcomes, result);
    });
  }

  /** Moves the expiry of the rows (by id: the primary key) still held under `leaseId` to a full lease from now. */
  private async renew(leaseId: string, ids: number[]): Promise<void> {
    const now = new Date();
    await withTransaction(this.sequelize, (t) =>
      sqlOf(this.sequelize).write(
        t,
        `UPDATE syncOutbox SET availableAt = ?, updatedAt = ? WHERE id IN (${ids.map(() => '?').join(', ')}) AND leaseId = ? AND status = 'processing'`,
        [new Date(now.getTime() + this.config.leaseSeconds * 1000), now, ...ids, leaseId],
      ),
    );
  }

  /**
   * Rounds until a round finds nothing to do (or only aggregates held elsewhere), the target is
   * paused, or `budgetMs` has passed. Returns the rounds' totals. Pipelined: the next round is
   * leased while the current one's pushes are in flight, so the database work hides behind the
   * network (the lease skips the aggregates in flight, as another worker's would). A lease that
   * came back empty while a push ran is tried once more after it (its aggregates may have rows
   * enqueued meanwhile).
   */
  async drain(target: SyncTarget, budgetMs = 30_000): Promise<DrainRound & { rounds: number }> {
    const started = Date.now();
    const total = { rows: 0, items: 0, done: 0, retried: 0, dead: 0, fencedOut: 0, skippedAggregates: 0, paused: false, rounds: 0 };
    const add = (r: DrainRound) => {
      total.rounds++;
      for (const k of ['rows', 'items', 'done', 'retried', 'dead', 'fencedOut', 'skippedAggregates'] as const) total[k] += r[k];
      total.paused = r.paused;
    };
    let current = await this.leaseRound(target);
    while (current.lease.length > 0) {
      const pushing = this.pushRound(target, current);
      const ahead = Date.now() - started < budgetMs ? this.leaseRound(target) : Promise.resolve(undefined);
      // Both settle before either is looked at, so neither failure goes unobserved.
      const [pushed, next] = await Promise.allSettled([pushing, ahead]);
      add(current.result);
      if (pushed.status === 'rejected' || next.status === 'rejected') {
        // Rows leased ahead wait for their lease to expire, as after a crash.
        if (next.status === 'fulfilled') clearInterval(next.value?.renew);
        throw pushed.status === 'rejected' ? pushed.reason : (next as PromiseRejectedResult).reason;
      }
      if (!next.value) return total;
      current = next.value;
      // Nothing was free while the push ran; its aggregates may have rows enqueued meanwhile.
      if (current.lease.length === 0 && !current.result.paused) current = await this.leaseRound(target);
    }
    add(current.result);
    return total;
  }

  /** Step 1: the lease (see the class comment). Returns the items, oldest aggregate first. */
  private async lease(target: string, leaseId: string, result: DrainRound): Promise<LeasedItem[]> {
    const d = dialect(this.sequelize);
    const sql = sqlOf(this.sequelize);
    const { maxAttempts, leaseSeconds, batchSize } = this.config;
    return withTransaction(
      this.sequelize,
      async (t) => {
        const now = new Date();
        const picked = await sql.rows<PickedRow>(
          t,
          `SELECT id, aggregateType, aggregateId FROM syncOutbox WHERE target = ? AND ${ACTIVE} AND availableAt <= ? LIMIT ?${d.forUpdateSkipLocked}`,
          [target, now, batchSize],
        );
        if (picked.length === 0) return [];
        // The aggregates, and every active row of theirs: locked (ours) and as committed (held).
        const byType = new Map<string, Set<number>>();
        for (const p of picked) {
          let ids = byType.get(p.aggregateType);
          if (!ids) byType.set(p.aggregateType, (ids = new Set()));
          ids.add(Number(p.aggregateId));
        }
        const clauses: string[] = [];
        const values: SqlValue[] = [target];
        for (const [type, ids] of byType) {
          clauses.push(`(aggregateType = ? AND aggregateId IN (${[...ids].map(() => '?').join(', ')}))`);
          values.push(type, ...ids);
        }
        const where = `target = ? AND ${ACTIVE} AND (${clauses.join(' OR ')})`;
        const cols = 'id, aggregateType, aggregateId, eventType, payload, status, attempts, availableAt';
        // Ours: not under another worker's live lease, and not locked by another leasing transaction.
        const locked = await sql.rows<AggregateRow>(
          t,
          `SELECT ${cols} FROM syncOutbox WHERE ${where} AND (status = 'pending' OR availableAt <= ?) ORDER BY id${d.forUpdateSkipLocked}`,
          [...values, now],
        );
        // Every active row of those aggregates as committed, one line per aggregate (not one per
        // row: thousands fewer rows to send and parse): its oldest row and its rows in flight.
        const held = await sql.rows<{ aggregateType: string; aggregateId: number; oldest: number; live: number | string | null }>(
          t,
          `SELECT aggregateType, aggregateId, MIN(id) AS oldest, SUM(CASE WHEN status = 'processing' AND availableAt > ? THEN 1 ELSE 0 END) AS live
             FROM syncOutbox WHERE ${where} GROUP BY aggregateType, aggregateId`,
          [now, ...values],
        );
        const oldestMine = new Map<string, number>();
        for (const r of locked) {
          const k = keyOf(r);
          const id = Number(r.id);
          if (!oldestMine.has(k) || id < oldestMine.get(k)!) oldestMine.set(k, id);
        }
        // An aggregate is skipped when someone else holds a row of it older than our oldest (its
        // oldest row is not ours), or holds any of its rows under a live lease (in flight; rows we
        // locked are never live).
        const blocked = new Set<string>();
        for (const r of held) {
          const k = keyOf(r);
          const mineOldest = oldestMine.get(k);
          if (mineOldest === undefined) continue;
          if (Number(r.live ?? 0) > 0 || Number(r.oldest) < mineOldest) blocked.add(k);
        }
        // Ours and not blocked; a processing row we took over (expired lease) at its last attempt
        // is dead: its worker crashed or timed out that many times.
        const items = new Map<string, LeasedItem>();
        const exhausted: number[] = [];
        for (const r of locked) {
          const k = keyOf(r);
          if (blocked.has(k)) continue;
          const id = Number(r.id);
          if (r.status === 'processing' && Number(r.attempts) >= maxAttempts) {
            exhausted.push(id);
            continue;
          }
          let li = items.get(k);
          if (!li) items.set(k, (li = { item: { aggregate: r.aggregateType, id: Number(r.aggregateId), events: [], payloads: [] }, rowIds: [], attempts: 0 }));
          li.item.events.push(r.eventType);
          li.item.payloads.push(parsePayload(r.payload));
          li.rowIds.push(id);
          li.attempts = Math.max(li.attempts, Number(r.attempts) + 1);
        }
        result.skippedAggregates += blocked.size;
        if (exhausted.length) {
          await sql.write(
            t,
            `UPDATE syncOutbox SET status = 'failed', leaseId = NULL, lastError = ?, updatedAt = ? WHERE id IN (${exhausted.map(() => '?').join(', ')})`,
            [`lease expired on each of ${maxAttempts} attempts (the worker crashed or timed out)`, now, ...exhausted],
          );
          result.dead += exhausted.length;
        }
        const leased = [...items.values()];
        const ids = leased.flatMap((l) => l.rowIds);
        if (ids.length) {
          await sql.write(
            t,
            `UPDATE syncOutbox SET status = 'processing', leaseId = ?, leasedBy = ?, attempts = attempts + 1, availableAt = ?, updatedAt = ? WHERE id IN (${ids.map(() => '?').join(', ')})`,
            [leaseId, this.workerId, new Date(now.getTime() + leaseSeconds * 1000), now, ...ids],
          );
        }
        result.rows += ids.length;
        return leased;
      },
      // Each statement sees what is committed when it runs (the "all" read above relies on it).
      { isolationLevel: d.mysql ? Transaction.ISOLATION_LEVELS.READ_COMMITTED : undefined },
    );
  }

  /** Step 3: outcomes, each update fenced by the leaseId. */
  private async mark(leaseId: string, batch: LeasedItem[], outcomes: SyncOutcome[], result: DrainRound): Promise<void> {
    const sql = sqlOf(this.sequelize);
    const now = new Date();
    const doneIds: number[] = [];
    const writes: { sql: string; values: SqlValue[]; rows: number; kind: 'retried' | 'dead' }[] = [];
    batch.forEach((b, i) => {
      const o = outcomes[i]!;
      const inList = b.rowIds.map(() => '?').join(', ');
      if (o.status === 'done') {
        doneIds.push(...b.rowIds);
        return;
      }
      if (o.status === 'retry' && b.attempts < this.config.maxAttempts) {
        const at = new Date(now.getTime() + this.backoffMs(b.attempts, o.retryAfterMs));
        writes.push({
          sql: `UPDATE syncOutbox SET status = 'pending', leaseId = NULL, availableAt = ?, lastError = ?, updatedAt = ? WHERE id IN (${inList}) AND leaseId = ?`,
          values: [at, errorText(o.error), now, ...b.rowIds, leaseId],
          rows: b.rowIds.length,
          kind: 'retried',
        });
        return;
      }
      const error = o.status === 'retry' ? `gave up after ${b.attempts} attempts: ${o.error}` : o.error;
      writes.push({
        sql: `UPDATE syncOutbox SET status = 'failed', leaseId = NULL, lastError = ?, updatedAt = ? WHERE id IN (${inList}) AND leaseId = ?`,
        values: [errorText(error), now, ...b.rowIds, leaseId],
        rows: b.rowIds.length,
        kind: 'dead',
      });
    });
    await withTransaction(this.sequelize, async (t) => {
      if (doneIds.length) {
        const r = await sql.write(
          t,
          `UPDATE syncOutbox SET status = 'done', leaseId = NULL, lastError = NULL, processedAt = ?, updatedAt = ? WHERE id IN (${doneIds.map(() => '?').join(', ')}) AND leaseId = ?`,
          [now, now, ...doneIds, leaseId],
        );
        result.done += r.affectedRows;
        result.fencedOut += doneIds.length - r.affectedRows;
      }
      for (const w of writes) {
        const r = await sql.write(t, w.sql, w.values);
        result[w.kind] += r.affectedRows;
        result.fencedOut += w.rows - r.affectedRows;
      }
    });
    if (result.fencedOut)
      this.options.logger.warn({ leaseId, fencedOut: result.fencedOut }, 'outbox rows were taken over after this lease expired: outcome not written');
  }

  /**
   * Deletes done rows processed more than SYNC_RETENTION_DAYS ago, `batch` rows per transaction
   * (short statements: the payment path inserts into the same table). Returns how many.
   */
  async purge(batch = 1000): Promise<number> {
    const sql = sqlOf(this.sequelize);
    const cutoff = new Date(Date.now() - this.config.retentionDays * 86_400_000);
    let deleted = 0;
    for (;;) {
      const n = await withTransaction(this.sequelize, async (t) => {
        const rows = await sql.rows<{ id: number }>(t, `SELECT id FROM syncOutbox WHERE status = 'done' AND processedAt < ? LIMIT ?`, [cutoff, batch]);
        if (rows.length === 0) return 0;
        const r = await sql.write(
          t,
          `DELETE FROM syncOutbox WHERE id IN (${rows.map(() => '?').join(', ')}) AND status = 'done'`,
          rows.map((x) => Number(x.id)),
        );
        return r.affectedRows;
      });
      deleted += n;
      if (n < batch) return deleted;
    }
  }
}
