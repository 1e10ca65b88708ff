import { Op, type Sequelize, type Transaction } from 'sequelize';
import { withTransaction } from '../../../platform/db/transaction';
import type { Logger } from '../../../platform/logging/logger';
import { SystemSetting } from '../../organisation/reference.models';
import { SalesforceMapping } from '../models';
import type { SalesforceClient } from './client';
import {
  accountFieldsOf,
  CUSTOMER_EXTERNAL_ID,
  CUSTOMER_OBJECT,
  IDENTITY_FIELDS,
  SYNCED_FIELDS,
  syncedFromRecord,
  syncedOf,
  type FieldMode,
  type SyncedField,
  type SyncedState,
} from './fields';
import { SalesforceConflict, type ConflictResolution } from './models';
import { readCustomers } from './state';

/** systemSettings key of the inbound pull's watermark (the newest SystemModstamp applied, ISO 8601). */
export const WATERMARK_KEY = 'salesforce.inbound.watermark';

/** A change for the customer service (CustomerService.applyIntegrationChange, wired by the crm module). */
export interface InboundChange {
  source: 'salesforce';
  remoteId: string;
  fields: Partial<Record<'firstName' | 'lastName' | 'phone' | 'dateOfBirth' | 'preferredLanguage', string>> & { email?: string | null };
  address?: { addressLine?: string | null; city?: string | null; district?: string | null };
}

/** Applies a change to a customer in one transaction; runs `within` in it. Throws (an HttpProblem) when the customer rules refuse it. */
export type CustomerChangeSink = (customerId: number, change: InboundChange, within: (t: Transaction) => Promise<void>) => Promise<unknown>;

export interface PullCounts {
  fetched: number;
  applied: number;
  conflicts: number;
  unchanged: number;
  unknown: number;
  /** Customers whose AMT values were sent back to Salesforce after a conflict AMT won. */
  resent: number;
}

/** Values Salesforce may hand AMT, checked as the API checks an employee's input. */
const VALID: Partial<Record<SyncedField, (v: string) => boolean>> = {
  phone: (v) => /^\+[1-9]\d{6,14}$/.test(v),
  email: (v) => v.length <= 255 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v),
  preferredLanguage: (v) => ['en', 'sw', 'fr'].includes(v),
  addressLine: (v) => v.length <= 255,
  city: (v) => v.length <= 100,
  district: (v) => v.length <= 100,
  firstName: (v) => v.length <= 100,
  lastName: (v) => v.length <= 100,
  dateOfBirth: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v),
};
/** Fields AMT requires: Salesforce emptying them is refused. */
const REQUIRED = new Set<SyncedField>(['phone', 'preferredLanguage', 'firstName', 'lastName']);

interface Conflict {
  field: SyncedField;
  amtValue: string | null;
  salesforceValue: string | null;
  resolution: ConflictResolution;
  reason: string;
}

/** SOQL datetime literal, whole seconds (floored), UTC. */
export function soqlDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function parseStamp(v: unknown): number {
  return new Date(String(v).replace(/([+-]\d{2})(\d{2})$/, '$1:$2')).getTime();
}

const cut = (v: string | null) => (v === null ? null : v.slice(0, 255));

/**
 * The inbound pull: Accounts changed in Salesforce since the watermark (less an overlap window, so
 * a record committed late with an older SystemModstamp is not missed), page by page
 * (nextRecordsUrl), ordered by SystemModstamp, Id. For each field it compares three values:
 * Salesforce's (S), AMT's current (A), and the base (B: salesforceMapping.sentState, what AMT last
 * sent or took). The rule (docs/salesforce.md):
 * - S = B: Salesforce did not change it (AMT's own write coming back is no edit: nothing echoes).
 * - S = A: both already agree; the base moves to S.
 * - A KYC-verified customer's identity field (name, date of birth): never taken, recorded ('kept-amt').
 * - A != B too (both changed since the last sync): AMT wins (the system of record; its pending
 *   update goes to Salesforce), recorded ('kept-amt').
 * - Otherwise Salesforce's value is taken through the customer service (audited as changed by
 *   integration:salesforce); a value AMT's rules refuse (bad phone, blacklisted, e-mail on
 *   another customer, emptied required field) is recorded ('refused').
 * The base moves to S for every field seen, so a recorded conflict is not recorded again on the
 * next pull. The watermark advances after each page is applied: a crash re-reads at most a page.
 */
