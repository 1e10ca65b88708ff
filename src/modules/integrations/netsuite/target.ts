import { createHash } from 'node:crypto';
import { QueryTypes, UniqueConstraintError, type Sequelize } from 'sequelize';
import type { AppContext } from '../../../platform/context';
import { Decimal, toMoneyString } from '../../../platform/money';
import { NetsuiteSync } from '../models';
import { localSemaphore, redisSemaphore, SemaphoreTimeout, type Semaphore } from '../semaphore';
import type { SyncItem, SyncOutcome, SyncTarget } from '../sync-target';
import { backoffMs, NetsuiteClient, NetsuiteError, type NetsuiteRestConfig } from './client';
import { decodeLedgerDay, LEDGER_DAY_AGGREGATE } from './ledger-day';
import { NetsuiteJournal } from './models';

/** A refusal that no retry can fix (a missing mapping, a changed day): the item is dead with this message. */
class Permanent extends Error {}

/** Ledger code whose NetSuite account an approved commission's vendor bill clears (the accrued liability, 2500). */
const COMMISSION_PAYABLE_CODE = '2500';

export interface NetsuiteTargetOptions {
  /** Replaces the Redis (or, without Redis, per-process) semaphore. */
  semaphore?: Semaphore;
}

/**
 * The NetSuite SyncTarget: `log` (demo: each item logged and reported done) or `rest`. Aggregates:
 * - 'customer': PUT customer/eid:amt-cust-{id} from the customer's current row;
 * - 'ledgerDay': the day journal of a country (ledger-day.ts), journalEntry/eid:amt-je-{country}-{date}
 *   with ?replace=line, sent once; a day whose figures changed after it was sent is dead, for finance;
 * - 'commissionPayment': the agent as vendor amt-emp-{employeeId}, then vendorBill/eid:amt-cpay-{id}.
 * Any other aggregate (payments, refunds ... reach NetSuite through the day journal) is done at once.
 * Internal ids are kept in netsuiteSync.
 */
export function createNetsuiteTarget(ctx: AppContext, options: NetsuiteTargetOptions = {}): SyncTarget & { client?: NetsuiteClient } {
  const config = ctx.config.netsuite;
  if (config.driver === 'log') {
    return {
      name: 'netsuite',
      batchSize: 100,
      async push(items) {
        for (const item of items)
          ctx.logger.info({ target: 'netsuite', aggregate: item.aggregate, id: item.id, events: item.events }, 'netsuite (log driver): synced');
        return items.map(() => ({ status: 'done' }));
      },
    };
  }
  const semaphore =
    options.semaphore ??
    (ctx.redis
      ? redisSemaphore(ctx.redis, {
          key: `${ctx.config.queuePrefix}:netsuite:${config.accountId}:slots`,
          limit: config.concurrency,
          leaseMs: config.timeoutMs + 5_000,
          waitMs: Math.max(30_000, config.timeoutMs),
        })
      : localSemaphore(config.concurrency, Math.max(30_000, config.timeoutMs), 'netsuite'));
  const client = new NetsuiteClient(config, semaphore, ctx.logger);
  const sync = new NetsuiteSyncer(ctx.sequelize, client, config);
  return {
    name: 'netsuite',
    batchSize: config.batchSize,
    client,
    async push(items) {
      const outcomes: SyncOutcome[] = new Array(items.length);
      let next = 0;
      // As many items at once as the account allows requests; the semaphore keeps every process together under it.
      const worker = async () => {
        for (let i = next++; i < items.length; i = next++) outcomes[i] = await sync.push(items[i]!);
      };
      await Promise.all(Array.from({ length: Math.min(config.concurrency, items.length) }, worker));
      return outcomes;
    },
  };
}

interface JournalLineOut {
  account: string;
  debit?: string;
  credit?: string;
  memo: string;
}

