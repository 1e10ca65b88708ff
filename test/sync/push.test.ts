import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Account } from '../../src/modules/accounts/models';
import { Customer, CustomerDocument, CustomerNote } from '../../src/modules/customers/models';
import { api, loginAs, uniquePhone } from '../support/app';
import { createMarket, createPlan, expectBooksBalanced, type Market } from '../support/lending';
import { Payment } from '../../src/modules/payments/models';
import { call } from '../lending/support';
import type { Outcome } from './support';

async function push(token: string, actions: object[]) {
  return call('post', '/sync/push', token, { actions });
}

describe('offline-first writes: clientId on creates and POST /sync/push', () => {
  let market: Market;
  let elsewhere: Market;
  let agent: string;
  let plan: { product: { id: number }; payplan: { id: number } };

  before(async () => {
    market = await createMarket();
    elsewhere = await createMarket();
    ({ token: agent } = await loginAs('agent', { regionIds: [market.region.id] }));
    plan = await createPlan();
  });

  const customerBody = (extra: object = {}) => ({ firstName: 'Wanjiru', lastName: 'Kamau', phone: uniquePhone(), regionId: market.region.id, ...extra });

  describe('a create with a clientId', () => {
    it('answers a retry with the first result (the same 201, Idempotent-Replayed: true) and makes one customer', async () => {
      const body = customerBody({ clientId: randomUUID() });
      const first = await call('post', '/customers', agent, body);
      expect(first.status, JSON.stringify(first.body)).to.equal(201);
      const retry = await call('post', '/customers', agent, body);
      expect(retry.status).to.equal(201);
      expect(retry.headers['idempotent-replayed']).to.equal('true');
      expect(retry.body).to.deep.equal(first.body);
      expect(await Customer.count({ where: { phone: body.phone } })).to.equal(1);
    });

    it('refuses the same clientId with another body (422) and writes nothing', async () => {
      const clientId = randomUUID();
      const first = await call('post', '/customers', agent, customerBody({ clientId }));
      expect(first.status).to.equal(201);
      const other = customerBody({ clientId });
      const reused = await call('post', '/customers', agent, other);
      expect(reused.status).to.equal(422);
      expect(reused.body.type).to.match(/idempotency-key-reused$/);
      expect(await Customer.count({ where: { phone: other.phone } })).to.equal(0);
    });

    it('makes one row when the same create arrives several times at once (the unique key settles the race)', async () => {
      const body = customerBody({ clientId: randomUUID() });
      const answers = await Promise.all(Array.from({ length: 6 }, () => call('post', '/customers', agent, body)));
      const statuses = answers.map((a) => a.status);
      expect(
        statuses.every((s) => s === 201 || s === 409),
        statuses.join(),
      ).to.equal(true);
      const created = answers.filter((a) => a.status === 201);
      expect(created.length).to.be.greaterThan(0);
      // Every 201 is the same customer; a 409 (still in progress) tells the phone to retry later.
      expect(new Set(created.map((a) => a.body.id)).size).to.equal(1);
      expect(await Customer.count({ where: { phone: body.phone } })).to.equal(1);
      const later = await call('post', '/customers', agent, body);
      expect(later.status).to.equal(201);
      expect(later.body.id).to.equal(created[0].body.id);
    });

    it('accounts too: a retried sale opens one account', async () => {
      const customer = await call('post', '/customers', agent, customerBody());
      const sale = { clientId: randomUUID(), customerId: customer.body.id, productId: plan.product.id, payplanId: plan.payplan.id };
      const [a, b] = [await call('post', '/accounts', agent, sale), await call('post', '/accounts', agent, sale)];
      expect(a.status, JSON.stringify(a.body)).to.equal(201);
      expect(b.status).to.equal(201);
      expect(b.body.id).to.equal(a.body.id);
      expect(await Account.count({ where: { customerId: customer.body.id } })).to.equal(1);
    });

    it('a KYC document upload (multipart) with a clientId form field: a retry answers the first document, another file is a 422', async () => {
      const customer = await call('post', '/customers', agent, customerBody());
      const png = (body: string) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(body)]);
      const clientId = randomUUID();
      const upload = async (bytes: Buffer) =>
        (await api())
          .post(`/api/v1/customers/${customer.body.id}/documents`)
          .set('Authorization', `Bearer ${agent}`)
          .field('documentType', 'selfie')
          .field('clientId', clientId)
          .attach('file', bytes, { filename: 'me.png', contentType: 'image/png' });
      const first = await upload(png('selfie'));
      expect(first.status, JSON.stringify(first.body)).to.equal(201);
      const retry = await upload(png('selfie'));
      expect(retry.status).to.equal(201);
      expect(retry.headers['idempotent-replayed']).to.equal('true');
      expect(retry.body).to.deep.equal(first.body);
      const other = await upload(png('another selfie'));
      expect(other.status).to.equal(422);
      expect(await CustomerDocument.count({ where: { customerId: customer.body.id } })).to.equal(1);
    });

    it('a clientId that is not a UUID v4 is a 400 naming clientId', async () => {
      const res = await call('post', '/customers', agent, customerBody({ clientId: 'not-a-uuid' }));
      expect(res.status).to.equal(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).to.deep.equal(['clientId']);
    });
  });

  describe('POST /sync/push', () => {
    it('applies actions in order; the third rejected, its dependent rejected, the rest applied; a replay answers the same', async () => {
      const [c1, a1, c2, n2, n1] = Array.from({ length: 5 }, () => randomUUID());
      const goodPhone = uniquePhone();
      const actions = [
        { clientId: c1, type: 'customer.create', payload: { firstName: 'Akinyi', lastName: 'Otieno', phone: goodPhone, regionId: market.region.id } },
        // References the customer made in the same push by its clientId.
        { clientId: a1, type: 'account.create', payload: { customerId: c1, productId: plan.product.id, payplanId: plan.payplan.id } },
        { clientId: c2, type: 'customer.create', payload: { firstName: 'Bad', lastName: 'Phone', phone: '0712', regionId: market.region.id } },
        { clientId: n2, type: 'customer-note.create', payload: { customerId: c2, note: 'visited, will pay Friday' } },
        { clientId: n1, type: 'customer-note.create', payload: { customerId: c1, note: 'prefers SMS' }, dependsOn: [a1] },
      ];
      const res = await push(agent, actions);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const results = res.body.results as Outcome[];
      expect(results.map((r) => [r.clientId, r.outcome, r.status])).to.deep.equal([
        [c1, 'done', 201],
        [a1, 'done', 201],
        [c2, 'rejected', 400],
        [n2, 'rejected', 424],
        [n1, 'done', 201],
      ]);
      const customerId = results[0].result!.id;
      expect(results[1].result).to.include({ customerId });
      expect(results[2].problem!.errors!.map((e) => e.field)).to.deep.equal(['actions.2.payload.phone']);
      expect(results[3].problem).to.include({ status: 424, title: 'Failed Dependency', dependsOn: c2 });
      expect(results[4].result).to.include({ customerId, note: 'prefers SMS' });
      expect(await Customer.count({ where: { phone: goodPhone } })).to.equal(1);
      expect(await Account.count({ where: { customerId } })).to.equal(1);
      expect(await CustomerNote.count({ where: { customerId } })).to.equal(1);

      // The phone never heard the answer and sends the same push again: nothing new, the same answers.
      const replay = await push(agent, actions);
      expect(replay.status).to.equal(200);
      const again = replay.body.results as Outcome[];
      expect(again.map((r) => [r.clientId, r.outcome, r.status])).to.deep.equal([
        [c1, 'duplicate', 201],
        [a1, 'duplicate', 201],
        [c2, 'rejected', 400],
        [n2, 'rejected', 424],
        [n1, 'duplicate', 201],
      ]);
      for (const i of [0, 1, 4]) expect(again[i].result).to.deep.equal(results[i].result);
      expect(await Customer.count({ where: { phone: goodPhone } })).to.equal(1);
      expect(await Account.count({ where: { customerId } })).to.equal(1);
      expect(await CustomerNote.count({ where: { customerId } })).to.equal(1);
    });

    it('a sale and its first cash in one push: the collection refers to the account made before it, and a replay posts once', async () => {
      const [c, a, cash] = [randomUUID(), randomUUID(), randomUUID()];
      const actions = [
        { clientId: c, type: 'customer.create', payload: customerBody() },
        { clientId: a, type: 'account.create', payload: { customerId: c, productId: plan.product.id, payplanId: plan.payplan.id } },
        { clientId: cash, type: 'cash-collection.create', payload: { accountId: a, amount: '100.00', collectedAt: new Date().toISOString() } },
      ];
      const res = await push(agent, actions);
      const results = res.body.results as Outcome[];
      expect(
        results.map((r) => [r.outcome, r.status]),
        JSON.stringify(results),
      ).to.deep.equal([
        ['done', 201],
        ['done', 201],
        ['done', 201],
      ]);
      const accountId = results[1].result!.id;
      const collection = results[2].result as unknown as { collection: { id: number; clientCollectionId: string; accountId: number } };
      expect(collection.collection).to.include({ clientCollectionId: cash, accountId });
      const replay = await push(agent, actions);
      expect((replay.body.results as Outcome[]).map((r) => r.outcome)).to.deep.equal(['duplicate', 'duplicate', 'duplicate']);
      expect(replay.body.results[2].result.collection.id).to.equal(collection.collection.id);
      expect(await Payment.count({ where: { accountId } })).to.equal(1);
      await expectBooksBalanced([accountId]);
    });

    it('an action is the same request as its route alone: a create sent alone first is a duplicate in the push', async () => {
      const clientId = randomUUID();
      const payload = customerBody();
      const alone = await call('post', '/customers', agent, { ...payload, clientId });
      expect(alone.status).to.equal(201);
      const res = await push(agent, [{ clientId, type: 'customer.create', payload }]);
      expect(res.body.results[0]).to.deep.include({ outcome: 'duplicate', status: 201, result: alone.body });
    });

    it("checks region scope per action: another region's customer is a 404 for that action only", async () => {
      const [mine, theirs] = [randomUUID(), randomUUID()];
      const res = await push(agent, [
        { clientId: theirs, type: 'customer.create', payload: customerBody({ regionId: elsewhere.region.id }) },
        { clientId: mine, type: 'customer.create', payload: customerBody() },
      ]);
      expect(res.body.results.map((r: Outcome) => [r.outcome, r.status])).to.deep.equal([
        ['rejected', 404],
        ['done', 201],
      ]);
    });

    it('checks permissions per action (403 for that action only), and the push itself needs sync:push', async () => {
      // Supervisors may push, but do not install devices.
      const { token: supervisor } = await loginAs('supervisor', { regionIds: [market.region.id] });
      const res = await push(supervisor, [
        { clientId: randomUUID(), type: 'installation.create', payload: { accountId: 1, deviceId: 1, latitude: 0, longitude: 0, photos: [] } },
        { clientId: randomUUID(), type: 'customer.create', payload: customerBody() },
      ]);
      expect(res.status).to.equal(200);
      expect(res.body.results.map((r: Outcome) => [r.outcome, r.status])).to.deep.equal([
        ['rejected', 403],
        ['done', 201],
      ]);
      expect(res.body.results[0].problem.detail).to.match(/devices:install/);
      const { token: finance } = await loginAs('finance');
      expect((await push(finance, [{ clientId: randomUUID(), type: 'customer.create', payload: customerBody() }])).status).to.equal(403);
    });

    it("refuses a deactivated agent's token", async () => {
      const gone = await loginAs('agent', { regionIds: [market.region.id] });
      const { token: admin } = await loginAs('admin');
      const off = await call('post', `/employees/${gone.user.employee.id}/deactivate`, admin, { reason: 'left' });
      expect(off.status, JSON.stringify(off.body)).to.equal(200);
      const phone = uniquePhone();
      const res = await push(gone.token, [{ clientId: randomUUID(), type: 'customer.create', payload: customerBody({ phone }) }]);
      expect(res.status).to.equal(401);
      expect(await Customer.count({ where: { phone } })).to.equal(0);
    });

    it('bad input is a 400 naming the field, and nothing is applied', async () => {
      const phone = uniquePhone();
      const good = { clientId: randomUUID(), type: 'customer.create', payload: customerBody({ phone }) };
      const tooMany = Array.from({ length: 101 }, () => ({ ...good, clientId: randomUUID() }));
      const cases: [object[], string][] = [
        [tooMany, 'actions'],
        [[good, { clientId: randomUUID(), type: 'customer.delete', payload: {} }], 'actions.1.type'],
        [[good, { ...good }], 'actions.1'],
        [[{ ...good, clientId: 'abc' }], 'actions.0.clientId'],
        [[{ clientId: randomUUID(), type: 'customer.create' }], 'actions.0.payload'],
      ];
      for (const [actions, field] of cases) {
        const res = await push(agent, actions);
        expect(res.status, field).to.equal(400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).to.include(field);
      }
      expect((await (await api()).post('/api/v1/sync/push').set('Authorization', `Bearer ${agent}`).send({})).status).to.equal(400);
      expect(await Customer.count({ where: { phone } })).to.equal(0);
    });
  });

  describe('optimistic concurrency: ETag and If-Match on what an agent edits', () => {
    it('a customer: GET gives the ETag, a PATCH with it moves it, a stale one is a 412 that changes nothing', async () => {
      const created = await call('post', '/customers', agent, customerBody());
      expect(created.headers.etag).to.equal('"0"');
      const read = await call('get', `/customers/${created.body.id}`, agent);
      expect(read.headers.etag).to.equal('"0"');
      const first = await call('patch', `/customers/${created.body.id}`, agent, { firstName: 'Njeri' }, { 'If-Match': read.headers.etag });
      expect(first.status, JSON.stringify(first.body)).to.equal(200);
      expect(first.headers.etag).to.equal('"1"');
      expect(first.body.version).to.equal(1);
      // A phone that read version 0 before going offline sends its edit later: refused, not merged.
      const stale = await call('patch', `/customers/${created.body.id}`, agent, { firstName: 'Wairimu' }, { 'If-Match': '"0"' });
      expect(stale.status).to.equal(412);
      expect(stale.headers['content-type']).to.match(/application\/problem\+json/);
      expect(stale.body.detail).to.match(/version 1/);
      expect((await Customer.findByPk(created.body.id))!.firstName).to.equal('Njeri');
      // If-Match is optional: without it the write applies (last write wins), and the version moves.
      const blind = await call('patch', `/customers/${created.body.id}`, agent, { lastName: 'Mwangi' });
      expect(blind.status).to.equal(200);
      expect(blind.headers.etag).to.equal('"2"');
    });

    it('two edits from the same version at once: one applies, the other is a 412', async () => {
      const created = await call('post', '/customers', agent, customerBody());
      const answers = await Promise.all(
        ['Amani', 'Baraka', 'Chausiku'].map((firstName) => call('patch', `/customers/${created.body.id}`, agent, { firstName }, { 'If-Match': '"0"' })),
      );
      expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 412, 412]);
      const winner = answers.find((a) => a.status === 200)!;
      const row = (await Customer.findByPk(created.body.id))!;
      expect(row.firstName).to.equal(winner.body.firstName);
      expect(row.version).to.equal(1);
    });

    it('a next of kin: a stale If-Match is a 412', async () => {
      const created = await call('post', '/customers', agent, customerBody());
      const kin = await call('post', `/customers/${created.body.id}/next-of-kin`, agent, { name: 'Juma', relationship: 'brother', phone: uniquePhone() });
      expect(kin.status).to.equal(201);
      expect(kin.body.version).to.equal(0);
      const path = `/customers/${created.body.id}/next-of-kin/${kin.body.id}`;
      const ok = await call('patch', path, agent, { relationship: 'cousin' }, { 'If-Match': '"0"' });
      expect(ok.status).to.equal(200);
      expect(ok.headers.etag).to.equal('"1"');
      const stale = await call('patch', path, agent, { relationship: 'uncle' }, { 'If-Match': '"0"' });
      expect(stale.status).to.equal(412);
      expect(stale.body).to.include({ status: 412, title: 'Precondition Failed' });
    });
  });
});
