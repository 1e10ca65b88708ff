import type { Sequelize } from 'sequelize';
import type { SalesforceConfig } from '../../../platform/config';
import type { Logger } from '../../../platform/logging/logger';
import { SalesforceMapping } from '../models';
import type { SyncItem, SyncOutcome, SyncTarget } from '../sync-target';
import { SalesforceError, type SalesforceClient } from './client';
import {
  ACCOUNT_EXTERNAL_ID,
  ACCOUNT_OBJECT,
  accountRecord,
  CUSTOMER_EXTERNAL_ID,
  CUSTOMER_OBJECT,
  customerRecord,
  syncedOf,
  type CustomerState,
  type FieldMode,
} from './fields';
import { readAccounts, readCustomers } from './state';

type RestConfig = Extract<SalesforceConfig, { driver: 'rest' }>;

/** Records per sObject Collections request (Salesforce's maximum). */
export const COLLECTION_SIZE = 200;
/** Collections requests of one push in flight at once. */
export const COLLECTION_CONCURRENCY = 4;
/** A paused queue re-reads the API usage (GET /limits) at most this often. */
const USAGE_RECHECK_MS = 5 * 60_000;
/** Per-record error codes worth another attempt (everything else is the data's fault: dead). */
const TRANSIENT_RECORD_CODES = new Set(['UNABLE_TO_LOCK_ROW', 'REQUEST_LIMIT_EXCEEDED', 'UNKNOWN_EXCEPTION', 'SERVER_UNAVAILABLE']);

interface Prepared {
  index: number;
  localEntity: 'customer' | 'account';
  localId: number;
  externalId: string;
  record: Record<string, unknown>;
  customer?: CustomerState;
}

type RecordResult = { ok: true; id: string } | { ok: false; error: string; transient: boolean };

/**
 * The Salesforce SyncTarget: 'customer' items become Accounts (or Person Accounts) upserted by
 * AMT_Customer_Id__c, 'account' items PAYG_Account__c upserted by AMT_Account_Number__c, each from
 * the current state read fresh for the whole batch. Up to SALESFORCE_BULK_THRESHOLD records of an
 * object go as sObject Collections upserts (200 a request, per-record results); more as one Bulk
 * API 2.0 ingest job. Confirmed records get their salesforceMapping row (Salesforce id, last sync,
 * and for customers the fields as sent: the inbound pull's base). API usage from Sforce-Limit-Info
 * past SALESFORCE_PAUSE_SHARE, or a REQUEST_LIMIT_EXCEEDED, pauses the target (pauseState).
 */
export class SalesforceTarget implements SyncTarget {
  readonly name = 'salesforce' as const;
  /** Large, so a nightly close's or a backfill's thousands of changes can reach the bulk path. */
  readonly batchSize = 10_000;
  private limitHitAt?: number;
  /** Bulk job polling (tests shorten it). */
  bulkPoll = { intervalMs: 2000, timeoutMs: 10 * 60_000 };

  constructor(
    private readonly sequelize: Sequelize,
    readonly client: SalesforceClient,
    private readonly config: RestConfig,
    private readonly logger?: Logger,
  ) {}

  private get mode(): FieldMode {
    return { personAccounts: this.config.personAccounts, personAccountRecordTypeId: this.config.personAccountRecordTypeId };
  }

