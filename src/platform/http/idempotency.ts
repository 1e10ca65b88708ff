import { createHash } from 'node:crypto';
import type { Transaction } from 'sequelize';
import type { SqlText } from '../db/sql';

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
   * so the transaction rolls back. `fill`: a value of the body known only at COMMIT; the claim must
   * be held in `transaction` (hold()).
   */
  complete(status: number, body: unknown, transaction?: Transaction, fill?: AnswerFill): Promise<void>;
  /**
   * Fence the claim in `transaction` early (its row locked there while still this request's; the
   * check travels with the transaction's next statement, whose error it becomes if the claim was
   * lost): a later complete() in the same transaction then writes its answer with the COMMIT, in
   * the same round trip, instead of a round trip of its own before it.
   */
  hold(transaction: Transaction): Promise<void>;
  /** Forget the claim (the request failed in a way a retry may fix); never touches a retry's claim. */
  release(): Promise<void>;
  readonly completed: boolean;
}

/**
 * A value of the answer known only at COMMIT (a gapless number taken in the COMMIT's round trip,
 * number-sequences nextNumberAtCommit): the body carries `placeholder` where the value goes, and the
 * stored answer gets the value by SQL in the COMMIT's round trip, so a replay answers it too.
 */
export interface AnswerFill {
  /** The string that stands for the value in the body (a random token: nothing else in the body may hold it). */
  placeholder: string;
  /** The value as SQL, valid in a statement of the transaction's commit tail (`@amt_number`). */
  value: SqlText;
}

export type ClaimResult = { kind: 'claimed'; claim: IdempotencyClaim } | { kind: 'replay'; status: number; body: unknown };

export interface ClaimOptions {
  /** How long the answer is kept for replay, when not the store's default (client ids: a phone may stay offline for weeks). */
  retentionMs?: number;
}

export interface IdempotencyStore {
  claim(scope: string, key: string, requestHash: string, options?: ClaimOptions): Promise<ClaimResult>;
}

/** How long the answer to a create carrying a client-generated id (`clientId`) is kept: a phone may queue work offline for weeks. */
export const CLIENT_ID_RETENTION_MS = 90 * 24 * 3600_000;

/**
 * Hands a service the way to store the answer inside its own transaction (as its last statement),
 * so the created record and the answer a retry replays commit together. Undefined when the request
 * claimed nothing (no clientId, no Idempotency-Key).
 */
export type StoreAnswer<T> = ((result: T, transaction: Transaction) => Promise<void>) | undefined;

export function storeAnswer<T>(claim: IdempotencyClaim | undefined, status: number, view: (result: T) => unknown): StoreAnswer<T> {
  return claim ? (result, t) => claim.complete(status, view(result), t) : undefined;
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
