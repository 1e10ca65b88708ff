import { UniqueConstraintError, type Transaction } from 'sequelize';
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
    await IdempotencyKey.update(
      { status: 'completed', responseStatus: status, responseBody: (body ?? null) as never },
      { where: { id: this.id }, transaction },
    );
    if (transaction) transaction.afterCommit(() => void (this.completed = true));
    else this.completed = true;
  }

  async release(): Promise<void> {
    await IdempotencyKey.destroy({ where: { id: this.id, status: 'in_progress' } });
  }
}

/** Idempotency keys in the idempotencyKeys table; the unique (scope, key) index settles races. */
export class SqlIdempotencyStore implements IdempotencyStore {
  async claim(scope: string, key: string, requestHash: string): Promise<ClaimResult> {
    try {
      const row = await IdempotencyKey.create({ scope, idempotencyKey: key, requestHash, status: 'in_progress', expiresAt: new Date(Date.now() + RETENTION_MS) });
      return { kind: 'claimed', claim: new Claim(row.id) };
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
