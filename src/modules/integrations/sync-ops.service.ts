import { QueryTypes, type Sequelize } from 'sequelize';
import type { AppContext } from '../../platform/context';
import { withTransaction } from '../../platform/db/transaction';
import { sqlOf } from '../../platform/db/sql';
import { decodeIdCursor, encodeCursor, type Paged } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { audit } from '../audit/audit';
import { integrations } from './outbox';
import { driverOf, SYNC_TARGETS, syncTargetFor, type SyncTargetName } from './registry';
import { targetsOf, type OutboxEvent } from './targets';

/**
 * What operators see and do about the sync (GET /integrations/status, the dead rows, `amt sync`):
 * read from syncOutbox itself (no counters kept elsewhere to drift).
 */

export interface TargetStatus {
  target: SyncTargetName;
  /** 'log' (the demo driver: nothing leaves AMT) or the client's name. */
  driver: string;
  /** Rows not yet done: pending (waiting or in backoff) and processing (leased). */
  pending: number;
  processing: number;
  oldestPendingAt: string | null;
  oldestPendingAgeSeconds: number | null;
  dead: number;
  lastSuccessAt: string | null;
  lastError: { message: string; at: string; outboxId: number } | null;
  paused: boolean;
  pausedReason: string | null;
  /** When a pause shared by all workers ends (it ends then by itself), if known. */
  pausedUntil: string | null;
}

export interface DeadRowView {
  id: number;
  target: string;
  aggregateType: string;
  aggregateId: number;
  eventType: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Entities that can be re-sent or backfilled, the table their ids come from and the event filed. */
export const SYNC_ENTITIES = {
  customer: { table: 'customers', event: 'customer.updated' },
  account: { table: 'accounts', event: 'account.resync' },
} as const satisfies Record<string, { table: string; event: OutboxEvent }>;
export type SyncEntity = keyof typeof SYNC_ENTITIES;

export function isSyncEntity(name: string): name is SyncEntity {
  return Object.hasOwn(SYNC_ENTITIES, name);
}

function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(/[+Z]/.test(String(v).slice(10)) ? String(v) : `${String(v)} +00:00`);
  return d.toISOString();
}

