import type { Transaction } from 'sequelize';
import { placeholders, sqlOf, type SqlValue } from '../../platform/db/sql';
import { SyncOutbox } from './models';
import type { OutboxTarget } from './models';
import { rowAggregateOf, STATE_TRANSFER, targetsOf, type OutboxEvent } from './targets';

export interface OutboxEnqueue {
  /** The aggregate the event is about, e.g. 'account', 'payment', 'refund'. */
  aggregate: string;
  /** Its id. */
  id: number;
  /** The event; its targets come from targets.ts, never from the caller. */
  event: OutboxEvent;
  payload?: Record<string, unknown>;
}

const COLUMNS = 'aggregateType, aggregateId, eventType, payload, target, status, attempts, availableAt, createdAt, updatedAt';

/**
 * The one way to write the sync outbox: one row per configured target (filed under the aggregate
 * that target keeps: targets.ts STATE_TRANSFER), in the caller's
 * transaction, so the event exists exactly when the change does (workers drain it). One plain
 * INSERT through Sql (no model instance): the hot payment path uses it without an extra round trip.
 */
export const integrations = {
  async enqueue(t: Transaction, e: OutboxEnqueue): Promise<void> {
    const targets = targetsOf(e.event);
    if (targets.length === 0) return;
    const now = new Date();
    const payload = JSON.stringify(e.payload ?? {});
    const values: SqlValue[] = targets.flatMap((target) => {
      const row = rowAggregateOf(target, e.event, e.aggregate, e.id, e.payload ?? {});
      return [row.aggregate, row.id, e.event, payload, target, 'pending', 0, now, now, now];
    });
    // Deferred: sent with the transaction's next statement, in the same round trip.
    await sqlOf(SyncOutbox.sequelize!).defer(t, `INSERT INTO syncOutbox (${COLUMNS}) VALUES ${placeholders(targets.length, 10)}`, values);
  },

  /**
   * The same rows, set-based, for many records at once (the nightly close, backfills, a resend):
   * one row per id that `from` selects (a `SELECT id FROM ...` with `?` replacements) and per
   * target of the event (or only `only`), one INSERT ... SELECT per target. Events filed under
   * another aggregate (state transfer) cannot be written so: their id is in each payload.
   */
  async enqueueSelected(
    t: Transaction,
    e: { aggregate: string; event: OutboxEvent; from: string; replacements: SqlValue[]; payload?: Record<string, unknown>; only?: OutboxTarget },
  ): Promise<{ target: OutboxTarget; insertId: number; rows: number }[]> {
    const sql = sqlOf(SyncOutbox.sequelize!);
    const now = new Date();
    const out: { target: OutboxTarget; insertId: number; rows: number }[] = [];
    for (const target of targetsOf(e.event).filter((tg) => !e.only || tg === e.only)) {
      const as = STATE_TRANSFER[target]?.[e.event];
      if (as && as !== e.aggregate) throw new Error(`outbox event ${e.event} for ${target} is filed under the ${as}: enqueue it one by one`);
      const r = await sql.write(t, `INSERT INTO syncOutbox (${COLUMNS}) SELECT ?, selected.id, ?, ?, ?, 'pending', 0, ?, ?, ? FROM (${e.from}) selected`, [
        e.aggregate,
        e.event,
        JSON.stringify(e.payload ?? {}),
        target,
        now,
        now,
        now,
        ...e.replacements,
      ]);
      out.push({ target, insertId: r.insertId, rows: r.affectedRows });
    }
    return out;
  },
};
