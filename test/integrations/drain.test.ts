import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes, type Sequelize } from 'sequelize';
import { OutboxDrain } from '../../src/modules/integrations/drain';
import { SyncOutbox } from '../../src/modules/integrations/models';
import { syncJobs, syncQueueName } from '../../src/modules/integrations/drain.jobs';
import { setSyncTargetForTests } from '../../src/modules/integrations/registry';
import type { SyncItem, SyncOutcome, SyncTarget } from '../../src/modules/integrations/sync-target';
import { ConfigError, loadConfig, type SyncConfig } from '../../src/platform/config';
import { sqlOf } from '../../src/platform/db/sql';
import { withTransaction } from '../../src/platform/db/transaction';
import { createLogger } from '../../src/platform/logging/logger';
import { BullQueue } from '../../src/platform/queue/bull';
import { testRuntime } from '../support/app';
import { TEST_REDIS_URL } from '../support/env';

const CONFIG: SyncConfig = {
  batchSize: 500,
  concurrency: 4,
  maxAttempts: 3,
  backoffBaseMs: 1000,
  backoffMaxMs: 60_000,
  leaseSeconds: 120,
  retentionDays: 14,
  pollIntervalSeconds: 5,
};

const silent = createLogger('silent');

function drainOf(sequelize: Sequelize, config: Partial<SyncConfig> = {}, workerId?: string): OutboxDrain {
  return new OutboxDrain({ sequelize, config: { ...CONFIG, ...config }, logger: silent, workerId, random: () => 0 });
}

/** A target that records its pushes; `outcome` decides each item (done by default). */
class RecordingTarget implements SyncTarget {
  readonly name = 'netsuite' as const;
  pushes: SyncItem[][] = [];
  paused = false;
  inFlight = new Set<string>();
  overlaps: string[] = [];
  constructor(
    readonly batchSize = 200,
    public outcome: (item: SyncItem) => SyncOutcome | Promise<SyncOutcome> = () => ({ status: 'done' }),
  ) {}
  async push(items: SyncItem[]): Promise<SyncOutcome[]> {
    this.pushes.push(items);
    const keys = items.map((i) => `${i.aggregate}:${i.id}`);
    for (const k of keys) {
      if (this.inFlight.has(k)) this.overlaps.push(k);
      this.inFlight.add(k);
    }
    try {
      return await Promise.all(items.map((i) => this.outcome(i)));
    } finally {
      for (const k of keys) this.inFlight.delete(k);
    }
  }
  async pauseState() {
    return { paused: this.paused, reason: this.paused ? 'test' : undefined };
  }
  items(): SyncItem[] {
    return this.pushes.flat();
  }
}

/** n netsuite rows of one aggregate, as integrations.enqueue writes them (routing is drain-routing.test.ts's business). */
async function enqueue(sequelize: Sequelize, aggregate: string, id: number, n: number): Promise<void> {
  await withTransaction(sequelize, async (t) => {
    for (let i = 0; i < n; i++) {
      const now = new Date();
      await sqlOf(sequelize).write(
        t,
        `INSERT INTO syncOutbox (aggregateType, aggregateId, eventType, payload, target, status, attempts, availableAt, createdAt, updatedAt)
         VALUES (?, ?, 'payment.completed', ?, 'netsuite', 'pending', 0, ?, ?, ?)`,
        [aggregate, id, JSON.stringify({ seq: i }), now, now, now],
      );
    }
  });
}

async function rows(where: Record<string, unknown> = {}): Promise<SyncOutbox[]> {
  return SyncOutbox.findAll({ where: { target: 'netsuite', ...where }, order: [['id', 'ASC']] });
}

