import { Op } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import { JobRun, type JobRunError } from './models';

export interface RunMeta {
  jobName: string;
  countryId?: number | null;
  businessDate?: CalendarDate | null;
  /** The slice of work; with it, an earlier row of the same slice still 'running' is superseded. */
  partition?: string | null;
  attempt?: number;
}

export interface RunOutcome<T> {
  value: T;
  counts?: Record<string, number>;
  errors?: JobRunError[];
}

const MAX_MESSAGE = 500;

export function errorOf(err: unknown, extra: Record<string, unknown> = {}): JobRunError {
  const message = err instanceof Error ? err.message : String(err);
  return { message: message.slice(0, MAX_MESSAGE), ...extra };
}

/**
 * Runs `work` with a jobRuns row around it: 'running' with startedAt and the attempt, then
 * 'succeeded' with counts (and any non-fatal errors) or 'failed' with the error, finishedAt either
 * way. A worker that dies leaves its row 'running': the retry of the same slice (Bull re-runs a
 * stalled job) marks such rows failed ('superseded') when it starts.
 */
export async function recordRun<T>(meta: RunMeta, work: (run: JobRun) => Promise<RunOutcome<T>>): Promise<T> {
  const run = await JobRun.create({
    jobName: meta.jobName,
    countryId: meta.countryId ?? null,
    businessDate: meta.businessDate ?? null,
    partition: meta.partition ?? null,
    status: 'running',
    startedAt: new Date(),
    attempt: meta.attempt ?? 1,
  });
  if (meta.partition) {
    await JobRun.update(
      {
        status: 'failed',
        finishedAt: new Date(),
        errors: [{ message: `superseded by run ${run.id} (attempt ${run.attempt}): the worker died or lost the job's lock` }],
      },
      { where: { jobName: meta.jobName, partition: meta.partition, status: 'running', id: { [Op.lt]: run.id } } },
    );
  }
  try {
    const out = await work(run);
    await run.update({ status: 'succeeded', finishedAt: new Date(), counts: out.counts ?? null, errors: out.errors?.length ? out.errors : null });
    return out.value;
  } catch (err) {
    await run.update({ status: 'failed', finishedAt: new Date(), errors: [errorOf(err, { attempt: run.attempt })] }).catch(() => undefined);
    throw err;
  }
}
