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

/** The second each queue was last asked for a round in, by this process. */
const requestedIn = new WeakMap<JobQueue, number>();

/**
 * Asks for a send round soon (call after the transaction that wrote notifications commits). At most
 * one request per second is queued; anything it misses goes out with the minute's round. A process
 * asks once a second (not once a payment): a repeat within the second would be the same job anyway,
 * and each costs Redis a round trip and a script.
 */
export async function requestSend(queue: JobQueue): Promise<void> {
  const second = Math.floor(Date.now() / 1000);
  if (requestedIn.get(queue) === second) return;
  requestedIn.set(queue, second);
  try {
    await queue.enqueue(SEND_JOB, {}, { jobId: `${SEND_JOB}:soon:${second}` });
  } catch (err) {
    if (requestedIn.get(queue) === second) requestedIn.delete(queue);
    throw err;
  }
}