export class SalesforceInbound {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly client: SalesforceClient,
    private readonly options: FieldMode & { overlapSeconds: number },
    private readonly apply: CustomerChangeSink,
    private readonly logger?: Logger,
    /** Sends AMT's state of these customers back to Salesforce (the target), so a value AMT kept does not linger there. */
    private readonly resend?: (customerIds: number[]) => Promise<unknown>,
  ) {}

  async watermark(): Promise<string | null> {
    const row = await SystemSetting.findOne({ where: { key: WATERMARK_KEY } });
    return row && typeof row.value === 'string' ? row.value : null;
  }

  private async saveWatermark(value: string): Promise<void> {
    const [row, created] = await SystemSetting.findOrCreate({
      where: { key: WATERMARK_KEY },
      defaults: { key: WATERMARK_KEY, value, description: 'Salesforce inbound pull: newest SystemModstamp applied (ISO 8601)' },
    });
    if (!created && (typeof row.value !== 'string' || parseStamp(row.value) < parseStamp(value))) await row.update({ value });
  }

  soql(sinceMs: number): string {
    const map = accountFieldsOf(this.options);
    const fields = ['Id', CUSTOMER_EXTERNAL_ID, ...SYNCED_FIELDS.map((f) => map[f]), 'SystemModstamp'];
    return (
      `SELECT ${fields.join(', ')} FROM ${CUSTOMER_OBJECT} ` +
      `WHERE ${CUSTOMER_EXTERNAL_ID} != null AND SystemModstamp > ${soqlDateTime(sinceMs)} ORDER BY SystemModstamp, Id`
    );
  }

  async pull(): Promise<{ counts: PullCounts; watermark: string | null }> {
    const counts: PullCounts = { fetched: 0, applied: 0, conflicts: 0, unchanged: 0, unknown: 0, resent: 0 };
    const mark = await this.watermark();
    const since = mark ? parseStamp(mark) - this.options.overlapSeconds * 1000 : 0;
    let newest = mark;
    await this.client.queryPages<Record<string, unknown>>(this.soql(since), async (records) => {
      counts.fetched += records.length;
      await this.applyPage(records, counts);
      const last = records.at(-1)?.SystemModstamp;
      if (last !== undefined && last !== null) {
        const iso = new Date(parseStamp(last)).toISOString();
        if (!newest || parseStamp(newest) < parseStamp(iso)) newest = iso;
        await this.saveWatermark(iso);
      }
    });
    return { counts, watermark: newest };
  }

  private async applyPage(records: Record<string, unknown>[], counts: PullCounts): Promise<void> {
    const keptAmt = new Set<number>();
    await this.applyRecords(records, counts, keptAmt);
    if (keptAmt.size > 0 && this.resend) {
      // Best effort: a failure leaves Salesforce's value until the customer's next upsert.
      try {
        await this.resend([...keptAmt]);
        counts.resent += keptAmt.size;
      } catch (err) {
        this.logger?.warn({ err: (err as Error).message, customers: keptAmt.size }, 'salesforce inbound: resend of kept values failed');
      }
    }
  }

  private async applyRecords(records: Record<string, unknown>[], counts: PullCounts, keptAmt: Set<number>): Promise<void> {
    const ids = [...new Set(records.map((r) => Number(r[CUSTOMER_EXTERNAL_ID])).filter((n) => Number.isInteger(n) && n > 0))];
    const [customers, mappings] = await Promise.all([
      readCustomers(this.sequelize, ids),
      SalesforceMapping.findAll({ where: { localEntity: 'customer', localId: { [Op.in]: ids } } }),
    ]);
    const baseOf = new Map(mappings.map((m) => [m.localId, m]));
    for (const r of records) {
      const customerId = Number(r[CUSTOMER_EXTERNAL_ID]);
      const local = customers.get(customerId);
      if (!local) {
        counts.unknown += 1;
        continue;
      }
      const remote = syncedFromRecord(r, this.options);
      const amt = syncedOf(local);
      const mapping = baseOf.get(customerId);
      const base: SyncedState = mapping?.sentState ? ({ ...amt, ...mapping.sentState } as SyncedState) : amt;
      const nextBase: SyncedState = { ...base };
      const take: Partial<SyncedState> = {};
      const conflicts: Conflict[] = [];
      for (const f of SYNCED_FIELDS) {
        const s = remote[f];
        if (s === base[f]) continue;
        nextBase[f] = s;
        if (s === amt[f]) continue;
        const identity = (IDENTITY_FIELDS as readonly string[]).includes(f);
        if (identity && local.kycStatus === 'verified') {
          conflicts.push({
            field: f,
            amtValue: amt[f],
            salesforceValue: s,
            resolution: 'kept-amt',
            reason: 'KYC-verified identity field: changed only in AMT',
          });
        } else if (amt[f] !== base[f]) {
          conflicts.push({
            field: f,
            amtValue: amt[f],
            salesforceValue: s,
            resolution: 'kept-amt',
            reason: 'changed in both AMT and Salesforce since the last sync: AMT wins',
          });
        } else if (s === null ? REQUIRED.has(f) : VALID[f] && !VALID[f](s)) {
          conflicts.push({
            field: f,
            amtValue: amt[f],
            salesforceValue: s,
            resolution: 'refused',
            reason: s === null ? 'AMT requires this field' : 'not a valid value',
          });
        } else take[f] = s;
      }
      if (conflicts.some((c) => c.resolution === 'kept-amt')) keptAmt.add(customerId);
      const salesforceId = String(r.Id);
      const modstamp = r.SystemModstamp ? new Date(parseStamp(r.SystemModstamp)) : null;
      const bookkeeping = async (t?: Transaction) => {
        await this.saveBase(customerId, salesforceId, nextBase, t);
        if (conflicts.length > 0) await this.record(customerId, salesforceId, modstamp, conflicts, t);
      };
      if (Object.keys(take).length === 0) {
        if (conflicts.length === 0 && JSON.stringify(nextBase) === JSON.stringify(base) && mapping) {
          counts.unchanged += 1;
          continue;
        }
        await withTransaction(this.sequelize, async (t) => bookkeeping(t));
        counts.conflicts += conflicts.length;
        if (conflicts.length === 0) counts.unchanged += 1;
        continue;
      }
      try {
        await this.apply(customerId, this.changeOf(salesforceId, take), (t) => bookkeeping(t));
        counts.applied += 1;
        counts.conflicts += conflicts.length;
      } catch (err) {
        // The customer rules refused the change (blacklisted phone, e-mail already on file, KYC
        // verified in the meantime): nothing of it applies; each field is recorded as refused.
        const reason = (err instanceof Error ? err.message : String(err)).slice(0, 255);
        const refused: Conflict[] = (Object.keys(take) as SyncedField[]).map((f) => ({
          field: f,
          amtValue: amt[f],
          salesforceValue: take[f] ?? null,
          resolution: 'refused',
          reason,
        }));
        await withTransaction(this.sequelize, async (t) => {
          await this.saveBase(customerId, salesforceId, nextBase, t);
          await this.record(customerId, salesforceId, modstamp, [...conflicts, ...refused], t);
        });
        counts.conflicts += conflicts.length + refused.length;
        this.logger?.info({ customerId, salesforceId, fields: Object.keys(take) }, 'salesforce inbound: change refused by the customer rules');
      }
    }
  }

  private changeOf(remoteId: string, take: Partial<SyncedState>): InboundChange {
    const change: InboundChange = { source: 'salesforce', remoteId, fields: {} };
    for (const [f, v] of Object.entries(take) as [SyncedField, string | null][]) {
      if (f === 'addressLine' || f === 'city' || f === 'district') (change.address ??= {})[f] = v;
      else if (f === 'email') change.fields.email = v;
      else if (v !== null) change.fields[f] = v;
    }
    return change;
  }

  private async saveBase(customerId: number, salesforceId: string, base: SyncedState, t?: Transaction): Promise<void> {
    const sentState = Object.fromEntries(SYNCED_FIELDS.map((f) => [f, base[f]]));
    const existing = await SalesforceMapping.findOne({ where: { localEntity: 'customer', localId: customerId }, transaction: t });
    if (existing) await existing.update({ sentState, salesforceId, lastSync: new Date() }, { transaction: t });
    else
      await SalesforceMapping.create(
        { localEntity: 'customer', localId: customerId, salesforceId, salesforceObject: CUSTOMER_OBJECT, lastSync: new Date(), sentState },
        { transaction: t },
      );
  }

  private async record(customerId: number, salesforceId: string, modstamp: Date | null, conflicts: Conflict[], t?: Transaction): Promise<void> {
    await SalesforceConflict.bulkCreate(
      conflicts.map((c) => ({
        customerId,
        salesforceId,
        field: c.field,
        amtValue: cut(c.amtValue),
        salesforceValue: cut(c.salesforceValue),
        resolution: c.resolution,
        reason: c.reason,
        salesforceModstamp: modstamp,
      })),
      { transaction: t },
    );
  }
}
