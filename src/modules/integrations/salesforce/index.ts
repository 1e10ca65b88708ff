import type { AppContext } from '../../../platform/context';
import { localPause, redisPause } from '../pause';
import type { SyncTarget } from '../sync-target';
import { SalesforceClient } from './client';
import { LogSalesforceTarget, SalesforceTarget } from './target';

export { SalesforceClient, SalesforceError } from './client';
export { SalesforceTarget, LogSalesforceTarget } from './target';

/** One client per configuration (a runtime has one): the target and the inbound pull share the token and the usage figures. */
const clients = new WeakMap<object, SalesforceClient>();

/** The runtime's Salesforce client, or undefined with the log driver. */
export function salesforceClientOf(ctx: AppContext): SalesforceClient | undefined {
  const cfg = ctx.config.salesforce;
  if (cfg.driver !== 'rest') return undefined;
  let client = clients.get(cfg);
  if (!client) {
    client = new SalesforceClient(cfg);
    clients.set(cfg, client);
  }
  return client;
}

/** The Salesforce SyncTarget for SALESFORCE_DRIVER: 'rest' (jsforce against the org) or 'log' (demo). */
export function createSalesforceTarget(ctx: AppContext): SyncTarget {
  const cfg = ctx.config.salesforce;
  if (cfg.driver !== 'rest') return new LogSalesforceTarget(ctx.logger);
  // One pause for every process of this deployment (QUEUE_PREFIX) and org (the consumer key).
  const pause = ctx.redis ? redisPause(ctx.redis, salesforcePauseKey(ctx)) : localPause();
  return new SalesforceTarget(ctx.sequelize, salesforceClientOf(ctx)!, cfg, ctx.logger, pause);
}

/** The Redis key of the Salesforce target's shared pause. */
export function salesforcePauseKey(ctx: AppContext): string {
  const cfg = ctx.config.salesforce;
  return `${ctx.config.queuePrefix}:salesforce:${cfg.driver === 'rest' ? cfg.consumerKey : 'log'}:pause`;
}
