import type IORedis from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { AppConfig } from './config';
import type { RouteSpec } from './http/route';
import type { Logger } from './logging/logger';
import type { JobDefinition, JobQueue } from './queue';

/** What every service, route and job is handed: injected, never imported as globals. */
export interface AppContext {
  config: AppConfig;
  sequelize: Sequelize;
  logger: Logger;
  queue: JobQueue;
  /** Present when REDIS_URL is set (shared, non-blocking connection). */
  redis?: IORedis;
}

/** A domain module: its tables, its HTTP routes and its jobs. */
export interface AppModule {
  name: string;
  initModels?(sequelize: Sequelize): void;
  associate?(): void;
  routes?(ctx: AppContext): RouteSpec[];
  jobs?(ctx: AppContext): JobDefinition[];
  /**
   * Called once per runtime by the composition root (src/runtime.ts), after the models: the one
   * place a module subscribes to payment events (payments/events.ts, paymentSubscriptions) and
   * adds nightly-close steps (operations/close-steps.ts, closeSteps). Both are kept per runtime
   * (keyed by ctx.sequelize) and by name, so calling it again replaces rather than duplicates.
   */
  register?(ctx: AppContext): void;
}
