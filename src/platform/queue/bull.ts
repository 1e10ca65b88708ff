import Bull from 'bull';
import IORedis, { type RedisOptions } from 'ioredis';
import type { Logger } from '../logging/logger';
import { repeatsOf, type EnqueueOptions, type JobDefinition, type JobQueue, type RepeatSpec } from './types';
import { redisUnavailable, withinBound } from './unavailable';
import { databaseFailureKind, isDatabaseUnavailable } from '../db/unavailable';

/** Redis options Bull needs on its blocking and subscriber connections. */
export const BULL_REDIS_OPTIONS: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: false };

export interface BullQueueOptions {
  /** How long a producer (a request) waits for Redis before `enqueue` throws a 503. Default 2000. */
  timeoutMs?: number;
  /**
   * A consumer (`startWorkers`) re-checks its repeatable jobs this often, and whenever its Redis
   * connection is ready again, and registers any that are missing. Default 60000.
   */
  scheduleCheckMs?: number;
  /** Also run the definitions' `catchUp` with each check (the real worker; off in tests by default). */
  catchUp?: boolean;
}

/** ioredis states in which a command would only wait for a reconnect. */
const REDIS_AWAY = new Set(['reconnecting', 'close', 'end']);

/** The key Bull files a repeatable job under (repeatable.js getRepeatKey, unnamed job, no end date). */
function bullRepeatKey(r: RepeatSpec<unknown>): string {
  return `__default__:${r.key}::${r.tz ?? ''}:${r.cron}`;
}

/** Bull-backed queues: the API only produces; `npm run worker` consumes and schedules. */
export class BullQueue implements JobQueue {
  readonly mode = 'bull' as const;
  private readonly definitions = new Map<string, JobDefinition>();
  private readonly queues = new Map<string, Bull.Queue>();
  private client?: IORedis;
  private subscriber?: IORedis;
  private readonly blocking: IORedis[] = [];
  readonly timeoutMs: number;
  private scheduleTimer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private checkAgain = false;
  private closing = false;

  constructor(
    private readonly redisUrl: string,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly options: BullQueueOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  /** `work` (a Redis call) within this queue's timeout, else a 503 problem naming Redis. */
  bounded<T>(work: Promise<T>): Promise<T> {
    return withinBound(work, this.timeoutMs);
  }

  register<T>(definition: JobDefinition<T>): void {
    this.definitions.set(definition.name, definition as JobDefinition);
  }

  /** Bull shares 'client' and 'subscriber' but needs a fresh blocking connection each time. */
  private createClient = (type: 'client' | 'subscriber' | 'bclient'): IORedis => {
    if (type === 'client') return (this.client ??= this.shared());
    if (type === 'subscriber') return (this.subscriber ??= this.shared());
    const b = new IORedis(this.redisUrl, BULL_REDIS_OPTIONS);
    this.blocking.push(b);
    return b;
  };

  /** Every queue adds its listeners to the shared connections: one per queue is expected, not a leak. */
  private shared(): IORedis {
    const c = new IORedis(this.redisUrl, BULL_REDIS_OPTIONS);
    c.setMaxListeners(0);
    return c;
  }

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
    // Redis known to be away: a 503 at once, rather than one more command parked until it returns.
    if (this.client && REDIS_AWAY.has(this.client.status)) throw redisUnavailable();
    // Bull's connection queues commands while Redis is away or frozen: bounded, a 503 (dependency redis).
    const job = await this.bounded(this.queue(name).add(data, { jobId: options.jobId, delay: options.delayMs }));
    return String(job.id);
  }

