import { QueryTypes, type Sequelize } from 'sequelize';
import type { Gauge } from 'prom-client';
import type { JobQueue } from '../queue';
import { BullQueue } from '../queue/bull';
import { InProcessQueue } from '../queue/in-process';
import { sqliteWriterLock } from '../db/sqlite';

/** Where collectors put their values; a gauge is made on first use and lives in the registry. */
export interface MetricSet {
  gauges: Map<string, Gauge>;
  gauge(name: string, help: string, labelNames: readonly string[]): Gauge;
}

/** Reads some values at scrape time. `gauges` names every gauge it sets (reset before each run). */
export interface Collector {
  name: string;
  gauges: string[];
  collect(set: MetricSet): Promise<void>;
}

/** Sequelize's pool (MySQL/MariaDB); on SQLite the writer lock of src/platform/db/sqlite.ts. */
export function poolCollector(sequelize: Sequelize): Collector {
  return {
    name: 'db_pool',
    gauges: ['amt_db_pool_connections', 'amt_db_pool_max', 'amt_db_sqlite_writers'],
    async collect(set) {
      const lock = sqliteWriterLock(sequelize);
      if (lock) {
        const g = set.gauge('amt_db_sqlite_writers', 'SQLite (demo) writers: holding the write lock (0/1) and waiting for it.', ['state']);
        g.set({ state: 'holding' }, lock.busy ? 1 : 0);
        g.set({ state: 'waiting' }, lock.waiting);
        return;
      }
      const pool = (sequelize.connectionManager as unknown as { pool?: { size: number; available: number; using: number; waiting: number; maxSize: number } })
        .pool;
      if (!pool) throw new Error('no connection pool');
      const g = set.gauge('amt_db_pool_connections', 'Database pool connections: in use, idle, and requests waiting for one.', ['state']);
      g.set({ state: 'in_use' }, pool.using);
      g.set({ state: 'idle' }, pool.available);
      g.set({ state: 'waiting' }, pool.waiting);
      set.gauge('amt_db_pool_max', 'Database pool size limit (DB_POOL_MAX).', []).set(pool.maxSize);
    },
  };
}

/** Jobs per queue and state, from Bull (Redis) or the demo's in-process runner. */
export function queueCollector(queue: JobQueue): Collector {
  return {
    name: 'queues',
    gauges: ['amt_queue_jobs'],
    async collect(set) {
      const g = set.gauge('amt_queue_jobs', 'Jobs per queue by state (waiting, active, delayed, failed: failed jobs Bull keeps, up to 5000 per queue).', [
        'queue',
        'state',
      ]);
      let depths: QueueDepth[];
      if (queue instanceof BullQueue) {
        depths = await Promise.all(
          queue.allQueues().map(async (q) => {
            const c = await q.getJobCounts();
            return { queue: q.name, waiting: c.waiting, active: c.active, delayed: c.delayed, failed: c.failed };
          }),
        );
      } else if (queue instanceof InProcessQueue) {
        depths = queue.depths();
      } else {
        throw new Error(`no depths for a ${queue.mode} queue`);
      }
      for (const d of depths) {
        for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) g.set({ queue: d.queue, state }, d[state]);
      }
    },
  };
}

