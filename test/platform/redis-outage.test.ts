import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Express } from 'express';
import IORedis from 'ioredis';
import { Op } from 'sequelize';
import supertest from 'supertest';
import { modules } from '../../src/modules';
import { SystemLog } from '../../src/modules/audit/models';
import { Notification } from '../../src/modules/notifications/models';
import { notificationJobs, SEND_JOB } from '../../src/modules/notifications/jobs';
import { createLogger } from '../../src/platform/logging/logger';
import { BullQueue } from '../../src/platform/queue/bull';
import { createApp } from '../../src/runtime';
import { loginAs, testRuntime } from '../support/app';
import { TEST_REDIS_URL } from '../support/env';
import { FaultProxy } from '../support/fault-proxy';
import { createMarket, expectBooksBalanced, type Market } from '../support/lending';
import { PrivateRedis } from '../support/private-redis';
import { accountWithDevice } from '../devices/support';

/**
 * Redis lost and frozen under the API and the worker (issue 12, defects 5-7). Redis carries only
 * jobs, never money: payments must keep posting, readiness must say 503 naming Redis within its
 * bound, calls that need Redis must answer 503 (Retry-After) within theirs, and once Redis is back
 * the worker's schedules return without a restart and the SMS queued meanwhile go out.
 */
const BOUND_MS = 500;
// Supertest's own timeout: a request that hangs for the outage fails the test instead of passing late.
const HANG = 5_000;
const PLAN = { price: '10000.00', downPayment: '1000.00', duration: 10, frequency: 'weekly' as const, startDate: '2026-11-20' };

interface Side {
  app: Express;
  queue: BullQueue;
  redis: IORedis;
  close(): Promise<void>;
}

