import type { Sequelize } from 'sequelize';
import type { AppContext } from '../../platform/context';
import type { Logger } from '../../platform/logging/logger';
import type { OutboxTarget } from './models';
import { createNetsuiteTarget } from './netsuite';
import { createSalesforceTarget } from './salesforce';
import type { SyncItem, SyncOutcome, SyncTarget } from './sync-target';

/** The outbox targets the drain serves (webhooks have their own deliveries). */
export const SYNC_TARGETS = ['netsuite', 'salesforce'] as const satisfies readonly OutboxTarget[];
export type SyncTargetName = (typeof SYNC_TARGETS)[number];

export function isSyncTarget(name: string): name is SyncTargetName {
  return (SYNC_TARGETS as readonly string[]).includes(name);
}

/**
 * The client that serves each target: its REST client when its driver is configured
 * (NETSUITE_DRIVER / SALESFORCE_DRIVER = rest), else `logTarget(name, ctx.logger)` (the demo's
 * driver, as SMS). A target with no factory here uses the log driver. Wiring a client is one line.
 */
const FACTORIES: { [K in SyncTargetName]?: (ctx: AppContext) => SyncTarget } = {
  netsuite: (ctx) => (ctx.config.netsuite.driver === 'rest' ? createNetsuiteTarget(ctx) : logTarget('netsuite', ctx.logger)),
  salesforce: (ctx) => (ctx.config.salesforce.driver === 'rest' ? createSalesforceTarget(ctx) : logTarget('salesforce', ctx.logger)),
};

/** The demo driver: one log line per item (no payload: it may hold personal data), always done. */
export function logTarget(name: SyncTargetName, logger: Logger, batchSize = 200): SyncTarget & { readonly driver: 'log' } {
  return {
    name,
    batchSize,
    driver: 'log',
    async push(items: SyncItem[]): Promise<SyncOutcome[]> {
      for (const item of items) logger.info({ target: name, aggregate: item.aggregate, id: item.id, events: item.events }, 'sync (log driver)');
      return items.map(() => ({ status: 'done' as const }));
    },
  };
}

interface RuntimeTargets {
  built: Map<SyncTargetName, SyncTarget>;
  overrides: Map<SyncTargetName, SyncTarget>;
}

// Per runtime (keyed by its Sequelize instance), as payment listeners and close steps.
const byRuntime = new WeakMap<Sequelize, RuntimeTargets>();

function targetsOf(sequelize: Sequelize): RuntimeTargets {
  let r = byRuntime.get(sequelize);
  if (!r) byRuntime.set(sequelize, (r = { built: new Map(), overrides: new Map() }));
  return r;
}

/** The SyncTarget serving `name` in the runtime of ctx: a test's override, else the configured client (built once). */
export function syncTargetFor(ctx: AppContext, name: SyncTargetName): SyncTarget {
  const r = targetsOf(ctx.sequelize);
  const override = r.overrides.get(name);
  if (override) return override;
  let target = r.built.get(name);
  if (!target) {
    const factory = FACTORIES[name];
    target = factory ? factory(ctx) : logTarget(name, ctx.logger);
    r.built.set(name, target);
  }
  return target;
}

/** Which driver serves a target ('log' for the demo driver, else the client's name). */
export function driverOf(target: SyncTarget): string {
  return (target as { driver?: string }).driver ?? target.name;
}

/** Tests: put a target in for this runtime (null takes it out again). */
export function setSyncTargetForTests(sequelize: Sequelize, name: SyncTargetName, target: SyncTarget | null): void {
  const r = targetsOf(sequelize);
  if (target) r.overrides.set(name, target);
  else r.overrides.delete(name);
}

/** Closes the clients this runtime built (their connections, token refreshers). */
export async function closeSyncTargets(sequelize: Sequelize): Promise<void> {
  const r = byRuntime.get(sequelize);
  if (!r) return;
  await Promise.allSettled([...r.built.values()].map((t) => t.close?.()));
  r.built.clear();
}
