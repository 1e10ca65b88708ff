import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Customer, CustomerNote, NextOfKin } from '../../src/modules/customers/models';
import { SETTLE_SECONDS } from '../../src/modules/change-feed/change-feed.service';
import { createEmployee, loginAs, tokenFor, uniquePhone } from '../support/app';
import { createMarket, type Market } from '../support/lending';
import { call } from '../lending/support';
import type { Outcome } from './support';

async function push(token: string, actions: object[]): Promise<Outcome[]> {
  const res = await call('post', '/sync/push', token, { actions });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.results as Outcome[];
}

const summary = (results: Outcome[]) => results.map((r) => [r.type, r.outcome, r.status]);

describe('POST /sync/push: edits made offline (customer.update, next-of-kin.update with ifMatch)', function () {
  this.timeout(30_000);
  let market: Market;
  let elsewhere: Market;
  let agent: string;

  before(async () => {
    market = await createMarket();
    elsewhere = await createMarket();
    ({ token: agent } = await loginAs('agent', { regionIds: [market.region.id] }));
  });

  const customerBody = (extra: object = {}) => ({ firstName: 'Wanjiru', lastName: 'Kamau', phone: uniquePhone(), regionId: market.region.id, ...extra });

  async function newCustomer(token = agent, body = customerBody()): Promise<{ id: number; version: number }> {
    const res = await call('post', '/customers', token, body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { id: number; version: number };
  }

  it('applies an edit carrying the version the phone read: the customer and a next of kin change, versions move', async () => {
    const customer = await newCustomer();
    const kin = await call('post', `/customers/${customer.id}/next-of-kin`, agent, { name: 'Juma', relationship: 'brother', phone: uniquePhone() });
    expect(kin.status).to.equal(201);
    const [u, k] = [randomUUID(), randomUUID()];
    const results = await push(agent, [
      // The ETag as GET answered it, and the version number as the body carries it: both are If-Match.
      { clientId: u, type: 'customer.update', ifMatch: '"0"', payload: { customerId: customer.id, firstName: 'Njeri' } },
      { clientId: k, type: 'next-of-kin.update', ifMatch: 0, payload: { customerId: customer.id, kinId: kin.body.id, relationship: 'cousin' } },
    ]);
    expect(summary(results)).to.deep.equal([
      ['customer.update', 'done', 200],
      ['next-of-kin.update', 'done', 200],
    ]);
    expect(results[0].result).to.include({ id: customer.id, firstName: 'Njeri', version: 1 });
    expect(results[1].result).to.include({ id: kin.body.id, relationship: 'cousin', version: 1 });
    // The answer is the route's own: the same record GET shows.
    const read = await call('get', `/customers/${customer.id}`, agent);
    expect(read.headers.etag).to.equal('"1"');
    expect(read.body).to.deep.equal(results[0].result);
    expect((await NextOfKin.findByPk(kin.body.id))!.relationship).to.equal('cousin');
  });

  it('a stale version is a 412 for that action only (problem+json, nothing changed); the unrelated actions after it apply', async () => {
    const customer = await newCustomer();
    // Someone else changed the customer since the phone read version 0.
    const other = await call('patch', `/customers/${customer.id}`, agent, { lastName: 'Mwangi' }, { 'If-Match': '"0"' });
    expect(other.status).to.equal(200);
    const [stale, note, fresh] = [randomUUID(), randomUUID(), randomUUID()];
    const second = await newCustomer();
    const results = await push(agent, [
      { clientId: stale, type: 'customer.update', ifMatch: '"0"', payload: { customerId: customer.id, firstName: 'Wairimu' } },
      { clientId: note, type: 'customer-note.create', payload: { customerId: customer.id, note: 'asked for a new phone number' } },
      { clientId: fresh, type: 'customer.update', ifMatch: '"0"', payload: { customerId: second.id, firstName: 'Akinyi' } },
    ]);
    expect(summary(results)).to.deep.equal([
      ['customer.update', 'rejected', 412],
      ['customer-note.create', 'done', 201],
      ['customer.update', 'done', 200],
    ]);
    expect(results[0].problem).to.include({ status: 412, title: 'Precondition Failed' });
    expect(results[0].problem!.type).to.match(/precondition-failed$/);
    expect(results[0].problem!.detail).to.match(/version 1/);
    const row = (await Customer.findByPk(customer.id))!;
    expect([row.firstName, row.lastName, row.version]).to.deep.equal(['Wanjiru', 'Mwangi', 1]);
    expect(await CustomerNote.count({ where: { customerId: customer.id } })).to.equal(1);
    expect((await Customer.findByPk(second.id))!.firstName).to.equal('Akinyi');
  });

  it('a replayed edit is a duplicate with the first answer (the version moves once); the same clientId from another version is a 422', async () => {
    const customer = await newCustomer();
    const [u, stale] = [randomUUID(), randomUUID()];
    const actions = [
      { clientId: u, type: 'customer.update', ifMatch: '"0"', payload: { customerId: customer.id, phone: uniquePhone() } },
      { clientId: stale, type: 'customer.update', ifMatch: '"0"', payload: { customerId: customer.id, firstName: 'Late' } },
    ];
    const first = await push(agent, actions);
    expect(summary(first)).to.deep.equal([
      ['customer.update', 'done', 200],
      ['customer.update', 'rejected', 412],
    ]);
    // The phone never heard the answer: the same push again. Without the clientId the first edit
    // would now be a 412 (the customer is at version 1); it answers as it did.
    const replay = await push(agent, actions);
    expect(summary(replay)).to.deep.equal([
      ['customer.update', 'duplicate', 200],
      ['customer.update', 'rejected', 412],
    ]);
    expect(replay[0].result).to.deep.equal(first[0].result);
    expect(replay[1].problem).to.include({ status: 412 });
    expect((await Customer.findByPk(customer.id))!.version).to.equal(1);
    // The same edit sent alone with its clientId is that same request.
    const { customerId: _path, ...fields } = actions[0].payload;
    const alone = await call('patch', `/customers/${customer.id}`, agent, { clientId: u, ...fields }, { 'If-Match': '"0"' });
    expect(alone.status).to.equal(200);
    expect(alone.headers['idempotent-replayed']).to.equal('true');
    expect(alone.body).to.deep.equal(first[0].result);
    // Its If-Match is part of the request: another version under the same clientId is another request.
    const reused = await push(agent, [{ ...actions[0], ifMatch: '"1"' }]);
    expect(summary(reused)).to.deep.equal([['customer.update', 'rejected', 422]]);
    expect(reused[0].problem!.type).to.match(/idempotency-key-reused$/);
    expect((await Customer.findByPk(customer.id))!.version).to.equal(1);
  });

  it('an edit may depend on a create in the same push: its clientId in the payload becomes the created id', async () => {
    const [c, cu, k, ku] = Array.from({ length: 4 }, () => randomUUID());
    const [email, kinPhone] = [`njeri.${c.slice(0, 8)}@example.com`, uniquePhone()];
    const actions = [
      { clientId: c, type: 'customer.create', payload: customerBody() },
      // A record the phone created offline is at version 0 (what the create answers).
      { clientId: cu, type: 'customer.update', ifMatch: 0, payload: { customerId: c, email } },
      { clientId: k, type: 'next-of-kin.create', payload: { customerId: c, name: 'Otieno', relationship: 'father', phone: uniquePhone() } },
      { clientId: ku, type: 'next-of-kin.update', ifMatch: '"0"', payload: { customerId: c, kinId: k, phone: kinPhone } },
    ];
    const results = await push(agent, actions);
    expect(summary(results)).to.deep.equal([
      ['customer.create', 'done', 201],
      ['customer.update', 'done', 200],
      ['next-of-kin.create', 'done', 201],
      ['next-of-kin.update', 'done', 200],
    ]);
    const customerId = results[0].result!.id;
    expect(results[1].result).to.include({ id: customerId, version: 1, email });
    expect(results[3].result).to.include({ id: results[2].result!.id, customerId, version: 1, phone: kinPhone });
    // The create rejected: the edits that name it are 424, not applied.
    const [c2, cu2] = [randomUUID(), randomUUID()];
    const failed = await push(agent, [
      { clientId: c2, type: 'customer.create', payload: customerBody({ phone: '0712' }) },
      { clientId: cu2, type: 'customer.update', ifMatch: 0, payload: { customerId: c2, firstName: 'Nobody' } },
    ]);
    expect(summary(failed)).to.deep.equal([
      ['customer.create', 'rejected', 400],
      ['customer.update', 'rejected', 424],
    ]);
  });

  it("another region's customer is a 404 for that action only", async () => {
    const { token: backOffice } = await loginAs('back_office');
    const far = await newCustomer(backOffice, customerBody({ regionId: elsewhere.region.id }));
    const near = await newCustomer();
    const results = await push(agent, [
      { clientId: randomUUID(), type: 'customer.update', ifMatch: '"0"', payload: { customerId: far.id, firstName: 'X' } },
      { clientId: randomUUID(), type: 'customer.update', ifMatch: '"0"', payload: { customerId: near.id, firstName: 'Y' } },
    ]);
    expect(summary(results)).to.deep.equal([
      ['customer.update', 'rejected', 404],
      ['customer.update', 'done', 200],
    ]);
    expect((await Customer.findByPk(far.id))!.firstName).to.equal('Wanjiru');
  });

  it('an edit needs its route’s permission: 403 for that action only', async () => {
    // A custom role that may push and read customers, not change them.
    const { token: admin } = await loginAs('admin');
    const name = `pusher_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
    const role = await call('post', '/roles', admin, { name, permissions: ['sync:push', 'customers:read'] });
    expect(role.status, JSON.stringify(role.body)).to.equal(201);
    const reader = await tokenFor(await createEmployee(name, { regionIds: [market.region.id] }));
    const customer = await newCustomer();
    const results = await push(reader, [
      { clientId: randomUUID(), type: 'customer.update', ifMatch: '"0"', payload: { customerId: customer.id, firstName: 'X' } },
    ]);
    expect(summary(results)).to.deep.equal([['customer.update', 'rejected', 403]]);
    expect(results[0].problem!.detail).to.match(/customers:write/);
    expect((await Customer.findByPk(customer.id))!.version).to.equal(0);
  });

  it('ifMatch is for edits only, and must be a version: 400 naming it, nothing applied', async () => {
    const customer = await newCustomer();
    const cases: [object, string][] = [
      [{ clientId: randomUUID(), type: 'customer.create', ifMatch: '"0"', payload: customerBody() }, 'actions.0.ifMatch'],
      [{ clientId: randomUUID(), type: 'customer.update', ifMatch: -1, payload: { customerId: customer.id, firstName: 'X' } }, 'actions.0.ifMatch'],
      [{ clientId: randomUUID(), type: 'customer.update', ifMatch: '"0"', payload: { customerId: customer.id } }, 'actions.0.payload'],
    ];
    for (const [action, field] of cases) {
      const res = await call('post', '/sync/push', agent, { actions: [action] });
      const fields = res.status === 200 ? (res.body.results[0].problem?.errors ?? []) : res.body.errors;
      expect(
        fields.map((e: { field: string }) => e.field),
        JSON.stringify(res.body),
      ).to.include(field);
    }
    expect((await Customer.findByPk(customer.id))!.version).to.equal(0);
  });

  it("the change feed hands the edited customer to the agent's phone", async () => {
    const customer = await newCustomer();
    const kin = await call('post', `/customers/${customer.id}/next-of-kin`, agent, { name: 'Juma', relationship: 'brother', phone: uniquePhone() });
    // A full sync, then wait until everything made so far has settled, and take the cursor after it.
    let cursor: string | undefined;
    for (let more = true; more;) {
      const page = await call('get', `/sync/changes?limit=1000${cursor ? `&since=${cursor}` : ''}`, agent);
      expect(page.status).to.equal(200);
      cursor = page.body.next;
      more = page.body.hasMore;
    }
    await sleep(SETTLE_SECONDS * 1000 + 150);
    for (let more = true; more;) {
      const page = await call('get', `/sync/changes?limit=1000&since=${cursor}`, agent);
      cursor = page.body.next;
      more = page.body.hasMore;
    }
    const results = await push(agent, [
      { clientId: randomUUID(), type: 'customer.update', ifMatch: '"0"', payload: { customerId: customer.id, firstName: 'Chausiku' } },
      { clientId: randomUUID(), type: 'next-of-kin.update', ifMatch: '"0"', payload: { customerId: customer.id, kinId: kin.body.id, name: 'Juma Otieno' } },
    ]);
    expect(results.map((r) => r.outcome)).to.deep.equal(['done', 'done']);
    await sleep(SETTLE_SECONDS * 1000 + 150);
    const changed = await call('get', `/sync/changes?limit=1000&since=${cursor}`, agent);
    expect(changed.status).to.equal(200);
    const customers = changed.body.customers as {
      id: number;
      firstName: string;
      version: number;
      nextOfKin: { id: number; name: string; version: number }[];
    }[];
    expect(customers.map((c) => c.id)).to.deep.equal([customer.id]);
    expect(customers[0]).to.include({ firstName: 'Chausiku', version: 1 });
    expect(customers[0].nextOfKin.find((k) => k.id === kin.body.id)).to.include({ name: 'Juma Otieno', version: 1 });
    // The versions the feed sent are what the next offline edit sends as ifMatch.
    const next = await push(agent, [
      { clientId: randomUUID(), type: 'customer.update', ifMatch: `"${customers[0].version}"`, payload: { customerId: customer.id, lastName: 'Otieno' } },
    ]);
    expect(next.map((r) => r.outcome)).to.deep.equal(['done']);
  });
});
