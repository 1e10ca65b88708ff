import type { Logger } from '../logging/logger';

export interface JobContext {
  jobId: string;
  /** 1 on the first run; Bull is at-least-once, so handlers must be safe to run again. */
  attempt: number;
  logger: Logger;
}

export interface RepeatSpec<T> {
  /** A stable key: re-registering with a changed cron replaces the old schedule. */
  key: string;
  cron: string;
  tz?: string;
  data: T;
}

export interface JobDefinition<T = any> {
  /** Queue name; one queue per kind of job. */
  name: string;
  handler(data: T, ctx: JobContext): Promise<unknown>;
  attempts?: number;
  /** First retry delay; doubles on each further attempt. */
  backoffMs?: number;
  concurrency?: number;
  /** Schedules; a function when they come from the database (e.g. one per country), read when workers start. */
  repeat?: RepeatSpec<T>[] | (() => Promise<RepeatSpec<T>[]>);
  /**
   * Runs a schedule missed while no worker could (Redis lost its repeatable jobs, or was away at
   * the hour): jobs to enqueue now, with job ids that make a repeated check a no-op. Consulted
   * with the schedules (only for a definition that has `repeat`), so it must be safe to call often.
   * `inFlight(name)` gives the data of that queue's jobs still to run (not a schedule's next run).
   */
  catchUp?: (inFlight: (name: string) => Promise<unknown[]>) => Promise<Array<{ data: T; jobId: string }>>;
}

/** The schedules of a job definition, loading them when they are given as a function. */
export async function repeatsOf<T>(def: JobDefinition<T>): Promise<RepeatSpec<T>[]> {
  return typeof def.repeat === 'function' ? def.repeat() : (def.repeat ?? []);
}

export interface EnqueueOptions {
  /** Deduplicates: a job with the same id already waiting or running is not added again. */
  jobId?: string;
  delayMs?: number;
}

/** Job handlers see only this; whether Bull or the in-process runner carries the job is not their business. */
export interface JobQueue {
  readonly mode: 'bull' | 'in-process';
  register<T>(definition: JobDefinition<T>): void;
  enqueue<T>(name: string, data: T, options?: EnqueueOptions): Promise<string>;
  /** Consume jobs and run repeat schedules in this process. */
  startWorkers(): Promise<void>;
  /** Let running jobs finish, then release connections. */
  close(): Promise<void>;
}