  async pauseState(): Promise<{ paused: boolean; reason?: string }> {
    if (this.limitHitAt !== undefined && Date.now() - this.limitHitAt < this.config.limitPauseMs) {
      return { paused: true, reason: `Salesforce answered REQUEST_LIMIT_EXCEEDED (daily API limit) at ${new Date(this.limitHitAt).toISOString()}` };
    }
    let usage = this.client.usage;
    const over = () => !!usage && usage.limit > 0 && usage.used / usage.limit >= this.config.pauseShare;
    if ((over() || this.limitHitAt !== undefined) && (!usage || Date.now() - usage.at >= USAGE_RECHECK_MS)) {
      try {
        usage = await this.client.refreshUsage();
        this.limitHitAt = undefined;
      } catch (err) {
        if (err instanceof SalesforceError && err.errorCode === 'REQUEST_LIMIT_EXCEEDED') this.limitHitAt = Date.now();
        return { paused: true, reason: `Salesforce API usage unknown: ${(err as Error).message}` };
      }
    }
    if (over()) {
      const pct = ((usage!.used / usage!.limit) * 100).toFixed(1);
      return { paused: true, reason: `Salesforce API usage ${usage!.used}/${usage!.limit} (${pct}%) is past SALESFORCE_PAUSE_SHARE ${this.config.pauseShare}` };
    }
    return { paused: false };
  }

  async push(items: SyncItem[]): Promise<SyncOutcome[]> {
    const outcomes: SyncOutcome[] = new Array(items.length);
    const customerIds = items.filter((i) => i.aggregate === 'customer').map((i) => i.id);
    const accountIds = items.filter((i) => i.aggregate === 'account').map((i) => i.id);
    const [customers, accounts] = await Promise.all([readCustomers(this.sequelize, customerIds), readAccounts(this.sequelize, accountIds)]);
    const byObject: { customers: Prepared[]; accounts: Prepared[] } = { customers: [], accounts: [] };
    items.forEach((item, index) => {
      if (item.aggregate === 'customer') {
        const c = customers.get(item.id);
        if (!c) outcomes[index] = { status: 'dead', error: `customer ${item.id} does not exist` };
        else
          byObject.customers.push({
            index,
            localEntity: 'customer',
            localId: c.id,
            externalId: String(c.id),
            record: customerRecord(c, this.mode),
            customer: c,
          });
      } else if (item.aggregate === 'account') {
        const a = accounts.get(item.id);
        if (!a) outcomes[index] = { status: 'dead', error: `account ${item.id} does not exist` };
        else byObject.accounts.push({ index, localEntity: 'account', localId: a.id, externalId: a.accountNumber, record: accountRecord(a) });
      } else {
        outcomes[index] = { status: 'dead', error: `Salesforce does not sync '${item.aggregate}' (only customer and account)` };
      }
    });
    await this.send(CUSTOMER_OBJECT, CUSTOMER_EXTERNAL_ID, byObject.customers, outcomes);
    await this.send(ACCOUNT_OBJECT, ACCOUNT_EXTERNAL_ID, byObject.accounts, outcomes);
    return outcomes;
  }

  private async send(object: string, externalIdField: string, prepared: Prepared[], outcomes: SyncOutcome[]): Promise<void> {
    if (prepared.length === 0) return;
    const results =
      prepared.length > this.config.bulkThreshold
        ? await this.viaBulk(object, externalIdField, prepared)
        : await this.viaCollections(object, externalIdField, prepared);
    const confirmed: Array<{ p: Prepared; id: string }> = [];
    prepared.forEach((p, i) => {
      const r = results[i]!;
      if (r.ok) {
        outcomes[p.index] = { status: 'done', remoteId: r.id };
        confirmed.push({ p, id: r.id });
      } else if (r.transient) {
        const limit = /REQUEST_LIMIT_EXCEEDED/.test(r.error);
        outcomes[p.index] = { status: 'retry', error: r.error, ...(limit ? { retryAfterMs: this.config.limitPauseMs } : {}) };
      } else outcomes[p.index] = { status: 'dead', error: r.error };
    });
    if (confirmed.length === 0) return;
    const now = new Date();
    // The remote write is confirmed: a failure to record the mapping must not undo the outcomes (the next upsert repairs it).
    try {
      await SalesforceMapping.bulkCreate(
        confirmed.map(({ p, id }) => ({
          localEntity: p.localEntity,
          localId: p.localId,
          salesforceId: id,
          salesforceObject: object,
          lastSync: now,
          sentState: p.customer ? syncedOf(p.customer) : null,
        })),
        // conflictAttributes: SQLite's ON CONFLICT must name one unique key (MySQL's ON DUPLICATE KEY ignores it).
        { updateOnDuplicate: ['salesforceId', 'salesforceObject', 'lastSync', 'sentState', 'updatedAt'], conflictAttributes: ['localEntity', 'localId'] },
      );
    } catch (err) {
      this.logger?.warn({ err: (err as Error).message, object, count: confirmed.length }, 'salesforce: mapping rows not saved');
    }
  }