/** The real app (routes, readiness) on the suite's database, with its Redis and queue at `redisUrl`. */
async function apiOn(redisUrl: string): Promise<Side> {
  const rt = await testRuntime();
  const logger = createLogger('silent');
  const config = { ...rt.config, redisUrl, readinessTimeoutMs: BOUND_MS, redisTimeoutMs: BOUND_MS };
  // As createRuntime builds them: a shared connection that fails fast, and Bull's that queue.
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  redis.on('error', () => undefined);
  const queue = new BullQueue(redisUrl, `amt-test-outage-${randomUUID().slice(0, 8)}`, logger, { timeoutMs: BOUND_MS });
  const ctx = { ...rt, logger, config, redis, queue };
  for (const m of modules) for (const job of m.jobs?.(ctx) ?? []) queue.register(job);
  return {
    app: createApp(ctx),
    queue,
    redis,
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function payment(app: Express, token: string, accountId: number, amount = '500.00') {
  return supertest(app)
    .post('/api/v1/payments')
    .set('Authorization', `Bearer ${token}`)
    .set('Idempotency-Key', randomUUID())
    .timeout(HANG)
    .send({ accountId, amount, paymentType: 'MPESA', channel: 'mobile_money', transactionRef: `TX${randomUUID().slice(0, 12)}` });
}

function expectRedis503(res: supertest.Response): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(503);
  expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
  expect(res.headers['retry-after']).to.match(/^\d+$/);
  expect(res.body).to.include({ status: 503, dependency: 'redis' });
}

describe('Redis outages: payments keep posting, readiness and Redis calls answer 503 in bounded time', function () {
  this.timeout(120_000);
  let market: Market;
  let admin: string;

  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: admin } = await loginAs('admin'));
  });

  describe('Redis frozen (connections open, no answers)', () => {
    let proxy: FaultProxy;
    let side: Side;

    before(async () => {
      proxy = await FaultProxy.forUrl(TEST_REDIS_URL).start();
      side = await apiOn(proxy.url(TEST_REDIS_URL));
    });
    after(async () => {
      await proxy.heal();
      await side.close();
      await proxy.stop();
    });

    it('readiness, the failed-jobs list and a token resend answer 503 naming Redis; payments post; after it thaws a retried resend sends one SMS', async () => {
      const { account, device } = await accountWithDevice(market, admin, PLAN);
      expect((await payment(side.app, admin, account.id, '1000.00')).status).to.equal(201);
      expect((await supertest(side.app).get('/readyz').timeout(HANG)).status).to.equal(200);

      proxy.freeze();
      const ready = await supertest(side.app).get('/readyz').timeout(HANG);
      expect(ready.status).to.equal(503);
      expect(ready.body).to.deep.equal({ status: 'unavailable', checks: { database: 'ok', redis: 'unavailable' } });
      expect(ready.headers['retry-after']).to.match(/^\d+$/);

      expectRedis503(await supertest(side.app).get('/api/v1/ops/jobs/failed').set('Authorization', `Bearer ${admin}`).timeout(HANG));
      expectRedis503(await supertest(side.app).post('/api/v1/ops/jobs/notifications.send/1/retry').set('Authorization', `Bearer ${admin}`).timeout(HANG));

      // Money does not touch Redis.
      for (let i = 0; i < 3; i++) {
        const paid = await payment(side.app, admin, account.id);
        expect(paid.status, JSON.stringify(paid.body)).to.equal(201);
      }

      // The resend commits its SMS, cannot ask for a send round: 503. The client retries, twice.
      const resend = () =>
        supertest(side.app)
          .post(`/api/v1/devices/${device.id}/tokens/resend`)
          .set('Authorization', `Bearer ${admin}`)
          .timeout(HANG)
          .send({ reason: 'customer lost the SMS' });
      const first = await resend();
      expectRedis503(first);
      expectRedis503(await resend());

      await proxy.heal();
      const retried = await resend();
      expect(retried.status, JSON.stringify(retried.body)).to.equal(202);
      const sms = await Notification.findAll({ where: { accountId: account.id, templateCode: 'token_resend' } });
      expect(sms.map((n) => n.id)).to.deep.equal([retried.body.notificationId]);
      expect(sms[0]!.dedupeKey).to.match(/^token-resend:\d+:1$/);
      expect(await SystemLog.count({ where: { action: 'deviceToken.resend', entityId: device.id } })).to.equal(1);

      expect((await supertest(side.app).get('/readyz').timeout(HANG)).status).to.equal(200);
      expect((await supertest(side.app).get('/api/v1/ops/jobs/failed').set('Authorization', `Bearer ${admin}`).timeout(HANG)).status).to.equal(200);
      await expectBooksBalanced([account.id]);
    });
  });

  describe('Redis lost (killed, back empty)', () => {
    let redis: PrivateRedis;
    let side: Side;
    let worker: BullQueue;
    const caughtUp: string[] = [];

    before(async () => {
      redis = await PrivateRedis.start();
      side = await apiOn(redis.url);
      const rt = await testRuntime();
      // The worker: the real SMS send job (every second here rather than every minute), and a
      // nightly schedule whose catch-up records that it was consulted.
      worker = new BullQueue(redis.url, `amt-test-lost-${randomUUID().slice(0, 8)}`, createLogger('silent'), {
        scheduleCheckMs: 1000,
        timeoutMs: BOUND_MS,
        catchUp: true,
      });
      const [send] = notificationJobs({ ...rt, queue: worker });
      worker.register({ ...send!, repeat: [{ key: `${SEND_JOB}:every-second`, cron: '* * * * * *', data: {} }] });
      worker.register<{ day: string }>({
        name: 'test.nightly',
        repeat: [{ key: 'test-nightly', cron: '0 3 1 1 *', data: { day: 'scheduled' } }],
        catchUp: async () => [{ data: { day: 'missed' }, jobId: 'test-nightly-missed' }],
        handler: async (data) => void caughtUp.push(data.day),
      });
      await worker.startWorkers();
    });
    after(async () => {
      await worker?.close();
      await side?.close();
      await redis?.kill();
    });

    // Bull's repeat keys (job name, schedule key, end date, timezone, cron).
    const SCHEDULES = ['__default__:notifications.send:every-second:::* * * * * *', '__default__:test-nightly:::0 3 1 1 *'];
    const schedules = async () => {
      const keys = [];
      for (const name of [SEND_JOB, 'test.nightly']) keys.push(...(await worker.bounded(worker.queue(name).getRepeatableJobs())).map((r) => r.key));
      return keys.sort();
    };

    it('payments post and readiness says 503 while Redis is down; when it comes back empty the schedules return, the missed run is caught up and the SMS backlog drains', async () => {
      expect(await schedules()).to.deep.equal(SCHEDULES);
      await until('the catch-up to run', async () => caughtUp.length === 1);
      const { account, device } = await accountWithDevice(market, admin, PLAN);
      const before = await Notification.findAll({ where: { accountId: account.id }, attributes: ['id'] });

      await redis.kill();
      const ready = await supertest(side.app).get('/readyz').timeout(HANG);
      expect(ready.status).to.equal(503);
      expect(ready.body.checks).to.deep.equal({ database: 'ok', redis: 'unavailable' });
      expectRedis503(await supertest(side.app).get('/api/v1/ops/jobs/failed').set('Authorization', `Bearer ${admin}`).timeout(HANG));
      const paid = [];
      for (let i = 0; i < 3; i++) {
        const res = await payment(side.app, admin, account.id, i === 0 ? '1000.00' : '500.00');
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        paid.push(res.body.id as number);
      }
      // A resend saves its SMS and answers 503 (the send round cannot be asked for).
      const resend = () =>
        supertest(side.app)
          .post(`/api/v1/devices/${device.id}/tokens/resend`)
          .set('Authorization', `Bearer ${admin}`)
          .timeout(HANG)
          .send({ reason: 'customer lost the SMS' });
      expectRedis503(await resend());
      // Each payment's token SMS, written with it (the outbox), and the resend wait for the send job.
      const backlog = await Notification.findAll({
        where: { accountId: account.id, channel: 'sms', id: { [Op.notIn]: [0, ...before.map((n) => n.id)] } },
        order: [['id', 'ASC']],
      });
      expect(backlog.map((n) => n.templateCode)).to.deep.equal(['payment_received', 'payment_received', 'payment_received', 'token_resend']);
      expect(backlog.map((n) => n.status)).to.deep.equal(['pending', 'pending', 'pending', 'pending']);

      // Back, without its data (no persistence): no restart of the worker or the API.
      await redis.start();
      expect(
        await until('the schedules to be registered again', async () => {
          const s = await schedules();
          return s.length === 2 && s;
        }),
      ).to.deep.equal(SCHEDULES);
      await until('the missed run to be caught up again', async () => caughtUp.length === 2);
      expect(caughtUp).to.deep.equal(['missed', 'missed']);

      const sent = await until('the backlog to drain', async () => {
        const rows = await Notification.findAll({ where: { id: { [Op.in]: backlog.map((n) => n.id) } } });
        return rows.every((n) => n.status === 'sent') && rows;
      });
      expect(sent.map((n) => n.attempts)).to.deep.equal([1, 1, 1, 1]);
      // The client's retry of the resend, after the SMS went out: the same SMS, not a second one.
      const retried = await resend();
      expect(retried.status, JSON.stringify(retried.body)).to.equal(202);
      expect(retried.body).to.include({ notificationId: backlog[3]!.id, status: 'sent' });
      expect(await Notification.count({ where: { accountId: account.id, templateCode: 'token_resend' } })).to.equal(1);
      expect((await supertest(side.app).get('/readyz').timeout(HANG)).status).to.equal(200);
      // Registering on every check duplicates nothing.
      await sleep(2500);
      expect(await schedules()).to.deep.equal(SCHEDULES);
      await expectBooksBalanced([account.id]);
    });
  });
});
