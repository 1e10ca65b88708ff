import type IORedis from 'ioredis';
import type { Principal } from '../../platform/auth/principal';
import type { Logger } from '../../platform/logging/logger';
import { selectRows } from '../../platform/db/sql';
import { Employee } from './models';

/** An employee with their role's name, its permission codes and their region ids (comma-separated; codes never hold a comma). */
interface PrincipalRow {
  id: number;
  roleId: number;
  isActive: number | boolean;
  sessionEpoch: number;
  roleName: string;
  grants: string | null;
  regionIds: string | number | null;
}

/** How long a loaded principal is used when a change could go unannounced to this process. */
export const PRINCIPAL_TTL_MS = 10_000;
/**
 * How long while this process hears every change announced (a live subscription, see
 * sharePrincipalChanges): then a change through the app reaches the cache at once, and the TTL
 * only bounds one made behind the app's back (SQL). Under the access token's 15 minutes, which
 * bound such a change for tokens anyway; an agent syncing every few minutes is read once, not
 * on each sync.
 */
export const PRINCIPAL_SHARED_TTL_MS = 300_000;
/** Subscriptions of this process that are subscribed now (sharePrincipalChanges). */
let liveSubscriptions = 0;

/** How many subscriptions of this process are subscribed now (0: a change may go unheard). */
export function liveSubscriptionsToPrincipalChanges(): number {
  return liveSubscriptions;
}

const hearsPrincipalChanges = () => liveSubscriptions > 0;

/**
 * Loaded principals, and the loads in flight: concurrent requests of one employee whose entry has
 * expired share one load (32 at once each ran the same two queries). Any drop bumps `generation`,
 * so a load that started before the drop neither fills the cache nor serves later requests.
 */
class PrincipalCache {
  readonly entries = new Map<number, { principal: Principal | null; loadedAt: number }>();
  readonly loading = new Map<number, Promise<Principal | null>>();
  generation = 0;

  drop(employeeId?: number): void {
    this.generation++;
    if (employeeId === undefined) {
      this.entries.clear();
      this.loading.clear();
    } else {
      this.entries.delete(employeeId);
      this.loading.delete(employeeId);
    }
  }
}

/** Every loader's cache in this process (weakly: a dropped app's loader is collected). */
const caches = new Set<WeakRef<PrincipalCache>>();

/** Drops an employee (or everyone) from every principal cache in this process. */
export function invalidatePrincipal(employeeId?: number): void {
  for (const ref of caches) {
    const cache = ref.deref();
    if (!cache) caches.delete(ref);
    else cache.drop(employeeId);
  }
}

/** Where this process tells the others (sharePrincipalChanges); empty without Redis. */
const publishers = new Set<(message: string) => Promise<unknown>>();

/**
 * After committing a change to what an employee may do (deactivation, role, regions, password;
 * no id: a role's grants, so everyone): every principal cache of this process drops them at once,
 * and every other API process through Redis, so the employee's next request is checked against
 * the database. Without Redis (the demo: one process) the local drop is all there is. A publish
 * that fails (Redis down) is logged by the connection; the other processes' subscriptions are then
 * down too, so their entries are kept only PRINCIPAL_TTL_MS.
 */
export async function principalChanged(employeeId?: number): Promise<void> {
  invalidatePrincipal(employeeId);
  const message = employeeId === undefined ? '*' : String(employeeId);
  await Promise.all([...publishers].map((publish) => publish(message).catch(() => undefined)));
}

/**
 * Joins this process to the others' principal changes over Redis pub/sub on `channel`: publishes
 * this process's (principalChanged), and when `subscribe` (processes that authenticate requests)
 * drops what the others announce. A subscriber that (re)connects drops every cached principal,
 * since it may have missed announcements while away. `close()` before closing Redis.
 */
