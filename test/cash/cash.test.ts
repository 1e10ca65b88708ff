import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { IdempotencyKey } from '../../src/modules/access/clients.models';
import { Employee } from '../../src/modules/access/models';
import { Account } from '../../src/modules/accounts/models';
import { assertCashBelowLimit, cashPosition, DEFAULT_AGENT_CASH_LIMIT } from '../../src/modules/cash/cash-limit';
import { AgentRemittance, CashCollection } from '../../src/modules/cash/models';
import { Payment, Receipt } from '../../src/modules/payments/models';
import { HttpProblem } from '../../src/platform/http/problem';
import { api, loginAs, testRuntime } from '../support/app';
import { createMarket, expectBooksBalanced, openAccount, type Market } from '../support/lending';
import { call, entryLines } from '../lending/support';

describe('agent cash: collections, limits and remittances', () => {
  let market: Market;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
  });

  const collect = (token: string, accountId: number, amount: string, clientCollectionId: string = randomUUID(), extra: Record<string, unknown> = {}) =>
    call('post', '/cash-collections', token, { clientCollectionId, accountId, amount, collectedAt: new Date().toISOString(), ...extra });
  const remit = (token: string, body: Record<string, unknown>) => call('post', '/agent-remittances', token, body, { 'Idempotency-Key': randomUUID() });
  const agentIn = (m: Market = market) => loginAs('agent', { regionIds: [m.region.id] });

  it('posts a collection at once as a cash payment (Dr 1120 / Cr 1200) with its receipt', async () => {
    const { user, token } = await agentIn();
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, startDate: '2026-11-20' });
    const id = randomUUID();
    const res = await collect(token, account.id, '100.00', id, { latitude: -1.2921, longitude: 36.8219 });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.collection).to.include({
      clientCollectionId: id,
      agentId: user.employee.id,
      accountId: account.id,
      customerId: account.customerId,
      amount: '100.00',
      status: 'posted',
      latitude: '-1.2921000',
      longitude: '36.8219000',
    });
    expect(res.body.payment).to.include({ accountId: account.id, amount: '100.00', channel: 'cash', transactionRef: id });
    expect(res.body.receipt.receiptNumber).to.equal(res.body.payment.receiptNumber);
    expect(await Receipt.count({ where: { paymentId: res.body.payment.id } })).to.equal(1);
    expect((await Payment.findByPk(res.body.payment.id))!.createdBy).to.equal(user.employee.id);
    expect(await entryLines('payment', res.body.payment.id)).to.deep.equal([['1120 Dr 100.00', '1200 Cr 100.00']]);
    expect((await Account.findByPk(account.id))!.status).to.equal('active');
    const again = await call('get', `/cash-collections/${res.body.collection.id}`, token);
    expect(again.status).to.equal(200);
    expect(again.body.receipt).to.deep.equal(res.body.receipt);
    await expectBooksBalanced([account.id]);
  });

  it('a retry with the same clientCollectionId answers the first result and never doubles, even concurrently', async function () {
    this.timeout(60000);
    const { token } = await agentIn();
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const id = randomUUID();
    const first = await collect(token, account.id, '150.00', id);
    expect(first.status).to.equal(201);
    const retry = await collect(token, account.id, '150.00', id);
    expect(retry.status).to.equal(200);
    expect(retry.headers['idempotent-replayed']).to.equal('true');
    expect(retry.body).to.deep.equal(first.body);

    const burstId = randomUUID();
    const burst = await Promise.all(Array.from({ length: 20 }, () => collect(token, account.id, '25.00', burstId)));
    expect(burst.map((r) => r.status).sort()).to.deep.equal([...Array(19).fill(200), 201]);
    expect(new Set(burst.map((r) => r.body.payment.id)).size).to.equal(1);
    expect(await CashCollection.count({ where: { accountId: account.id } })).to.equal(2);
    expect(await Payment.count({ where: { accountId: account.id } })).to.equal(2);

    const otherAmount = await collect(token, account.id, '151.00', id);
    expect(otherAmount.status).to.equal(422);
    expect(otherAmount.body.type).to.match(/client-collection-id-reused$/);
    const { token: someoneElse } = await agentIn();
    expect((await collect(someoneElse, account.id, '150.00', id)).status).to.equal(409);
    expect(await Payment.count({ where: { accountId: account.id } })).to.equal(2);
    await expectBooksBalanced([account.id]);
  });

  it('refuses with 401, 403, 404 (account in another region) and 400 naming fields; nothing is posted', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    expect((await (await api()).post('/api/v1/cash-collections').send({})).status).to.equal(401);
    const { token: collections } = await loginAs('collections');
    expect((await collect(collections, account.id, '10.00')).status).to.equal(403);
    const other = await createMarket();
    const { token: elsewhere } = await agentIn(other);
    expect((await collect(elsewhere, account.id, '10.00')).status).to.equal(404);
    const { token } = await agentIn();
    const bad = await call('post', '/cash-collections', token, {
      clientCollectionId: 'not-a-uuid',
      accountId: 'x',
      amount: 10,
      collectedAt: 'soon',
      colour: 'red',
      latitude: 1,
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).to.include.members(['clientCollectionId', 'accountId', 'amount', 'collectedAt', 'colour']);
    const future = await collect(token, account.id, '10.00', randomUUID(), { collectedAt: new Date(Date.now() + 86_400_000).toISOString() });
    expect(future.status).to.equal(400);
    expect(await Payment.count({ where: { accountId: account.id } })).to.equal(0);
  });

  it('at the cash limit the agent is refused (403 cash-limit-exceeded, sales too) until a remittance is confirmed (Dr 1110 / Cr 1120)', async function () {
    this.timeout(60000);
    const { user, token } = await agentIn();
    await Employee.update({ cashLimit: '500.00' }, { where: { id: user.employee.id } });
    const account = await openAccount(market, { price: '5000.00', downPayment: '100.00', duration: 10, startDate: '2026-11-20' });
    expect((await collect(token, account.id, '300.00')).status).to.equal(201);
    expect((await collect(token, account.id, '250.00')).status).to.equal(201); // below the limit before it: taken
    const refused = await collect(token, account.id, '10.00');
    expect(refused.status).to.equal(403);
    expect(refused.body.type).to.match(/cash-limit-exceeded$/);
    expect(refused.body.detail).to.match(/[Rr]emit/);
    expect(refused.body).to.include({ balance: '550.00', limit: '500.00' });
    // the check sales call (POST /accounts by an agent)
    const rt = await testRuntime();
    const sale = await assertCashBelowLimit(rt.sequelize, user.employee.id).catch((e: unknown) => e);
    expect(sale).to.be.instanceOf(HttpProblem);
    expect((sale as HttpProblem).status).to.equal(403);

    const cash = await call('get', `/agents/${user.employee.id}/cash`, token);
    expect(cash.status).to.equal(200);
    expect(cash.body).to.include({ balance: '550.00', limit: '500.00', limitSource: 'employee', blocked: true });
    expect(cash.body.openCollections).to.have.length(2);

    const mismatch = await remit(token, { amount: '500.00', method: 'office_cash' });
    expect(mismatch.status).to.equal(422);
    expect(mismatch.body).to.include({ expected: '550.00' });
    const handed = await remit(token, { amount: '550.00', method: 'office_cash', reference: 'BAG-7' });
    expect(handed.status).to.equal(201);
    expect(handed.body).to.include({ status: 'pending', amount: '550.00', agentId: user.employee.id });
    expect(handed.body.collectionIds).to.have.length(2);
    expect((await collect(token, account.id, '10.00')).status).to.equal(403); // pending is not confirmed

    const { token: agentsBoss } = await loginAs('supervisor', { regionIds: [market.region.id] });
    const confirmed = await call('post', `/agent-remittances/${handed.body.id}/confirm`, agentsBoss);
    expect(confirmed.status, JSON.stringify(confirmed.body)).to.equal(200);
    expect(confirmed.body).to.include({ status: 'confirmed' });
    expect(await entryLines('remittance', handed.body.id)).to.deep.equal([['1110 Dr 550.00', '1120 Cr 550.00']]);
    expect(await CashCollection.count({ where: { agentRemittanceId: handed.body.id, status: 'remitted' } })).to.equal(2);
    expect((await call('post', `/agent-remittances/${handed.body.id}/confirm`, agentsBoss)).status).to.equal(409);

    const after = await call('get', `/agents/${user.employee.id}/cash`, agentsBoss);
    expect(after.body).to.include({ balance: '0.00', blocked: false });
    expect((await collect(token, account.id, '10.00')).status).to.equal(201);
    await expectBooksBalanced([account.id]);
  });

  it('a remittance stores its Idempotency-Key answer with the remittance (its transaction): the key holds the 201 body, a retry replays it, one remittance', async () => {
    const { token } = await agentIn();
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, startDate: '2026-11-20' });
    expect((await collect(token, account.id, '100.00')).status).to.equal(201);
    const key = randomUUID();
    const first = await call('post', '/agent-remittances', token, { amount: '100.00', method: 'office_cash' }, { 'Idempotency-Key': `${key}-2` });
    expect(first.status).to.equal(201);
    const stored = (await IdempotencyKey.findOne({ where: { idempotencyKey: `${key}-2` } }))!;
    expect(stored).to.include({ status: 'completed', responseStatus: 201 });
    expect(stored.responseBody).to.deep.equal(first.body);
    const again = await call('post', '/agent-remittances', token, { amount: '100.00', method: 'office_cash' }, { 'Idempotency-Key': `${key}-2` });
    expect(again.status).to.equal(201);
    expect(again.headers['idempotent-replayed']).to.equal('true');
    expect(again.body).to.deep.equal(first.body);
    expect(await AgentRemittance.count({ where: { id: first.body.id } })).to.equal(1);
  });

  it('the confirmer must not be the agent (403); a rejected remittance puts the cash back on the agent', async () => {
    // supervisors both collect and confirm: their own remittance is still someone else's to confirm
    const { user, token } = await loginAs('supervisor', { regionIds: [market.region.id] });
    const account = await openAccount(market, { startDate: '2026-11-20' });
    expect((await collect(token, account.id, '40.00')).status).to.equal(201);
    const handed = await remit(token, { amount: '40.00', method: 'bank_deposit', reference: 'DEP-1' });
    expect(handed.status).to.equal(201);
    const own = await call('post', `/agent-remittances/${handed.body.id}/confirm`, token);
    expect(own.status).to.equal(403);
    expect(own.body.type).to.match(/four-eyes$/);
    expect((await call('post', `/agent-remittances/${handed.body.id}/reject`, token, { reason: 'mine' })).status).to.equal(403);

    const { token: finance } = await loginAs('finance');
    expect((await call('post', `/agent-remittances/${handed.body.id}/reject`, finance, {})).status).to.equal(400);
    const rejected = await call('post', `/agent-remittances/${handed.body.id}/reject`, finance, { reason: 'bag was 10 short' });
    expect(rejected.status).to.equal(200);
    expect(rejected.body).to.include({ status: 'rejected' });
    expect((await cashPosition((await testRuntime()).sequelize, user.employee.id)).balance).to.equal('40.00');
    const again = await remit(token, { amount: '40.00', method: 'bank_deposit' });
    expect(again.status).to.equal(201);
    const confirmed = await call('post', `/agent-remittances/${again.body.id}/confirm`, finance);
    expect(confirmed.status).to.equal(200);
    expect(await entryLines('remittance', again.body.id)).to.deep.equal([['1130 Dr 40.00', '1120 Cr 40.00']]);
    expect((await AgentRemittance.findByPk(handed.body.id))!.status).to.equal('rejected');
    expect((await remit(token, { amount: '1.00', method: 'office_cash' })).status).to.equal(422); // nothing left to remit
    await expectBooksBalanced([account.id]);
  });

  it('an agent sees only their own cash; a supervisor sees agents of their regions; the default limit applies', async () => {
    const { user: a, token: aToken } = await agentIn();
    const { user: b } = await agentIn();
    const own = await call('get', `/agents/${a.employee.id}/cash`, aToken);
    expect(own.status).to.equal(200);
    expect(own.body).to.include({ balance: '0.00', limitSource: 'default', limit: DEFAULT_AGENT_CASH_LIMIT, blocked: false });
    expect((await call('get', `/agents/${b.employee.id}/cash`, aToken)).status).to.equal(404);
    const { token: sup } = await loginAs('supervisor', { regionIds: [market.region.id] });
    expect((await call('get', `/agents/${b.employee.id}/cash`, sup)).status).to.equal(200);
    const other = await createMarket();
    const { token: farSup } = await loginAs('supervisor', { regionIds: [other.region.id] });
    expect((await call('get', `/agents/${b.employee.id}/cash`, farSup)).status).to.equal(404);
    expect((await call('get', '/agents/x/cash', sup)).status).to.equal(400);
    expect((await (await api()).get(`/api/v1/agents/${a.employee.id}/cash`)).status).to.equal(401);
    expect((await call('post', '/agent-remittances/999999999/confirm', sup)).status).to.equal(404);
  });
});
