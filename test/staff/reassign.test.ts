import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Account } from '../../src/modules/accounts/models';
import { CommissionEntry } from '../../src/modules/commissions/models';
import { Customer } from '../../src/modules/customers/models';
import { SystemLog } from '../../src/modules/audit/models';
import { api, createEmployee, createRegion, loginAs } from '../support/app';
import { createMarket, type Market } from '../support/lending';
import { pay } from '../lending/support';
import { createCommissionPlan, sellAccount, STAGED } from '../commissions/support';

async function reassign(token: string, fromId: number, body: Record<string, unknown>, key = randomUUID()) {
  return (await api()).post(`/api/v1/employees/${fromId}/reassign`).set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send(body);
}

/** A portfolio for `agentId` in the market: customers of their own, and accounts sold by them (each with its customer). */
async function portfolio(market: Market, agentId: number, accounts: number, loneCustomers: number) {
  const sold: Account[] = [];
  for (let i = 0; i < accounts; i++) {
    const account = await sellAccount(market, agentId, { price: '5000.00', downPayment: '500.00', duration: 10, startDate: '2026-11-20' });
    await Customer.update({ agentId }, { where: { id: account.customerId } });
    sold.push(account);
  }
  for (let i = 0; i < loneCustomers; i++) {
    await Customer.create({ firstName: 'Lone', lastName: randomUUID().slice(0, 6), phone: '+254711000001', regionId: market.region.id, agentId });
  }
  return sold;
}