class NetsuiteSyncer {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly client: NetsuiteClient,
    private readonly config: NetsuiteRestConfig,
  ) {}

  async push(item: SyncItem): Promise<SyncOutcome> {
    try {
      switch (item.aggregate) {
        case 'customer':
          return done(await this.customer(item.id));
        case LEDGER_DAY_AGGREGATE:
          return done(await this.journaled(item.id));
        case 'commissionPayment':
          return done(await this.commissionPayment(item.id));
        default:
          return { status: 'done' };
      }
    } catch (err) {
      const outcome = outcomeOf(err);
      await this.recordFailure(item, outcome).catch(() => undefined);
      return outcome;
    }
  }

  private async customer(id: number): Promise<string> {
    const [c] = await this.select<{
      id: number;
      firstName: string;
      lastName: string;
      email: string | null;
      phone: string;
      deletedAt: Date | null;
      countryId: number;
      code: string;
      subsidiaryId: string | null;
    }>(
      `SELECT c.id, c.firstName, c.lastName, c.email, c.phone, c.deletedAt, g.countryId, co.code, s.subsidiaryId
         FROM customers c JOIN companyRegions g ON g.id = c.regionId JOIN countries co ON co.id = g.countryId
         LEFT JOIN netsuiteSubsidiaries s ON s.countryId = g.countryId AND s.isActive = :yes
        WHERE c.id = :id`,
      { id, yes: true },
    );
    if (!c) throw new Permanent(`customer ${id} does not exist`);
    if (!c.subsidiaryId) throw new Permanent(`no NetSuite subsidiary is mapped for country ${c.code} (netsuiteSubsidiaries)`);
    const { internalId } = await this.client.upsert('customer', `amt-cust-${id}`, {
      entityId: `AMT-${id}`,
      isPerson: true,
      firstName: c.firstName,
      lastName: c.lastName,
      email: c.email ?? '',
      phone: c.phone,
      subsidiary: { id: c.subsidiaryId },
      isInactive: c.deletedAt !== null,
    });
    await this.recordSuccess('customer', id, internalId);
    return internalId;
  }

  /** The day journal, with a jobRuns row (jobName netsuite.ledgerDay) for each attempt that sent it or refused it. */
  private async journaled(key: number): Promise<string | undefined> {
    const startedAt = new Date();
    const { countryId, date } = decodeLedgerDay(key);
    const run = { sent: 0, lines: 0 };
    try {
      const id = await this.ledgerDay(key, run);
      if (run.sent) await this.recordRun(countryId, date, startedAt, 'succeeded', { lines: run.lines }, null);
      return id;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.recordRun(countryId, date, startedAt, 'failed', null, message).catch(() => undefined);
      throw err;
    }
  }

  private async recordRun(
    countryId: number,
    date: string,
    startedAt: Date,
    status: 'succeeded' | 'failed',
    counts: Record<string, number> | null,
    error: string | null,
  ) {
    const now = new Date();
    // A plain INSERT: the operations module (jobRuns' owner) sits above integrations in the module graph.
    await this.sequelize.query(
      `INSERT INTO jobRuns (jobName, countryId, businessDate, status, startedAt, finishedAt, counts, errors, attempt, createdAt, updatedAt)
       VALUES (:jobName, :countryId, :date, :status, :startedAt, :now, :counts, :errors, 1, :now, :now)`,
      {
        replacements: {
          jobName: 'netsuite.ledgerDay',
          countryId,
          date,
          status,
          startedAt,
          now,
          counts: counts ? JSON.stringify(counts) : null,
          errors: error ? JSON.stringify([{ message: error.slice(0, 500) }]) : null,
        },
      },
    );
  }

  private async ledgerDay(key: number, run: { sent: number; lines: number }): Promise<string | undefined> {
    const { countryId, date } = decodeLedgerDay(key);
    const [country] = await this.select<{ code: string; businessDate: string | Date | null; subsidiaryId: string | null }>(
      `SELECT co.code, co.businessDate, s.subsidiaryId FROM countries co LEFT JOIN netsuiteSubsidiaries s ON s.countryId = co.id AND s.isActive = :yes WHERE co.id = :countryId`,
      { countryId, yes: true },
    );
    if (!country) throw new Permanent(`ledger day ${key}: country ${countryId} does not exist`);
    const open = country.businessDate ? dateOnly(country.businessDate) : undefined;
    if (!open || open <= date)
      throw new Permanent(`${country.code}'s business day ${date} is not closed (business date ${open ?? 'not set'}): its journal is sent after the close`);
    const externalId = `amt-je-${country.code}-${date}`;
    const sums = await this.select<{ code: string; debit: string | number | null; credit: string | number | null }>(
      `SELECT la.code AS code, SUM(jl.debit) AS debit, SUM(jl.credit) AS credit
         FROM journalEntries je JOIN journalLines jl ON jl.journalEntryId = je.id JOIN ledgerAccounts la ON la.id = jl.ledgerAccountId
        WHERE je.countryId = :countryId AND je.businessDate = :date
        GROUP BY la.code ORDER BY la.code`,
      { countryId, date },
    );
    // The day's figures per ledger code: what is compared with what was sent.
    const figures = sums
      .map((s) => ({ code: String(s.code), debit: toMoneyString(s.debit ?? 0), credit: toMoneyString(s.credit ?? 0) }))
      .filter((s) => !new Decimal(s.debit).isZero() || !new Decimal(s.credit).isZero());
    if (figures.length === 0) return undefined; // nothing was posted that day: no journal
    const hash = createHash('sha256').update(JSON.stringify(figures)).digest('hex');
    let sent = await NetsuiteJournal.findOne({ where: { countryId, businessDate: date } });
    if (sent && sent.linesHash !== hash) throw new Permanent(changedDay(externalId, sent.lines as { code: string; debit: string; credit: string }[], figures));
    if (sent?.status === 'sent') return sent.netsuiteId ?? undefined; // sent and confirmed: nothing new to send
    if (!country.subsidiaryId) throw new Permanent(`no NetSuite subsidiary is mapped for country ${country.code} (netsuiteSubsidiaries)`);
    const mapping = new Map(
      (
        await this.select<{ ledgerCode: string; netsuiteAccountId: string }>(
          'SELECT ledgerCode, netsuiteAccountId FROM netsuiteAccountMappings WHERE countryId = :countryId AND isActive = :yes',
          { countryId, yes: true },
        )
      ).map((m) => [String(m.ledgerCode), String(m.netsuiteAccountId)]),
    );
    const unmapped = figures.filter((f) => !mapping.has(f.code)).map((f) => f.code);
    if (unmapped.length)
      throw new Permanent(
        `ledger code(s) ${unmapped.join(', ')} have no NetSuite account mapped for ${country.code} (netsuiteAccountMappings); ${externalId} not sent`,
      );
    const lines = mappedLines(figures, mapping);
    if (!sent) {
      try {
        sent = await NetsuiteJournal.create({ countryId, businessDate: date, externalId, linesHash: hash, lines: figures, status: 'sending' });
      } catch (err) {
        if (!(err instanceof UniqueConstraintError)) throw err;
        // Another worker recorded the day first: compare with what it recorded.
        sent = (await NetsuiteJournal.findOne({ where: { countryId, businessDate: date } }))!;
        if (sent.linesHash !== hash) throw new Permanent(changedDay(externalId, sent.lines as { code: string; debit: string; credit: string }[], figures));
      }
    }
    // ?replace=line: a retry after a lost answer replaces the lines rather than adding them again.
    const { internalId } = await this.client.upsert(
      'journalEntry',
      externalId,
      {
        tranDate: date,
        subsidiary: { id: country.subsidiaryId },
        memo: `AMT day journal ${country.code} ${date}`,
        line: {
          items: lines.map((l) => ({
            account: { id: l.account },
            ...(l.debit ? { debit: Number(l.debit) } : {}),
            ...(l.credit ? { credit: Number(l.credit) } : {}),
            memo: l.memo,
          })),
        },
      },
      ['line'],
    );
    run.sent = 1;
    run.lines = lines.length;
    await sent.update({ status: 'sent', netsuiteId: internalId, sentAt: new Date() });
    await this.recordSuccess(LEDGER_DAY_AGGREGATE, key, internalId);
    return internalId;
  }

  private async commissionPayment(id: number): Promise<string | undefined> {
    const [p] = await this.select<{
      id: number;
      employeeId: number;
      amount: string | number;
      period: string;
      status: string;
      entryCountryId: number | null;
      entryDate: string | Date | null;
    }>(
      `SELECT p.id, p.employeeId, p.amount, p.period, p.status, je.countryId AS entryCountryId, je.businessDate AS entryDate
         FROM commissionPayments p LEFT JOIN journalEntries je ON je.id = p.journalEntryId WHERE p.id = :id`,
      { id },
    );
    if (!p) throw new Permanent(`commission payment ${id} does not exist`);
    if (p.status !== 'approved' && p.status !== 'paid') throw new Permanent(`commission payment ${id} is ${p.status}, not approved: no vendor bill`);
    const amount = toMoneyString(p.amount);
    if (new Decimal(amount).isZero()) return undefined; // nothing owed: no bill
    const [e] = await this.select<{
      id: number;
      employeeCode: string;
      firstName: string;
      lastName: string;
      email: string | null;
      phone: string | null;
      isActive: boolean | number;
      countryId: number | null;
    }>(
      `SELECT e.id, e.employeeCode, e.firstName, e.lastName, e.email, e.phone, e.isActive,
              (SELECT MIN(g.countryId) FROM employeeRegions r JOIN companyRegions g ON g.id = r.regionId WHERE r.employeeId = e.id) AS countryId
         FROM employees e WHERE e.id = :employeeId`,
      { employeeId: p.employeeId },
    );
    if (!e) throw new Permanent(`employee ${p.employeeId} of commission payment ${id} does not exist`);
    const countryId = p.entryCountryId ?? e.countryId;
    if (!countryId) throw new Permanent(`commission payment ${id} has no country to be billed in`);
    const [m] = await this.select<{ code: string; subsidiaryId: string | null; payable: string | null }>(
      `SELECT co.code, s.subsidiaryId, m.netsuiteAccountId AS payable FROM countries co
         LEFT JOIN netsuiteSubsidiaries s ON s.countryId = co.id AND s.isActive = :yes
         LEFT JOIN netsuiteAccountMappings m ON m.countryId = co.id AND m.ledgerCode = :code AND m.isActive = :yes
        WHERE co.id = :countryId`,
      { countryId, code: COMMISSION_PAYABLE_CODE, yes: true },
    );
    if (!m?.subsidiaryId) throw new Permanent(`no NetSuite subsidiary is mapped for country ${m?.code ?? countryId} (netsuiteSubsidiaries)`);
    if (!m.payable)
      throw new Permanent(`ledger code ${COMMISSION_PAYABLE_CODE} has no NetSuite account mapped for ${m.code}: commission payment ${id} not billed`);
    const vendor = await this.client.upsert('vendor', `amt-emp-${e.id}`, {
      entityId: e.employeeCode,
      isPerson: true,
      firstName: e.firstName,
      lastName: e.lastName,
      email: e.email ?? '',
      phone: e.phone ?? '',
      subsidiary: { id: m.subsidiaryId },
      isInactive: !e.isActive,
    });
    await this.recordSuccess('employee', e.id, vendor.internalId);
    // The bill clears the commission accrued on approval (Dr 2500's account) into accounts payable.
    const bill = await this.client.upsert(
      'vendorBill',
      `amt-cpay-${id}`,
      {
        entity: { id: vendor.internalId },
        subsidiary: { id: m.subsidiaryId },
        tranId: `CPAY-${id}`,
        ...(p.entryDate ? { tranDate: dateOnly(p.entryDate) } : {}),
        memo: `AMT commission ${p.period}, employee ${e.employeeCode}`,
        expense: { items: [{ account: { id: m.payable }, amount: Number(amount), memo: `Commission ${p.period}` }] },
      },
      ['expense'],
    );
    await this.recordSuccess('commissionPayment', id, bill.internalId);
    return bill.internalId;
  }

  private async select<T extends object>(sql: string, replacements: Record<string, unknown>): Promise<T[]> {
    return this.sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT });
  }

  private async recordSuccess(entityType: string, entityId: number, netsuiteId: string): Promise<void> {
    await this.record(entityType, entityId, { netsuiteId, lastSyncDate: new Date(), syncStatus: 'success', errorMessage: null });
  }

  private async recordFailure(item: SyncItem, outcome: SyncOutcome): Promise<void> {
    if (outcome.status === 'done' || !['customer', LEDGER_DAY_AGGREGATE, 'commissionPayment'].includes(item.aggregate)) return;
    await this.record(item.aggregate, item.id, { syncStatus: outcome.status === 'dead' ? 'failed' : 'pending', errorMessage: outcome.error.slice(0, 2000) });
  }

  /** netsuiteSync: one row per local record (unique entityType + entityId). */
  private async record(
    entityType: string,
    entityId: number,
    values: Partial<Pick<NetsuiteSync, 'netsuiteId' | 'lastSyncDate' | 'syncStatus' | 'errorMessage'>>,
  ): Promise<void> {
    const where = { entityType, entityId };
    const [n] = await NetsuiteSync.update({ ...values, attempts: this.sequelize.literal('attempts + 1') as unknown as number }, { where });
    if (n > 0) return;
    try {
      await NetsuiteSync.create({ ...where, ...values, attempts: 1 });
    } catch (err) {
      if (!(err instanceof UniqueConstraintError)) throw err;
      await NetsuiteSync.update(values, { where });
    }
  }
}

