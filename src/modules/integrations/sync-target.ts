import type { OutboxTarget } from './models';

/**
 * The contract between the outbox drain and a remote system's client (issue 13). The drain
 * coalesces every pending outbox row of one aggregate into one item (state transfer, not event
 * replay); the target reads the aggregate's current state fresh from the database and upserts it
 * by a stable external id, so a repeat after a crash is harmless.
 */
export interface SyncItem {
  /** syncOutbox.aggregateType: 'customer', 'account', 'payment', 'refund', 'writeoff', 'ledgerDay', 'commissionPayment' ... */
  aggregate: string;
  /** syncOutbox.aggregateId. */
  id: number;
  /** The coalesced rows' event types, oldest first (e.g. ['payment.completed', 'payment.reversed']). */
  events: string[];
  /** Their payloads, same order. */
  payloads: Record<string, unknown>[];
}

/** What became of one item. */
export type SyncOutcome =
  /** Confirmed by the remote system. remoteId: its internal id, when it gave one. */
  | { status: 'done'; remoteId?: string }
  /** Transient (429, 5xx, timeout, connection lost): try again later, no sooner than retryAfterMs. */
  | { status: 'retry'; error: string; retryAfterMs?: number }
  /** Permanent (a validation 400, a journal that differs from what was sent): dead, kept with its error. */
  | { status: 'dead'; error: string };

export interface SyncTarget {
  readonly name: OutboxTarget;
  /** Largest number of items handed to push at once (e.g. 200 for sObject Collections). */
  readonly batchSize: number;
  /**
   * Upserts each item's current state. One item's failure never throws: outcomes come back per
   * item, in the items' order. Throws only when nothing could be attempted (then all are retried).
   */
  push(items: SyncItem[]): Promise<SyncOutcome[]>;
  /** Paused targets are left pending (e.g. Salesforce API usage past the configured share). */
  pauseState?(): Promise<{ paused: boolean; reason?: string; until?: Date }>;
  close?(): Promise<void>;
}
