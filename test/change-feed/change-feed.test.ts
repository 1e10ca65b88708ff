import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { randomUUID } from 'node:crypto';
import { CollectionCase } from '../../src/modules/collections/models';
import { Customer, CustomerAddress } from '../../src/modules/customers/models';
import { Device, DeviceToken } from '../../src/modules/devices/models';
import { createDeviceModel } from '../devices/support';
import { CloseDayService } from '../../src/modules/operations/close-day.service';
import { SETTLE_SECONDS } from '../../src/modules/change-feed/change-feed.service';
import { changesPageSchema } from '../../src/modules/change-feed/change-feed.responses';
import { api, loginAs, testRuntime } from '../support/app';
import { createMarket, openAccount, type Market } from '../support/lending';
import { CLOSED, freshMarket, payNow } from '../operations/support';

interface Page {
  customers: { id: number; regionId: number; firstName: string }[];
  accounts: { id: number; regionId: number; balance: string; daysPastDue: number; schedule: unknown[] }[];
  payments: { id: number; regionId: number; accountId: number }[];
  tokens: { id: number }[];
  collectionCases: { id: number }[];
  repossessions: { id: number }[];
  deleted: { entityType: string; id: number }[];
  next: string;
  hasMore: boolean;
  full: boolean;
}

/** What the feed named, as sorted "type:id" keys (upserts and deletes apart). */
function keysOf(pages: Page[]) {
  const upserts = pages.flatMap((p) => [
    ...p.customers.map((c) => `customer:${c.id}`),
    ...p.accounts.map((a) => `account:${a.id}`),
    ...p.payments.map((x) => `payment:${x.id}`),
    ...p.tokens.map((x) => `token:${x.id}`),
    ...p.collectionCases.map((x) => `collectionCase:${x.id}`),
    ...p.repossessions.map((x) => `repossession:${x.id}`),
  ]);
  return { upserts: [...new Set(upserts)].sort(), deleted: pages.flatMap((p) => p.deleted.map((d) => `${d.entityType}:${d.id}`)).sort() };
}

async function feed(token: string, query: Record<string, string | number>, status = 200) {
  const res = await (await api()).get('/api/v1/sync/changes').set('Authorization', `Bearer ${token}`).query(query).expect(status);
  // Every answer as the OpenAPI document declares it (every key, nothing more).
  expect(changesPageSchema.validate(res.body).error?.message).to.equal(undefined);
  return res.body as Page;
}

/** Every page from `since` (none: a first sync) until hasMore is false. */
async function drain(token: string, since?: string, limit = 200): Promise<{ pages: Page[]; next: string }> {
  const pages: Page[] = [];
  let cursor = since;
  for (;;) {
    const page = await feed(token, { limit, ...(cursor ? { since: cursor } : {}) });
    pages.push(page);
    cursor = page.next;
    if (!page.hasMore) return { pages, next: cursor };
  }
}

/** Changes are handed out once settled: wait until what was just committed is. */
const settle = () => sleep(SETTLE_SECONDS * 1000 + 150);

/** The working set of a region, read from the tables. */
async function workingSet(regionId: number): Promise<string[]> {
  const { sequelize } = await testRuntime();
  const q = (sql: string) => sequelize.query<{ k: string }>(sql, { type: QueryTypes.SELECT, replacements: [regionId] });
  const rows = [
    ...(await q("SELECT CONCAT('customer:', id) AS k FROM customers WHERE regionId = ? AND deletedAt IS NULL")),
    ...(await q("SELECT CONCAT('account:', id) AS k FROM accounts WHERE regionId = ?")),
    ...(await q("SELECT CONCAT('payment:', id) AS k FROM payments WHERE regionId = ?")),
    ...(await q("SELECT CONCAT('token:', t.id) AS k FROM deviceTokens t JOIN accounts a ON a.id = t.accountId WHERE a.regionId = ?")),
  ];
  return rows.map((r) => r.k).sort();
}

