import { QueryTypes, UniqueConstraintError, type Transaction } from 'sequelize';
import { sqlOf } from '../../platform/db/sql';
import type { ClaimResult, IdempotencyClaim, IdempotencyStore } from '../../platform/http/idempotency';
import { problems } from '../../platform/http/problem';
import { IdempotencyKey } from './clients.models';

const RETENTION_MS = 24 * 3600_000;
/** A claim still in progress after this long belongs to a request that died; a retry may take it over. */
const STALE_MS = 60_000;

class Claim implements IdempotencyClaim {
  completed = false;
  constructor(private readonly id: number) {}

  async complete(status: number, body: unknown, transaction?: Transaction): Promise<void> {
    if (transaction) {
      // Inside the business transaction (every payment): one plain statement.
      await sqlOf(IdempotencyKey.sequelize!).write(transaction, "UPDATE idempotencyKeys SET status = 'completed', responseStatus = ?, responseBody = ?, updatedAt = ? WHERE id = ?", [
        status,
        JSON.stringify(body ?? null),
        new Date(),
        this.id,
      ]);
      transaction.afterCommit(() => void (this.completed = true));
      return;
    }
    await IdempotencyKey.update({ status: 'completed', responseStatus: status, responseBody: (body ?? null) as never }, { where: { id: this.id } });
    this.completed = true;
  }

  async release(): Promise<void> {
    await IdempotencyKey.destroy({ where: { id: this.id, status: 'in_progress' } });
  }
}

/** Idempotency keys in the idempotencyKeys table; the unique (scope, key) index settles races. */
export class SqlIdempotencyStore implements IdempotencyStore {
  async claim(scope: string, key: string, requestHash: string): Promise<ClaimResult> {
    try {
      const now = new Date();
      const [id] = (await IdempotencyKey.sequelize!.query(
        "INSERT INTO idempotencyKeys (scope, idempotencyKey, requestHash, status, expiresAt, createdAt, updatedAt) VALUES (?, ?, ?, 'in_progress', ?, ?, ?)",
        { replacements: [scope, key, requestHash, new Date(now.getTime() + RETENTION_MS), now, now], type: QueryTypes.INSERT },
      )) as unknown as [number, number];
      return { kind: 'claimed', claim: new Claim(Number(id)) };
    } catch (err) {
      if (!(err instanceof UniqueConstraintError)) throw err;
    }
    const existing = await IdempotencyKey.findOne({ where: { scope, idempotencyKey: key } });
    if (!existing) return this.claim(scope, key, requestHash); // released in between: try again
    if (existing.requestHash !== requestHash) {
      throw problems.unprocessable('This Idempotency-Key was already used with a different request.', 'idempotency-key-reused');
    }
    if (existing.status === 'completed') return { kind: 'replay', status: existing.responseStatus ?? 200, body: existing.responseBody };
    if (Date.now() - existing.updatedAt.getTime() > STALE_MS) {
      const [taken] = await IdempotencyKey.update({ updatedAt: new Date() }, { where: { id: existing.id, status: 'in_progress', updatedAt: existing.updatedAt } });
      if (taken === 1) return { kind: 'claimed', claim: new Claim(existing.id) };
    }
    throw problems.conflict('A request with this Idempotency-Key is still being processed.', 'idempotency-in-progress');
  }
}