  async startWorkers(): Promise<void> {
    for (const def of this.definitions.values()) {
      const q = this.queue(def.name);
      void q.process(def.concurrency ?? 1, async (job) => {
        const logger = this.logger.child({ job: def.name, jobId: job.id, attempt: job.attemptsMade + 1 });
        return def.handler(job.data, { jobId: String(job.id), attempt: job.attemptsMade + 1, logger });
      });
      q.on('failed', (job, err) =>
        // A database outage is retried like any failure, but it is the outage, not a fault of the job.
        isDatabaseUnavailable(err)
          ? this.logger.warn({ job: def.name, jobId: job.id, dependency: 'database', failure: databaseFailureKind(err) }, 'job failed: database unavailable')
          : this.logger.error({ job: def.name, jobId: job.id, err }, 'job failed'),
      );
    }
    // At start every schedule is added again: that also restores a next run Bull lost on its own.
    await this.registerSchedules({ addPresent: true });
    await this.runCatchUp();
    // Redis can lose its data (restarted without persistence, flushed, failed over): the repeatable
    // jobs go with it and nothing would run again until a restart. So check on every reconnect and
    // every scheduleCheckMs, and put back what is missing (registering again is a no-op in Bull).
    this.client?.on('ready', () => this.checkSchedules('redis reconnected'));
    this.scheduleTimer = setInterval(() => this.checkSchedules('periodic'), this.options.scheduleCheckMs ?? 60_000);
    this.scheduleTimer.unref();
  }

  /** One check at a time; a request during a check runs once more after it. Never throws. */
  checkSchedules(reason: string): Promise<void> {
    if (this.closing) return Promise.resolve();
    if (this.checking) {
      this.checkAgain = true;
      return this.checking;
    }
    this.checking = (async () => {
      do {
        this.checkAgain = false;
        try {
          const restored = await this.registerSchedules();
          if (restored.length) this.logger.warn({ reason, restored }, 'repeatable jobs missing from Redis (lost with its data, or new): registered');
          await this.runCatchUp();
        } catch (err) {
          // Redis or the database is still away: the next reconnect or tick tries again.
          this.logger.warn({ reason, err: (err as Error).message }, 'could not check the job schedules');
        }
      } while (this.checkAgain && !this.closing);
    })().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  /**
   * Registers every definition's repeatable jobs and returns the keys that were missing; a schedule
   * no longer wanted (a changed cron or timezone, a retired country) is removed rather than kept too.
   */
  private async registerSchedules({ addPresent = false } = {}): Promise<string[]> {
    const restored: string[] = [];
    for (const def of this.definitions.values()) {
      if (!def.repeat) continue;
      const q = this.queue(def.name);
      const repeats = await repeatsOf(def);
      // Compared by Bull's whole repeat key (job id, timezone, cron): its parsed `id` stops at a colon.
      const wanted = new Map(repeats.map((r) => [bullRepeatKey(r), r]));
      const present = new Set<string>();
      for (const existing of await this.bounded(q.getRepeatableJobs())) {
        const r = wanted.get(existing.key);
        if (r) present.add(r.key);
        else await this.bounded(q.removeRepeatableByKey(existing.key));
      }
      for (const r of repeats) {
        if (present.has(r.key) && !addPresent) continue;
        // Same repeat key and the same next run's job id: adding a schedule twice duplicates nothing.
        await this.bounded(q.add(r.data, { repeat: { cron: r.cron, tz: r.tz }, jobId: r.key }));
        if (!present.has(r.key)) restored.push(r.key);
      }
    }
    return restored;
  }

  /** Enqueues what the definitions' `catchUp` say was missed (deduplicated by their job ids). */
  private async runCatchUp(): Promise<void> {
    if (!this.options.catchUp) return;
    for (const def of this.definitions.values()) {
      if (!def.repeat || !def.catchUp) continue;
      for (const c of await def.catchUp((name) => this.inFlight(name))) {
        const job = await this.bounded(this.queue(def.name).add(c.data, { jobId: c.jobId }));
        this.logger.info({ job: def.name, jobId: job.id }, 'missed schedule: caught up (a no-op when that job id is already queued or done)');
      }
    }
  }

  /**
   * The data of jobs of `name` still to run (waiting, active, or delayed for a retry), not counting
   * the next run of a repeatable job that has not started yet.
   */
  async inFlight<T = unknown>(name: string): Promise<T[]> {
    const q = this.queue(name);
    const running = await this.bounded(q.getJobs(['waiting', 'active']));
    const delayed = await this.bounded(q.getJobs(['delayed']));
    const retrying = delayed.filter((j) => j && !(j.opts.repeat && j.attemptsMade === 0));
    return [...running, ...retrying].filter(Boolean).map((j) => j.data as T);
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.scheduleTimer) clearInterval(this.scheduleTimer);
    // Queue.close() waits for the jobs this process is running to finish.
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    for (const c of [this.client, this.subscriber, ...this.blocking]) c?.disconnect();
  }
}
