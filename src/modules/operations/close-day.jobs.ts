import { createHash, randomUUID } from 'node:crypto';
import cronParser from 'cron-parser';
import { QueryTypes } from 'sequelize';
import type { AppContext } from '../../platform/context';
import { dialect } from '../../platform/db/dialect';
import { localDate, type CalendarDate } from '../../platform/dates';
import type { JobDefinition, RepeatSpec } from '../../platform/queue';
import { addCounts, CloseDayService, dateOnly, type CloseDayOptions, type CloseTarget, type PartitionRange, type StepCounts } from './close-day.service';
import { recordRun } from './job-runs';
import type { JobRunError } from './models';

/** Bull queues of the nightly close (one queue per kind of job). */
export const CLOSE_DAY_JOB = 'operations.close-day';
export const CLOSE_PARTITION_JOB = 'operations.close-day.partition';
export const CLOSE_FINALIZE_JOB = 'operations.close-day.finalize';

/** jobRuns.jobName of each. */
export const RUN_NAMES = { coordinator: 'close-day', partition: 'close-day.partition', finalize: 'close-day.finalize' } as const;

export interface CloseDayJobData {
  countryId: number;
  /** The business day to close; without it (the schedule) the day that is due in the country. */
  date?: CalendarDate;
  partitions?: number;
  /** Set by the schedule: after this day, the next one is closed too while the country lags behind. */
  scheduled?: boolean;
}

export interface PartitionJobData extends Omit<PartitionRange, never> {
  countryId: number;
  closedDate: CalendarDate;
  /** jobRuns id of the coordinator run: labels the partitions and their finalize. */
  runId: number;
  scheduled?: boolean;
}

export interface FinalizeJobData {
  countryId: number;
  closedDate: CalendarDate;
  runId: number;
  scheduled?: boolean;
}

export interface CloseDayJobOptions extends CloseDayOptions {
  attempts?: number;
  backoffMs?: number;
  /** Partitions worked at the same time by one worker process. */
  partitionConcurrency?: number;
}

export function partitionLabel(runId: number, p: PartitionRange): string {
  return `r${runId} ${p.index}/${p.total} ${p.fromId}-${p.toId}`;
}

function coordinatorLabel(jobId: string): string {
  return `job:${createHash('sha1').update(jobId).digest('hex').slice(0, 16)}`;
}

/** The schedule: one repeatable job per active country, at NIGHTLY_CLOSE_CRON in its timezone. */
export async function closeDaySchedules(ctx: AppContext): Promise<RepeatSpec<CloseDayJobData>[]> {
  const countries = await ctx.sequelize.query<{ id: number; code: string; timezone: string }>(
    'SELECT id, code, timezone FROM countries WHERE isActive = :active ORDER BY id',
    { replacements: { active: true }, type: QueryTypes.SELECT },
  );
  return countries.map((c) => ({
    // No colon: Bull splits repeat keys on it.
    key: `nightly-close-${c.code}`,
    cron: ctx.config.nightlyClose.cron,
    tz: c.timezone,
    data: { countryId: Number(c.id), scheduled: true },
  }));
}

/**
 * Closes the schedule missed: countries whose business date is behind the day the last cron run
 * (NIGHTLY_CLOSE_CRON in the country's timezone) would have opened, because Redis lost the
 * repeatable job or no worker ran at that hour. A country with close work still queued or running
 * is left alone (that work ends by enqueueing the next day itself). The job id names the country
 * and its business date, so checking again every minute adds nothing; the close it starts is the
 * scheduled one (it carries on day by day until the country is caught up).
 */
export async function missedCloses(
  ctx: Pick<AppContext, 'sequelize' | 'config'>,
  inFlight: (name: string) => Promise<unknown[]>,
  now = new Date(),
): Promise<Array<{ data: CloseDayJobData; jobId: string }>> {
  const countries = await ctx.sequelize.query<{ id: number; timezone: string; businessDate: string | null }>(
    'SELECT id, timezone, businessDate FROM countries WHERE isActive = :active ORDER BY id',
    { replacements: { active: true }, type: QueryTypes.SELECT },
  );
  const busy = new Set<number>();
  for (const name of [CLOSE_DAY_JOB, CLOSE_PARTITION_JOB, CLOSE_FINALIZE_JOB]) {
    for (const d of await inFlight(name)) busy.add(Number((d as { countryId?: number }).countryId));
  }
  const missed: Array<{ data: CloseDayJobData; jobId: string }> = [];
  for (const c of countries) {
    // A country never closed has missed nothing (its first scheduled close starts it).
    if (!c.businessDate || busy.has(Number(c.id))) continue;
    const lastRun = cronParser.parseExpression(ctx.config.nightlyClose.cron, { tz: c.timezone, currentDate: now }).prev().toDate();
    const businessDate = dateOnly(c.businessDate);
    if (businessDate < localDate(lastRun, c.timezone)) {
      missed.push({ data: { countryId: Number(c.id), scheduled: true }, jobId: `close-catchup-${c.id}-${businessDate}` });
    }
  }
  return missed;
}

