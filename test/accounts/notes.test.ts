import { expect } from 'chai';
import { AccountNote } from '../../src/modules/accounts/models';
import { SystemLog } from '../../src/modules/audit/models';
import { loginAs } from '../support/app';
import { createMarket, openAccount, type Market } from '../support/lending';
import { call } from '../lending/support';

describe('accounts: notes', () => {
  let market: Market;
  let accountId: number;
  let agent: { token: string; employeeId: number };
  let otherAgent: string;
  let finance: string;

  before(async () => {
    market = await createMarket();
    const elsewhere = await createMarket();
    accountId = (await openAccount(market, { downPayment: '1000.00', price: '10000.00', duration: 10 })).id;
    const a = await loginAs('agent', { regionIds: [market.region.id] });
    agent = { token: a.token, employeeId: a.user.employee.id };
    ({ token: otherAgent } = await loginAs('agent', { regionIds: [elsewhere.region.id] }));
    ({ token: finance } = await loginAs('finance'));
  });

  it('anyone who can see the account adds a note (audited); listed newest first, paged', async () => {
    const first = await call('post', `/accounts/${accountId}/notes`, agent.token, { note: 'Lamp flickers; customer will pay Friday' });
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    expect(first.body).to.include({ accountId, createdBy: agent.employeeId, note: 'Lamp flickers; customer will pay Friday' });
    const second = await call('post', `/accounts/${accountId}/notes`, finance, { note: 'Statement sent' });
    expect(second.status).to.equal(201);
    const log = await SystemLog.findOne({ where: { entity: 'accountNotes', entityId: first.body.id, action: 'account.note_added' } });
    expect(log?.userId).to.equal(agent.employeeId);

    const page = await call('get', `/accounts/${accountId}/notes?limit=1`, agent.token);
    expect(page.status).to.equal(200);
    expect(page.body.data.map((n: { id: number }) => n.id)).to.deep.equal([second.body.id]);
    const next = await call('get', `/accounts/${accountId}/notes?limit=1&cursor=${page.body.page.nextCursor}`, agent.token);
    expect(next.body.data.map((n: { id: number }) => n.id)).to.deep.equal([first.body.id]);
  });

  it('another region is 404, an empty note 400 naming note, no token 401; nothing is written', async () => {
    const before = await AccountNote.count({ where: { accountId } });
    expect((await call('post', `/accounts/${accountId}/notes`, otherAgent, { note: 'hello' })).status).to.equal(404);
    expect((await call('get', `/accounts/${accountId}/notes`, otherAgent)).status).to.equal(404);
    const empty = await call('post', `/accounts/${accountId}/notes`, agent.token, { note: '   ' });
    expect(empty.status).to.equal(400);
    expect(empty.body.errors[0]).to.include({ field: 'note' });
    expect((await call('post', `/accounts/${accountId}/notes`, undefined, { note: 'x' })).status).to.equal(401);
    expect((await call('get', '/accounts/999999999/notes', agent.token)).status).to.equal(404);
    expect(await AccountNote.count({ where: { accountId } })).to.equal(before);
  });
});
