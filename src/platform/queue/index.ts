import type { AppConfig } from '../config';
import type { Logger } from '../logging/logger';
import { BullQueue } from './bull';
import { InProcessQueue } from './in-process';
import type { JobQueue } from './types';

export * from './types';

export function createQueue(
  config: Pick<AppConfig, 'redisUrl' | 'queuePrefix'> & Partial<Pick<AppConfig, 'redisTimeoutMs' | 'scheduleCheckMs'>>,
  logger: Logger,
  options: { catchUp?: boolean } = {},
): JobQueue {
  return config.redisUrl
    ? new BullQueue(config.redisUrl, config.queuePrefix, logger, {
        timeoutMs: config.redisTimeoutMs,
        scheduleCheckMs: config.scheduleCheckMs,
        catchUp: options.catchUp,
      })
    : new InProcessQueue(logger);
}