function inList(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

export class SyncOpsService {
  constructor(private readonly ctx: AppContext) {}

  private get sequelize(): Sequelize {
    return this.ctx.sequelize;
  }

  async status(): Promise<TargetStatus[]> {
    const q = <T extends object>(sql: string, replacements: unknown[]) => this.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT });
    const now = Date.now();
    return Promise.all(
      SYNC_TARGETS.map(async (target) => {
        const [counts] = await q<{ pending: number | string | null; processing: number | string | null; oldest: unknown; dead: number | string | null }>(
          `SELECT SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending, SUM(CASE WHEN status = 'processing' THEN 1 ELSE 0 END) AS processing,
                  MIN(CASE WHEN status IN ('pending', 'processing') THEN createdAt END) AS oldest, SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS dead
             FROM syncOutbox WHERE target = ? AND status IN ('pending', 'processing', 'failed')`,
          [target],
        );
        const [success] = await q<{ at: unknown }>(`SELECT MAX(processedAt) AS at FROM syncOutbox WHERE status = 'done' AND target = ?`, [target]);
        const [error] = await q<{ id: number; lastError: string; updatedAt: unknown }>(
          `SELECT id, lastError, updatedAt FROM syncOutbox WHERE target = ? AND status IN ('pending', 'failed') AND lastError IS NOT NULL ORDER BY updatedAt DESC, id DESC LIMIT 1`,
          [target],
        );
        const client = syncTargetFor(this.ctx, target);
        let pause: { paused: boolean; reason?: string; until?: Date } = { paused: false };
        try {
          pause = (await client.pauseState?.()) ?? pause;
        } catch (err) {
          pause = { paused: false, reason: `pause state unknown: ${(err as Error).message}` };
        }
        const oldest = iso(counts?.oldest);
        return {
          target,
          driver: driverOf(client),
          pending: Number(counts?.pending ?? 0),
          processing: Number(counts?.processing ?? 0),
          oldestPendingAt: oldest,
          oldestPendingAgeSeconds: oldest ? Math.max(0, Math.floor((now - Date.parse(oldest)) / 1000)) : null,
          dead: Number(counts?.dead ?? 0),
          lastSuccessAt: iso(success?.at),
          lastError: error ? { message: error.lastError, at: iso(error.updatedAt)!, outboxId: Number(error.id) } : null,
          paused: pause.paused,
          pausedReason: pause.reason ?? null,
          pausedUntil: pause.paused && pause.until ? pause.until.toISOString() : null,
        };
      }),
    );
  }

  /** Dead rows (status failed), oldest first, keyset-paged by id. */
  async dead(query: { target?: SyncTargetName; limit: number; cursor?: string }): Promise<Paged<DeadRowView>> {
    const after = query.cursor ? decodeIdCursor(query.cursor) : 0;
    const values: unknown[] = [after];
    let where = `status = 'failed' AND id > ?`;
    if (query.target) {
      where += ' AND target = ?';
      values.push(query.target);
    }
    values.push(query.limit + 1);
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `SELECT id, target, aggregateType, aggregateId, eventType, attempts, lastError, createdAt, updatedAt FROM syncOutbox WHERE ${where} ORDER BY id LIMIT ?`,
      { replacements: values, type: QueryTypes.SELECT },
    );
    const data = rows.slice(0, query.limit).map((r) => ({
      id: Number(r.id),
      target: String(r.target),
      aggregateType: String(r.aggregateType),
      aggregateId: Number(r.aggregateId),
      eventType: String(r.eventType),
      attempts: Number(r.attempts),
      lastError: (r.lastError as string | null) ?? null,
      createdAt: iso(r.createdAt)!,
      updatedAt: iso(r.updatedAt)!,
    }));
    const last = data.at(-1);
    return { data, page: { limit: query.limit, nextCursor: rows.length > query.limit && last ? encodeCursor([last.id]) : null } };
  }

  /**
   * Puts dead rows back to pending, attempts from 0, available now (the error stays until the next
   * attempt replaces or clears it). By id (404 unknown, 409 not dead) or every dead row of a target.
   * Audited; returns the rows put back.
   */
  async retry(actor: { employeeId: number } | null, which: { id: number } | { target: SyncTargetName; allDead: true }): Promise<number[]> {
    const sql = sqlOf(this.sequelize);
    return withTransaction(this.sequelize, async (t) => {
      let ids: number[];
      if ('id' in which) {
        const [row] = await sql.rows<{ id: number; status: string }>(t, `SELECT id, status FROM syncOutbox WHERE id = ?`, [which.id]);
        if (!row) throw problems.notFound('outbox row');
        if (row.status !== 'failed') throw problems.conflict(`Outbox row ${which.id} is ${row.status}, not dead: only dead rows are retried.`, 'not-dead');
        ids = [which.id];
      } else {
        ids = (await sql.rows<{ id: number }>(t, `SELECT id FROM syncOutbox WHERE status = 'failed' AND target = ? ORDER BY id`, [which.target])).map((r) =>
          Number(r.id),
        );
      }
      if (ids.length === 0) return [];
      const now = new Date();
      for (let i = 0; i < ids.length; i += 1000) {
        const part = ids.slice(i, i + 1000);
        await sql.write(
          t,
          `UPDATE syncOutbox SET status = 'pending', attempts = 0, availableAt = ?, leaseId = NULL, updatedAt = ? WHERE status = 'failed' AND id IN (${inList(part.length)})`,
          [now, now, ...part],
        );
      }
      await audit.record(t, {
        actor,
        action: 'sync.retry',
        entity: 'syncOutbox',
        entityId: ids.length === 1 ? ids[0]! : null,
        after: 'id' in which ? { ids } : { target: which.target, rows: ids.length },
      });
      return ids;
    });
  }

  /**
   * Files one row per target that keeps `entity` (or only `target`): the drain then upserts its
   * current state. 404 for an id with no record.
   */
  async resend(actor: { employeeId: number } | null, entity: SyncEntity, id: number, target?: SyncTargetName): Promise<{ target: string; outboxId: number }[]> {
    const { table, event } = SYNC_ENTITIES[entity];
    const targets = targetsOf(event).filter((t) => !target || t === target);
    if (targets.length === 0) throw problems.validation([{ field: 'target', message: `${target} does not keep ${entity} records` }]);
    const sql = sqlOf(this.sequelize);
    return withTransaction(this.sequelize, async (t) => {
      const [row] = await sql.rows<{ id: number }>(t, `SELECT id FROM ${table} WHERE id = ?`, [id]);
      if (!row) throw problems.notFound(entity);
      const out: { target: string; outboxId: number }[] = [];
      for (const tg of targets) {
        const [written] = await integrations.enqueueSelected(t, {
          aggregate: entity,
          event,
          from: `SELECT id FROM ${table} WHERE id = ?`,
          replacements: [id],
          payload: { [`${entity}Id`]: id, resend: true },
          only: tg,
        });
        out.push({ target: tg, outboxId: written!.insertId });
      }
      await audit.record(t, { actor, action: 'sync.resend', entity: table, entityId: id, after: { targets } });
      return out;
    });
  }

  /** How many records a backfill of `entity` covers after `afterId` (for the progress bar). */
  async backfillRemaining(entity: SyncEntity, afterId: number): Promise<number> {
    const { table } = SYNC_ENTITIES[entity];
    const [r] = await this.sequelize.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table} WHERE id > ?`, {
      replacements: [afterId],
      type: QueryTypes.SELECT,
    });
    return Number(r?.n ?? 0);
  }

  /**
   * One keyset page of a backfill: files a row for `target` for each of the next `pageSize`
   * records after `afterId` (set-based: one INSERT ... SELECT), in one transaction with `save`,
   * which stores the cursor, so a crash between pages resumes after the last page filed. Returns
   * the page's last id (null when there was nothing left) and how many rows it filed.
   */
  async backfillPage(
    target: SyncTargetName,
    entity: SyncEntity,
    afterId: number,
    pageSize: number,
    save?: (lastId: number, filed: number, t: import('sequelize').Transaction) => Promise<void>,
  ): Promise<{ lastId: number | null; filed: number }> {
    const { table, event } = SYNC_ENTITIES[entity];
    if (!targetsOf(event).includes(target)) throw problems.validation([{ field: 'target', message: `${target} does not keep ${entity} records` }]);
    const sql = sqlOf(this.sequelize);
    return withTransaction(this.sequelize, async (t) => {
      const ids = (await sql.rows<{ id: number }>(t, `SELECT id FROM ${table} WHERE id > ? ORDER BY id LIMIT ?`, [afterId, pageSize])).map((r) => Number(r.id));
      if (ids.length === 0) return { lastId: null, filed: 0 };
      const [written] = await integrations.enqueueSelected(t, {
        aggregate: entity,
        event,
        from: `SELECT id FROM ${table} WHERE id IN (${inList(ids.length)})`,
        replacements: ids,
        payload: { backfill: true },
        only: target,
      });
      const r = { affectedRows: written?.rows ?? 0 };
      const lastId = ids.at(-1)!;
      await save?.(lastId, r.affectedRows, t);
      return { lastId, filed: r.affectedRows };
    });
  }
}
