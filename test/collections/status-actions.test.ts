import { expect } from 'chai';
import { AccountStatusHistory, Repossession } from '../../src/modules/accounts/models';
import { SystemLog } from '../../src/modules/audit/models';
import { api, loginAs } from '../support/app';
import { expectBooksBalanced } from '../support/lending';
import { freshMarket } from '../operations/support';
import { CLOSED, NEXT, caseOf, closeDay, lateAccount } from './support';

describe('manual status actions: suspend, reactivate, mark for repossession, close as settled', function () {
  this.timeout(60_000);
  let backOffice: Awaited<ReturnType<typeof loginAs>>;
  const act = async (token: string, accountId: number, action: string, body: object = { reason: 'customer asked to pause' }) =>
    (await api()).post(`/api/v1/accounts/${accountId}/${action}`).set('Authorization', `Bearer ${token}`).send(body);

  before(async () => {
    backOffice = await loginAs('back_office');
  });

  it('suspends and reactivates through the lifecycle, with history rows and audit; illegal moves are 409, the wrong role 403', async () => {
    const market = await freshMarket();
    const account = await lateAccount(market, 0);
    const agent = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await act(agent.token, account.id, 'suspend')).status).to.equal(403);
    expect((await act(backOffice.token, account.id, 'suspend', {})).status).to.equal(400);
    expect((await act(backOffice.token, account.id, 'reactivate')).status).to.equal(409);

    const suspended = await act(backOffice.token, account.id, 'suspend', { reason: 'fraud check' });
    expect(suspended.status).to.equal(200);
    expect(suspended.body).to.include({ accountId: account.id, previousStatus: 'active', status: 'suspended', repossessionId: null });
    expect((await act(backOffice.token, account.id, 'suspend')).status).to.equal(409);
    const again = await act(backOffice.token, account.id, 'reactivate', { reason: 'check passed' });
    expect(again.body).to.include({ previousStatus: 'suspended', status: 'active' });

    const histories = await AccountStatusHistory.findAll({ where: { accountId: account.id }, order: [['id', 'ASC']] });
    expect(histories.slice(-2).map((h) => [h.previousStatus, h.newStatus, h.reason, h.changedBy, h.businessDate])).to.deep.equal([
      ['active', 'suspended', 'fraud check: suspended by hand', backOffice.user.employee.id, CLOSED],
      ['suspended', 'active', 'check passed: reactivated by hand', backOffice.user.employee.id, CLOSED],
    ]);
    const logs = await SystemLog.findAll({ where: { entity: 'accounts', entityId: account.id }, order: [['id', 'ASC']] });
    expect(logs.map((l) => l.action)).to.deep.equal(['account.suspend', 'account.reactivate']);
    expect((await act(backOffice.token, 2147483000, 'suspend')).status).to.equal(404);
  });

  it("refuses to reactivate beyond the plan's limit and to close an account that still owes", async () => {
    const market = await freshMarket();
    const account = await lateAccount(market, 40, { daysUntilSuspension: 30 });
    await closeDay(market, CLOSED);
    const res = await act(backOffice.token, account.id, 'reactivate');
    expect(res.status).to.equal(409);
    expect(res.body.detail).to.contain('beyond');
    const close = await act(backOffice.token, account.id, 'close-settled');
    expect(close.status).to.equal(409);
    expect(close.body.detail).to.contain('still owes');
  });

  it('marks an account in arrears for repossession (not a current one): suspended, a repossession scheduled, the case escalated by the next close', async () => {
    const market = await freshMarket();
    const current = await lateAccount(market, 0);
    const late = await lateAccount(market, 10);
    await closeDay(market, CLOSED);
    const refused = await act(backOffice.token, current.id, 'mark-for-repossession');
    expect(refused.status).to.equal(409);
    expect(refused.body.detail).to.contain('current account');
    expect(await Repossession.count({ where: { accountId: current.id } })).to.equal(0);

    const marked = await act(backOffice.token, late.id, 'mark-for-repossession', { reason: 'customer unreachable for a month' });
    expect(marked.status).to.equal(200);
    expect(marked.body).to.include({ previousStatus: 'active', status: 'suspended', daysPastDue: 10 });
    const r = await Repossession.findByPk(marked.body.repossessionId);
    expect(r).to.include({ accountId: late.id, status: 'scheduled', scheduledFor: NEXT, reason: 'customer unreachable for a month' });
    expect((await act(backOffice.token, late.id, 'mark-for-repossession')).status).to.equal(409);

    await closeDay(market, NEXT);
    expect((await caseOf(late.id))[0]).to.include({ status: 'repossession_review', escalationReason: 'marked for repossession', priority: 'urgent' });
    await expectBooksBalanced([late.id, current.id]);
  });
});