async function partitionsDone(ctx: AppContext, runId: number): Promise<number> {
  const [r] = await ctx.sequelize.query<{ n: number }>(
    "SELECT COUNT(DISTINCT `partition`) AS n FROM jobRuns WHERE jobName = :name AND status = 'succeeded' AND `partition` LIKE :label",
    { replacements: { name: RUN_NAMES.partition, label: `r${runId} %` }, type: QueryTypes.SELECT },
  );
  return Number(r?.n ?? 0);
}

/**
 * The nightly close on the job queue: a coordinator per country and day (opens the next business
 * date, splits the accounts into id-range partitions, enqueues them), partition jobs that any
 * worker takes (overdue flags, accounts and reminders), and a finalize job enqueued by the last partition to
 * finish (snapshots and other modules' steps). Every handler is safe to run again.
 */
export function closeDayJobs(ctx: AppContext, options: CloseDayJobOptions = {}): JobDefinition[] {
  const service = new CloseDayService(ctx.sequelize, {
    reminderDaysBeforeDue: ctx.config.nightlyClose.reminderDaysBeforeDue,
    logger: ctx.logger,
    ...options,
  });
  const attempts = options.attempts ?? 5;
  return [
    {
      name: CLOSE_DAY_JOB,
      attempts,
      backoffMs: options.backoffMs ?? 30_000,
      repeat: () => closeDaySchedules(ctx),
      catchUp: (inFlight) => missedCloses(ctx, inFlight),
      handler: async (data: CloseDayJobData, job) => {
        const date = data.date ?? (await service.dueForClose(data.countryId));
        return recordRun<{ closed: boolean; runId?: number; closedDate?: CalendarDate; partitions?: number }>(
          { jobName: RUN_NAMES.coordinator, countryId: data.countryId, businessDate: date, partition: coordinatorLabel(job.jobId), attempt: job.attempt },
          async (run) => {
            if (!date) return { value: { closed: false }, counts: { partitions: 0, closed: 0, reRun: 0 } };
            const { target, reRun } = await service.begin(data.countryId, date);
            const ranges = await service.partitions(target, data.partitions ?? ctx.config.nightlyClose.partitions);
            for (const r of ranges) {
              const p: PartitionJobData = { ...r, countryId: target.countryId, closedDate: target.closedDate, runId: run.id, scheduled: data.scheduled };
              await ctx.queue.enqueue(CLOSE_PARTITION_JOB, p, { jobId: `close-${run.id}-p${r.index}` });
            }
            if (ranges.length === 0) {
              const f: FinalizeJobData = { countryId: target.countryId, closedDate: target.closedDate, runId: run.id, scheduled: data.scheduled };
              await ctx.queue.enqueue(CLOSE_FINALIZE_JOB, f, { jobId: `close-${run.id}-final` });
            }
            job.logger.info({ country: target.countryCode, closedDate: target.closedDate, partitions: ranges.length, reRun }, 'nightly close started');
            return {
              value: { closed: true, runId: run.id, closedDate: target.closedDate, partitions: ranges.length },
              counts: { partitions: ranges.length, closed: 1, reRun: reRun ? 1 : 0 },
            };
          },
        );
      },
    },
    {
      name: CLOSE_PARTITION_JOB,
      attempts,
      backoffMs: options.backoffMs ?? 10_000,
      concurrency: options.partitionConcurrency ?? ctx.config.nightlyClose.concurrency,
      handler: async (data: PartitionJobData, job) => {
        const target = await service.targetOf(data.countryId, data.closedDate);
        const range: PartitionRange = { index: data.index, total: data.total, fromId: data.fromId, toId: data.toId };
        const counts = await recordRun(
          {
            jobName: RUN_NAMES.partition,
            countryId: data.countryId,
            businessDate: data.closedDate,
            partition: partitionLabel(data.runId, range),
            attempt: job.attempt,
          },
          async () => {
            const r = await service.runPartition(target, range);
            return { value: r.counts, counts: r.counts, errors: r.errors };
          },
        );
        if ((await partitionsDone(ctx, data.runId)) >= data.total) {
          const f: FinalizeJobData = { countryId: data.countryId, closedDate: data.closedDate, runId: data.runId, scheduled: data.scheduled };
          await ctx.queue.enqueue(CLOSE_FINALIZE_JOB, f, { jobId: `close-${data.runId}-final` });
        }
        // The worker's pid in Bull's return value shows which process ran which partition.
        return { ...counts, pid: process.pid };
      },
    },
    {
      name: CLOSE_FINALIZE_JOB,
      attempts,
      backoffMs: options.backoffMs ?? 10_000,
      handler: async (data: FinalizeJobData, job) => {
        const target = await service.targetOf(data.countryId, data.closedDate);
        const counts = await recordRun(
          { jobName: RUN_NAMES.finalize, countryId: data.countryId, businessDate: data.closedDate, partition: `r${data.runId} final`, attempt: job.attempt },
          async () => {
            const r = await service.finish(target);
            return { value: r.counts, counts: r.counts, errors: r.errors };
          },
        );
        job.logger.info({ country: target.countryCode, closedDate: target.closedDate, counts }, 'nightly close finished');
        // A country more than one day behind (workers were down) closes its next day at once.
        if (data.scheduled && (await service.dueForClose(data.countryId))) {
          const next: CloseDayJobData = { countryId: data.countryId, scheduled: true };
          await ctx.queue.enqueue(CLOSE_DAY_JOB, next, { jobId: `close-${data.countryId}-after-${data.runId}` });
        }
        return counts;
      },
    },
  ];
}

