import IORedis from 'ioredis';
import type { Express } from 'express';
import type { AppConfig } from './platform/config';
import type { AppContext } from './platform/context';
import { createSequelize } from './platform/db/sequelize';
import { migrate, seed } from './platform/db/migrator';
import { createHttpApp } from './platform/http/app';
import { createMetrics } from './platform/metrics';
import { createPassport } from './platform/auth/jwt';
import { createLogger, type Logger } from './platform/logging/logger';
import { createQueue } from './platform/queue';
import { apiRoutes, modules } from './modules';
import { createPrincipalLoader, sharePrincipalChanges } from './modules/access/principal-loader';
import { PERMISSION_CODES } from './modules/access/permissions';
import { SqlIdempotencyStore } from './modules/access/idempotency';
import { boardMount } from './modules/operations/board';
import { closeSyncTargets } from './modules/integrations/registry';
import { ApiClient } from './modules/access/clients.models';
import { createClientAuthenticator, type ClientDirectory } from './platform/http/client-auth';

/** How long an `amt` command waits for Redis before it gives up (REDIS_TIMEOUT_MS if longer). */
const CLI_REDIS_TIMEOUT_MS = 30_000;

/** The composition root: one place that wires config, database, Redis, queue and modules. */
export interface Runtime extends AppContext {
  close(): Promise<void>;
}

export async function createRuntime(config: AppConfig, options: { logger?: Logger; role?: string } = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config.logLevel, { role: options.role ?? 'api' });
  const sequelize = createSequelize(config);
  for (const m of modules) m.initModels?.(sequelize);
  for (const m of modules) m.associate?.();

  // Shared non-blocking connection (readiness, caches). Fails fast rather than queueing forever.
  const redis = config.redisUrl ? new IORedis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true }) : undefined;
  redis?.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  // Staff changes (deactivation, roles, passwords) reach every API process's principal cache at once.
  const role = options.role ?? 'api';
  const principalSharing = redis
    ? sharePrincipalChanges(redis, `${config.queuePrefix}:principal-changes`, { subscribe: role !== 'worker' && role !== 'cli', logger })
    : undefined;

  // Only the worker catches up missed schedules (a nightly close lost with Redis's data). An
  // operator's command (amt jobs) may wait longer for Redis than a request: it starts cold, often
  // several at once, and nobody retries it for them.
  const queueConfig = options.role === 'cli' ? { ...config, redisTimeoutMs: Math.max(config.redisTimeoutMs, CLI_REDIS_TIMEOUT_MS) } : config;
  const queue = createQueue(queueConfig, logger, { catchUp: options.role === 'worker' });
  const ctx: AppContext = { config, sequelize, logger, queue, redis };
  for (const m of modules) m.register?.(ctx);
  for (const m of modules) for (const job of m.jobs?.(ctx) ?? []) queue.register(job);

  if (config.env === 'production') {
    // Production refuses to run on anything less than its real database and Redis.
    await sequelize.authenticate();
    await redis!.connect();
    await redis!.ping();
  }
  if (config.demo) {
    const migrated = await migrate(sequelize, logger);
    const seeded = await seed(sequelize, logger);
    logger.info({ migrations: migrated.length, seeders: seeded.length }, 'demo database ready (SQLite)');
  }

  return {
    ...ctx,
    async close() {
      await queue.close();
      // After the jobs stop: the NetSuite/Salesforce clients this runtime built (sockets, token refreshers).
      await closeSyncTargets(sequelize);
      principalSharing?.close();
      redis?.disconnect();
      await sequelize.close();
    },
  };
}

/** API clients (machine callers) as the router's authenticator reads them. */
const apiClients: ClientDirectory = {
  async find(clientId) {
    const c = await ApiClient.scope('withSecret').findOne({ where: { clientId } });
    if (!c) return null;
    return {
      id: c.id,
      clientId: c.clientId,
      name: c.name,
      credential: c.secretHash,
      allowedIps: c.allowedIps ?? null,
      scopes: c.scopes ?? [],
      isActive: c.isActive,
    };
  },
  async touch(id) {
    await ApiClient.update({ lastUsedAt: new Date() }, { where: { id } });
  },
};

export function createApp(runtime: AppContext): Express {
  const passport = createPassport(runtime.config.jwt, createPrincipalLoader());
  const { sequelize, redis } = runtime;
  const idempotency = new SqlIdempotencyStore({
    leaseMs: runtime.config.idempotency.leaseSeconds * 1000,
    retentionMs: runtime.config.idempotency.retentionHours * 3600_000,
    logger: runtime.logger,
  });
  return createHttpApp({
    config: runtime.config,
    logger: runtime.logger,
    passport,
    knownPermissions: PERMISSION_CODES,
    idempotency,
    clients: createClientAuthenticator({ directory: apiClients, encryptionKey: runtime.config.dataEncryptionKey, logger: runtime.logger }),
    routes: apiRoutes(runtime, { idempotency }),
    // Bull Board at /admin/queues (ops:jobs; a 404 note in demo mode).
    extraMounts: [boardMount(runtime)],
    metrics: createMetrics({
      token: runtime.config.metrics?.token,
      collectorTimeoutMs: runtime.config.metrics?.collectorTimeoutMs,
      sequelize,
      queue: runtime.queue,
      logger: runtime.logger,
    }),
    readinessTimeoutMs: runtime.config.readinessTimeoutMs,
    readiness: [
      { name: 'database', check: async () => void (await sequelize.query('SELECT 1')) },
      ...(redis
        ? [
            {
              name: 'redis',
              check: async () => {
                if (redis.status === 'wait' || redis.status === 'end') await redis.connect().catch(() => undefined);
                await redis.ping();
              },
            },
          ]
        : []),
    ],
  });
}
