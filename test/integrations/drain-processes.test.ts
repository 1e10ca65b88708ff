import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import IORedis from 'ioredis';
import { QueryTypes, type Sequelize } from 'sequelize';
import { SyncOutbox } from '../../src/modules/integrations/models';
import { sqlOf } from '../../src/platform/db/sql';
import { withTransaction } from '../../src/platform/db/transaction';
import { testRuntime } from '../support/app';
import { TEST_REDIS_URL, testEnv } from '../support/env';

const ROOT = join(__dirname, '..', '..');
const CHILD = join(__dirname, 'drain-child.ts');

interface Effect {
  w: string;
  a: string;
  id: number;
  n: number;
}

function startChild(env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null>; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, ['--import=tsx', CHILD], { cwd: ROOT, env: testEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => out, stderr: () => err };
}

async function effects(redis: IORedis, key: string): Promise<Effect[]> {
  return (await redis.lrange(key, 0, -1)).map((s) => JSON.parse(s) as Effect);
}

async function seed(sequelize: Sequelize, aggregates: number, base: number): Promise<Map<number, number>> {
  const expected = new Map<number, number>();
  await withTransaction(sequelize, async (t) => {
    for (let i = 1; i <= aggregates; i++) {
      const n = 1 + (i % 3);
      expected.set(base + i, n);
      for (let k = 0; k < n; k++) {
        const now = new Date();
        await sqlOf(sequelize).write(
          t,
          `INSERT INTO syncOutbox (aggregateType, aggregateId, eventType, payload, target, status, attempts, availableAt, createdAt, updatedAt)
           VALUES ('account', ?, 'payment.completed', ?, 'netsuite', 'pending', 0, ?, ?, ?)`,
          [base + i, JSON.stringify({ k }), now, now, now],
        );
      }
    }
  });
  return expected;
}

describe('integrations: drain workers in processes of their own', function () {
  this.timeout(240_000);
  let sequelize: Sequelize;
  let redis: IORedis;

  before(async () => {
    sequelize = (await testRuntime()).sequelize;
    redis = new IORedis(TEST_REDIS_URL);
  });

  after(() => redis.disconnect());

  beforeEach(async () => {
    await sequelize.query('DELETE FROM syncOutbox', { type: QueryTypes.DELETE });
  });

  it('three worker processes draining at once: every row done, each aggregate pushed once, never by two at a time', async () => {
    const expected = await seed(sequelize, 150, 20_000);
    const key = `drain-test:${Date.now()}:three`;
    const env = {
      DRAIN_MODE: 'until-empty',
      DRAIN_EFFECTS_KEY: key,
      DRAIN_START_WITH: '3',
      SYNC_BATCH_SIZE: '40',
      SYNC_CONCURRENCY: '2',
      DRAIN_TARGET_BATCH: '5',
    };
    const children = [1, 2, 3].map(() => startChild(env));
    const codes = await Promise.all(children.map((c) => c.exited));
    expect(codes, children.map((c) => c.stderr()).join('\n')).to.deep.equal([0, 0, 0]);
    expect(await redis.lrange(`${key}:violations`, 0, -1)).to.deep.equal([]);
    const seen = await effects(redis, key);
    const perAggregate = new Map<number, number>();
    for (const e of seen) perAggregate.set(e.id, (perAggregate.get(e.id) ?? 0) + e.n);
    expect(perAggregate).to.deep.equal(expected);
    expect(await SyncOutbox.count({ where: { status: 'done' } })).to.equal([...expected.values()].reduce((a, b) => a + b, 0));
    // More than one process did work.
    expect(new Set(seen.map((e) => e.w)).size).to.be.greaterThan(1);
  });

  it('a worker SIGKILLed mid-push: after its lease expires a restarted worker finishes; only the killed batch is pushed twice', async () => {
    const expected = await seed(sequelize, 40, 30_000);
    const key = `drain-test:${Date.now()}:kill`;
    const base = { DRAIN_EFFECTS_KEY: key, SYNC_BATCH_SIZE: '200', SYNC_CONCURRENCY: '1', SYNC_LEASE_SECONDS: '2', DRAIN_TARGET_BATCH: '10' };
    const doomed = startChild({ ...base, DRAIN_MODE: 'hang' });
    for (let i = 0; i < 600 && !doomed.stdout().includes('pushed'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(doomed.stdout(), doomed.stderr()).to.contain('pushed');
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const killedBatch = await effects(redis, key);
    expect(killedBatch).to.have.length(10);
    // Its rows are still leased (processing), the rest were leased with them in the same round.
    expect(await SyncOutbox.count({ where: { status: 'done' } })).to.equal(0);
    const restarted = startChild({ ...base, DRAIN_MODE: 'until-empty' });
    expect(await restarted.exited, restarted.stderr()).to.equal(0);
    expect(await SyncOutbox.count({ where: { status: 'done' } })).to.equal([...expected.values()].reduce((a, b) => a + b, 0));
    const all = await effects(redis, key);
    const pushes = new Map<number, number>();
    for (const e of all) pushes.set(e.id, (pushes.get(e.id) ?? 0) + 1);
    const twice = [...pushes].filter(([, n]) => n === 2).map(([id]) => id);
    expect([...pushes.values()].every((n) => n === 1 || n === 2)).to.equal(true);
    expect(twice.sort()).to.deep.equal(killedBatch.map((e) => e.id).sort());
    expect(pushes.size).to.equal(expected.size);
    // Taken over rows count the crashed attempt.
    const killedIds = killedBatch.map((e) => e.id);
    const retaken = await SyncOutbox.findAll({ where: { aggregateId: killedIds } });
    expect(retaken.every((r) => r.attempts === 2)).to.equal(true);
  });
});