export interface QueueDepth {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

/** An instant as the drivers return it: a Date (mysql2), or text in UTC (SQLite, '... +00:00'). */
function instant(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  const s = String(v);
  const d = new Date(/[+Z]/.test(s.slice(10)) ? s.replace(' ', 'T').replace(' ', '') : `${s.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * An instant as a UTC text literal both dialects compare correctly with their stored DATETIMEs
 * (a Date replacement is rendered in the process's local time, which is not how they are stored).
 */
function utc(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

const ageSeconds = (now: Date, v: unknown) => {
  const d = instant(v);
  return d ? Math.max(0, (now.getTime() - d.getTime()) / 1000) : 0;
};

/**
 * Values the database holds, by plain SQL on the tables (names as in docs/schema.md): the outboxes,
 * idempotency claims, and the nightly close's jobRuns. The platform reads them here, rather than
 * through each domain's models, so a scrape is a handful of indexed aggregate queries.
 */
export function databaseCollectors(sequelize: Sequelize): Collector[] {
  const rows = <T extends object>(sql: string, replacements: unknown[] = []) => sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });

  const outbox: Collector = {
    name: 'outbox',
    gauges: ['amt_outbox_backlog', 'amt_outbox_oldest_pending_age_seconds'],
    async collect(set) {
      const now = new Date();
      const [sync] = await rows<{ n: number; oldest: unknown }>(
        "SELECT COUNT(*) AS n, MIN(createdAt) AS oldest FROM syncOutbox WHERE status IN ('pending', 'processing')",
      );
      const [sms] = await rows<{ n: number; oldest: unknown }>(
        "SELECT COUNT(*) AS n, MIN(sendAfter) AS oldest FROM notifications WHERE status IN ('pending', 'sending') AND sendAfter <= ?",
        [utc(now)],
      );
      const backlog = set.gauge(
        'amt_outbox_backlog',
        'Outbox rows not yet delivered: sync (syncOutbox pending/processing), notifications (due, pending/sending).',
        ['outbox'],
      );
      const age = set.gauge(
        'amt_outbox_oldest_pending_age_seconds',
        'Age of the oldest undelivered outbox row (sync: since created; notifications: since due); 0 when none.',
        ['outbox'],
      );
      backlog.set({ outbox: 'sync' }, Number(sync.n));
      age.set({ outbox: 'sync' }, ageSeconds(now, sync.oldest));
      backlog.set({ outbox: 'notifications' }, Number(sms.n));
      age.set({ outbox: 'notifications' }, ageSeconds(now, sms.oldest));
    },
  };

  const idempotency: Collector = {
    name: 'idempotency',
    gauges: ['amt_idempotency_claims_in_flight', 'amt_idempotency_claims_lease_expired'],
    async collect(set) {
      const [r] = await rows<{ n: number; expired: number | null }>(
        "SELECT COUNT(*) AS n, SUM(CASE WHEN leaseExpiresAt <= ? THEN 1 ELSE 0 END) AS expired FROM idempotencyKeys WHERE status = 'in_progress'",
        [utc(new Date())],
      );
      set
        .gauge(
          'amt_idempotency_claims_in_flight',
          'Idempotency-Key claims in progress (requests running, or dead ones whose lease has not been taken over).',
          [],
        )
        .set(Number(r.n));
      set
        .gauge('amt_idempotency_claims_lease_expired', 'In-progress claims whose lease has run out (their request died; a retry may take them over).', [])
        .set(Number(r.expired ?? 0));
    },
  };

  const nightlyClose: Collector = {
    name: 'nightly_close',
    gauges: [
      'amt_nightly_close_last_duration_seconds',
      'amt_nightly_close_last_finished_timestamp_seconds',
      'amt_nightly_close_last_counts',
      'amt_nightly_close_runs',
    ],
    async collect(set) {
      // The latest successful close per country: its finalize run, and the coordinator run it names ('r<id> final').
      const finals = await rows<{ code: string; finishedAt: unknown; counts: unknown; part: string | null }>(
        'SELECT c.code AS code, f.finishedAt AS finishedAt, f.counts AS counts, f.`partition` AS part FROM jobRuns f JOIN countries c ON c.id = f.countryId ' +
          "WHERE f.id IN (SELECT MAX(x.id) FROM jobRuns x WHERE x.jobName = 'close-day.finalize' AND x.status = 'succeeded' GROUP BY x.countryId)",
      );
      const runIds = finals.map((f) => Number(/^r(\d+) final$/.exec(f.part ?? '')?.[1])).filter((n) => Number.isInteger(n) && n > 0);
      const starts = new Map<number, unknown>();
      if (runIds.length) {
        for (const r of await rows<{ id: number; startedAt: unknown }>(
          `SELECT id, startedAt FROM jobRuns WHERE id IN (${runIds.map(() => '?').join(', ')})`,
          runIds,
        )) {
          starts.set(Number(r.id), r.startedAt);
        }
      }
      const duration = set.gauge(
        'amt_nightly_close_last_duration_seconds',
        'The latest successful nightly close per country: coordinator start to finalize end.',
        ['country'],
      );
      const finished = set.gauge(
        'amt_nightly_close_last_finished_timestamp_seconds',
        'When the latest successful nightly close per country finished (Unix time).',
        ['country'],
      );
      const counts = set.gauge('amt_nightly_close_last_counts', "The latest successful nightly close's counts per country (finalize step).", [
        'country',
        'count',
      ]);
      for (const f of finals) {
        const end = instant(f.finishedAt);
        const runId = Number(/^r(\d+) final$/.exec(f.part ?? '')?.[1]);
        const start = instant(starts.get(runId));
        if (end) finished.set({ country: f.code }, end.getTime() / 1000);
        if (end && start) duration.set({ country: f.code }, Math.max(0, (end.getTime() - start.getTime()) / 1000));
        const c = typeof f.counts === 'string' ? (JSON.parse(f.counts) as unknown) : f.counts;
        if (c && typeof c === 'object') {
          for (const [k, v] of Object.entries(c as Record<string, unknown>)) if (typeof v === 'number') counts.set({ country: f.code, count: k }, v);
        }
      }
      const runs = set.gauge('amt_nightly_close_runs', 'Nightly close job runs now running, and failed in the last 24 hours, by job.', ['job', 'status']);
      for (const job of ['close-day', 'close-day.partition', 'close-day.finalize'])
        for (const status of ['running', 'failed_24h']) runs.set({ job, status }, 0);
      const recent = await rows<{ jobName: string; status: string; n: number }>(
        "SELECT jobName, status, COUNT(*) AS n FROM jobRuns WHERE jobName IN ('close-day', 'close-day.partition', 'close-day.finalize') " +
          "AND (status = 'running' OR (status = 'failed' AND startedAt >= ?)) GROUP BY jobName, status",
        [utc(new Date(Date.now() - 24 * 3600_000))],
      );
      for (const r of recent) runs.set({ job: r.jobName, status: r.status === 'running' ? 'running' : 'failed_24h' }, Number(r.n));
    },
  };

  return [outbox, idempotency, nightlyClose];
}