export interface CloseSummary {
  country: string;
  closedDate: CalendarDate;
  businessDate: CalendarDate;
  reRun: boolean;
  runId: number;
  partitions: number;
  counts: StepCounts;
  errors: JobRunError[];
}

/**
 * The whole close in this process (`amt close-day`, tests, the bench, the demo): the same service
 * and the same jobRuns rows as the queued close, NIGHTLY_CLOSE_CONCURRENCY partitions at a time.
 */
export async function closeDayInline(
  ctx: Pick<AppContext, 'sequelize' | 'config' | 'logger'>,
  countryId: number,
  date?: CalendarDate,
  options: CloseDayOptions & { partitions?: number; concurrency?: number } = {},
): Promise<CloseSummary> {
  const service = new CloseDayService(ctx.sequelize, { reminderDaysBeforeDue: ctx.config.nightlyClose.reminderDaysBeforeDue, logger: ctx.logger, ...options });
  let begun: { target: CloseTarget; reRun: boolean } | undefined;
  let ranges: PartitionRange[] = [];
  const runId = await recordRun(
    { jobName: RUN_NAMES.coordinator, countryId, businessDate: date ?? null, partition: `inline:${randomUUID().slice(0, 8)}` },
    async (run) => {
      begun = await service.begin(countryId, date);
      ranges = await service.partitions(begun.target, options.partitions ?? ctx.config.nightlyClose.partitions);
      if (!date) await run.update({ businessDate: begun.target.closedDate });
      return { value: run.id, counts: { partitions: ranges.length, closed: 1, reRun: begun.reRun ? 1 : 0 } };
    },
  );
  const { target, reRun } = begun!;
  const counts: StepCounts = {};
  const errors: JobRunError[] = [];
  // Partitions side by side, as several workers would take them (SQLite, the demo, has one writer).
  const runPartition = async (range: PartitionRange) => {
    const r = await recordRun(
      { jobName: RUN_NAMES.partition, countryId, businessDate: target.closedDate, partition: partitionLabel(runId, range) },
      async () => {
        const out = await service.runPartition(target, range);
        return { value: out, counts: out.counts, errors: out.errors };
      },
    );
    addCounts(counts, r.counts);
    errors.push(...r.errors);
  };
  const concurrency = dialect(ctx.sequelize).mysql ? (options.concurrency ?? ctx.config.nightlyClose.concurrency) : 1;
  const waiting = [...ranges];
  const lanes = await Promise.allSettled(
    Array.from({ length: Math.min(concurrency, waiting.length) }, async () => {
      for (let range = waiting.shift(); range; range = waiting.shift()) await runPartition(range);
    }),
  );
  // A failed partition stops its lane; the others finish theirs first (a re-run resumes the rest).
  for (const lane of lanes) if (lane.status === 'rejected') throw lane.reason;
  const f = await recordRun({ jobName: RUN_NAMES.finalize, countryId, businessDate: target.closedDate, partition: `r${runId} final` }, async () => {
    const out = await service.finish(target);
    return { value: out, counts: out.counts, errors: out.errors };
  });
  addCounts(counts, f.counts);
  errors.push(...f.errors);
  return {
    country: target.countryCode,
    closedDate: target.closedDate,
    businessDate: target.businessDate,
    reRun,
    runId,
    partitions: ranges.length,
    counts,
    errors,
  };
}
