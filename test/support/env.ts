import os from 'node:os';
import path from 'node:path';

/** Where the suite's database and Redis live; override with TEST_DATABASE_URL / TEST_REDIS_URL. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/amt_test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

export const TEST_DOCUMENTS_DIR = path.join(os.tmpdir(), `amt-test-documents-${process.pid}`);
export const TEST_DOCUMENT_MAX_BYTES = 256 * 1024;

/** The environment the app under test is configured from. */
export function testEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    TZ: process.env.TZ,
    NODE_ENV: 'test',
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    QUEUE_PREFIX: 'amt-test',
    // Lets each test speak from its own client address (X-Forwarded-For) so throttles don't mix.
    TRUST_PROXY: 'true',
    // Uploaded documents go to a directory of this run's own, never the repository's data/.
    DOCUMENTS_DIR: TEST_DOCUMENTS_DIR,
    DOCUMENT_MAX_BYTES: String(TEST_DOCUMENT_MAX_BYTES),
    ...extra,
  };
}
