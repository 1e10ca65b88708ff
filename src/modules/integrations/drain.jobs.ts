import type { Sequelize } from 'sequelize';
import type { AppContext } from '../../platform/context';
import type { JobDefinition } from '../../platform/queue';
import { OutboxDrain } from './drain';
import { SYNC_TARGETS, syncTargetFor, type SyncTargetName } from './registry';

/** One queue per target (Bull Board shows them): `sync-netsuite`, `sync-salesforce`. */
export function syncQueueName(target: SyncTargetName): string {
  return `sync-${target}`;
}

export const SYNC_PURGE_JOB = 'sync-purge';

const drains = new WeakMap<Sequelize, OutboxDrain>();

/** The runtime's drain (one worker id per process and runtime). */
export function outboxDrain(ctx: AppContext): OutboxDrain {
  let d = drains.get(ctx.sequelize);
  if (!d)
    drains.set(
      ctx.sequelize,
      (d = new OutboxDrain({ sequelize: ctx.sequelize, config: ctx.config.sync, logger: ctx.logger.child({ component: 'outbox-drain' }) })),
    );
  return d;
}

/** Every SYNC_POLL_INTERVAL_SECONDS (cron with seconds: Bull and the in-process runner both read it). */
export function pollCron(seconds: number): string {
  return seconds >= 60 ? '* * * * *' : `*/${seconds} * * * * *`;
}

/**
 * A repeatable job per target: each run drains until the outbox has nothing available for it
 * (or half a lease has passed, so a shutdown waits little), then the next tick runs again. Any
 * number of worker processes may run them at once: the lease (drain.ts) keeps them apart. And
 * the purge of done rows past SYNC_RETENTION_DAYS, hourly.
 */
export function syncJobs(ctx: AppContext): JobDefinition[] {
  const budgetMs = Math.min(30_000, (ctx.config.sync.leaseSeconds * 1000) / 2);
  const perTarget = SYNC_TARGETS.map((target): JobDefinition<Record<string, never>> => ({
    name: syncQueueName(target),
    // A failed run is not retried as a job: the rows keep their own attempts and backoff.
    attempts: 1,
    repeat: [{ key: syncQueueName(target), cron: pollCron(ctx.config.sync.pollIntervalSeconds), data: {} }],
    handler: async (_data, job) => {
      const r = await outboxDrain(ctx).drain(syncTargetFor(ctx, target), budgetMs);
      if (r.rows || r.dead) job.logger.info({ target, ...r }, 'outbox drained');
      return r;
    },
  }));
  return [
    ...perTarget,
    {
      name: SYNC_PURGE_JOB,
      attempts: 3,
      repeat: [{ key: SYNC_PURGE_JOB, cron: '41 * * * *', data: {} }],
      handler: async (_data, job) => {
        const deleted = await outboxDrain(ctx).purge();
        if (deleted) job.logger.info({ deleted }, 'done outbox rows purged');
        return { deleted };
      },
    },
  ];
}
