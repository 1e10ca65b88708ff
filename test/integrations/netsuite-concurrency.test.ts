import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import IORedis from 'ioredis';
import { localSemaphore, redisSemaphore, SemaphoreTimeout } from '../../src/modules/integrations/semaphore';
import { TEST_REDIS_URL } from '../support/env';
import type { FakeNetsuite } from '../fakes/netsuite';
import { startFake, TBA } from './netsuite-support';

const ROOT = path.resolve(__dirname, '..', '..');

function worker(env: Record<string, string>): { child: ChildProcess; line: Promise<string>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import=tsx', 'test/integrations/netsuite-worker.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, REDIS_URL: TEST_REDIS_URL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const line = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => (out.includes('\n') ? undefined : reject(new Error(`worker exited ${code}: ${err}`))));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, line, exited };
}

describe('integrations: the NetSuite concurrency limit holds across processes (Redis semaphore)', () => {
  let fake: FakeNetsuite;
  let redis: IORedis;
  before(async () => {
    fake = await startFake({ concurrencyLimit: 3 });
    redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    redis.disconnect();
    await fake.stop();
  });

  it('three worker processes, each trying 4 requests at once, never exceed NETSUITE_CONCURRENCY = 3 at the fake; every record is written once', async function () {
    this.timeout(120_000);
    fake.latencyMs = 25;
    const key = `amt-test:netsuite:${randomUUID()}:slots`;
    const common = {
      MODE: 'upsert',
      SEM_KEY: key,
      LIMIT: '3',
      LOCAL: '4',
      COUNT: '40',
      ACCOUNT_ID: fake.accountId,
      BASE_URL: fake.baseUrl,
      CK: TBA.consumerKey,
      CS: TBA.consumerSecret,
      TID: TBA.tokenId,
      TS: TBA.tokenSecret,
    };
    const workers = ['1', '2', '3'].map((w) => worker({ ...common, WORKER: w }));
    const lines = await Promise.all(workers.map((w) => w.line));
    expect(lines).to.deep.equal(['done 40', 'done 40', 'done 40']);
    expect(fake.maxConcurrency).to.be.at.most(3);
    expect(fake.maxConcurrency).to.be.at.least(2); // the limit was actually contended
    expect(fake.rejectedForConcurrency).to.equal(0);
    for (const w of ['1', '2', '3']) {
      const mine = fake.all('vendor').filter((r) => r.externalId.startsWith(`amt-w${w}-`));
      expect(mine).to.have.length(40);
      expect(mine.every((r) => r.writes === 1)).to.equal(true);
    }
    expect(await redis.zcard(key)).to.equal(0); // every slot given back
    fake.latencyMs = 0;
  });

  it('without Redis (the demo) the same limit holds inside the process: waiters are admitted in turn, or time out', async () => {
    const sem = localSemaphore(2, 200);
    let inside = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const release = await sem.acquire();
        peak = Math.max(peak, ++inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
        await release();
        await release(); // a second release is a no-op
      }),
    );
    expect(peak).to.equal(2);
    const a = await sem.acquire();
    const b = await sem.acquire();
    let refused: unknown;
    await sem.acquire().catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(SemaphoreTimeout);
    await a();
    const c = await sem.acquire();
    await b();
    await c();
  });

  it('a process killed while holding a slot does not hold it for ever: the slot is free once its lease runs out', async function () {
    this.timeout(60_000);
    const key = `amt-test:netsuite:${randomUUID()}:slots`;
    const holder = worker({ MODE: 'hold', SEM_KEY: key, LIMIT: '1', LEASE_MS: '1500' });
    expect(await holder.line).to.equal('held');
    holder.child.kill('SIGKILL');
    await holder.exited;
    const semaphore = (waitMs: number) => redisSemaphore(redis, { key, limit: 1, leaseMs: 5_000, waitMs });
    let refused: unknown;
    await semaphore(100)
      .acquire()
      .catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(SemaphoreTimeout); // still held by the dead process's lease
    const release = await semaphore(20_000).acquire(); // free once the lease expired
    expect(await redis.zcard(key)).to.equal(1);
    await release();
    expect(await redis.zcard(key)).to.equal(0);
  });
});
