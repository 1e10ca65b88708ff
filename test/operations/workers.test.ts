import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import IORedis from 'ioredis';
import { Op } from 'sequelize';
import { Account, AccountStatusHistory } from '../../src/modules/accounts/models';
import { Notification } from '../../src/modules/notifications/models';
import { CLOSE_DAY_JOB, CLOSE_PARTITION_JOB, closeDayJobs, type CloseDayJobData } from '../../src/modules/operations/close-day.jobs';
import { JobRun } from '../../src/modules/operations/models';
import { createLogger } from '../../src/platform/logging/logger';
import { BullQueue } from '../../src/platform/queue/bull';
import { testRuntime } from '../support/app';
import { TEST_REDIS_URL, testEnv } from '../support/env';
import type { Market } from '../support/lending';
import { CLOSED, NEXT, craftPortfolio, freshMarket, outcome, snapshotsOf, type Crafted } from './support';

const FIXTURE = path.join(__dirname, 'fixtures', 'close-worker.ts');

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A worker process (the fixture) on its own queue prefix; resolves once it consumes. */
async function startWorker(prefix: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env: testEnv({ QUEUE_PREFIX: prefix, ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${err}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${err}`)));
  });
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

async function producer(prefix: string): Promise<BullQueue> {
  const rt = await testRuntime();
  const queue = new BullQueue(TEST_REDIS_URL, prefix, createLogger('silent'));
  for (const job of closeDayJobs({ ...rt, queue })) queue.register(job);
  return queue;
}

async function closed(market: Market): Promise<JobRun> {
  return until(
    'the close to finish',
    async () => (await JobRun.findOne({ where: { countryId: market.country.id, jobName: 'close-day.finalize', status: 'succeeded' } })) ?? undefined,
  );
}

/** What the close did to a market, without its ids: per crafted account, and the snapshots. */
async function result(market: Market, crafted: Crafted[], since: Date) {
  const snapshots = (await snapshotsOf(market)).map((s) => ({
    level: s.regionId === null ? 'country' : 'region',
    accountsByStatus: typeof s.accountsByStatus === 'string' ? JSON.parse(s.accountsByStatus) : s.accountsByStatus,
    outstandingBalance: s.outstandingBalance,
    par: [s.par1, s.par30, s.par60, s.par90],
    collectionRate: s.collectionRate,
  }));
  return { accounts: await Promise.all(crafted.map((c) => outcome(c, since))), snapshots };
}

describe('nightly close on Bull workers', function () {
  this.timeout(180_000);
  const children: ChildProcess[] = [];
  const queues: BullQueue[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => stop(c)));
    await Promise.all(queues.splice(0).map((q) => q.close()));
  });

  it('two partitions in two worker processes give what one worker gives', async () => {
    const one = await freshMarket();
    const two = await freshMarket();
    const craftedOne = await craftPortfolio(one);
    const craftedTwo = await craftPortfolio(two);
    const since = new Date(Date.now() - 1000);

    const prefixOne = `amt-test-ops-${randomUUID().slice(0, 8)}`;
    children.push(await startWorker(prefixOne));
    const q1 = await producer(prefixOne);
    queues.push(q1);
    await q1.enqueue<CloseDayJobData>(CLOSE_DAY_JOB, { countryId: one.country.id, date: CLOSED, partitions: 1 });
    await closed(one);

    const prefixTwo = `amt-test-ops-${randomUUID().slice(0, 8)}`;
    const slow = { CLOSE_CHUNK_SIZE: '1', CLOSE_CHUNK_DELAY_MS: '150' };
    children.push(...(await Promise.all([startWorker(prefixTwo, slow), startWorker(prefixTwo, slow)])));
    const q2 = await producer(prefixTwo);
    queues.push(q2);
    await q2.enqueue<CloseDayJobData>(CLOSE_DAY_JOB, { countryId: two.country.id, date: CLOSED, partitions: 2 });
    await closed(two);

    const partitions = await JobRun.findAll({ where: { countryId: two.country.id, jobName: 'close-day.partition' } });
    expect(partitions.map((p) => p.status)).to.deep.equal(['succeeded', 'succeeded']);
    const pids = new Set((await q2.queue(CLOSE_PARTITION_JOB).getCompleted()).map((j) => (j.returnvalue as { pid: number }).pid));
    expect(pids.size, 'partitions ran in two processes').to.equal(2);

    const a = await result(one, craftedOne, since);
    const b = await result(two, craftedTwo, since);
    expect(b).to.deep.equal(a);
    expect(a.accounts).to.deep.equal(craftedOne.map((c) => c.expect));
  });

  it('a worker killed mid-close is re-run by Bull on another worker, with the same result and nothing twice', async () => {
    const market = await freshMarket();
    const crafted = await craftPortfolio(market);
    const since = new Date(Date.now() - 1000);
    const ids = crafted.map((c) => c.account.id);
    const prefix = `amt-test-ops-${randomUUID().slice(0, 8)}`;
    const doomed = await startWorker(prefix, { CLOSE_CHUNK_SIZE: '1', CLOSE_CHUNK_DELAY_MS: '400' });
    children.push(doomed);
    const queue = await producer(prefix);
    queues.push(queue);
    await queue.enqueue<CloseDayJobData>(CLOSE_DAY_JOB, { countryId: market.country.id, date: CLOSED, partitions: 1 });

    // Some accounts are done, not all: kill -9 in the middle of the partition.
    await until('the close to be half way', async () => {
      const done = await Account.count({ where: { id: { [Op.in]: ids }, lastNightlyBusinessDate: NEXT } });
      return done >= 2 && done < ids.length;
    });
    await stop(doomed, 'SIGKILL');
    const doneAtKill = await Account.count({ where: { id: { [Op.in]: ids }, lastNightlyBusinessDate: NEXT } });
    expect(doneAtKill).to.be.lessThan(ids.length);

    // Bull finds the job stalled when its lock has expired (lockDuration, 30 s) and a stalled-job
    // check (every 30 s) has seen it active twice. Bring that state about now instead of waiting:
    // the lock gone, the job already in the stalled set, no check run recently. The next worker's
    // start-up check then moves it back to wait, as Bull would after a minute.
    const [active] = await queue.queue(CLOSE_PARTITION_JOB).getActive();
    expect(active, 'the killed partition is still active in Bull').to.not.equal(undefined);
    const key = (k: string) => `${prefix}:${CLOSE_PARTITION_JOB}:${k}`;
    const redis = new IORedis(TEST_REDIS_URL);
    await redis.del(key(`${active!.id}:lock`), key('stalled-check'));
    await redis.sadd(key('stalled'), String(active!.id));
    redis.disconnect();
    children.push(await startWorker(prefix));
    await closed(market);

    const after = await result(market, crafted, since);
    expect(after.accounts).to.deep.equal(crafted.map((c) => c.expect));
    const histories = await AccountStatusHistory.count({ where: { accountId: { [Op.in]: ids }, reason: { [Op.like]: 'nightly close%' } } });
    expect(histories, 'one suspension history, not two').to.equal(1);
    const reminders = await Notification.findAll({ where: { accountId: { [Op.in]: ids } } });
    expect(reminders.map((n) => n.dedupeKey).sort()).to.deep.equal(
      crafted
        .filter((c) => c.expect.reminder)
        .map((c) => `reminder:${c.account.id}:${NEXT}`)
        .sort(),
    );
    const runs = await JobRun.findAll({ where: { countryId: market.country.id, jobName: 'close-day.partition' }, order: [['id', 'ASC']] });
    expect(runs.map((r) => r.status)).to.deep.equal(['failed', 'succeeded']);
    expect(runs[0]!.errors![0]!.message).to.match(/^superseded by run/);
    expect(runs[0]!.partition).to.equal(runs[1]!.partition);
  });
});
