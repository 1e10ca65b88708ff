import type { AppContext } from '../../platform/context';
import type { JobDefinition, JobQueue } from '../../platform/queue';
import { NotificationDispatcher, smsProviderFor, type DispatchFilter } from './dispatch';

export const SEND_JOB = 'notifications.send';

/** `notifications.send`: drains due SMS; runs every minute and whenever a change asks for it. */
export function notificationJobs(ctx: AppContext): JobDefinition[] {
  let dispatcher: NotificationDispatcher | undefined;
  return [
    {
      name: SEND_JOB,
      // The dispatcher keeps its own per-message attempts; a failed round is simply the next round.
      attempts: 1,
      concurrency: 1,
      handler: async (data: DispatchFilter | undefined, job) => {
        dispatcher ??= new NotificationDispatcher(ctx.sequelize, smsProviderFor(ctx.config.sms, ctx.logger), ctx.logger);
        const report = await dispatcher.drain(data ?? {});
        if (report.claimed) job.logger.info(report, 'notifications sent');
        return report;
      },
      repeat: [{ key: `${SEND_JOB}:every-minute`, cron: '* * * * *', data: {} }],
    },
  ];
}

/**
 * Asks for a send round soon (call after the transaction that wrote notifications commits). At most
 * one request per second is queued; anything it misses goes out with the minute's round.
 */
export async function requestSend(queue: JobQueue): Promise<void> {
  await queue.enqueue(SEND_JOB, {}, { jobId: `${SEND_JOB}:soon:${Math.floor(Date.now() / 1000)}` });
}