  private failAll(n: number, err: unknown): RecordResult[] {
    const e = err instanceof SalesforceError ? err : new SalesforceError((err as Error).message, 'UNKNOWN', true);
    if (e.errorCode === 'REQUEST_LIMIT_EXCEEDED') this.limitHitAt = Date.now();
    return new Array(n).fill({ ok: false, error: e.message, transient: e.transient || e.errorCode === 'REQUEST_LIMIT_EXCEEDED' });
  }

  private async viaCollections(object: string, externalIdField: string, prepared: Prepared[]): Promise<RecordResult[]> {
    const chunks: Prepared[][] = [];
    for (let i = 0; i < prepared.length; i += COLLECTION_SIZE) chunks.push(prepared.slice(i, i + COLLECTION_SIZE));
    const perChunk: RecordResult[][] = new Array(chunks.length);
    let next = 0;
    const worker = async () => {
      for (let c = next++; c < chunks.length; c = next++) {
        const chunk = chunks[c]!;
        try {
          const saved = await this.client.upsertCollection(
            object,
            externalIdField,
            chunk.map((p) => p.record),
          );
          perChunk[c] = chunk.map((_, i) => {
            const s = saved[i];
            if (s?.success && s.id) return { ok: true, id: s.id };
            const e = s?.errors?.[0];
            if (!e) return { ok: false, error: 'Salesforce gave no result for this record', transient: true };
            return {
              ok: false,
              error: `${e.statusCode}: ${e.message}${e.fields?.length ? ` (${e.fields.join(', ')})` : ''}`,
              transient: TRANSIENT_RECORD_CODES.has(e.statusCode),
            };
          });
        } catch (err) {
          perChunk[c] = this.failAll(chunk.length, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(COLLECTION_CONCURRENCY, chunks.length) }, worker));
    return perChunk.flat();
  }

  private async viaBulk(object: string, externalIdField: string, prepared: Prepared[]): Promise<RecordResult[]> {
    let results: Awaited<ReturnType<SalesforceClient['bulkUpsert']>>;
    try {
      results = await this.client.bulkUpsert(
        object,
        externalIdField,
        prepared.map((p) => p.record),
        this.bulkPoll,
      );
    } catch (err) {
      return this.failAll(prepared.length, err);
    }
    const ok = new Map<string, string>();
    for (const r of results.successful) ok.set(String(r[externalIdField]), String(r.sf__Id));
    const failed = new Map<string, string>();
    for (const r of results.failed) failed.set(String(r[externalIdField]), String(r.sf__Error));
    return prepared.map((p) => {
      const id = ok.get(p.externalId);
      if (id) return { ok: true, id };
      const error = failed.get(p.externalId);
      if (error !== undefined) {
        const code = error.split(':')[0] ?? '';
        return { ok: false, error, transient: TRANSIENT_RECORD_CODES.has(code) };
      }
      return { ok: false, error: 'not processed by the Bulk API job', transient: true };
    });
  }
}

/** The demo's Salesforce: nothing leaves the process; each upsert is logged (ids only) and done. */
export class LogSalesforceTarget implements SyncTarget {
  readonly name = 'salesforce' as const;
  readonly batchSize = COLLECTION_SIZE;
  constructor(private readonly logger?: Logger) {}
  async push(items: SyncItem[]): Promise<SyncOutcome[]> {
    for (const i of items) this.logger?.info({ aggregate: i.aggregate, id: i.id, events: i.events }, 'salesforce (log driver): upsert');
    return items.map(() => ({ status: 'done' }));
  }
}
