import { QueryTypes, Transaction, type Sequelize } from 'sequelize';
import { addDays, isCalendarDate, localDate, type CalendarDate } from '../../platform/dates';
import { dialect } from '../../platform/db/dialect';
import { withTransaction } from '../../platform/db/transaction';
import { problems } from '../../platform/http/problem';
import type { Logger } from '../../platform/logging/logger';
import { snapshotPortfolio } from '../reporting/snapshots.service';
import { affectedRows, closeStatements } from './close-day.sql';
import { closeSteps, runChunkSteps } from './close-steps';
import type { JobRunError } from './models';
import { sendReminders, type ReminderWriter } from './reminders';

/**
 * The nightly close of one country. "Closing day C" ends business day C and opens C + 1:
 *
 *  0. the country's business date moves from C to N = C + 1 (first, under the country row lock,
 *     so every payment from then on is posted on N and the payment path's own catch-up,
 *     src/modules/accounts/nightly-step.ts, applies the step of N to any account the close has
 *     not reached yet);
 *  1. the step of business date N, exactly what catchUpNightly(account, payplan, N) does for one
 *     account: (a) instalments of the country due before N (so due on C or earlier) and not
 *     fully paid become overdue (once, for the whole country); then for every account whose
 *     lastNightlyBusinessDate < N, in chunks by id range (and, on Bull, partitions of id ranges
 *     that several workers run in parallel): (b) DPD and PAR bucket as of N (0 and current for a
 *     pending account: no loan before its down payment, arrears.ts carriesArrears), (c) active accounts
 *     with DPD beyond the plan's daysUntilSuspension are suspended (history dated N), (d)
 *     lastNightlyBusinessDate = N.
 *  2. reminders for N (due in X days, first overdue day, suspension), at most one per account
 *     per day (dedupeKey reminder:<accountId>:<N>);
 *  3. the portfolio snapshot of day C (reportSnapshots.snapshotDate = C), and the steps other
 *     modules register (close-steps.ts).
 * Re-running the close of C (after N is open) changes nothing: the guard in every statement
 * skips accounts already at N, reminders are deduplicated and snapshots are replaced by equal
 * values. See docs/nightly-close.md.
 */
export interface CloseTarget {
  countryId: number;
  countryCode: string;
  currency: string;
  timezone: string;
  /** The business day being closed (C). */
  closedDate: CalendarDate;
  /** The business day the close opens (N = C + 1): the step the accounts get. */
  businessDate: CalendarDate;
  regionIds: number[];
}

export interface PartitionRange {
  index: number;
  total: number;
  fromId: number;
  toId: number;
}

export type StepCounts = Record<string, number>;

export interface StepResult {
  counts: StepCounts;
  /** Problems that did not stop the step (e.g. a reminder without a template), at most 50. */
  errors: JobRunError[];
}

export interface CloseDayOptions {
  /** Accounts per chunk (one transaction each). */
  chunkSize?: number;
  /** Days before a due date the reminder goes out (systemSettings reminders.daysBeforeDue overrides). */
  reminderDaysBeforeDue?: number;
  /** How a chunk's reminders are written (default: the outbox, in bulk). */
  reminders?: ReminderWriter;
  logger?: Logger;
  /** Called after each chunk commits (tests slow the close down with it). */
  onChunk?(info: { range: PartitionRange; lo: number; hi: number; counts: StepCounts }): Promise<void>;
}

export class CloseDayError extends Error {}

export function addCounts(into: StepCounts, more: StepCounts): StepCounts {
  for (const [k, v] of Object.entries(more)) into[k] = (into[k] ?? 0) + v;
  return into;
}

export class CloseDayService {
  private readonly chunkSize: number;
  constructor(
    private readonly sequelize: Sequelize,
    private readonly options: CloseDayOptions = {},
  ) {
    this.chunkSize = options.chunkSize ?? 10_000;
  }

  /** The day a scheduled close should close now, or null when the business date is already today there. */
  async dueForClose(countryId: number, now = new Date()): Promise<CalendarDate | null> {
    const [c] = await this.sequelize.query<{ businessDate: string | null; timezone: string }>(
      'SELECT businessDate, timezone FROM countries WHERE id = :countryId',
      { replacements: { countryId }, type: QueryTypes.SELECT },
    );
    if (!c) throw new CloseDayError(`country ${countryId} not found`);
    const today = localDate(now, c.timezone);
    // Until its first close a country's business date follows its wall clock: yesterday is the day to close.
    const open = c.businessDate ? dateOnly(c.businessDate) : addDays(today, -1);
    return open < today ? open : null;
  }

