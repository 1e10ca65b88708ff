import { expect } from 'chai';
import { api, createEmployee, createRegion, loginAs, tokenFor } from '../support/app';
import { freshMarket, payNow } from '../operations/support';
import { CLOSED, NEXT, caseOf, closeDay, lateAccount } from './support';

describe('GET /reports/collections: performance per collector and per region', function () {
  this.timeout(60_000);

  it('counts cases, contacts, promises made and kept and the amount recovered, per collector and region, in scope', async () => {
    const market = await freshMarket();
    const agent = await createEmployee('agent', { regionIds: [market.region.id] });
    const staff = await createEmployee('collections', { regionIds: [market.region.id] });
    const own = await lateAccount(market, 10, { agentId: agent.employee.id });
    const other = await lateAccount(market, 20);
    await closeDay(market, CLOSED);
    const ownCase = Number((await caseOf(own.id))[0]!.id);
    const otherCase = Number((await caseOf(other.id))[0]!.id);
    expect((await caseOf(other.id))[0]!.assignedTo).to.equal(staff.employee.id);

    const agentToken = await tokenFor(agent);
    const staffToken = await tokenFor(staff);
    const post = async (token: string, path: string, body: object) => (await api()).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body);
    const at = '2026-11-21T09:00:00.000Z';
    expect((await post(agentToken, `/collections/cases/${ownCase}/activities`, { activityType: 'call', outcome: 'reached', performedAt: at })).status).to.equal(
      201,
    );
    const visit = await post(agentToken, `/collections/cases/${ownCase}/activities`, {
      activityType: 'visit',
      outcome: 'promised',
      performedAt: at,
      latitude: '-0.1',
      longitude: '34.7',
    });
    expect(
      (await post(agentToken, `/collections/cases/${ownCase}/promises`, { amount: '90', date: NEXT, collectionActivityId: visit.body.id })).status,
    ).to.equal(201);
    expect((await post(agentToken, `/collections/cases/${ownCase}/activities`, { activityType: 'note', outcome: 'other', performedAt: at })).status).to.equal(
      201,
    );
    expect(
      (await post(staffToken, `/collections/cases/${otherCase}/activities`, { activityType: 'sms', outcome: 'sms_sent', performedAt: at })).status,
    ).to.equal(201);
    await payNow(own.id, '90.00');
    await closeDay(market, NEXT);

    const backOffice = await loginAs('back_office');
    const res = await (
      await api()
    )
      .get('/api/v1/reports/collections')
      .query({ from: '2026-11-01', to: '2026-11-30', regionId: market.region.id })
      .set('Authorization', `Bearer ${backOffice.token}`);
    expect(res.status).to.equal(200);
    const zero = { casesClosed: 0, promisesPartlyKept: 0, promisesBroken: 0 };
    expect(res.body.collectors).to.deep.equal([
      {
        employeeId: agent.employee.id,
        employeeName: 'Test agent',
        cases: 1,
        casesOpened: 1,
        contacts: 2,
        visits: 1,
        promisesMade: 1,
        promisesKept: 1,
        amountRecovered: '90.00',
        ...zero,
      },
      {
        employeeId: staff.employee.id,
        employeeName: 'Test collections',
        cases: 1,
        casesOpened: 1,
        contacts: 1,
        visits: 0,
        promisesMade: 0,
        promisesKept: 0,
        amountRecovered: '0.00',
        ...zero,
      },
    ]);
    expect(res.body.regions).to.have.length(1);
    expect(res.body.regions[0]).to.include({
      regionId: market.region.id,
      cases: 2,
      contacts: 3,
      visits: 1,
      promisesMade: 1,
      promisesKept: 1,
      amountRecovered: '90.00',
    });

    // Out of the period: nothing.
    const december = await (
      await api()
    )
      .get('/api/v1/reports/collections')
      .query({ from: '2026-12-01', to: '2026-12-31', regionId: market.region.id })
      .set('Authorization', `Bearer ${backOffice.token}`);
    expect(december.body.collectors.map((c: { contacts: number }) => c.contacts)).to.deep.equal([0, 0]);
  });

  it('keeps region-scoped staff to their regions (404), refuses a bad period (422) and the wrong role (403)', async () => {
    const market = await freshMarket();
    const supervisor = await loginAs('supervisor', { regionIds: [(await createRegion()).id] });
    const get = async (token: string, query: object) => (await api()).get('/api/v1/reports/collections').query(query).set('Authorization', `Bearer ${token}`);
    expect((await get(supervisor.token, { regionId: market.region.id })).status).to.equal(404);
    const own = await get(supervisor.token, { from: '2026-11-01', to: '2026-11-30' });
    expect(own.status).to.equal(200);
    expect(own.body.regions.map((r: { regionId: number }) => r.regionId)).to.not.include(market.region.id);
    expect((await get(supervisor.token, { from: '2026-11-30', to: '2026-11-01' })).status).to.equal(422);
    expect((await get(supervisor.token, { from: '2025-01-01', to: '2026-11-01' })).status).to.equal(422);
    const agent = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await get(agent.token, {})).status).to.equal(403);
  });
});