export function sharePrincipalChanges(redis: IORedis, channel: string, options: { subscribe: boolean; logger: Logger }): { close(): void } {
  const publish = (message: string) => redis.publish(channel, message);
  publishers.add(publish);
  let subscriber: IORedis | undefined;
  let live = false;
  const setLive = (now: boolean) => {
    if (now !== live) liveSubscriptions += now ? 1 : -1;
    live = now;
  };
  if (options.subscribe) {
    const sub = redis.duplicate();
    subscriber = sub;
    sub.on('error', (err: Error) => options.logger.warn({ err: err.message }, 'principal changes: redis subscriber error'));
    // Live from a confirmed SUBSCRIBE until the connection closes; each time the cache is dropped
    // (whatever was announced while away, or before the SUBSCRIBE took, is not known).
    sub.on('ready', () => {
      invalidatePrincipal();
      sub.subscribe(channel).then(
        () => {
          if (sub.status !== 'ready') return;
          invalidatePrincipal();
          setLive(true);
        },
        (err: Error) => options.logger.warn({ err: err.message }, 'principal changes: could not subscribe'),
      );
    });
    sub.on('close', () => setLive(false));
    sub.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      if (message === '*') invalidatePrincipal();
      else if (/^\d+$/.test(message)) invalidatePrincipal(Number(message));
    });
    // Connects (a lazy connection) and subscribes; 'ready' then subscribes again, harmlessly.
    sub.subscribe(channel).catch((err: Error) => options.logger.warn({ err: err.message }, 'principal changes: could not subscribe'));
  }
  return {
    close() {
      setLive(false);
      publishers.delete(publish);
      subscriber?.disconnect();
    },
  };
}

/**
 * One statement, plain rows: on a cache miss this is on every request's path (GET
 * /sync/changes of 500 agents misses on each), where model instances for a role's dozens of
 * grants and a second round trip for the regions cost more than the answer's own reads.
 */
export async function readPrincipal(employeeId: number): Promise<Principal | null> {
  const [row] = await selectRows<PrincipalRow>(
    Employee.sequelize!,
    `SELECT e.id, e.roleId, e.isActive, e.sessionEpoch, r.name AS roleName,
            (SELECT GROUP_CONCAT(p.code) FROM rolePermissions rp JOIN permissions p ON p.id = rp.permissionId WHERE rp.roleId = e.roleId) AS grants,
            (SELECT GROUP_CONCAT(g.regionId) FROM employeeRegions g WHERE g.employeeId = e.id) AS regionIds
       FROM employees e JOIN roles r ON r.id = e.roleId
      WHERE e.id = ? AND e.deletedAt IS NULL`,
    [employeeId],
  );
  if (!row || !Number(row.isActive)) return null;
  return {
    employeeId: Number(row.id),
    roleId: Number(row.roleId),
    roleName: row.roleName,
    permissions: new Set(row.grants ? String(row.grants).split(',') : []),
    regionIds: row.regionIds ? String(row.regionIds).split(',').map(Number) : [],
    sessionEpoch: Number(row.sessionEpoch),
  };
}

/**
 * Turns an employee id from a verified token into a Principal. Cached so the hot path
 * does not hit the database on every request; changes made through staff administration drop the
 * entry at once in every process (principalChanged), anything else applies within PRINCIPAL_TTL_MS, or
 * PRINCIPAL_SHARED_TTL_MS while this process is subscribed to the announcements.
 * `read`: readPrincipal (a test wraps it to count or fail reads).
 */
export function createPrincipalLoader(
  read: (employeeId: number) => Promise<Principal | null> = readPrincipal,
  /** A test's clock and view of the subscription. */
  options: { now?: () => number; hears?: () => boolean } = {},
) {
  const { now = Date.now, hears = hearsPrincipalChanges } = options;
  const cache = new PrincipalCache();
  caches.add(new WeakRef(cache));

  function load(employeeId: number): Promise<Principal | null> {
    const hit = cache.entries.get(employeeId);
    if (hit && now() - hit.loadedAt < (hears() ? PRINCIPAL_SHARED_TTL_MS : PRINCIPAL_TTL_MS)) return Promise.resolve(hit.principal);
    const pending = cache.loading.get(employeeId);
    if (pending) return pending;
    const generation = cache.generation;
    const settled = () => {
      if (cache.loading.get(employeeId) === loading) cache.loading.delete(employeeId);
    };
    const loading: Promise<Principal | null> = read(employeeId).then(
      (principal) => {
        settled();
        if (cache.generation === generation) {
          if (cache.entries.size > 10_000) cache.entries.clear();
          cache.entries.set(employeeId, { principal, loadedAt: now() });
        }
        return principal;
      },
      (err: unknown) => {
        settled();
        throw err;
      },
    );
    cache.loading.set(employeeId, loading);
    return loading;
  }

  return Object.assign(load, { invalidate: (employeeId?: number) => cache.drop(employeeId || undefined) });
}
