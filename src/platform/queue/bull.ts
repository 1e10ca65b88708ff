import Bull from 'bull';
import IORedis, { type RedisOptions } from 'ioredis';
import type { Logger } from '../logging/logger';
import { repeatsOf, type EnqueueOptions, type JobDefinition, type JobQueue } from './types';

/** Redis options Bull needs on its blocking and subscriber connections. */
export const BULL_REDIS_OPTIONS: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: false };

/** Bull-backed queues: the API only produces; `npm run worker` consumes and schedules. */
export class BullQueue implements JobQueue {
  readonly mode = 'bull' as const;
  private readonly definitions = new Map<string, JobDefinition>();
  private readonly queues = new Map<string, Bull.Queue>();
  private client?: IORedis;
  private subscriber?: IORedis;
  private readonly blocking: IORedis[] = [];

  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  register<T>(definition: JobDefinition<T>): void {
    this.definitions.set(definition.name, definition as JobDefinition);
  }

  /** Bull shares 'client' and 'subscriber' but needs a fresh blocking connection each time. */
  private createClient = (type: 'client' | 'subscriber' | 'bclient'): IORedis => {
    if (type === 'client') return (this.client ??= new IORedis(this.redisUrl, BULL_REDIS_OPTIONS));
    if (type === 'subscriber') return (this.subscriber ??= new IORedis(this.redisUrl, BULL_REDIS_OPTIONS));
    const b = new IORedis(this.redisUrl, BULL_REDIS_OPTIONS);
    this.blocking.push(b);
    return b;
  };

  queue(name: string): Bull.Queue {
    let q = this.queues.get(name);
    if (!q) {
      const def = this.definitions.get(name);
      if (!def) throw new Error(`unknown job ${name}`);
      q = new Bull(name, {
        prefix: this.prefix,
        createClient: this.createClient,
        defaultJobOptions: {
          attempts: def.attempts ?? 3,
          backoff: { type: 'exponential', delay: def.backoffMs ?? 1000 },
          // Bounded Redis memory: keep recent history, and failures for operators to inspect.
          removeOnComplete: 1000,
          removeOnFail: 5000,
        },
      });
      this.queues.set(name, q);
    }
    return q;
  }

  allQueues(): Bull.Queue[] {
    return [...this.definitions.keys()].map((n) => this.queue(n));
  }

  async enqueue<T>(name: string, data: T, options: EnqueueOptions = {}): Promise<string> {
    const job = await this.queue(name).add(data, { jobId: options.jobId, delay: options.delayMs });
    return String(job.id);
  }

  async startWorkers(): Promise<void> {
    for (const def of this.definitions.values()) {
      const q = this.queue(def.name);
      void q.process(def.concurrency ?? 1, async (job) => {
        const logger = this.logger.child({ job: def.name, jobId: job.id, attempt: job.attemptsMade + 1 });
        return def.handler(job.data, { jobId: String(job.id), attempt: job.attemptsMade + 1, logger });
      });
      q.on('failed', (job, err) => this.logger.error({ job: def.name, jobId: job.id, err }, 'job failed'));
      // A changed cron would otherwise leave its old repeatable job behind.
      const repeats = await repeatsOf(def);
      const wanted = new Map(repeats.map((r) => [r.key, r]));
      for (const existing of await q.getRepeatableJobs()) {
        const r = existing.id ? wanted.get(existing.id) : undefined;
        if (!r || r.cron !== existing.cron || (r.tz ?? null) !== (existing.tz ?? null)) {
          await q.removeRepeatableByKey(existing.key);
        }
      }
      for (const r of repeats) {
        await q.add(r.data, { repeat: { cron: r.cron, tz: r.tz }, jobId: r.key });
      }
    }
  }

  async close(): Promise<void> {
    // Queue.close() waits for the jobs this process is running to finish.
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    for (const c of [this.client, this.subscriber, ...this.blocking]) c?.disconnect();
  }
}
