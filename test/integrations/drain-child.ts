// A drain worker in a process of its own (test/integrations/drain-processes.test.ts): drains the
// netsuite outbox into a recording target whose effects go to Redis, so the parent can check them
// after killing or joining this process.
//   DRAIN_MODE=hang        push the first batch (effects recorded), then hang until killed
//   DRAIN_MODE=until-empty drain until no row of the target is pending or processing (max 90 s)
//   DRAIN_START_WITH=N     first wait (up to 60 s) until N workers of the same DRAIN_EFFECTS_KEY are up
import { setTimeout as sleep } from 'node:timers/promises';
import IORedis from 'ioredis';
import { QueryTypes } from 'sequelize';
import { OutboxDrain } from '../../src/modules/integrations/drain';
import type { SyncItem, SyncTarget } from '../../src/modules/integrations/sync-target';
import { loadConfig } from '../../src/platform/config';
import { createLogger } from '../../src/platform/logging/logger';
import { createRuntime } from '../../src/runtime';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const runtime = await createRuntime(config, { role: 'cli', logger: createLogger('silent') });
  const redis = new IORedis(config.redisUrl!);
  const key = process.env.DRAIN_EFFECTS_KEY!;
  const mode = process.env.DRAIN_MODE;
  const drain = new OutboxDrain({ sequelize: runtime.sequelize, config: config.sync, logger: createLogger('silent') });
  const target: SyncTarget = {
    name: 'netsuite',
    batchSize: Number(process.env.DRAIN_TARGET_BATCH ?? 10),
    async push(items: SyncItem[]) {
      for (const item of items) {
        // Two workers pushing one aggregate at once would break its order: recorded as a violation.
        const claimed = await redis.set(`${key}:inflight:${item.aggregate}:${item.id}`, drain.workerId, 'NX');
        if (claimed !== 'OK') await redis.rpush(`${key}:violations`, `${item.aggregate}:${item.id}`);
      }
      await sleep(Math.floor(Math.random() * 5));
      for (const item of items) {
        await redis.rpush(key, JSON.stringify({ w: drain.workerId, a: item.aggregate, id: item.id, n: item.events.length }));
        await redis.del(`${key}:inflight:${item.aggregate}:${item.id}`);
      }
      if (mode === 'hang') {
        process.stdout.write('pushed\n');
        await new Promise(() => undefined);
      }
      return items.map(() => ({ status: 'done' as const }));
    },
  };
  // DRAIN_START_WITH=N: wait until N workers are up before draining, so a slow start (a busy
  // machine) does not leave one worker to drain everything before the others exist.
  const startWith = Number(process.env.DRAIN_START_WITH ?? 1);
  await redis.incr(`${key}:ready`);
  for (let i = 0; i < 600 && Number(await redis.get(`${key}:ready`)) < startWith; i++) await sleep(100);
  const started = Date.now();
  for (;;) {
    await drain.drain(target);
    const [{ n }] = await runtime.sequelize.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM syncOutbox WHERE target = 'netsuite' AND status IN ('pending', 'processing')",
      { type: QueryTypes.SELECT },
    );
    if (Number(n) === 0 || Date.now() - started > 90_000) break;
    await sleep(100);
  }
  redis.disconnect();
  await runtime.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
