import { execFile } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { expect } from 'chai';
import supertest from 'supertest';
import { CLOSE_DAY_JOB, closeDayJobs, type CloseDayJobData } from '../../src/modules/operations/close-day.jobs';
import { createLogger } from '../../src/platform/logging/logger';
import { BullQueue } from '../../src/platform/queue/bull';
import { InProcessQueue } from '../../src/platform/queue/in-process';
import { createApp } from '../../src/runtime';
import { api, loginAs, testRuntime } from '../support/app';
import { TEST_REDIS_URL, testEnv } from '../support/env';
import { openAccount, type Market } from '../support/lending';
import { CLOSED, businessDateOf, craftPortfolio, freshMarket } from './support';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

async function amt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, 'bin/amt.cjs'), ...args], { cwd: ROOT, env: testEnv(), timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function until(what: string, probe: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('operating jobs: failed jobs, retries, Bull Board, amt close-day', function () {
  this.timeout(120_000);
  let consumer: BullQueue;
  let admin: string;
  let agent: string;
  let market: Market;

  /** A close that fails (the day asked for is not the country's business date) until the date is put right. */
  async function failingClose(date: string): Promise<string> {
    const id = await consumer.enqueue<CloseDayJobData>(CLOSE_DAY_JOB, { countryId: market.country.id, date, partitions: 1 });
    await until('the job to fail', async () => (await (await consumer.queue(CLOSE_DAY_JOB).getJob(id))?.getState()) === 'failed');
    return id;
  }
  const state = async (id: string) => (await consumer.queue(CLOSE_DAY_JOB).getJob(id))?.getState();

  before(async () => {
    const rt = await testRuntime();
    // A worker in this process on the suite's own queues (the API under test reads the same Redis keys).
    consumer = new BullQueue(TEST_REDIS_URL, rt.config.queuePrefix, createLogger('silent'));
    for (const job of closeDayJobs({ ...rt, queue: consumer }, { attempts: 2, backoffMs: 20 })) consumer.register({ ...job, repeat: undefined });
    await consumer.startWorkers();
    market = await freshMarket();
    await openAccount(market, { startDate: CLOSED });
    ({ token: admin } = await loginAs('admin'));
    ({ token: agent } = await loginAs('agent', { regionIds: [market.region.id] }));
  });
  after(async () => consumer.close());

  it('GET /ops/jobs/failed lists a close that failed every attempt; POST .../retry re-drives it', async () => {
    const id = await failingClose('2026-12-01');
    const list = await (await api()).get('/api/v1/ops/jobs/failed').query({ queue: CLOSE_DAY_JOB }).set('Authorization', `Bearer ${admin}`).expect(200);
    const mine = list.body.data.find((j: { id: string }) => j.id === id);
    expect(mine).to.include({ queue: CLOSE_DAY_JOB, attemptsMade: 2, maxAttempts: 2 });
    expect(mine.failedReason).to.contain('business date is 2026-11-20');
    expect(mine.data).to.deep.equal({ countryId: market.country.id, date: '2026-12-01', partitions: 1 });
    expect(list.body.page).to.include({ limit: 50 });
    const all = await (await api()).get('/api/v1/ops/jobs/failed').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(all.body.data.map((j: { id: string }) => j.id)).to.include(id);

    await market.setDate('2026-12-01');
    const retried = await (await api()).post(`/api/v1/ops/jobs/${CLOSE_DAY_JOB}/${id}/retry`).set('Authorization', `Bearer ${admin}`).expect(202);
    expect(retried.body).to.include({ queue: CLOSE_DAY_JOB, id, state: 'waiting' });
    await until('the retried job to complete', async () => (await state(id)) === 'completed');
    await until('the close to finish', async () => (await businessDateOf(market)) === '2026-12-02');

    const again = await (await api()).post(`/api/v1/ops/jobs/${CLOSE_DAY_JOB}/${id}/retry`).set('Authorization', `Bearer ${admin}`).expect(409);
    expect(again.body).to.include({ state: 'completed' });
  });

  it('the failed-jobs routes answer 400, 401, 403 and 404', async () => {
    const client = await api();
    await client.get('/api/v1/ops/jobs/failed').expect(401);
    await client.get('/api/v1/ops/jobs/failed').set('Authorization', `Bearer ${agent}`).expect(403);
    const bad = await client.get('/api/v1/ops/jobs/failed').query({ limit: 0, colour: 'red' }).set('Authorization', `Bearer ${admin}`).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).to.deep.equal(['colour', 'limit']);
    await client.get('/api/v1/ops/jobs/failed').query({ cursor: 'nonsense' }).set('Authorization', `Bearer ${admin}`).expect(400);
    await client.get('/api/v1/ops/jobs/failed').query({ queue: 'no.such.queue' }).set('Authorization', `Bearer ${admin}`).expect(404);
    await client.post(`/api/v1/ops/jobs/${CLOSE_DAY_JOB}/424242/retry`).expect(401);
    await client.post(`/api/v1/ops/jobs/${CLOSE_DAY_JOB}/424242/retry`).set('Authorization', `Bearer ${agent}`).expect(403);
    await client.post(`/api/v1/ops/jobs/${CLOSE_DAY_JOB}/424242/retry`).set('Authorization', `Bearer ${admin}`).expect(404);
    await client.post('/api/v1/ops/jobs/no.such.queue/1/retry').set('Authorization', `Bearer ${admin}`).expect(404);
    const badId = await client.post(`/api/v1/ops/jobs/${CLOSE_DAY_JOB}/a%20b/retry`).set('Authorization', `Bearer ${admin}`).expect(400);
    expect(badId.body.errors[0]).to.include({ field: 'id' });
  });

  it('amt jobs failed lists it and amt jobs retry re-drives it; amt close-day closes by hand', async () => {
    const id = await failingClose('2026-12-20');
    const m = await freshMarket();
    const crafted = await craftPortfolio(m);
    // Each command loads the whole application: the independent ones run side by side.
    const [listed, table, missing, wrong] = await Promise.all([
      amt(['jobs', 'failed', '--queue', CLOSE_DAY_JOB, '--json']),
      amt(['jobs', 'failed']),
      amt(['jobs', 'retry', CLOSE_DAY_JOB, 'no-such-job']),
      amt(['close-day', '--country', m.country.code, '--date', '2026-11-25']),
    ]);
    expect(listed.code, listed.stderr).to.equal(0);
    const jobs = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; failedReason: string });
    expect(jobs.find((j) => j.id === id)?.failedReason).to.contain('business date is');
    expect(table.stdout).to.match(new RegExp(`^${CLOSE_DAY_JOB.replace(/\./g, '\\.')}\\t${id}\\t2/2\\t`, 'm'));
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain('job was not found');
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.contain(`${m.country.code}'s business date is ${CLOSED}`);

    await market.setDate('2026-12-20');
    const [retried, out] = await Promise.all([
      amt(['jobs', 'retry', CLOSE_DAY_JOB, id]),
      amt(['close-day', '--country', m.country.code, '--date', CLOSED, '--partitions', '2']),
    ]);
    expect(retried.code, retried.stderr).to.equal(0);
    expect(retried.stdout).to.contain(`${CLOSE_DAY_JOB} ${id}: queued again`);
    await until('the retried job to complete', async () => (await state(id)) === 'completed');

    expect(out.code, out.stderr).to.equal(0);
    const summary = JSON.parse(out.stdout);
    expect(summary).to.include({ country: m.country.code, closedDate: CLOSED, businessDate: '2026-11-21', reRun: false, partitions: 2 });
    expect(summary.counts).to.include({ accounts: crafted.length, suspended: 1, reminders: 5 });
    expect(await businessDateOf(m)).to.equal('2026-11-21');
  });

  it('Bull Board at /admin/queues: bearer token or the board-session cookie, ops:jobs only', async () => {
    const client = await api();
    const anonymous = await client.get('/admin/queues').expect(401);
    expect(anonymous.headers['content-type']).to.contain('application/problem+json');
    await client.get('/admin/queues').set('Authorization', `Bearer ${agent}`).expect(403);
    await client.get('/admin/queues').set('Cookie', 'amt_board=forged.token.value').expect(401);
    // The access token is not a board cookie, and a board cookie is not an access token.
    await client.get('/admin/queues').set('Cookie', `amt_board=${admin}`).expect(401);
    const page = await client.get('/admin/queues').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(page.text).to.contain('<html');

    await client.get('/api/v1/ops/board-session').expect(401);
    await client.get('/api/v1/ops/board-session').set('Authorization', `Bearer ${agent}`).expect(403);
    const session = await client.get('/api/v1/ops/board-session').set('Authorization', `Bearer ${admin}`).expect(200);
    const cookie = String(session.headers['set-cookie']);
    expect(cookie).to.match(/^amt_board=[^;]+; Path=\/admin\/queues; Max-Age=900; HttpOnly; SameSite=Strict$/);
    expect(session.body).to.include({ path: '/admin/queues', queues: true });
    const value = cookie.split(';')[0]!;
    await client.get('/admin/queues').set('Cookie', value).expect(200);
    const queues = await client.get('/admin/queues/api/queues').set('Cookie', value).expect(200);
    expect(queues.body.queues.map((q: { name: string }) => q.name)).to.include(CLOSE_DAY_JOB);
    await client.get('/api/v1/ops/jobs/failed').set('Cookie', value).expect(401);
  });

  it('in demo mode (no Redis) /admin/queues answers 404 with a note, and there is no failed set', async () => {
    const rt = await testRuntime();
    const demo = supertest(createApp({ ...rt, queue: new InProcessQueue(createLogger('silent')) }));
    const res = await demo.get('/admin/queues').set('Authorization', `Bearer ${admin}`).expect(404);
    expect(res.body.detail).to.contain('demo mode');
    const list = await demo.get('/api/v1/ops/jobs/failed').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(list.body).to.deep.equal({ data: [], page: { limit: 50, nextCursor: null } });
    await demo.post(`/api/v1/ops/jobs/${CLOSE_DAY_JOB}/1/retry`).set('Authorization', `Bearer ${admin}`).expect(404);
  });
});