/** DATETIME keeps whole seconds. */
const seconds = (ms: number) => Math.floor(ms / 1000) * 1000;

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('integrations: the outbox drain', function () {
  this.timeout(120_000);
  let sequelize: Sequelize;

  before(async () => {
    sequelize = (await testRuntime()).sequelize;
  });

  beforeEach(async () => {
    await sequelize.query('DELETE FROM syncOutbox', { type: QueryTypes.DELETE });
  });

  it('coalesces ten changes to one account into one push of one item, events and payloads in order', async () => {
    await enqueue(sequelize, 'account', 101, 10);
    const target = new RecordingTarget();
    const r = await drainOf(sequelize).drain(target);
    expect(target.pushes).to.have.length(1);
    expect(target.pushes[0]).to.have.length(1);
    const [item] = target.pushes[0]!;
    expect(item).to.deep.include({ aggregate: 'account', id: 101 });
    expect(item!.events).to.deep.equal(Array(10).fill('payment.completed'));
    expect(item!.payloads.map((p) => p.seq)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r).to.deep.include({ rows: 10, items: 1, done: 10, retried: 0, dead: 0 });
    const after = await rows();
    expect(after.every((x) => x.status === 'done' && x.processedAt && x.leaseId === null && x.attempts === 1)).to.equal(true);
    // Rows of the salesforce target (none for this event) are not touched; webhook never.
    expect(await SyncOutbox.count({ where: { status: 'pending' } })).to.equal(0);
  });

  it('different aggregates go in one batch, target.batchSize items per push', async () => {
    for (let id = 1; id <= 7; id++) await enqueue(sequelize, 'account', 200 + id, 2);
    const target = new RecordingTarget(3);
    const r = await drainOf(sequelize).drain(target);
    expect(target.pushes.map((p) => p.length).sort()).to.deep.equal([1, 3, 3]);
    expect(r.done).to.equal(14);
  });

  it('keeps order per aggregate: an aggregate in flight is not taken again; rows enqueued meanwhile wait for the next round', async () => {
    await enqueue(sequelize, 'account', 301, 2);
    await enqueue(sequelize, 'account', 302, 1);
    const gate = deferred<void>();
    const target = new RecordingTarget(200, async (item) => {
      if (item.id === 301) await gate.promise;
      return { status: 'done' };
    });
    const first = drainOf(sequelize, {}, 'w1').round(target);
    // Wait until 301 is leased and in flight.
    for (let i = 0; i < 200 && !target.inFlight.has('account:301'); i++) await new Promise((r) => setTimeout(r, 10));
    await enqueue(sequelize, 'account', 301, 3);
    await enqueue(sequelize, 'account', 303, 1);
    const second = await drainOf(sequelize, {}, 'w2').round(target);
    expect(second.items).to.equal(1); // 303 only; 301's new rows wait behind its lease
    expect(second.skippedAggregates).to.equal(1);
    gate.resolve();
    const r1 = await first;
    expect(r1.done).to.equal(3);
    expect((await rows({ aggregateId: 301, status: 'pending' })).length).to.equal(3);
    const third = await drainOf(sequelize, {}, 'w3').round(target);
    expect(third).to.deep.include({ items: 1, done: 3 });
    const pushes301 = target.items().filter((i) => i.id === 301);
    expect(pushes301.map((i) => i.events.length)).to.deep.equal([2, 3]);
    expect(target.overlaps).to.deep.equal([]);
  });

  it('several drains at once process every row exactly once in effect, never one aggregate twice at a time', async () => {
    const aggregates = 120;
    for (let id = 1; id <= aggregates; id++) await enqueue(sequelize, 'account', 1000 + id, 1 + (id % 4));
    const total = await SyncOutbox.count({ where: { target: 'netsuite' } });
    const target = new RecordingTarget(7, async () => {
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 5)));
      return { status: 'done' };
    });
    const results = await Promise.all([1, 2, 3, 4].map((w) => drainOf(sequelize, { batchSize: 40, concurrency: 2 }, `w${w}`).drain(target)));
    // Any left behind (an aggregate skipped by every worker in its last round) go in one more pass.
    await drainOf(sequelize).drain(target);
    expect(target.overlaps).to.deep.equal([]);
    const events = target.items().reduce((n, i) => n + i.events.length, 0);
    expect(events).to.equal(total);
    expect(await SyncOutbox.count({ where: { target: 'netsuite', status: 'done' } })).to.equal(total);
    expect(results.reduce((n, r) => n + r.fencedOut, 0)).to.equal(0);
    // Each aggregate's rows were pushed once (no retries happened).
    const perAggregate = new Map<number, number>();
    for (const i of target.items()) perAggregate.set(i.id, (perAggregate.get(i.id) ?? 0) + i.events.length);
    for (let id = 1; id <= aggregates; id++) expect(perAggregate.get(1000 + id), `account ${1000 + id}`).to.equal(1 + (id % 4));
  });

  it('retry: back to pending with exponential backoff (at least retryAfterMs) and the error; dead after SYNC_MAX_ATTEMPTS', async () => {
    await enqueue(sequelize, 'account', 401, 2);
    const target = new RecordingTarget(200, () => ({ status: 'retry', error: '503 Service Unavailable' }));
    // DATETIME keeps whole seconds: a base of 4 s (2 s after the jitter) is still ahead of now once stored.
    const drain = drainOf(sequelize, { maxAttempts: 3, backoffBaseMs: 4000 });
    const before = Date.now();
    let r = await drain.round(target);
    expect(r).to.deep.include({ rows: 2, retried: 2, dead: 0 });
    let after = await rows();
    // random() = 0: half of base * 2^0.
    for (const row of after) {
      expect(row).to.deep.include({ status: 'pending', attempts: 1, lastError: '503 Service Unavailable', leaseId: null });
      expect(row.availableAt.getTime()).to.be.at.least(seconds(before + 2000));
    }
    // Not available yet: the next round finds nothing.
    expect((await drain.round(target)).rows).to.equal(0);
    await sequelize.query("UPDATE syncOutbox SET availableAt = '2000-01-01 00:00:00'");
    target.outcome = () => ({ status: 'retry', error: '429', retryAfterMs: 30_000 });
    const before2 = Date.now();
    r = await drain.round(target);
    expect(r.retried).to.equal(2);
    after = await rows();
    expect(after[0]!.attempts).to.equal(2);
    expect(after[0]!.availableAt.getTime()).to.be.at.least(seconds(before2 + 30_000));
    await sequelize.query("UPDATE syncOutbox SET availableAt = '2000-01-01 00:00:00'");
    r = await drain.round(target);
    expect(r).to.deep.include({ dead: 2, retried: 0 });
    after = await rows();
    for (const row of after) {
      expect(row.status).to.equal('failed');
      expect(row.attempts).to.equal(3);
      expect(row.lastError).to.equal('gave up after 3 attempts: 429');
    }
    // Dead rows are not drained again.
    expect((await drain.round(target)).rows).to.equal(0);
  });

  it('a permanent outcome is dead at once, with its error; a throwing push retries every item', async () => {
    await enqueue(sequelize, 'customer', 501, 1);
    await enqueue(sequelize, 'customer', 502, 1);
    const target = new RecordingTarget(200, (item) => (item.id === 501 ? { status: 'dead', error: 'INVALID_FLD_VALUE: email' } : { status: 'done' }));
    const r = await drainOf(sequelize).round(target);
    expect(r).to.deep.include({ done: 1, dead: 1 });
    expect((await rows({ aggregateId: 501 }))[0]).to.deep.include({ status: 'failed', lastError: 'INVALID_FLD_VALUE: email' });
    await enqueue(sequelize, 'customer', 503, 1);
    const throwing: SyncTarget = {
      name: 'netsuite',
      batchSize: 10,
      push: () => Promise.reject(new Error('token endpoint unreachable')),
    };
    const r2 = await drainOf(sequelize).round(throwing);
    expect(r2.retried).to.equal(1);
    expect((await rows({ aggregateId: 503 }))[0]).to.deep.include({ status: 'pending', lastError: 'token endpoint unreachable' });
  });

  it('a paused target is left pending', async () => {
    await enqueue(sequelize, 'account', 601, 3);
    const target = new RecordingTarget();
    target.paused = true;
    const r = await drainOf(sequelize).drain(target);
    expect(r.paused).to.equal(true);
    expect(target.pushes).to.have.length(0);
    expect((await rows()).every((x) => x.status === 'pending' && x.attempts === 0)).to.equal(true);
    target.paused = false;
    expect((await drainOf(sequelize).drain(target)).done).to.equal(3);
  });

  it('fencing: a worker whose lease expired and was taken over cannot mark its rows', async () => {
    await enqueue(sequelize, 'account', 701, 2);
    const gate = deferred<void>();
    const slow = new RecordingTarget(200, async () => {
      await gate.promise;
      return { status: 'dead', error: 'late answer' };
    });
    const first = drainOf(sequelize, {}, 'slow').round(slow);
    for (let i = 0; i < 200 && slow.inFlight.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
    // The lease runs out (as if SYNC_LEASE_SECONDS passed): another worker takes the rows over.
    await sequelize.query("UPDATE syncOutbox SET availableAt = '2000-01-01 00:00:00' WHERE status = 'processing'");
    const fast = new RecordingTarget();
    const taken = await drainOf(sequelize, {}, 'fast').round(fast);
    expect(taken).to.deep.include({ rows: 2, done: 2 });
    gate.resolve();
    const late = await first;
    expect(late).to.deep.include({ dead: 0, fencedOut: 2 });
    for (const row of await rows()) expect(row).to.deep.include({ status: 'done', attempts: 2, leasedBy: 'fast' });
  });

  it('a slow push renews its lease, so another worker does not take its rows over', async () => {
    await enqueue(sequelize, 'account', 751, 1);
    const gate = deferred<void>();
    const slow = new RecordingTarget(200, async () => {
      await gate.promise;
      return { status: 'done' };
    });
    const first = drainOf(sequelize, { leaseSeconds: 1 }, 'slow').round(slow);
    for (let i = 0; i < 200 && slow.inFlight.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const leased = (await rows())[0]!;
    // Wait until the lease has been renewed (its expiry moved), then past the first expiry.
    let renewed = leased;
    for (let i = 0; i < 100 && renewed.availableAt.getTime() <= leased.availableAt.getTime(); i++) {
      await new Promise((r) => setTimeout(r, 100));
      renewed = (await rows())[0]!;
    }
    expect(renewed.availableAt.getTime()).to.be.greaterThan(leased.availableAt.getTime());
    expect(renewed).to.deep.include({ status: 'processing', leaseId: leased.leaseId });
    const other = await drainOf(sequelize, { leaseSeconds: 1 }, 'other').round(new RecordingTarget());
    expect(other.rows).to.equal(0);
    gate.resolve();
    expect(await first).to.deep.include({ done: 1, fencedOut: 0 });
  });

  it('SYNC_* settings are validated at start, naming the variable', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).sync).to.deep.equal({
      batchSize: 500,
      concurrency: 4,
      maxAttempts: 10,
      backoffBaseMs: 5000,
      backoffMaxMs: 3_600_000,
      leaseSeconds: 120,
      retentionDays: 14,
      pollIntervalSeconds: 5,
    });
    const bad = (env: Record<string, string>) => {
      try {
        loadConfig({ NODE_ENV: 'test', ...env });
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('accepted');
    };
    expect(bad({ SYNC_POLL_INTERVAL_SECONDS: '7' }).variables).to.deep.equal(['SYNC_POLL_INTERVAL_SECONDS']);
    expect(bad({ SYNC_POLL_INTERVAL_SECONDS: '7' }).message).to.contain('must divide a minute');
    expect(bad({ SYNC_BACKOFF_BASE_MS: '10000', SYNC_BACKOFF_MAX_MS: '5000' }).variables).to.deep.equal(['SYNC_BACKOFF_MAX_MS']);
    expect(bad({ SYNC_BATCH_SIZE: '0', SYNC_MAX_ATTEMPTS: 'x', SYNC_LEASE_SECONDS: '-1' }).variables).to.have.members([
      'SYNC_BATCH_SIZE',
      'SYNC_MAX_ATTEMPTS',
      'SYNC_LEASE_SECONDS',
    ]);
  });

  it('a row whose lease expired on its last attempt (the worker crashed each time) is dead', async () => {
    await enqueue(sequelize, 'account', 801, 1);
    await sequelize.query("UPDATE syncOutbox SET status = 'processing', attempts = 3, leaseId = 'x', availableAt = '2000-01-01 00:00:00'");
    const target = new RecordingTarget();
    const r = await drainOf(sequelize, { maxAttempts: 3 }).round(target);
    expect(r.dead).to.equal(1);
    expect(target.pushes).to.have.length(0);
    expect((await rows())[0]!.lastError).to.match(/lease expired on each of 3 attempts/);
  });

  it('purge deletes done rows older than SYNC_RETENTION_DAYS in batches, and nothing else', async () => {
    await enqueue(sequelize, 'account', 901, 5);
    await drainOf(sequelize).drain(new RecordingTarget());
    await enqueue(sequelize, 'account', 902, 2);
    await sequelize.query(
      "UPDATE syncOutbox SET processedAt = '2020-01-01 00:00:00' WHERE aggregateId = 901 AND id IN (SELECT id FROM (SELECT id FROM syncOutbox WHERE aggregateId = 901 ORDER BY id LIMIT 4) x)",
    );
    const deleted = await drainOf(sequelize).purge(3);
    expect(deleted).to.equal(4);
    const left = await rows();
    expect(left.map((r) => `${r.aggregateId}:${r.status}`)).to.deep.equal(['901:done', '902:pending', '902:pending']);
  });

  it('the repeatable Bull job of a target drains its outbox in a worker', async () => {
    const rt = await testRuntime();
    await enqueue(sequelize, 'account', 1101, 4);
    await enqueue(sequelize, 'account', 1102, 1);
    const target = new RecordingTarget();
    setSyncTargetForTests(sequelize, 'netsuite', target);
    const worker = new BullQueue(TEST_REDIS_URL, `amt-test-sync-${randomUUID().slice(0, 8)}`, silent);
    try {
      const ctx = { ...rt, queue: worker, config: { ...rt.config, sync: { ...rt.config.sync, pollIntervalSeconds: 1 } } };
      for (const job of syncJobs(ctx)) worker.register(job);
      await worker.startWorkers();
      for (let i = 0; i < 200 && (await SyncOutbox.count({ where: { target: 'netsuite', status: 'done' } })) < 5; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(await SyncOutbox.count({ where: { target: 'netsuite', status: 'done' } })).to.equal(5);
      expect(target.items().map((i) => [i.id, i.events.length])).to.have.deep.members([
        [1101, 4],
        [1102, 1],
      ]);
      const repeat = await worker.queue('sync-netsuite').getRepeatableJobs();
      expect(repeat.map((r) => r.cron)).to.deep.equal(['*/1 * * * * *']);
    } finally {
      await worker.close();
      setSyncTargetForTests(sequelize, 'netsuite', null);
    }
  });

  it('registers one repeatable Bull queue per target and the purge (Bull Board lists them)', async () => {
    const runtime = await testRuntime();
    const defs = syncJobs(runtime);
    expect(defs.map((d) => d.name)).to.deep.equal(['sync-netsuite', 'sync-salesforce', 'sync-purge']);
    expect(syncQueueName('salesforce')).to.equal('sync-salesforce');
    expect(defs[0]!.repeat).to.deep.equal([{ key: 'sync-netsuite', cron: '*/5 * * * * *', data: {} }]);
    if (runtime.queue instanceof BullQueue) {
      const names = runtime.queue.allQueues().map((q) => q.name);
      expect(names).to.include.members(['sync-netsuite', 'sync-salesforce', 'sync-purge']);
    }
  });
});
