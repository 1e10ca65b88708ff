import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { createLogger } from '../../src/platform/logging/logger';
import { BullQueue } from '../../src/platform/queue/bull';
import { InProcessQueue } from '../../src/platform/queue/in-process';
import type { JobQueue } from '../../src/platform/queue';
import { TEST_REDIS_URL } from '../support/env';

async function until(cond: () => boolean, ms = 10000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}

/** The same handler, carried by Bull (Redis) or by the in-process runner (demo), behaves the same. */
for (const kind of ['bull', 'in-process'] as const) {
  describe(`job queue: ${kind}`, () => {
    let queue: JobQueue;
    const logger = createLogger('silent');
    beforeEach(() => {
      queue = kind === 'bull' ? new BullQueue(TEST_REDIS_URL, `amt-test-${randomUUID().slice(0, 8)}`, logger) : new InProcessQueue(logger);
    });
    afterEach(async () => queue.close());

    it('runs an enqueued job with its data', async () => {
      const seen: unknown[] = [];
      queue.register<{ n: number }>({ name: 'echo', handler: async (data) => void seen.push(data.n) });
      await queue.startWorkers();
      await queue.enqueue('echo', { n: 7 });
      await until(() => seen.length === 1);
      expect(seen).to.deep.equal([7]);
    });

    it('retries a failing job and reports the attempt number', async () => {
      const attempts: number[] = [];
      queue.register({
        name: 'flaky',
        attempts: 3,
        backoffMs: 10,
        handler: async (_d, ctx) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt < 3) throw new Error('transient');
        },
      });
      await queue.startWorkers();
      await queue.enqueue('flaky', {});
      await until(() => attempts.length === 3);
      expect(attempts).to.deep.equal([1, 2, 3]);
    });

    it('close() waits for the running job to finish', async () => {
      let finished = false;
      let started = false;
      queue.register({
        name: 'slow',
        handler: async () => {
          started = true;
          await sleep(300);
          finished = true;
        },
      });
      await queue.startWorkers();
      await queue.enqueue('slow', {});
      await until(() => started);
      await queue.close();
      expect(finished).to.equal(true);
    });
  });
}
