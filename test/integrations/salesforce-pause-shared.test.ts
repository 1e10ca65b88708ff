import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import supertest from 'supertest';
import { OutboxDrain } from '../../src/modules/integrations/drain';
import { syncTargetFor } from '../../src/modules/integrations/registry';
import { salesforcePauseKey } from '../../src/modules/integrations/salesforce';
import type { SyncItem, SyncTarget } from '../../src/modules/integrations/sync-target';
import { loadConfig } from '../../src/platform/config';
import { createApp, createRuntime, type Runtime } from '../../src/runtime';
import type { FakeSalesforce } from '../fakes/salesforce';
import { closeTestRuntime, loginAs, testRuntime } from '../support/app';
import { testEnv } from '../support/env';
import { createCustomer, createMarket, type Market } from '../support/lending';
import { CONSUMER_KEY, keyPair, SF_USER, startFake } from './salesforce-support';

const item = (id: number): SyncItem => ({ aggregate: 'customer', id, events: ['customer.updated'], payloads: [{}] });
const LIMIT_PAUSE_MS = 3000;

/**
 * Two runtimes (as two worker processes would have: their own pools, Redis connections and
 * Salesforce clients) on the same Redis and QUEUE_PREFIX: what one learns about Salesforce's API
 * limits pauses the other, through one Redis key with an expiry, and GET /integrations/status of
 * either reports it.
 */
describe('integrations: the Salesforce pause is shared by every worker process (a Redis key with an expiry)', function () {
  this.timeout(60_000);
  let fake: FakeSalesforce;
  let market: Market;
  let a: Runtime;
  let b: Runtime;
  let targetA: SyncTarget;
  let targetB: SyncTarget;
  let finance: string;

  before(async () => {
    await testRuntime();
    market = await createMarket();
    ({ token: finance } = await loginAs('finance'));
    fake = await startFake();
    const env = testEnv({
      QUEUE_PREFIX: `amt-test-pause-${randomUUID().slice(0, 8)}`,
      SALESFORCE_DRIVER: 'rest',
      SALESFORCE_LOGIN_URL: fake.baseUrl,
      SALESFORCE_CONSUMER_KEY: CONSUMER_KEY,
      SALESFORCE_USERNAME: SF_USER,
      SALESFORCE_PRIVATE_KEY: keyPair().privateKey.replace(/\n/g, '\\n'),
      SALESFORCE_LIMIT_PAUSE_MS: String(LIMIT_PAUSE_MS),
      SALESFORCE_PAUSE_SHARE: '0.9',
    });
    a = await createRuntime(loadConfig(env), { role: 'test' });
    b = await createRuntime(loadConfig(env), { role: 'test' });
    targetA = syncTargetFor(a, 'salesforce');
    targetB = syncTargetFor(b, 'salesforce');
  });

  after(async () => {
    await a?.redis?.del(salesforcePauseKey(a));
    await a?.close();
    await b?.close();
    // The runtimes bound the models to their own pools: the suite's runtime is made afresh for the files after this one.
    await closeTestRuntime();
    await fake?.stop();
  });

  beforeEach(async () => {
    await a.redis!.del(salesforcePauseKey(a));
    fake.dailyLimit = 1_000_000;
    fake.apiUsed = 0;
  });

  async function statusOf(rt: Runtime) {
    const res = await supertest(createApp(rt)).get('/api/v1/integrations/status').set('Authorization', `Bearer ${finance}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return (res.body.targets as { target: string; paused: boolean; pausedReason: string | null; pausedUntil: string | null }[]).find(
      (t) => t.target === 'salesforce',
    )!;
  }

  async function waitUnpaused(target: SyncTarget): Promise<void> {
    for (let i = 0; (await target.pauseState!()).paused; i++) {
      if (i > 100) throw new Error('still paused');
      await sleep(100);
    }
  }

  it('REQUEST_LIMIT_EXCEEDED met by one process pauses the other, which sends nothing and leases nothing; both report it; the key expires by itself', async () => {
    const c = await createCustomer(market.region.id);
    fake.dailyLimit = 1;
    fake.apiUsed = 1;
    const [outcome] = await targetA.push([item(c.id)]);
    expect(outcome).to.include({ status: 'retry', retryAfterMs: LIMIT_PAUSE_MS });

    const requests = fake.requests.length;
    const state = await targetB.pauseState!();
    expect(state.paused).to.equal(true);
    expect(state.reason).to.match(/REQUEST_LIMIT_EXCEEDED/);
    const round = await new OutboxDrain({ sequelize: b.sequelize, config: b.config.sync, logger: b.logger }).round(targetB);
    expect(round).to.include({ paused: true, rows: 0, items: 0 });
    expect(fake.requests.length, 'the paused process asked Salesforce nothing').to.equal(requests);

    const pttl = await b.redis!.pttl(salesforcePauseKey(b));
    expect(pttl).to.be.greaterThan(0).and.at.most(LIMIT_PAUSE_MS);
    for (const rt of [a, b]) {
      const s = await statusOf(rt);
      expect(s.paused).to.equal(true);
      expect(s.pausedReason).to.match(/REQUEST_LIMIT_EXCEEDED/);
      expect(Date.parse(s.pausedUntil!)).to.be.greaterThan(Date.now() - 1000);
    }

    // The org's limit is lifted (a new day): once the key has expired, one look at GET /limits and both go on.
    fake.dailyLimit = 1_000_000;
    await waitUnpaused(targetB);
    expect(fake.apiRequests(/\/limits/).length, 'B re-read the usage after the pause').to.be.greaterThan(0);
    await waitUnpaused(targetA);
    expect(await a.redis!.exists(salesforcePauseKey(a))).to.equal(0);
    expect((await statusOf(b)).pausedUntil).to.equal(null);
    const [again] = await targetA.push([item(c.id)]);
    expect(again).to.include({ status: 'done' });
  });

  it('a write Salesforce accepts after the limit ends the pause for every process at once', async () => {
    const c = await createCustomer(market.region.id);
    fake.dailyLimit = 5;
    fake.apiUsed = 5;
    expect((await targetA.push([item(c.id)]))[0]).to.include({ status: 'retry' });
    expect((await targetB.pauseState!()).paused).to.equal(true);
    fake.dailyLimit = 1_000_000;
    // A push that was already leased when the pause began goes through: the limit is lifted.
    expect((await targetA.push([item(c.id)]))[0]).to.include({ status: 'done' });
    expect(await a.redis!.exists(salesforcePauseKey(a))).to.equal(0);
    expect((await targetB.pauseState!()).paused).to.equal(false);
  });

  it('usage past SALESFORCE_PAUSE_SHARE (Sforce-Limit-Info) seen by one process pauses the other, which has made no request at all', async () => {
    const c = await createCustomer(market.region.id);
    fake.dailyLimit = 100;
    fake.apiUsed = 95;
    expect((await targetA.push([item(c.id)]))[0]).to.include({ status: 'done' });
    const seen = await targetA.pauseState!();
    expect(seen.reason).to.match(/\/100 \(9\d\.0%\) is past SALESFORCE_PAUSE_SHARE 0\.9/);
    const requests = fake.requests.length;
    const state = await targetB.pauseState!();
    expect(state.paused).to.equal(true);
    expect(state.reason).to.match(/past SALESFORCE_PAUSE_SHARE 0\.9; every worker paused until/);
    expect(fake.requests.length).to.equal(requests);
    const s = await statusOf(b);
    expect(s).to.include({ paused: true });
    expect(s.pausedUntil).to.be.a('string');
  });
});
