import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import supertest from 'supertest';
import { loadConfig } from '../../src/platform/config';
import { BullQueue } from '../../src/platform/queue/bull';
import { createApp, createRuntime, type Runtime } from '../../src/runtime';
import { IdempotencyKey } from '../../src/modules/access/clients.models';
import { SyncOutbox } from '../../src/modules/integrations/models';
import { Notification } from '../../src/modules/notifications/models';
import { JobRun } from '../../src/modules/operations/models';
import { Country } from '../../src/modules/organisation/models';
import { closeTestRuntime, testApp } from '../support/app';
import { TEST_DATABASE_URL, TEST_REDIS_URL, testEnv } from '../support/env';
import { FaultProxy } from '../support/fault-proxy';

const TOKEN = `metrics-${randomUUID()}`;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format, the lines that are samples. */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample named `name` whose labels include `labels` (undefined if none). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

describe('GET /metrics (Prometheus)', function () {
  this.timeout(60000);
  let runtime: Runtime;
  let app: ReturnType<typeof createApp>;

  async function scrape(target = app): Promise<Sample[]> {
    const res = await supertest(target).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(res.status, res.text).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    return parse(res.text);
  }

  before(async () => {
    runtime = await createRuntime(loadConfig(testEnv({ METRICS_TOKEN: TOKEN })), { role: 'test' });
    app = createApp(runtime);
  });

  // A runtime binds every model to its own Sequelize (initModels), so after one of our own the
  // shared test runtime is closed too and made again, on its own connection, by the next file.
  after(async () => {
    await runtime?.close();
    await closeTestRuntime();
  });

  it('is off (404) unless METRICS_TOKEN is set', async () => {
    const res = await supertest(await testApp()).get('/metrics');
    expect(res.status).to.equal(404);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
  });

  it('answers 401 without the bearer token, or with a wrong one', async () => {
    for (const auth of [undefined, 'Bearer wrong-token-wrong-token', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const req = supertest(app).get('/metrics');
      const res = await (auth ? req.set('Authorization', auth) : req);
      expect(res.status, String(auth)).to.equal(401);
      expect(res.headers['www-authenticate']).to.match(/^Bearer/);
      expect(res.body.status).to.equal(401);
      expect(res.text).to.not.include('amt_http_request_duration_seconds');
    }
  });

  it('times requests by route template and status, never by raw URL', async () => {
    const before = await scrape();
    const count = (s: Sample[], route: string, status: string, method = 'GET') =>
      value(s, 'amt_http_request_duration_seconds_count', { method, route, status }) ?? 0;
    for (let i = 0; i < 3; i++) expect((await supertest(app).get('/healthz')).status).to.equal(200);
    // An API route that fails authentication (the error leaves the router) and one that is not there.
    expect((await supertest(app).get('/api/v1/accounts/987654')).status).to.equal(401);
    expect((await supertest(app).get('/api/v1/accounts/987655')).status).to.equal(401);
    expect((await supertest(app).get('/api/v1/no-such-thing/987656')).status).to.equal(404);
    expect((await supertest(app).get('/docs/swagger-ui.css')).status).to.equal(200);
    const after = await scrape();
    expect(count(after, '/healthz', '200') - count(before, '/healthz', '200')).to.equal(3);
    expect(count(after, '/api/v1/accounts/:id', '401') - count(before, '/api/v1/accounts/:id', '401')).to.equal(2);
    expect(count(after, 'unmatched', '404') - count(before, 'unmatched', '404')).to.equal(1);
    expect(count(after, '/docs/*', '200') - count(before, '/docs/*', '200'), 'a mounted static app').to.equal(1);
    expect(value(after, 'amt_http_request_duration_seconds_bucket', { method: 'GET', route: '/healthz', status: '200', le: '+Inf' })).to.equal(
      count(after, '/healthz', '200'),
    );
    const routes = new Set(after.filter((s) => s.name.startsWith('amt_http_request_duration_seconds')).map((s) => s.labels.route));
    for (const r of routes) expect(r, 'no ids in route labels').to.not.match(/\d{4,}/);
  });

  it('reports the pool, the queues, the outboxes, idempotency claims and the nightly close, and they move', async () => {
    const before = await scrape();
    for (const c of ['db_pool', 'queues', 'outbox', 'idempotency', 'nightly_close'])
      expect(value(before, 'amt_metrics_collector_up', { collector: c }), c).to.equal(1);
    expect(value(before, 'amt_db_pool_max')).to.equal(20);
    for (const state of ['in_use', 'idle', 'waiting']) expect(value(before, 'amt_db_pool_connections', { state })).to.be.a('number');

    const now = Date.now();
    await SyncOutbox.create({
      aggregateType: 'payment',
      aggregateId: 1,
      eventType: 'payment.posted',
      payload: {},
      target: 'webhook',
      availableAt: new Date(now),
      createdAt: new Date(now - 600_000),
    } as never);
    await Notification.create({ channel: 'sms', recipient: '+254700000000', body: 'x', sendAfter: new Date(now - 300_000) } as never);
    await Notification.create({ channel: 'sms', recipient: '+254700000000', body: 'later', sendAfter: new Date(now + 3600_000) } as never);
    const claim = { scope: 'metrics-test', requestHash: 'h'.repeat(64), status: 'in_progress', ownerToken: randomUUID(), expiresAt: new Date(now + 3600_000) };
    await IdempotencyKey.create({ ...claim, idempotencyKey: randomUUID(), leaseExpiresAt: new Date(now + 60_000) } as never);
    await IdempotencyKey.create({ ...claim, idempotencyKey: randomUUID(), ownerToken: randomUUID(), leaseExpiresAt: new Date(now - 1000) } as never);
    const ke = await Country.findOne({ where: { code: 'KE' } });
    const coordinator = await JobRun.create({
      jobName: 'close-day',
      countryId: ke!.id,
      businessDate: '2031-01-01',
      partition: 'job:metrics',
      status: 'succeeded',
      startedAt: new Date(now - 50_000),
      finishedAt: new Date(now - 45_000),
    });
    await JobRun.create({
      jobName: 'close-day.finalize',
      countryId: ke!.id,
      businessDate: '2031-01-01',
      partition: `r${coordinator.id} final`,
      status: 'succeeded',
      startedAt: new Date(now - 10_000),
      finishedAt: new Date(now - 8_000),
      counts: { accounts: 7, reports: 2 },
    });
    await JobRun.create({
      jobName: 'close-day.partition',
      countryId: ke!.id,
      businessDate: '2031-01-01',
      partition: 'metrics-failed',
      status: 'failed',
      startedAt: new Date(now - 5_000),
    });
    const bull = runtime.queue as BullQueue;
    const q = bull.allQueues()[0];
    const jobId = `metrics-${randomUUID()}`;
    await bull.enqueue(q.name, {}, { jobId, delayMs: 3600_000 });

    try {
      const after = await scrape();
      const diff = (name: string, labels: Record<string, string> = {}) => (value(after, name, labels) ?? 0) - (value(before, name, labels) ?? 0);
      expect(diff('amt_outbox_backlog', { outbox: 'sync' })).to.equal(1);
      expect(value(after, 'amt_outbox_oldest_pending_age_seconds', { outbox: 'sync' })).to.be.at.least(600);
      expect(diff('amt_outbox_backlog', { outbox: 'notifications' }), 'only the notification that is due').to.equal(1);
      expect(value(after, 'amt_outbox_oldest_pending_age_seconds', { outbox: 'notifications' })).to.be.at.least(300);
      expect(diff('amt_idempotency_claims_in_flight')).to.equal(2);
      expect(diff('amt_idempotency_claims_lease_expired')).to.equal(1);
      expect(value(after, 'amt_nightly_close_last_duration_seconds', { country: 'KE' })).to.be.closeTo(42, 1);
      expect(value(after, 'amt_nightly_close_last_finished_timestamp_seconds', { country: 'KE' })).to.be.closeTo((now - 8_000) / 1000, 1);
      expect(value(after, 'amt_nightly_close_last_counts', { country: 'KE', count: 'accounts' })).to.equal(7);
      expect(diff('amt_nightly_close_runs', { job: 'close-day.partition', status: 'failed_24h' })).to.equal(1);
      expect(diff('amt_queue_jobs', { queue: q.name, state: 'delayed' })).to.equal(1);
      for (const state of ['waiting', 'active', 'failed']) expect(value(after, 'amt_queue_jobs', { queue: q.name, state })).to.be.a('number');
    } finally {
      await (await q.getJob(jobId))?.remove();
    }
  });

  it('answers at once when the database and Redis hang, reporting those collectors down, and recovers', async () => {
    const db = await FaultProxy.forUrl(TEST_DATABASE_URL).start();
    const redis = await FaultProxy.forUrl(TEST_REDIS_URL).start();
    const env = testEnv({
      METRICS_TOKEN: TOKEN,
      METRICS_COLLECTOR_TIMEOUT_MS: '300',
      DATABASE_URL: db.url(TEST_DATABASE_URL),
      REDIS_URL: redis.url(TEST_REDIS_URL),
    });
    const faulty = await createRuntime(loadConfig(env), { role: 'test' });
    const faultyApp = createApp(faulty);
    try {
      let s = await scrape(faultyApp);
      for (const c of ['db_pool', 'queues', 'outbox', 'idempotency', 'nightly_close'])
        expect(value(s, 'amt_metrics_collector_up', { collector: c }), c).to.equal(1);

      db.freeze();
      redis.freeze();
      // Twice: the second scrape finds the first one's collectors still hanging and does not pile on.
      for (let i = 0; i < 2; i++) {
        s = await scrape(faultyApp);
        for (const c of ['queues', 'outbox', 'idempotency', 'nightly_close']) expect(value(s, 'amt_metrics_collector_up', { collector: c }), c).to.equal(0);
        expect(value(s, 'amt_metrics_collector_up', { collector: 'db_pool' }), 'the pool is read in memory').to.equal(1);
        expect(value(s, 'amt_outbox_backlog', { outbox: 'sync' }), 'no stale value of a failed collector').to.equal(undefined);
      }

      await db.heal();
      await redis.heal();
      let up = false;
      for (let i = 0; i < 40 && !up; i++) {
        s = await scrape(faultyApp);
        up = ['queues', 'outbox', 'idempotency', 'nightly_close'].every((c) => value(s, 'amt_metrics_collector_up', { collector: c }) === 1);
        if (!up) await new Promise((r) => setTimeout(r, 250));
      }
      expect(up, 'every collector up again after the dependencies heal').to.equal(true);
      expect(value(s, 'amt_outbox_backlog', { outbox: 'sync' })).to.be.a('number');
    } finally {
      await db.heal();
      await redis.heal();
      await faulty.close();
      await closeTestRuntime();
      await db.stop();
      await redis.stop();
    }
  });
});
