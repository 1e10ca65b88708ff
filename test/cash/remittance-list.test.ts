import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { loginAs } from '../support/app';
import { createMarket, openAccount, type Market } from '../support/lending';
import { call } from '../lending/support';

/** GET /agent-remittances: the list remittances lacked, scoped like GET /agent-remittances/:id. */
describe('agent remittances: the list', () => {
  let market: Market;
  let other: Market;
  let agent: { token: string; id: number };
  const ids: number[] = [];

  const list = (token: string, query = '') => call('get', `/agent-remittances${query}`, token);
  const idsOf = (res: { body: { data: { id: number }[] } }) => res.body.data.map((r) => r.id);

  before(async function () {
    this.timeout(60000);
    market = await createMarket({ businessDate: '2026-11-20' });
    other = await createMarket({ businessDate: '2026-11-20' });
    const a = await loginAs('agent', { regionIds: [market.region.id] });
    agent = { token: a.token, id: a.user.employee.id };
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, startDate: '2026-11-20' });
    // Three remittances of one collection each; the first is rejected (so the statuses differ).
    for (const amount of ['10.00', '20.00', '30.00']) {
      const collected = await call('post', '/cash-collections', agent.token, {
        clientCollectionId: randomUUID(),
        accountId: account.id,
        amount,
        collectedAt: new Date().toISOString(),
      });
      expect(collected.status, JSON.stringify(collected.body)).to.equal(201);
      const r = await call(
        'post',
        '/agent-remittances',
        agent.token,
        { amount, method: 'office_cash', collectionIds: [collected.body.collection.id] },
        { 'Idempotency-Key': randomUUID() },
      );
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      ids.push(r.body.id);
      if (ids.length === 1) {
        const rejected = await call('post', `/agent-remittances/${r.body.id}/reject`, (await loginAs('finance')).token, { reason: 'bag was short' });
        expect(rejected.status).to.equal(200);
      }
    }
  });

  it('an agent sees their own, newest first, filtered by status, paged by cursor', async () => {
    const all = await list(agent.token);
    expect(all.status, JSON.stringify(all.body)).to.equal(200);
    expect(idsOf(all)).to.deep.equal([...ids].reverse());
    expect(all.body.data[0]).to.include({ agentId: agent.id, amount: '30.00', status: 'pending', method: 'office_cash' });
    expect(all.body.data[0].collectionIds).to.have.length(1);
    expect(idsOf(await list(agent.token, '?status=pending'))).to.deep.equal([ids[2], ids[1]]);
    expect(idsOf(await list(agent.token, '?status=rejected'))).to.deep.equal([ids[0]]);
    const first = await list(agent.token, '?limit=2');
    expect(idsOf(first)).to.deep.equal([ids[2], ids[1]]);
    const second = await list(agent.token, `?limit=2&cursor=${first.body.page.nextCursor}`);
    expect(idsOf(second)).to.deep.equal([ids[0]]);
    expect(second.body.page.nextCursor).to.equal(null);
  });

  it("another agent sees none of them, and asking for this agent's is a 404", async () => {
    const otherAgent = await loginAs('agent', { regionIds: [market.region.id] });
    expect(idsOf(await list(otherAgent.token))).to.deep.equal([]);
    expect((await list(otherAgent.token, `?agentId=${agent.id}`)).status).to.equal(404);
  });

  it("a supervisor sees the agents of their regions (another region's agent is a 404); head office sees all", async () => {
    const sup = await loginAs('supervisor', { regionIds: [market.region.id] });
    expect(idsOf(await list(sup.token, `?agentId=${agent.id}`))).to.deep.equal([...ids].reverse());
    expect(idsOf(await list(sup.token))).to.include.members(ids);
    const elsewhere = await loginAs('supervisor', { regionIds: [other.region.id] });
    expect((await list(elsewhere.token, `?agentId=${agent.id}`)).status).to.equal(404);
    expect(idsOf(await list(elsewhere.token))).to.not.include.members([ids[0]]);
    const backOffice = await loginAs('back_office');
    expect(idsOf(await list(backOffice.token, `?agentId=${agent.id}&status=pending`))).to.deep.equal([ids[2], ids[1]]);
  });

  it('400 naming the field for a bad status, agentId or cursor; 401 without a token', async () => {
    for (const [query, field] of [
      ['?status=lost', 'status'],
      ['?agentId=x', 'agentId'],
      ['?cursor=%%%', 'cursor'],
    ]) {
      const res = await list(agent.token, query);
      expect(res.status, query).to.equal(400);
      expect(JSON.stringify(res.body), query).to.contain(field);
    }
    expect((await call('get', '/agent-remittances', undefined)).status).to.equal(401);
  });
});