  /**
   * Step 0: checks the date and opens N = C + 1. `date` defaults to the country's business date.
   * Closing C is allowed when the business date is C; when it is already C + 1 the call is a
   * re-run (resuming or repeating that close). Any other date is refused.
   */
  async begin(countryId: number, date?: CalendarDate): Promise<{ target: CloseTarget; reRun: boolean }> {
    if (date !== undefined && !isCalendarDate(date)) throw problems.validation([{ field: 'date', message: 'date must be YYYY-MM-DD' }]);
    const { target, reRun } = await withTransaction(this.sequelize, async (t) => {
      const [c] = await this.sequelize.query<{ id: number; code: string; currency: string; timezone: string; businessDate: string | null }>(
        `SELECT id, code, currency, timezone, businessDate FROM countries WHERE id = :countryId${dialect(this.sequelize).forUpdate}`,
        { replacements: { countryId }, type: QueryTypes.SELECT, transaction: t },
      );
      if (!c) throw problems.notFound('country');
      const current = c.businessDate ? dateOnly(c.businessDate) : localDate(new Date(), c.timezone);
      const closed = date ?? current;
      const next = addDays(closed, 1);
      let reRun: boolean;
      if (current === closed) {
        await this.sequelize.query('UPDATE countries SET businessDate = :next, updatedAt = :now WHERE id = :countryId', {
          replacements: { next, now: new Date(), countryId },
          transaction: t,
        });
        reRun = false;
      } else if (current === next) {
        reRun = true;
      } else {
        throw problems.conflict(
          `${c.code}'s business date is ${current}: close ${current}, or re-run the close of ${addDays(current, -1)}.`,
          'close-day-date',
          { businessDate: current },
        );
      }
      const regions = await this.sequelize.query<{ id: number }>('SELECT id FROM companyRegions WHERE countryId = :countryId ORDER BY id', {
        replacements: { countryId },
        type: QueryTypes.SELECT,
        transaction: t,
      });
      const target: CloseTarget = {
        countryId: c.id,
        countryCode: c.code,
        currency: c.currency,
        timezone: c.timezone,
        closedDate: closed,
        businessDate: next,
        regionIds: regions.map((r) => Number(r.id)),
      };
      return { target, reRun };
    });
    this.options.logger?.info({ country: target.countryCode, closedDate: target.closedDate, reRun }, 'nightly close: business date opened');
    return { target, reRun };
  }

  /** The target of a close already begun (partition and finalize jobs get it from their data). */
  async targetOf(countryId: number, closedDate: CalendarDate): Promise<CloseTarget> {
    const [c] = await this.sequelize.query<{ id: number; code: string; currency: string; timezone: string }>(
      'SELECT id, code, currency, timezone FROM countries WHERE id = :countryId',
      {
        replacements: { countryId },
        type: QueryTypes.SELECT,
      },
    );
    if (!c) throw new CloseDayError(`country ${countryId} not found`);
    const regions = await this.sequelize.query<{ id: number }>('SELECT id FROM companyRegions WHERE countryId = :countryId ORDER BY id', {
      replacements: { countryId },
      type: QueryTypes.SELECT,
    });
    return {
      countryId: c.id,
      countryCode: c.code,
      currency: c.currency,
      timezone: c.timezone,
      closedDate,
      businessDate: addDays(closedDate, 1),
      regionIds: regions.map((r) => Number(r.id)),
    };
  }

  /** Splits the country's accounts into `total` id ranges of equal width (none when it has no accounts). */
  async partitions(target: CloseTarget, total: number): Promise<PartitionRange[]> {
    if (target.regionIds.length === 0) return [];
    const [r] = await this.sequelize.query<{ lo: number | null; hi: number | null }>(
      'SELECT MIN(id) AS lo, MAX(id) AS hi FROM accounts WHERE regionId IN (:regions)',
      { replacements: { regions: target.regionIds }, type: QueryTypes.SELECT },
    );
    if (r?.lo === null || r?.lo === undefined || r.hi === null) return [];
    const lo = Number(r.lo);
    const hi = Number(r.hi);
    const n = Math.max(1, Math.min(total, hi - lo + 1));
    const width = Math.ceil((hi - lo + 1) / n);
    const out: PartitionRange[] = [];
    for (let i = 0; i < n; i++) {
      const fromId = lo + i * width;
      if (fromId > hi) break;
      out.push({ index: i + 1, total: n, fromId, toId: Math.min(hi, fromId + width - 1) });
    }
    return out.map((p) => ({ ...p, total: out.length }));
  }

  /**
   * Step (a) for one id range, in batches of FLAG_BATCH rows (read committed: a batch takes no
   * read locks on the accounts it filters by).
   */
  async flagOverdue(target: CloseTarget, range: Pick<PartitionRange, 'fromId' | 'toId'>): Promise<StepCounts> {
    const started = Date.now();
    let overdueFlagged = 0;
    if (target.regionIds.length === 0) return { overdueFlagged, flagMs: 0 };
    const d = dialect(this.sequelize);
    const { flagOverdue } = closeStatements(d);
    for (;;) {
      const flagged = await withTransaction(
        this.sequelize,
        async (t) =>
          affectedRows(
            await this.sequelize.query(flagOverdue, {
              replacements: { regions: target.regionIds, bd: target.businessDate, now: new Date(), fromId: range.fromId, toId: range.toId },
              type: QueryTypes.BULKUPDATE,
              transaction: t,
            }),
          ),
        { isolationLevel: d.mysql ? Transaction.ISOLATION_LEVELS.READ_COMMITTED : undefined },
      );
      overdueFlagged += flagged;
      // A batch may flag fewer than it picked (paid in between), so only an empty one ends it.
      if (!d.mysql || flagged === 0) break;
    }
    return { overdueFlagged, flagMs: Date.now() - started };
  }

