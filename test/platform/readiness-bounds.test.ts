import { expect } from 'chai';
import IORedis from 'ioredis';
import supertest from 'supertest';
import { createSequelize } from '../../src/platform/db/sequelize';
import { createLogger } from '../../src/platform/logging/logger';
import { createQueue } from '../../src/platform/queue';
import { createApp } from '../../src/runtime';
import { testRuntime } from '../support/app';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/env';
import { FaultProxy } from '../support/fault-proxy';

/**
 * Issue 12, defect 6: /readyz hung while a dependency was frozen (connections open, no answers).
 * Each check is bounded by READINESS_TIMEOUT_MS; the answer is 503 naming the frozen one.
 */
const BOUND_MS = 400;
// Supertest's own timeout: a /readyz that hangs fails here rather than passing late.
const HANG = 5_000;

describe('readiness under frozen dependencies', () => {
  let dbProxy: FaultProxy;
  let redisProxy: FaultProxy;

  before(async () => {
    dbProxy = await FaultProxy.forUrl(TEST_DATABASE_URL).start();
    redisProxy = await FaultProxy.forUrl(TEST_REDIS_URL).start();
  });
  after(async () => {
    await dbProxy.heal();
    await redisProxy.heal();
    await dbProxy.stop();
    await redisProxy.stop();
  });

  async function withApp(run: (request: () => supertest.Test) => Promise<void>) {
    const rt = await testRuntime();
    const logger = createLogger('silent');
    const config = { ...rt.config, readinessTimeoutMs: BOUND_MS };
    const sequelize = createSequelize({ databaseUrl: dbProxy.url(TEST_DATABASE_URL) }, { pool: { max: 2, min: 0, acquire: 10_000 } });
    const redis = new IORedis(redisProxy.url(TEST_REDIS_URL), { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
    redis.on('error', () => undefined);
    // Only readiness reads these; the routes use the suite's models as they are.
    const app = createApp({ ...rt, logger, config, sequelize, redis, queue: createQueue({ queuePrefix: 'amt-test-ready' }, logger) });
    try {
      await run(() => supertest(app).get('/readyz').timeout(HANG));
    } finally {
      await dbProxy.heal();
      await redisProxy.heal();
      redis.disconnect();
      await sequelize.close();
    }
  }

  it('a frozen database: 503 naming the database within the bound, 200 once it answers again', async () => {
    await withApp(async (readyz) => {
      expect((await readyz()).status).to.equal(200);
      dbProxy.freeze();
      const res = await readyz();
      expect(res.status).to.equal(503);
      expect(res.body).to.deep.equal({ status: 'unavailable', checks: { database: 'unavailable', redis: 'ok' } });
      expect(res.headers['retry-after']).to.match(/^\d+$/);
      await dbProxy.heal();
      expect((await readyz()).status).to.equal(200);
    });
  });

  it('a frozen Redis: 503 naming Redis within the bound, 200 once it answers again', async () => {
    await withApp(async (readyz) => {
      expect((await readyz()).status).to.equal(200);
      redisProxy.freeze();
      const res = await readyz();
      expect(res.status).to.equal(503);
      expect(res.body).to.deep.equal({ status: 'unavailable', checks: { database: 'ok', redis: 'unavailable' } });
      await redisProxy.heal();
      expect((await readyz()).status).to.equal(200);
    });
  });

  it('both frozen: 503 naming both, still within the bound', async () => {
    await withApp(async (readyz) => {
      expect((await readyz()).status).to.equal(200);
      dbProxy.freeze();
      redisProxy.freeze();
      const res = await readyz();
      expect(res.status).to.equal(503);
      expect(res.body.checks).to.deep.equal({ database: 'unavailable', redis: 'unavailable' });
    });
  });
});
