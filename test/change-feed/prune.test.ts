import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { SETTLE_SECONDS } from '../../src/modules/change-feed/change-feed.service';
import { pruneChangeLog } from '../../src/modules/change-feed/prune';
import { CloseDayService } from '../../src/modules/operations/close-day.service';
import { api, loginAs, testRuntime } from '../support/app';
import { createMarket, openAccount, type Market } from '../support/lending';
import { CLOSED, freshMarket, payNow } from '../operations/support';

interface Page {
  payments: { id: number }[];
  accounts: { id: number }[];
  next: string;
  hasMore: boolean;
  full: boolean;
}

const settle = () => sleep(SETTLE_SECONDS * 1000 + 150);

async function rows<T extends object>(sql: string, replacements: unknown[] = []): Promise<T[]> {
  const { sequelize } = await testRuntime();
  return sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });
}

const count = async (where: string, replacements: unknown[] = []) =>
  Number((await rows<{ n: number }>(`SELECT COUNT(*) AS n FROM changeLog WHERE ${where}`, replacements))[0]!.n);
const horizon = async () => Number((await rows<{ h: number }>('SELECT prunedThroughId AS h FROM changeLogHorizon WHERE id = 1'))[0]!.h);
const maxId = async () => Number((await rows<{ m: number }>('SELECT MAX(id) AS m FROM changeLog'))[0]!.m);

/** Makes the log rows up to `id` look 40 days old (the retention is 30). */
async function age(throughId: number): Promise<void> {
  const { sequelize } = await testRuntime();
  await sequelize.query('UPDATE changeLog SET changedAt = NOW(3) - INTERVAL 40 DAY WHERE id <= ?', { replacements: [throughId] });
}

async function feed(token: string, query: Record<string, string | number>, status = 200) {
  const res = await (await api()).get('/api/v1/sync/changes').set('Authorization', `Bearer ${token}`).query(query).expect(status);
  return res;
}

async function drain(token: string, since?: string): Promise<{ pages: Page[]; next: string }> {
  const pages: Page[] = [];
  let cursor = since;
  for (;;) {
    const page = (await feed(token, cursor ? { since: cursor } : {})).body as Page;
    pages.push(page);
    cursor = page.next;
    if (!page.hasMore) return { pages, next: cursor };
  }
}

describe('changeLog pruning (CHANGE_LOG_RETENTION_DAYS) and the cursor older than the kept log', function () {
  this.timeout(60_000);
  let market: Market;

  before(async () => {
    market = await createMarket();
    for (let i = 0; i < 3; i++) await payNow((await openAccount(market)).id, '1000.00');
  });

  it('deletes the rows older than the retention in batches, raises the horizon to them, and a second run does nothing', async () => {
    const { sequelize } = await testRuntime();
    const mine = (await rows<{ id: number }>('SELECT id FROM changeLog WHERE regionId = ? ORDER BY id', [market.region.id])).map((r) => Number(r.id));
    expect(mine.length).to.be.greaterThan(6);
    const cut = mine[Math.floor(mine.length / 2)]!;
    await age(cut);
    const old = await count('id <= ?', [cut]);
    const kept = await count('id > ?', [cut]);

    const first = await pruneChangeLog(sequelize, { retentionDays: 30, batchSize: 2 });
    expect(first).to.deep.equal({ deleted: old, batches: Math.floor(old / 2) + 1, prunedThroughId: cut });
    expect(await count('id <= ?', [cut])).to.equal(0);
    expect(await count('id > ?', [cut])).to.equal(kept);
    expect(await horizon()).to.equal(cut);

    // Run twice: nothing more to do, nothing newer touched.
    expect(await pruneChangeLog(sequelize, { retentionDays: 30, batchSize: 2 })).to.deep.equal({ deleted: 0, batches: 1, prunedThroughId: cut });
    expect(await count('id > ?', [cut])).to.equal(kept);
    // A longer retention keeps what it would have kept, but the horizon never goes back.
    await age(mine.at(-1)!);
    expect(await pruneChangeLog(sequelize, { retentionDays: 60 })).to.deep.equal({ deleted: 0, batches: 1, prunedThroughId: cut });
    expect(await count('id > ?', [cut])).to.equal(kept);
  });

  it('a run killed after raising the horizon, or half way through its batches, is finished by the next', async () => {
    const { sequelize } = await testRuntime();
    await payNow((await openAccount(market)).id, '1000.00');
    const through = await maxId();
    // Killed after step 2: the horizon is committed, some of the rows below it deleted, not all.
    await sequelize.query('UPDATE changeLogHorizon SET prunedThroughId = ? WHERE id = 1', { replacements: [through] });
    const lowest = Number((await rows<{ m: number }>('SELECT MIN(id) AS m FROM changeLog'))[0]!.m);
    await sequelize.query('DELETE FROM changeLog WHERE id <= ?', { replacements: [lowest] });
    const left = await count('id <= ?', [through]);
    expect(left).to.be.greaterThan(0);
    // Nothing is older than the retention now (those rows are recent), yet the stored horizon is kept to.
    const r = await pruneChangeLog(sequelize, { retentionDays: 30, batchSize: 3 });
    expect(r).to.deep.include({ deleted: left, prunedThroughId: through });
    expect(await count('id <= ?', [through])).to.equal(0);
    expect(await horizon()).to.equal(through);
  });

  it('a cursor older than the horizon is a 410 problem telling the phone to do a full sync; the full sync gives a cursor that works', async () => {
    const { sequelize } = await testRuntime();
    const agent = (await loginAs('agent', { regionIds: [market.region.id] })).token;
    const full = await drain(agent);
    await settle();
    const stale = (await drain(agent, full.next)).next;
    // Changes after the phone's cursor, then pruned before it syncs again.
    const account = await openAccount(market);
    await payNow(account.id, '1000.00');
    await age(await maxId());
    await pruneChangeLog(sequelize, { retentionDays: 30 });
    const gone = await feed(agent, { since: stale }, 410);
    expect(gone.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(gone.body).to.deep.include({ status: 410, title: 'Gone', type: 'https://amt.example/problems/sync-cursor-expired' });
    expect(gone.body.detail).to.match(/full sync/);

    // A full sync: the whole working set (the new account included), and a cursor at or past the horizon.
    const again = await drain(agent);
    expect(again.pages.flatMap((p) => p.accounts.map((a) => a.id))).to.include(account.id);
    await settle();
    const caughtUp = (await drain(agent, again.next)).next;
    const later = await openAccount(market);
    await payNow(later.id, '500.00');
    await settle();
    const page = await drain(agent, caughtUp);
    expect(page.pages.flatMap((p) => p.accounts.map((a) => a.id))).to.deep.equal([later.id]);
  });

  it('runs as a step of the nightly close (registered by the change-feed module) with the configured retention', async () => {
    const { sequelize } = await testRuntime();
    const closing = await freshMarket();
    await payNow((await openAccount(closing)).id, '1000.00');
    const through = await maxId();
    await age(through);
    const service = new CloseDayService(sequelize);
    const { target } = await service.begin(closing.country.id, CLOSED);
    for (const range of await service.partitions(target, 1)) await service.runPartition(target, range);
    const { counts } = await service.finish(target);
    expect(counts['changeLogPrune.deleted']).to.be.greaterThan(0);
    expect(await count('id <= ?', [through])).to.equal(0);
    expect(await horizon()).to.be.at.least(through);
  });
});