describe('GET /sync/changes: the offline agents change feed', function () {
  this.timeout(60_000);
  let east: Market;
  let west: Market;
  let eastAgent: string;
  let westAgent: string;

  before(async () => {
    east = await createMarket();
    west = await createMarket();
    for (let i = 0; i < 3; i++) {
      await payNow((await openAccount(east)).id, '1000.00');
      await payNow((await openAccount(west)).id, '1000.00');
    }
    eastAgent = (await loginAs('agent', { regionIds: [east.region.id] })).token;
    westAgent = (await loginAs('agent', { regionIds: [west.region.id] })).token;
  });

  /** An incremental cursor with everything so far handed out. */
  async function caughtUp(token: string): Promise<string> {
    const full = await drain(token);
    await settle();
    return (await drain(token, full.next)).next;
  }

  it('a first sync returns exactly the agent working set, paged, and nothing of another region', async () => {
    const small = await drain(eastAgent, undefined, 2);
    expect(small.pages.length).to.be.greaterThan(3);
    expect(small.pages.every((p) => p.full)).to.equal(true);
    const { upserts, deleted } = keysOf(small.pages);
    expect(deleted).to.deep.equal([]);
    const named = small.pages.flatMap((p) => keysOf([p]).upserts);
    expect(named.length, 'no entity twice across the pages of a first sync').to.equal(upserts.length);
    expect(upserts).to.deep.equal(await workingSet(east.region.id));
    const regions = small.pages.flatMap((p) => [...p.customers, ...p.accounts, ...p.payments].map((x) => x.regionId));
    expect([...new Set(regions)]).to.deep.equal([east.region.id]);
    // The accounts come with their schedule; one page size or another gives the same set.
    expect(small.pages.flatMap((p) => p.accounts).every((a) => a.schedule.length > 0)).to.equal(true);
    expect(keysOf((await drain(eastAgent, undefined, 1000)).pages).upserts).to.deep.equal(upserts);
    expect(keysOf((await drain(westAgent)).pages).upserts).to.deep.equal(await workingSet(west.region.id));
  });

  it('an incremental sync returns exactly what changed in the agent regions, and the other agent sees only theirs', async () => {
    const eastSince = await caughtUp(eastAgent);
    const westSince = await caughtUp(westAgent);
    const eastAccount = await openAccount(east);
    await payNow(eastAccount.id, '500.00');
    const westAccount = await openAccount(west);
    await settle();
    const { sequelize } = await testRuntime();
    const [payment] = await sequelize.query<{ id: number }>('SELECT id FROM payments WHERE accountId = ? ORDER BY id DESC LIMIT 1', {
      type: QueryTypes.SELECT,
      replacements: [eastAccount.id],
    });

    // The payment is logged once (its INSERT), not again when its receipt number is set.
    const [logged] = await sequelize.query<{ n: number }>("SELECT COUNT(*) AS n FROM changeLog WHERE entityType = 'payment' AND entityId = ?", {
      type: QueryTypes.SELECT,
      replacements: [payment!.id],
    });
    expect(Number(logged!.n)).to.equal(1);

    const eastPages = (await drain(eastAgent, eastSince, 1)).pages;
    expect(keysOf(eastPages)).to.deep.equal({
      upserts: [`account:${eastAccount.id}`, `customer:${eastAccount.customerId}`, `payment:${payment!.id}`].sort(),
      deleted: [],
    });
    // The account's latest state (after the payment), not the state at its opening.
    const account = eastPages.flatMap((p) => p.accounts).find((a) => a.id === eastAccount.id)!;
    const [now] = await sequelize.query<{ balance: string }>('SELECT balance FROM accounts WHERE id = ?', {
      type: QueryTypes.SELECT,
      replacements: [eastAccount.id],
    });
    expect(account.balance).to.equal(now!.balance);
    expect(keysOf((await drain(westAgent, westSince)).pages)).to.deep.equal({
      upserts: [`account:${westAccount.id}`, `customer:${westAccount.customerId}`].sort(),
      deleted: [],
    });
    // Caught up: the last cursor answers nothing new.
    const again = await feed(eastAgent, { since: eastPages.at(-1)!.next });
    expect(keysOf([again])).to.deep.equal({ upserts: [], deleted: [] });
    expect(again.hasMore).to.equal(false);
  });

  it('never skips a change committed late with a smaller id than one already committed', async () => {
    const since = await caughtUp(eastAgent);
    const { sequelize } = await testRuntime();
    const early = await Customer.create({ firstName: 'Early', lastName: 'Id', phone: '+254700000001', regionId: east.region.id });
    const late = await Customer.create({ firstName: 'Late', lastName: 'Commit', phone: '+254700000002', regionId: east.region.id });
    await settle();
    const afterCreates = (await drain(eastAgent, since)).next;

    // A transaction takes the smaller change-log id and stays open while a later one commits.
    const t = await sequelize.transaction();
    await Customer.update({ firstName: 'Slow' }, { where: { id: early.id }, transaction: t });
    await Customer.update({ firstName: 'Quick' }, { where: { id: late.id } });
    await settle();

    // The read waits for the open transaction's row instead of passing over it.
    const reading = feed(eastAgent, { since: afterCreates });
    await sleep(300);
    await t.commit();
    const page = await reading;
    expect(page.customers.map((c) => `${c.id}:${c.firstName}`).sort()).to.deep.equal([`${early.id}:Slow`, `${late.id}:Quick`].sort());
    expect(keysOf([await feed(eastAgent, { since: page.next })]).upserts).to.deep.equal([]);
  });

  it('a rolled-back change leaves no trace and does not hold the feed back', async () => {
    const since = await caughtUp(eastAgent);
    const { sequelize } = await testRuntime();
    const customer = await Customer.create({ firstName: 'Kept', lastName: 'Once', phone: '+254700000003', regionId: east.region.id });
    const t = await sequelize.transaction();
    await Customer.update({ firstName: 'Never' }, { where: { id: customer.id }, transaction: t });
    await t.rollback();
    await settle();
    const page = await feed(eastAgent, { since });
    expect(page.customers.map((c) => c.firstName)).to.deep.equal(['Kept']);
  });

  it("a statement that logged a change does not hold back another writer's log row until it ends", async () => {
    // An INSERT ... SELECT in a trigger took changeLog's table AUTO-INC lock to the end of the
    // statement that fired it, and every other writer of the log waited (issue 17).
    const { sequelize } = await testRuntime();
    const writer = (firstName: string, phone: string) => Customer.create({ firstName, lastName: 'Writer', phone, regionId: east.region.id });
    const first = await writer('First', '+254700000021');
    const second = await writer('Second', '+254700000022');
    const other = await writer('Other', '+254700000023');
    const finished: string[] = [];
    // Logs the first customer's change, then spends a second on the second customer's row.
    const slow = sequelize
      .query(`UPDATE customers SET lastName = IF(id = ? AND SLEEP(1) = 1, 'never', 'Slow') WHERE id IN (?, ?) ORDER BY id`, {
        replacements: [second.id, first.id, second.id],
      })
      .then(() => finished.push('slow'));
    await sleep(300);
    await Customer.update({ lastName: 'Quick' }, { where: { id: other.id } }).then(() => finished.push('quick'));
    await slow;
    expect(finished).to.deep.equal(['quick', 'slow']);
    const logged = await sequelize.query<{ entityId: number }>(`SELECT entityId FROM changeLog WHERE entityType = 'customer' AND entityId IN (?, ?, ?)`, {
      replacements: [first.id, second.id, other.id],
      type: QueryTypes.SELECT,
    });
    // Created and changed: two rows each.
    expect(logged.map((r) => r.entityId).sort()).to.deep.equal([first.id, first.id, second.id, second.id, other.id, other.id].sort());
  });

  it('retirements and moves to another region appear as deletions; the new region hears of the move', async () => {
    const eastSince = await caughtUp(eastAgent);
    const westSince = await caughtUp(westAgent);
    const retired = await Customer.create({ firstName: 'Gone', lastName: 'Soon', phone: '+254700000004', regionId: east.region.id });
    const moving = await Customer.create({ firstName: 'Moving', lastName: 'West', phone: '+254700000005', regionId: east.region.id });
    await retired.destroy();
    await moving.update({ regionId: west.region.id });
    await settle();
    const eastPage = keysOf((await drain(eastAgent, eastSince)).pages);
    expect(eastPage).to.deep.equal({ upserts: [], deleted: [`customer:${moving.id}`, `customer:${retired.id}`].sort() });
    expect(keysOf((await drain(westAgent, westSince)).pages)).to.deep.equal({ upserts: [`customer:${moving.id}`], deleted: [] });
  });

  it("the nightly close's DPD and status changes appear in the feed", async () => {
    const market = await freshMarket();
    const agent = (await loginAs('agent', { regionIds: [market.region.id] })).token;
    // Down payment paid, the first weekly instalment due two weeks before the closed day: overdue.
    const behind = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-10-30' });
    await payNow(behind.id, '100.00');
    const since = await caughtUp(agent);
    const { sequelize } = await testRuntime();
    const service = new CloseDayService(sequelize);
    const { target } = await service.begin(market.country.id, CLOSED);
    for (const range of await service.partitions(target, 1)) await service.runPartition(target, range);
    await service.finish(target);
    await settle();
    const pages = (await drain(agent, since)).pages;
    const [row] = await sequelize.query<{ daysPastDue: number }>('SELECT daysPastDue FROM accounts WHERE id = ?', {
      type: QueryTypes.SELECT,
      replacements: [behind.id],
    });
    expect(row!.daysPastDue).to.be.greaterThan(0);
    expect(keysOf(pages).upserts).to.include(`account:${behind.id}`);
    expect(pages.flatMap((p) => p.accounts).find((a) => a.id === behind.id)!.daysPastDue).to.equal(row!.daysPastDue);
  });

  it("tokens, a customer's records, and the tasks assigned to the agent (a reassigned one as deleted) appear", async () => {
    const agent = await loginAs('agent', { regionIds: [east.region.id] });
    const since = await caughtUp(agent.token);
    const account = await openAccount(east);
    await settle();
    const afterOpening = (await drain(agent.token, since)).next;
    const model = await createDeviceModel();
    const device = await Device.create({ serialNumber: `SN-${randomUUID().slice(0, 12)}`, deviceModelId: model.id, productId: account.productId });
    const token = await DeviceToken.create({
      deviceId: device.id,
      accountId: account.id,
      tokenType: 'ADD_TIME',
      value: 7,
      token: '123456789',
      tokenCount: 1,
      source: 'manual',
    });
    await CustomerAddress.create({ customerId: account.customerId, addressType: 'home', addressLine: 'Plot 7, Kisumu road', isPrimary: true });
    const mine = await CollectionCase.create({ accountId: account.id, assignedTo: agent.user.employee.id, openedOn: '2026-11-20' });
    const other = (await loginAs('agent', { regionIds: [east.region.id] })).user.employee.id;
    const theirs = await CollectionCase.create({ accountId: account.id, assignedTo: other, openedOn: '2026-11-20' });
    await settle();
    const pages = (await drain(agent.token, afterOpening)).pages;
    expect(keysOf(pages)).to.deep.equal({
      upserts: [`collectionCase:${mine.id}`, `customer:${account.customerId}`, `token:${token.id}`].sort(),
      deleted: [`collectionCase:${theirs.id}`],
    });
    const customer = pages.flatMap((p) => p.customers).find((c) => c.id === account.customerId) as unknown as { addresses: { addressLine: string }[] };
    expect(customer.addresses.map((a) => a.addressLine)).to.deep.equal(['Plot 7, Kisumu road']);

    // Reassigned to another agent: it leaves this agent's phone.
    const cursor = pages.at(-1)!.next;
    await mine.update({ assignedTo: other });
    await settle();
    expect(keysOf((await drain(agent.token, cursor)).pages)).to.deep.equal({ upserts: [], deleted: [`collectionCase:${mine.id}`] });
  });

  it('refuses a malformed cursor or limit (400 naming the field), a caller without sync:read (403) and no token (401)', async () => {
    for (const since of [
      'not-a-cursor!',
      Buffer.from('{"p":-1}').toString('base64url'),
      Buffer.from('[1]').toString('base64url'),
      Buffer.from('{"p":1,"f":"x","a":0}').toString('base64url'),
      Buffer.from('{"p":1,"z":2}').toString('base64url'),
    ]) {
      const res = await (await api()).get('/api/v1/sync/changes').set('Authorization', `Bearer ${eastAgent}`).query({ since }).expect(400);
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        since,
      ).to.deep.equal(['since']);
    }
    const res = await (await api()).get('/api/v1/sync/changes').set('Authorization', `Bearer ${eastAgent}`).query({ limit: 0 }).expect(400);
    expect(JSON.stringify(res.body.errors)).to.contain('limit');
    const finance = (await loginAs('finance', { regionIds: [east.region.id] })).token;
    await (await api()).get('/api/v1/sync/changes').set('Authorization', `Bearer ${finance}`).expect(403);
    await (await api()).get('/api/v1/sync/changes').expect(401);
  });
});