describe('staff: reassigning an agent’s portfolio', () => {
  let market: Market;
  let cashier: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: cashier } = await loginAs('finance'));
    await createCommissionPlan([
      { eventType: 'sale', amount: '1000.00', stages: STAGED, clawbackWithinDays: 90, regionId: market.region.id },
      { eventType: 'collection', percentage: '2.0000', regionId: market.region.id },
    ]);
  });

  it('moves customers and open accounts in one go, audited; earned commissions stay with the earner, new ones go to the new agent; a replay moves nothing twice', async () => {
    const from = await createEmployee('agent', { regionIds: [market.region.id] });
    const to = await createEmployee('agent', { regionIds: [market.region.id] });
    const [a1, a2, a3] = await portfolio(market, from.employee.id, 3, 2);
    expect((await pay(cashier, a1!.id, '500.00')).status).to.equal(201); // activates a1: the sale commission is earned by `from`
    await Account.update({ status: 'closed' }, { where: { id: a3!.id } }); // a closed account keeps its agent
    const earnedBefore = await CommissionEntry.findAll({ where: { employeeId: from.employee.id }, order: [['id', 'ASC']], raw: true });
    expect(earnedBefore.length).to.be.greaterThan(0);

    const { token: sup } = await loginAs('supervisor', { regionIds: [market.region.id] });
    const key = randomUUID();
    const res = await reassign(sup, from.employee.id, { toEmployeeId: to.employee.id }, key);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.deep.equal({
      fromEmployeeId: from.employee.id,
      toEmployeeId: to.employee.id,
      customers: 5,
      accounts: 2,
      regionIds: [market.region.id],
    });
    expect(await Customer.count({ where: { agentId: from.employee.id } })).to.equal(0);
    expect(await Customer.count({ where: { agentId: to.employee.id } })).to.equal(5);
    expect((await Account.findByPk(a1!.id))!.agentId).to.equal(to.employee.id);
    expect((await Account.findByPk(a2!.id))!.agentId).to.equal(to.employee.id);
    expect((await Account.findByPk(a3!.id))!.agentId).to.equal(from.employee.id);

    // What was earned stays with the earner.
    expect(await CommissionEntry.findAll({ where: { employeeId: from.employee.id }, order: [['id', 'ASC']], raw: true })).to.deep.equal(earnedBefore);
    // What accrues from now goes to the new agent.
    expect((await pay(cashier, a1!.id, '300.00')).status).to.equal(201);
    expect(await CommissionEntry.count({ where: { employeeId: to.employee.id, accountId: a1!.id, eventType: 'collection' } })).to.equal(1);
    expect(await CommissionEntry.count({ where: { employeeId: from.employee.id } })).to.equal(earnedBefore.length);

    const logs = await SystemLog.findAll({ where: { action: 'employee.reassign_portfolio', entityId: from.employee.id } });
    expect(logs.length).to.equal(1);
    const after = logs[0]!.newValues as { agentId: number; customerIds: number[]; accountIds: number[] };
    expect(after.agentId).to.equal(to.employee.id);
    expect(after.customerIds.length).to.equal(5);
    expect([...after.accountIds].sort((x, y) => x - y)).to.deep.equal([a1!.id, a2!.id].sort((x, y) => x - y));

    // The same Idempotency-Key replays the first answer; a new key finds nothing left to move.
    const replay = await reassign(sup, from.employee.id, { toEmployeeId: to.employee.id }, key);
    expect(replay.status).to.equal(200);
    expect(replay.body).to.deep.equal(res.body);
    const again = await reassign(sup, from.employee.id, { toEmployeeId: to.employee.id });
    expect(again.body).to.include({ customers: 0, accounts: 0 });
    expect(await SystemLog.count({ where: { action: 'employee.reassign_portfolio', entityId: from.employee.id } })).to.equal(2);
  });

  it('the receiving agent must cover every region moved (422 naming them); nothing moves', async () => {
    const elsewhere = await createRegion();
    const from = await createEmployee('agent', { regionIds: [market.region.id] });
    const to = await createEmployee('agent', { regionIds: [elsewhere.id] });
    await portfolio(market, from.employee.id, 1, 1);
    const { token: admin } = await loginAs('admin');
    const res = await reassign(admin, from.employee.id, { toEmployeeId: to.employee.id });
    expect(res.status).to.equal(422);
    expect(res.body.type).to.contain('region-not-covered');
    expect(res.body.regionIds).to.deep.equal([market.region.id]);
    expect(await Customer.count({ where: { agentId: from.employee.id } })).to.equal(2);
    expect(await Account.count({ where: { agentId: from.employee.id } })).to.equal(1);
  });

  it('a supervisor moves only within their regions: another region’s agent is a 404; agents may not reassign (403); self and deactivated targets are 422', async () => {
    const theirs = await createRegion();
    const from = await createEmployee('agent', { regionIds: [market.region.id] });
    const stranger = await createEmployee('agent', { regionIds: [theirs.id] });
    const gone = await createEmployee('agent', { regionIds: [market.region.id], isActive: false });
    await portfolio(market, from.employee.id, 0, 1);
    const { token: sup } = await loginAs('supervisor', { regionIds: [market.region.id] });
    expect((await reassign(sup, stranger.employee.id, { toEmployeeId: from.employee.id })).status).to.equal(404);
    expect((await reassign(sup, from.employee.id, { toEmployeeId: stranger.employee.id })).status).to.equal(404);
    expect((await reassign(sup, from.employee.id, { toEmployeeId: from.employee.id })).status).to.equal(422);
    const toGone = await reassign(sup, from.employee.id, { toEmployeeId: gone.employee.id });
    expect(toGone.status).to.equal(422);
    expect(toGone.body.field).to.equal('toEmployeeId');
    const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await reassign(agent, from.employee.id, { toEmployeeId: gone.employee.id })).status).to.equal(403);
    const noKey = await (await api()).post(`/api/v1/employees/${from.employee.id}/reassign`).set('Authorization', `Bearer ${sup}`).send({ toEmployeeId: 1 });
    expect(noKey.status).to.equal(400);
    expect(await Customer.count({ where: { agentId: from.employee.id } })).to.equal(1);
  });

  it('concurrent reassignments: the same portfolio to two agents moves once; A to B and B to A at once both finish', async () => {
    const a = await createEmployee('agent', { regionIds: [market.region.id] });
    const b = await createEmployee('agent', { regionIds: [market.region.id] });
    const c = await createEmployee('agent', { regionIds: [market.region.id] });
    await portfolio(market, a.employee.id, 2, 4);
    await portfolio(market, b.employee.id, 1, 2);
    const { token: admin } = await loginAs('admin');

    const [toB, toC] = await Promise.all([
      reassign(admin, a.employee.id, { toEmployeeId: b.employee.id }),
      reassign(admin, a.employee.id, { toEmployeeId: c.employee.id }),
    ]);
    expect([toB.status, toC.status]).to.deep.equal([200, 200]);
    expect(toB.body.customers + toC.body.customers).to.equal(6);
    expect(toB.body.accounts + toC.body.accounts).to.equal(2);
    expect([toB.body.customers, toC.body.customers]).to.include(0);
    expect(await Customer.count({ where: { agentId: a.employee.id } })).to.equal(0);

    const before = { b: await Customer.count({ where: { agentId: b.employee.id } }), c: await Customer.count({ where: { agentId: c.employee.id } }) };
    const [bToC, cToB] = await Promise.all([
      reassign(admin, b.employee.id, { toEmployeeId: c.employee.id }),
      reassign(admin, c.employee.id, { toEmployeeId: b.employee.id }),
    ]);
    expect([bToC.status, cToB.status]).to.deep.equal([200, 200]);
    const after = { b: await Customer.count({ where: { agentId: b.employee.id } }), c: await Customer.count({ where: { agentId: c.employee.id } }) };
    expect(after.b + after.c).to.equal(before.b + before.c);
    // Serialised on the two agents' rows: whichever ran second took everything the first had handed over.
    expect([after.b, after.c]).to.include(0);
  });

  it('a deactivated agent’s portfolio moves: their customers stay until reassigned', async () => {
    const from = await createEmployee('agent', { regionIds: [market.region.id] });
    const to = await createEmployee('agent', { regionIds: [market.region.id] });
    await portfolio(market, from.employee.id, 1, 0);
    const { token: admin } = await loginAs('admin');
    await (await api()).post(`/api/v1/employees/${from.employee.id}/deactivate`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(await Customer.count({ where: { agentId: from.employee.id } })).to.equal(1);
    const res = await reassign(admin, from.employee.id, { toEmployeeId: to.employee.id });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ customers: 1, accounts: 1 });
  });
});
