import { createHash } from 'node:crypto';
import type { Transaction } from 'sequelize';

/**
 * Idempotency-Key support for routes that change money. The first request with a key claims it
 * for a lease; a repeat with the same body replays the stored response; with another body it is a
 * 422; while the first is still running (its lease not run out) it is a 409 with Retry-After. A
 * request that died without answering (crash, kill, lost database) leaves a claim a retry takes
 * over once its lease has run out.
 */
export interface IdempotencyClaim {
  /**
   * Store the response. With `transaction` (the business transaction), both commit or neither, and
   * only while the claim is still this request's: if a retry took the key over it throws (a 409),
   * so the transaction rolls back.
   */
  complete(status: number, body: unknown, transaction?: Transaction): Promise<void>;
  /** Forget the claim (the request failed in a way a retry may fix); never touches a retry's claim. */
  release(): Promise<void>;
  readonly completed: boolean;
}

export type ClaimResult = { kind: 'claimed'; claim: IdempotencyClaim } | { kind: 'replay'; status: number; body: unknown };

export interface IdempotencyStore {
  claim(scope: string, key: string, requestHash: string): Promise<ClaimResult>;
}

/** Canonical JSON (sorted keys) so the same request always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function requestHash(parts: unknown): string {
  return createHash('sha256').update(canonical(parts)).digest('hex');
}
