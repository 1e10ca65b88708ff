import IORedis from 'ioredis';
import { recreateDatabase, sequelizeCli } from './database';
import { TEST_DATABASE_URL, TEST_REDIS_URL, testEnv } from './env';
import { closeTestRuntime } from './app';

/**
 * Once per run: a fresh test database built by `sequelize-cli db:migrate` and `db:seed:all`
 * (reference data only; demo data is never seeded in test), and an empty Redis test database.
 */
export async function mochaGlobalSetup(): Promise<void> {
  await recreateDatabase(TEST_DATABASE_URL);
  const env = testEnv();
  sequelizeCli(['db:migrate'], env);
  sequelizeCli(['db:seed:all'], env);
  const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  await redis.flushdb();
  redis.disconnect();
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await closeTestRuntime();
  },
};