/** Per NetSuite account: the day's debits on one line and its credits on another (a code's own totals, gross). */
function mappedLines(figures: { code: string; debit: string; credit: string }[], mapping: Map<string, string>): JournalLineOut[] {
  const byAccount = new Map<string, { debit: Decimal; credit: Decimal; codes: string[] }>();
  for (const f of figures) {
    const account = mapping.get(f.code)!;
    const a = byAccount.get(account) ?? { debit: new Decimal(0), credit: new Decimal(0), codes: [] };
    a.debit = a.debit.plus(f.debit);
    a.credit = a.credit.plus(f.credit);
    a.codes.push(f.code);
    byAccount.set(account, a);
  }
  const lines: JournalLineOut[] = [];
  for (const [account, a] of [...byAccount.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    const memo = `AMT ledger ${a.codes.join(', ')}`;
    if (!a.debit.isZero()) lines.push({ account, debit: toMoneyString(a.debit), memo });
    if (!a.credit.isZero()) lines.push({ account, credit: toMoneyString(a.credit), memo });
  }
  return lines;
}

function changedDay(
  externalId: string,
  sent: { code: string; debit: string; credit: string }[],
  now: { code: string; debit: string; credit: string }[],
): string {
  const before = new Map(sent.map((s) => [s.code, s]));
  const after = new Map(now.map((s) => [s.code, s]));
  const diffs: string[] = [];
  for (const code of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const b = before.get(code);
    const a = after.get(code);
    if (b?.debit !== a?.debit || b?.credit !== a?.credit) {
      diffs.push(`${code}: sent Dr ${b?.debit ?? '0.00'} Cr ${b?.credit ?? '0.00'}, now Dr ${a?.debit ?? '0.00'} Cr ${a?.credit ?? '0.00'}`);
    }
  }
  return `${externalId} was already sent to NetSuite and the day's journal lines have changed since (${diffs.join('; ')}). Not overwritten: finance must review the day and post the difference in NetSuite.`;
}

function done(remoteId: string | undefined): SyncOutcome {
  return remoteId === undefined ? { status: 'done' } : { status: 'done', remoteId };
}

function outcomeOf(err: unknown): SyncOutcome {
  if (err instanceof Permanent) return { status: 'dead', error: err.message };
  if (err instanceof NetsuiteError) {
    if (err.kind === 'validation' || err.kind === 'not_found') return { status: 'dead', error: err.message };
    if (err.kind === 'auth') return { status: 'retry', error: err.message, retryAfterMs: 60_000 };
    return { status: 'retry', error: err.message, retryAfterMs: err.retryAfterMs ?? 500 + backoffMs(2, 500) };
  }
  if (err instanceof SemaphoreTimeout) return { status: 'retry', error: err.message, retryAfterMs: 1_000 + backoffMs(2, 500) };
  return { status: 'retry', error: err instanceof Error ? err.message : String(err) };
}

function dateOnly(value: string | Date): string {
  return typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);
}
