import { expect } from 'chai';
import { SystemLog } from '../../src/modules/audit/models';
import { DeviceToken } from '../../src/modules/devices/models';
import { SystemSetting } from '../../src/modules/organisation/reference.models';
import { SupportTicket } from '../../src/modules/support/models';
import { commentSchema, ticketSchema } from '../../src/modules/support/support.responses';
import { DEFAULT_SLA_HOURS, SLA_SETTING } from '../../src/modules/support/tickets.service';
import { loginAs } from '../support/app';
import { createMarket, type Market } from '../support/lending';
import { call } from '../lending/support';
import { expectDeclared } from '../inventory/support';
import { paidAccountWithDevice, type Login } from './support';

const HOUR = 3_600_000;

function slaSpan(body: { slaDueAt: string; createdAt: string }): number {
  return new Date(body.slaDueAt).getTime() - new Date(body.createdAt).getTime();
}

describe('support tickets: open, scope, SLA, status machine, assignment, comments, token help', function () {
  this.timeout(120_000);
  let market: Market;
  let backOffice: Login;
  let agent: Login;
  let supervisor: Login;
  let elsewhere: Login;

  before(async () => {
    market = await createMarket();
    backOffice = await loginAs('back_office');
    agent = await loginAs('agent', { regionIds: [market.region.id] });
    supervisor = await loginAs('supervisor', { regionIds: [market.region.id] });
    elsewhere = await loginAs('agent', { regionIds: [(await createMarket()).region.id] });
  });

  it("opens a ticket with the category's SLA, seen in the customer's region only; bad input is a 400 naming the field", async () => {
    const { account, device } = await paidAccountWithDevice(market, backOffice.token);
    const res = await call('post', '/support/tickets', agent.token, {
      accountId: account.id,
      deviceId: device.id,
      category: 'device_fault',
      subject: 'Lamp flickers',
      priority: 'high',
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expectDeclared(ticketSchema, res.body);
    expect(res.body).to.include({
      customerId: account.customerId,
      accountId: account.id,
      deviceId: device.id,
      status: 'open',
      priority: 'high',
      channel: 'agent',
      openedBy: agent.user.employee.id,
      overdue: false,
    });
    expect(res.body.ticketNumber).to.match(/^TK\d{8}$/);
    expect(slaSpan(res.body)).to.be.closeTo(DEFAULT_SLA_HOURS.device_fault * HOUR, 2000);

    // Another region: 404 on the ticket, absent from the list; no support:read: 403.
    expect((await call('get', `/support/tickets/${res.body.id}`, elsewhere.token)).status).to.equal(404);
    expect((await call('get', `/support/tickets?accountId=${account.id}`, elsewhere.token)).body.data).to.deep.equal([]);
    expect((await call('post', '/support/tickets', elsewhere.token, { accountId: account.id, category: 'complaint', subject: 'Rude agent' })).status).to.equal(
      404,
    );
    const finance = await loginAs('finance');
    expect((await call('get', '/support/tickets', finance.token)).status).to.equal(403);
    const listed = await call('get', `/support/tickets?accountId=${account.id}&category=device_fault`, agent.token);
    expect(listed.body.data.map((t: { id: number }) => t.id)).to.deep.equal([res.body.id]);

    // Bad input: the field is named, nothing written.
    const before = await SupportTicket.count();
    const bad = async (body: object, field: string) => {
      const r = await call('post', '/support/tickets', agent.token, body);
      expect(r.status, JSON.stringify(r.body)).to.equal(400);
      expect(r.body.errors.map((e: { field: string }) => e.field)).to.include(field);
    };
    await bad({ accountId: account.id, category: 'weather', subject: 'Rain' }, 'category');
    await bad({ accountId: account.id, category: 'complaint' }, 'subject');
    await bad({ customerId: account.customerId, deviceId: device.id, category: 'device_fault', subject: 'Broken' }, 'accountId');
    await bad({ category: 'complaint', subject: 'Who am I' }, 'customerId');
    expect(await SupportTicket.count()).to.equal(before);

    // The SLA from systemSettings support.sla.
    await SystemSetting.create({ key: SLA_SETTING, value: { complaint: 2 } });
    try {
      const complaint = await call('post', '/support/tickets', backOffice.token, {
        customerId: account.customerId,
        category: 'complaint',
        subject: 'Slow service',
        channel: 'call_centre',
      });
      expect(complaint.status).to.equal(201);
      expect(complaint.body).to.include({ channel: 'call_centre', accountId: null });
      expect(slaSpan(complaint.body)).to.be.closeTo(2 * HOUR, 2000);
    } finally {
      await SystemSetting.destroy({ where: { key: SLA_SETTING } });
    }
  });

  it('moves through open -> in_progress -> resolved -> closed, reopens, refuses illegal changes (409); assigns and reassigns; lists overdue tickets', async () => {
    const { account } = await paidAccountWithDevice(market, backOffice.token);
    const opened = await call('post', '/support/tickets', backOffice.token, {
      accountId: account.id,
      category: 'billing_question',
      subject: 'Why two charges?',
    });
    const id = opened.body.id as number;
    const patch = (token: string, body: object) => call('patch', `/support/tickets/${id}`, token, body);

    const illegal = await patch(supervisor.token, { status: 'resolved', resolution: 'explained' });
    expect(illegal.status).to.equal(409);
    expect(illegal.body).to.include({ from: 'open', to: 'resolved' });
    expect((await patch(supervisor.token, { status: 'closed' })).status).to.equal(409);
    expect((await patch(supervisor.token, { status: 'sleeping' })).status).to.equal(400);
    expect((await patch(supervisor.token, {})).status).to.equal(400);
    expect((await patch(elsewhere.token, { status: 'in_progress' })).status).to.equal(404);

    // Assignment: someone of another region cannot work it (422); the supervisor's agent can; then reassigned.
    const far = await patch(supervisor.token, { assignedTo: elsewhere.user.employee.id });
    expect(far.status).to.equal(422);
    expect(far.body.errors[0].field).to.equal('assignedTo');
    const assigned = await patch(supervisor.token, { assignedTo: agent.user.employee.id, status: 'in_progress' });
    expect(assigned.status, JSON.stringify(assigned.body)).to.equal(200);
    expect(assigned.body).to.include({ assignedTo: agent.user.employee.id, status: 'in_progress' });
    expect(assigned.body.assignedAt).to.be.a('string');
    const reassigned = await patch(supervisor.token, { assignedTo: supervisor.user.employee.id });
    expect(reassigned.body.assignedTo).to.equal(supervisor.user.employee.id);
    const mine = await call('get', `/support/tickets?assignedTo=${supervisor.user.employee.id}&status=in_progress`, supervisor.token);
    expect(mine.body.data.map((t: { id: number }) => t.id)).to.include(id);

    // Resolving needs a resolution (400 naming it); then resolved, closed, reopened.
    const noResolution = await patch(agent.token, { status: 'resolved' });
    expect(noResolution.status).to.equal(400);
    expect(noResolution.body.errors[0].field).to.equal('resolution');
    const resolved = await patch(agent.token, { status: 'resolved', resolution: 'Explained the fee' });
    expect(resolved.body).to.include({ status: 'resolved', resolution: 'Explained the fee' });
    expect(resolved.body.resolvedAt).to.be.a('string');
    const closed = await patch(agent.token, { status: 'closed' });
    expect(closed.body.status).to.equal('closed');
    expect((await patch(agent.token, { status: 'in_progress' })).status).to.equal(409);
    const reopened = await patch(agent.token, { status: 'open' });
    expect(reopened.body).to.include({ status: 'open', resolvedAt: null, closedAt: null });

    const logs = await SystemLog.findAll({ where: { entity: 'supportTickets', entityId: id }, order: [['id', 'ASC']] });
    expect(logs.map((l) => l.action)).to.deep.equal([
      'supportTicket.open',
      'supportTicket.update',
      'supportTicket.update',
      'supportTicket.update',
      'supportTicket.update',
      'supportTicket.reopen',
    ]);

    // Overdue: a ticket still worked past its due time (set back here), not a closed one.
    const late = await call('post', '/support/tickets', backOffice.token, { accountId: account.id, category: 'complaint', subject: 'Nobody called back' });
    await SupportTicket.update({ slaDueAt: new Date(Date.now() - HOUR) }, { where: { id: [late.body.id, id] } });
    await patch(agent.token, { status: 'in_progress' });
    await patch(agent.token, { status: 'resolved', resolution: 'again' });
    const overdue = await call('get', `/support/tickets?accountId=${account.id}&overdue=true`, backOffice.token);
    expect(overdue.body.data.map((t: { id: number; overdue: boolean }) => [t.id, t.overdue])).to.deep.equal([[late.body.id, true]]);
    const notOverdue = await call('get', `/support/tickets?accountId=${account.id}&overdue=false`, backOffice.token);
    expect(notOverdue.body.data.map((t: { id: number }) => t.id)).to.deep.equal([id]);
  });

  it('keeps internal comments from agents: they neither see nor write them', async () => {
    const { account } = await paidAccountWithDevice(market, backOffice.token);
    const opened = await call('post', '/support/tickets', agent.token, { accountId: account.id, category: 'payment_not_credited', subject: 'Paid, no token' });
    const id = opened.body.id as number;
    const internal = await call('post', `/support/tickets/${id}/comments`, backOffice.token, { body: 'Customer paid to the wrong paybill', isInternal: true });
    expect(internal.status, JSON.stringify(internal.body)).to.equal(201);
    expectDeclared(commentSchema, internal.body);
    const shared = await call('post', `/support/tickets/${id}/comments`, backOffice.token, { body: 'We are checking your payment' });
    expect(shared.body.isInternal).to.equal(false);
    expect((await call('post', `/support/tickets/${id}/comments`, agent.token, { body: 'secret', isInternal: true })).status).to.equal(403);
    expect((await call('post', `/support/tickets/${id}/comments`, agent.token, { body: '' })).status).to.equal(400);

    const forAgent = await call('get', `/support/tickets/${id}/comments`, agent.token);
    expect(forAgent.body.data.map((c: { id: number }) => c.id)).to.deep.equal([shared.body.id]);
    const forBackOffice = await call('get', `/support/tickets/${id}/comments`, backOffice.token);
    expect(forBackOffice.body.data.map((c: { id: number }) => c.id)).to.deep.equal([internal.body.id, shared.body.id]);
    expect((await call('get', `/support/tickets/${id}/comments`, elsewhere.token)).status).to.equal(404);
  });

  it('token not working: resends the last token by SMS or issues a COUNTER_SYNC token, permissioned and audited', async () => {
    const { account, device } = await paidAccountWithDevice(market, backOffice.token);
    const opened = await call('post', '/support/tickets', agent.token, {
      accountId: account.id,
      deviceId: device.id,
      category: 'token_not_working',
      subject: 'Code rejected',
    });
    const id = opened.body.id as number;
    expect(slaSpan(opened.body)).to.be.closeTo(DEFAULT_SLA_HOURS.token_not_working * HOUR, 2000);
    // Agents hold no support:tokens.
    expect((await call('post', `/support/tickets/${id}/resend-token`, agent.token, { reason: 'customer lost the SMS' })).status).to.equal(403);
    expect((await call('post', `/support/tickets/${id}/resend-token`, backOffice.token, {})).status).to.equal(400);

    const last = (await DeviceToken.findOne({ where: { deviceId: device.id }, order: [['tokenCount', 'DESC']] }))!;
    const resent = await call('post', `/support/tickets/${id}/resend-token`, backOffice.token, { reason: 'customer lost the SMS' });
    expect(resent.status, JSON.stringify(resent.body)).to.equal(200);
    expect(resent.body).to.include({ tokenId: last.id, tokenCount: last.tokenCount });

    const synced = await call('post', `/support/tickets/${id}/counter-sync`, supervisor.token, { reason: 'counter out of step' });
    expect(synced.status, JSON.stringify(synced.body)).to.equal(200);
    expect(synced.body.tokens).to.have.length(1);
    expect(synced.body.tokens[0]).to.include({ tokenType: 'COUNTER_SYNC', deviceId: device.id, source: 'manual' });
    expect(synced.body.tokens[0].tokenCount).to.be.greaterThan(last.tokenCount);

    const deviceLogs = await SystemLog.findAll({ where: { entity: 'devices', entityId: device.id }, order: [['id', 'ASC']] });
    expect(deviceLogs.map((l) => l.action)).to.include.members(['deviceToken.resend', 'deviceToken.manual']);
    const ticketLogs = await SystemLog.findAll({ where: { entity: 'supportTickets', entityId: id }, order: [['id', 'ASC']] });
    expect(ticketLogs.map((l) => l.action)).to.deep.equal(['supportTicket.open', 'supportTicket.resendToken', 'supportTicket.counterSync']);
    const notes = await call('get', `/support/tickets/${id}/comments`, backOffice.token);
    expect(notes.body.data.map((c: { isInternal: boolean }) => c.isInternal)).to.deep.equal([true, true]);

    // Another category, or a ticket no longer worked: 409; another region: 404.
    const complaint = await call('post', '/support/tickets', backOffice.token, {
      accountId: account.id,
      deviceId: device.id,
      category: 'complaint',
      subject: 'Rude agent',
    });
    expect((await call('post', `/support/tickets/${complaint.body.id}/counter-sync`, backOffice.token, { reason: 'try' })).status).to.equal(409);
    await call('patch', `/support/tickets/${id}`, backOffice.token, { status: 'in_progress' });
    await call('patch', `/support/tickets/${id}`, backOffice.token, { status: 'resolved', resolution: 'token accepted after sync' });
    expect((await call('post', `/support/tickets/${id}/counter-sync`, backOffice.token, { reason: 'again' })).status).to.equal(409);
    const farSupervisor = await loginAs('supervisor', { regionIds: [(await createMarket()).region.id] });
    expect((await call('post', `/support/tickets/${id}/counter-sync`, farSupervisor.token, { reason: 'again' })).status).to.equal(404);
  });
});