  /**
   * Steps (a) to (e) for one id range: the overdue flags, then chunk by chunk (each chunk one
   * transaction, its waiting accounts locked first) DPD, suspensions and the business date, then
   * the reminders. Durations per step go into the counts too (jobRuns.counts: where a slow night
   * spent its time).
   */
  async runPartition(target: CloseTarget, range: PartitionRange): Promise<StepResult> {
    const counts: StepCounts = { chunks: 0, accounts: 0, suspended: 0 };
    if (target.regionIds.length === 0) return { counts, errors: [] };
    addCounts(counts, await this.flagOverdue(target, range));
    const d = dialect(this.sequelize);
    const sql = closeStatements(d);
    const base = { regions: target.regionIds, bd: target.businessDate };
    let started = Date.now();
    for (let lo = range.fromId; lo <= range.toId; lo += this.chunkSize) {
      const hi = Math.min(range.toId, lo + this.chunkSize - 1);
      const chunk = await withTransaction(
        this.sequelize,
        async (t) => {
          const replacements = { ...base, lo, hi, now: new Date() };
          const locked = await this.sequelize.query<{ id: number; status: string }>(sql.lock, { replacements, type: QueryTypes.SELECT, transaction: t });
          if (locked.length === 0) return { chunks: 1, accounts: 0, suspended: 0 };
          const accounts = affectedRows(await this.sequelize.query(sql.settle, { replacements, type: QueryTypes.BULKUPDATE, transaction: t }));
          const active = locked.filter((a) => a.status === 'active').map((a) => Number(a.id));
          const suspended = active.length
            ? affectedRows(
                await this.sequelize.query(sql.suspensionHistory, { replacements: { ...replacements, active }, type: QueryTypes.INSERT, transaction: t }),
              )
            : 0;
          const day = { countryId: target.countryId, closedDate: target.closedDate, businessDate: target.businessDate };
          const steps = await runChunkSteps(this.sequelize, { ...day, accountIds: locked.map((a) => Number(a.id)) }, t);
          return { chunks: 1, accounts, suspended, ...steps };
        },
        // Read committed: the settle's read of the instalment index takes no locks, so chunks of
        // other partitions running at the same time never wait on each other (their accounts are
        // locked and no writer changes their instalments without that lock).
        { isolationLevel: d.mysql ? Transaction.ISOLATION_LEVELS.READ_COMMITTED : undefined },
      );
      addCounts(counts, chunk);
      await this.options.onChunk?.({ range, lo, hi, counts: chunk });
    }
    counts.accountsMs = Date.now() - started;
    started = Date.now();
    const reminders = await sendReminders(this.sequelize, target, range, {
      daysBeforeDue: await this.reminderDays(),
      writer: this.options.reminders,
      chunkSize: this.chunkSize,
    });
    counts.remindersMs = Date.now() - started;
    return { counts: addCounts(counts, reminders.counts), errors: reminders.errors };
  }

  /** Step (f) and the steps other modules registered, for the whole country. */
  async finish(target: CloseTarget): Promise<StepResult> {
    const counts: StepCounts = {};
    let started = Date.now();
    addCounts(counts, await snapshotPortfolio(this.sequelize, target));
    counts.snapshotsMs = Date.now() - started;
    for (const step of closeSteps(this.sequelize).countrySteps()) {
      started = Date.now();
      const out = await withTransaction(this.sequelize, (t) =>
        step.run({ countryId: target.countryId, closedDate: target.closedDate, businessDate: target.businessDate }, t),
      );
      for (const [k, v] of Object.entries(out ?? {})) counts[`${step.name}.${k}`] = v;
      counts[`${step.name}.ms`] = Date.now() - started;
    }
    return { counts, errors: [] };
  }

  private async reminderDays(): Promise<number> {
    const fallback = this.options.reminderDaysBeforeDue ?? 3;
    const rows = await this.sequelize.query<{ value: unknown }>("SELECT value FROM systemSettings WHERE `key` = 'reminders.daysBeforeDue'", {
      type: QueryTypes.SELECT,
    });
    const raw = rows[0]?.value;
    let parsed = Number(raw);
    if (typeof raw === 'string') {
      try {
        parsed = Number(JSON.parse(raw));
      } catch {
        parsed = Number(raw);
      }
    }
    return Number.isInteger(parsed) && parsed > 0 && parsed <= 60 ? parsed : fallback;
  }
}

/** DATEONLY columns read through raw queries may come back as Date or string depending on the driver. */
export function dateOnly(value: string | Date): CalendarDate {
  return typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);
}
