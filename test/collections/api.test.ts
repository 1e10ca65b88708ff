import { expect } from 'chai';
import { SystemLog } from '../../src/modules/audit/models';
import { FieldVisit } from '../../src/modules/collections/models';
import { addDays } from '../../src/platform/dates';
import { api, createEmployee, createRegion, loginAs, tokenFor } from '../support/app';
import { freshMarket, payNow } from '../operations/support';
import { CLOSED, NEXT, caseOf, closeDay, lateAccount } from './support';

describe('collections API: worklist, case, activities, promises, reassignment', function () {
  this.timeout(60_000);
  let market: Awaited<ReturnType<typeof freshMarket>>;
  let agent: Awaited<ReturnType<typeof loginAs>>;
  let caseId: number;
  let accountId: number;

  before(async () => {
    market = await freshMarket();
    agent = await loginAs('agent', { regionIds: [market.region.id] });
    const account = await lateAccount(market, 12, { agentId: agent.user.employee.id });
    accountId = account.id;
    await lateAccount(market, 30); // unassigned: no staff in the region
    await closeDay(market, CLOSED);
    caseId = Number((await caseOf(account.id))[0]!.id);
  });

  const get = async (token: string, path: string) => (await api()).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`);
  const post = async (token: string, path: string, body: object) => (await api()).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body);

  it("shows the agent's own open cases by priority, and no one else's without collections:supervise", async () => {
    const res = await get(agent.token, '/collections/worklist');
    expect(res.status).to.equal(200);
    expect(res.body.data.map((c: { id: number }) => c.id)).to.deep.equal([caseId]);
    expect(res.body.data[0]).to.include({ status: 'open', daysPastDue: 12, assignedTo: agent.user.employee.id, amountAtRisk: '900.00' });
    expect(res.body.data[0].account).to.include({ regionId: market.region.id, status: 'active' });
    expect((await get(agent.token, '/collections/worklist?unassigned=true')).status).to.equal(403);
    const supervisor = await loginAs('supervisor', { regionIds: [market.region.id] });
    const unassigned = await get(supervisor.token, '/collections/worklist?unassigned=true');
    expect(unassigned.status).to.equal(200);
    expect(unassigned.body.data).to.have.length(1);
    expect(unassigned.body.data[0]).to.include({ daysPastDue: 30, assignedTo: null, priority: 'normal' });
    const mine = await get(supervisor.token, `/collections/worklist?assignedTo=${agent.user.employee.id}&minDaysPastDue=10`);
    expect(mine.body.data.map((c: { id: number }) => c.id)).to.deep.equal([caseId]);
    expect((await get(supervisor.token, '/collections/worklist?assignedTo=1&unassigned=true')).status).to.equal(400);
  });

  it('hides another region: a case there is a 404 for a region-scoped agent, and not on their worklist', async () => {
    const elsewhere = await loginAs('agent', { regionIds: [(await createRegion()).id] });
    expect((await get(elsewhere.token, `/collections/cases/${caseId}`)).status).to.equal(404);
    expect((await post(elsewhere.token, `/collections/cases/${caseId}/activities`, { activityType: 'call', outcome: 'reached' })).status).to.equal(404);
    expect((await get(elsewhere.token, '/collections/worklist')).body.data).to.deep.equal([]);
  });

  it('records calls, SMS and visits (GPS required: a field visit), audited; the wrong role is a 403', async () => {
    const call = await post(agent.token, `/collections/cases/${caseId}/activities`, { activityType: 'call', outcome: 'no_answer', notes: 'rang twice' });
    expect(call.status).to.equal(201);
    expect(call.body).to.include({ activityType: 'call', outcome: 'no_answer', performedBy: agent.user.employee.id, fieldVisitId: null });
    expect((await post(agent.token, `/collections/cases/${caseId}/activities`, { activityType: 'call', outcome: 'maybe' })).status).to.equal(400);
    const noGps = await post(agent.token, `/collections/cases/${caseId}/activities`, { activityType: 'visit', outcome: 'not_home' });
    expect(noGps.status).to.equal(400);
    expect(JSON.stringify(noGps.body)).to.contain('latitude');
    const gpsOnCall = await post(agent.token, `/collections/cases/${caseId}/activities`, { activityType: 'call', outcome: 'reached', latitude: '-1.28' });
    expect(gpsOnCall.status).to.equal(400);
    const visit = await post(agent.token, `/collections/cases/${caseId}/activities`, {
      activityType: 'visit',
      outcome: 'reached',
      latitude: '-1.2863890',
      longitude: '36.8172230',
    });
    expect(visit.status).to.equal(201);
    const fv = await FieldVisit.findByPk(visit.body.fieldVisitId);
    expect(fv).to.include({ collectionCaseId: caseId, accountId, purpose: 'collection', latitude: '-1.2863890', longitude: '36.8172230', outcome: 'reached' });

    const detail = await get(agent.token, `/collections/cases/${caseId}`);
    expect(detail.status).to.equal(200);
    expect(detail.body.status).to.equal('in_progress');
    expect(detail.body.lastContactAt).to.be.a('string');
    expect(detail.body.activities).to.have.length(2);
    expect(detail.body.fieldVisits).to.have.length(1);
    const logged = await SystemLog.findAll({ where: { action: 'collectionCase.activity', userId: agent.user.employee.id } });
    expect(logged).to.have.length(2);

    const finance = await loginAs('finance');
    expect((await post(finance.token, `/collections/cases/${caseId}/activities`, { activityType: 'call', outcome: 'reached' })).status).to.equal(403);
  });

  it('records a promise to pay; a date in the past (or too far ahead) is a 422 and writes nothing', async () => {
    const past = await post(agent.token, `/collections/cases/${caseId}/promises`, { amount: '90.00', date: CLOSED });
    expect(past.status).to.equal(422);
    expect(past.body.errors[0]).to.include({ field: 'date' });
    expect((await post(agent.token, `/collections/cases/${caseId}/promises`, { amount: '90.00', date: addDays(NEXT, 61) })).status).to.equal(422);
    expect((await post(agent.token, `/collections/cases/${caseId}/promises`, { amount: '-5', date: NEXT })).status).to.equal(400);
    expect((await post(agent.token, `/collections/cases/${caseId}/promises`, { amount: '0.00', date: NEXT })).status).to.equal(400);
    expect((await get(agent.token, `/collections/cases/${caseId}`)).body.promises).to.deep.equal([]);
    const ok = await post(agent.token, `/collections/cases/${caseId}/promises`, { amount: '90', date: addDays(NEXT, 2) });
    expect(ok.status).to.equal(201);
    expect(ok.body).to.include({
      promisedAmount: '90.00',
      promisedDate: addDays(NEXT, 2),
      promisedOn: NEXT,
      status: 'open',
      createdBy: agent.user.employee.id,
    });
    expect((await get(agent.token, `/collections/cases/${caseId}`)).body).to.include({ status: 'promise' });
  });

  it('reassigns with collections:supervise only, to someone who can work the case, audited', async () => {
    const staff = await createEmployee('collections', { regionIds: [market.region.id] });
    const finance = await createEmployee('finance');
    expect((await post(agent.token, `/collections/cases/${caseId}/reassign`, { employeeId: staff.employee.id, reason: 'holiday' })).status).to.equal(403);
    const supervisor = await loginAs('supervisor', { regionIds: [market.region.id] });
    const wrong = await post(supervisor.token, `/collections/cases/${caseId}/reassign`, { employeeId: finance.employee.id, reason: 'holiday' });
    expect(wrong.status).to.equal(422);
    const moved = await post(supervisor.token, `/collections/cases/${caseId}/reassign`, { employeeId: staff.employee.id, reason: 'agent on leave' });
    expect(moved.status).to.equal(200);
    expect(moved.body).to.include({ id: caseId, assignedTo: staff.employee.id });
    const log = await SystemLog.findOne({ where: { action: 'collectionCase.reassign', entityId: caseId } });
    expect(log!.userId).to.equal(supervisor.user.employee.id);
    expect((await get(await tokenFor(staff), '/collections/worklist')).body.data.map((c: { id: number }) => c.id)).to.deep.equal([caseId]);
  });

  it('refuses to work a closed case (409)', async () => {
    await payNow(accountId, '180.00');
    await closeDay(market, NEXT);
    expect((await caseOf(accountId))[0]).to.include({ status: 'closed' });
    const res = await post(agent.token, `/collections/cases/${caseId}/activities`, { activityType: 'call', outcome: 'reached' });
    expect(res.status).to.equal(409);
    expect((await post(agent.token, `/collections/cases/${caseId}/promises`, { amount: '10', date: addDays(NEXT, 3) })).status).to.equal(409);
  });
});
