import type Bull from 'bull';
import { decodeCursor, encodeCursor, type Paged } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import type { JobQueue } from '../../platform/queue';
import { BullQueue } from '../../platform/queue/bull';

/**
 * Jobs that failed every attempt stay in their Bull queue's failed set (up to removeOnFail per
 * queue). Operators list them and re-drive one (`amt jobs failed|retry`, GET /ops/jobs/failed,
 * POST /ops/jobs/:queue/:id/retry). Without Redis (demo) jobs run in-process and keep no failed
 * set: the list is empty and a retry finds nothing.
 */
export interface FailedJobView {
  queue: string;
  id: string;
  data: unknown;
  failedReason: string | null;
  attemptsMade: number;
  maxAttempts: number | null;
  createdAt: string;
  failedAt: string | null;
  /** First line of the last stack trace (the message and where it was thrown). */
  lastError: string | null;
}

export function failedJobView(queue: string, job: Bull.Job): FailedJobView {
  const trace = job.stacktrace?.at(-1) ?? null;
  return {
    queue,
    id: String(job.id),
    data: job.data,
    failedReason: job.failedReason ?? null,
    attemptsMade: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? null,
    createdAt: new Date(job.timestamp).toISOString(),
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
    lastError: trace ? trace.split('\n').slice(0, 2).join('\n') : null,
  };
}

export class FailedJobsService {
  constructor(private readonly jobQueue: JobQueue) {}

  get available(): boolean {
    return this.jobQueue instanceof BullQueue;
  }

  private queues(): Bull.Queue[] {
    if (!(this.jobQueue instanceof BullQueue)) return [];
    return this.jobQueue.allQueues().sort((a, b) => a.name.localeCompare(b.name));
  }

  queueNames(): string[] {
    return this.queues().map((q) => q.name);
  }

  /** A Redis call within the queue's bound: a frozen or lost Redis is a 503 naming it, not a hung request. */
  private redis<T>(work: Promise<T>): Promise<T> {
    return this.jobQueue instanceof BullQueue ? this.jobQueue.bounded(work) : work;
  }

  private queueNamed(name: string): Bull.Queue {
    const q = this.queues().find((x) => x.name === name);
    if (!q) throw problems.notFound('queue');
    return q;
  }

  /** Failed jobs, queue by queue (by name), newest first within a queue; cursor = [queue, offset]. */
  async list(options: { queue?: string; limit: number; cursor?: string }): Promise<Paged<FailedJobView>> {
    let queues = this.queues();
    if (options.queue) queues = [this.queueNamed(options.queue)];
    let start = 0;
    if (options.cursor) {
      const [name, offset] = decodeCursor(options.cursor, 2) as [unknown, unknown];
      const i = queues.findIndex((q) => q.name === name);
      if (i < 0 || typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
        throw problems.validation([{ field: 'cursor', in: 'query', message: 'cursor is not valid for this list' }]);
      }
      queues = queues.slice(i);
      start = offset;
    }
    const data: FailedJobView[] = [];
    let nextCursor: string | null = null;
    for (const q of queues) {
      const want = options.limit - data.length;
      // One more than needed tells whether this queue has more.
      const jobs = (await this.redis(q.getFailed(start, start + want))).filter(Boolean);
      data.push(...jobs.slice(0, want).map((j) => failedJobView(q.name, j)));
      if (jobs.length > want) {
        nextCursor = encodeCursor([q.name, start + want]);
        break;
      }
      start = 0;
      if (data.length >= options.limit) {
        const rest = queues.slice(queues.indexOf(q) + 1);
        for (const r of rest) {
          if ((await this.redis(r.getFailedCount())) > 0) {
            nextCursor = encodeCursor([r.name, 0]);
            break;
          }
        }
        break;
      }
    }
    return { data, page: { limit: options.limit, nextCursor } };
  }

  /** Moves a failed job back to waiting; 404 for an unknown queue or job, 409 when it has not failed. */
  async retry(queueName: string, id: string): Promise<FailedJobView & { state: string }> {
    if (!this.available) throw problems.notFound('job');
    const q = this.queueNamed(queueName);
    const job = await this.redis(q.getJob(id));
    if (!job) throw problems.notFound('job');
    const state = await this.redis(job.getState());
    if (state !== 'failed')
      throw problems.conflict(`Job ${id} of ${queueName} is ${state}, not failed: only failed jobs can be retried.`, 'job-not-failed', { state });
    await this.redis(job.retry());
    return { ...failedJobView(queueName, job), state: 'waiting' };
  }
}
