import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import cronParser from 'cron-parser';
import type { Logger } from '../logging/logger';
import { repeatsOf, type EnqueueOptions, type JobDefinition, type JobQueue } from './types';
import { databaseFailureKind, isDatabaseUnavailable } from '../db/unavailable';

/** Demo-mode runner: the same handlers, in this process, with retries and cron schedules. */
export class InProcessQueue implements JobQueue {
  readonly mode = 'in-process' as const;
  private readonly definitions = new Map<string, JobDefinition>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly activeIds = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private started = false;
  private closing = false;
  /** Per queue, for /metrics: jobs delayed, running, and failed for good since start. */
  private readonly counts = new Map<string, { delayed: number; active: number; failed: number }>();

  constructor(private readonly logger: Logger) {}

  register<T>(definition: JobDefinition<T>): void {
    this.definitions.set(definition.name, definition as JobDefinition);
  }

  async enqueue<T>(name: string, data: T, options: EnqueueOptions = {}): Promise<string> {
    const def = this.definitions.get(name);
    if (!def) throw new Error(`unknown job ${name}`);
    const jobId = options.jobId ?? randomUUID();
    if (this.activeIds.has(jobId)) return jobId;
    this.activeIds.add(jobId);
    const c = this.countsOf(name);
    const run = (async () => {
      if (options.delayMs) {
        c.delayed++;
        await sleep(options.delayMs).finally(() => c.delayed--);
      }
      c.active++;
      await this.runWithRetries(def, data, jobId).finally(() => c.active--);
    })().finally(() => {
      this.activeIds.delete(jobId);
      this.running.delete(run);
    });
    this.running.add(run);
    return jobId;
  }

  private async runWithRetries(def: JobDefinition, data: unknown, jobId: string): Promise<void> {
    const attempts = def.attempts ?? 3;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const logger = this.logger.child({ job: def.name, jobId, attempt });
      try {
        await def.handler(data, { jobId, attempt, logger });
        return;
      } catch (err) {
        if (isDatabaseUnavailable(err)) logger.warn({ dependency: 'database', failure: databaseFailureKind(err) }, 'job failed: database unavailable');
        else logger.error({ err }, 'job failed');
        if (attempt === attempts || this.closing) {
          this.countsOf(def.name).failed++;
          return;
        }
        await sleep((def.backoffMs ?? 1000) * 2 ** (attempt - 1));
      }
    }
  }

  private countsOf(name: string) {
    let c = this.counts.get(name);
    if (!c) this.counts.set(name, (c = { delayed: 0, active: 0, failed: 0 }));
    return c;
  }

  /** Jobs per queue (every registered one): nothing waits here, a job runs as soon as it is enqueued. */
  depths(): { queue: string; waiting: number; active: number; delayed: number; failed: number }[] {
    return [...this.definitions.keys()].map((queue) => ({ queue, waiting: 0, ...this.countsOf(queue) }));
  }

  async startWorkers(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const def of this.definitions.values()) {
      for (const r of await repeatsOf(def)) this.schedule(def.name, r.cron, r.tz, r.data, r.key);
    }
  }

  private schedule(name: string, cron: string, tz: string | undefined, data: unknown, key: string): void {
    if (this.closing) return;
    const next = cronParser.parseExpression(cron, { tz }).next().getTime();
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void this.enqueue(name, data, { jobId: `${key}:${next}` });
        this.schedule(name, cron, tz, data, key);
      },
      Math.max(0, next - Date.now()),
    );
    timer.unref();
    this.timers.add(timer);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
