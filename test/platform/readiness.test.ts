import { expect } from 'chai';
import IORedis from 'ioredis';
import supertest from 'supertest';
import { loadConfig } from '../../src/platform/config';
import { createSequelize } from '../../src/platform/db/sequelize';
import { createLogger } from '../../src/platform/logging/logger';
import { createQueue } from '../../src/platform/queue';
import { createApp } from '../../src/runtime';
import { TEST_DATABASE_URL, TEST_REDIS_URL, testEnv } from '../support/env';

// Port 1 on loopback: nothing listens there, so connections are refused at once.
const DEAD_MYSQL = 'mysql://root@127.0.0.1:1/amt_test';
const DEAD_REDIS = 'redis://127.0.0.1:1';

async function readiness(databaseUrl: string, redisUrl: string) {
  const config = loadConfig(testEnv({ DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, DB_CONNECT_TIMEOUT_MS: '1000' }));
  const logger = createLogger('silent');
  const sequelize = createSequelize(config, { pool: { max: 1, min: 0, acquire: 3000 } });
  const redis = new IORedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    const app = createApp({ config, sequelize, logger, redis, queue: createQueue({ queuePrefix: 'amt-test' }, logger) });
    return await supertest(app).get('/readyz');
  } finally {
    redis.disconnect();
    await sequelize.close();
  }
}

describe('readiness', () => {
  it('503 naming the database when MySQL is unreachable', async () => {
    const res = await readiness(DEAD_MYSQL, TEST_REDIS_URL);
    expect(res.status).to.equal(503);
    expect(res.body).to.deep.equal({ status: 'unavailable', checks: { database: 'unavailable', redis: 'ok' } });
  });

  it('503 naming Redis when Redis is unreachable', async () => {
    const res = await readiness(TEST_DATABASE_URL, DEAD_REDIS);
    expect(res.status).to.equal(503);
    expect(res.body).to.deep.equal({ status: 'unavailable', checks: { database: 'ok', redis: 'unavailable' } });
  });

  it('200 when both answer', async () => {
    const res = await readiness(TEST_DATABASE_URL, TEST_REDIS_URL);
    expect(res.status).to.equal(200);
  });
});
