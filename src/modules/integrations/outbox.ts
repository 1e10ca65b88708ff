import type { Transaction } from 'sequelize';
import { placeholders, sqlOf, type SqlValue } from '../../platform/db/sql';
import { SyncOutbox } from './models';
import { rowAggregateOf, targetsOf, type OutboxEvent } from './targets';

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
    await sqlOf(SyncOutbox.sequelize!).write(t, `INSERT INTO syncOutbox (${COLUMNS}) VALUES ${placeholders(targets.length, 10)}`, values);
  },
};
