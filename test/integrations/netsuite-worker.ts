/**
 * A worker process for test/integrations/netsuite-concurrency.test.ts (run with node --import=tsx):
 * its own Redis connection and NetSuite client, sharing only the semaphore key.
 *   mode=upsert: upserts COUNT vendors amt-w{WORKER}-{i}, LOCAL at a time, prints "done <requests>".
 *   mode=hold: takes one slot, prints "held", and waits to be killed.
 */
import IORedis from 'ioredis';
import { NetsuiteClient } from '../../src/modules/integrations/netsuite/client';
import { redisSemaphore } from '../../src/modules/integrations/semaphore';

const env = process.env;
const redis = new IORedis(env.REDIS_URL!, { maxRetriesPerRequest: 1 });
const semaphore = redisSemaphore(redis, { key: env.SEM_KEY!, limit: Number(env.LIMIT), leaseMs: Number(env.LEASE_MS ?? 10_000), waitMs: 30_000 });

async function main(): Promise<void> {
  if (env.MODE === 'hold') {
    await semaphore.acquire();
    process.stdout.write('held\n');
    await new Promise(() => undefined);
    return;
  }
  const client = new NetsuiteClient(
    {
      driver: 'rest',
      accountId: env.ACCOUNT_ID!,
      baseUrl: env.BASE_URL!,
      auth: { mode: 'tba', consumerKey: env.CK!, consumerSecret: env.CS!, tokenId: env.TID!, tokenSecret: env.TS! },
      concurrency: Number(env.LIMIT),
      timeoutMs: 10_000,
      batchSize: 20,
    },
    semaphore,
  );
  const count = Number(env.COUNT);
  let next = 0;
  const run = async () => {
    for (let i = next++; i < count; i = next++) await client.upsert('vendor', `amt-w${env.WORKER}-${i}`, { entityId: `W${env.WORKER}-${i}`, isPerson: true });
  };
  await Promise.all(Array.from({ length: Number(env.LOCAL) }, run));
  process.stdout.write(`done ${client.requests}\n`);
  redis.disconnect();
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
