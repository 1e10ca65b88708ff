import { expect } from 'chai';
import { SystemLog } from '../../src/modules/audit/models';
import { CustomerConsent, CustomerContact, CustomerNote, NextOfKin } from '../../src/modules/customers/models';
import { api, loginAs, uniquePhone } from '../support/app';
import { createMarket, type Market } from '../support/lending';
import { call } from '../lending/support';

async function send(method: 'put' | 'delete', path: string, token: string, body?: object) {
  const req = (await api())[method](`/api/v1${path}`).set('Authorization', `Bearer ${token}`);
  return body === undefined ? req : req.send(body);
}

describe('customers: next of kin, contacts, consents and notes', () => {
  let market: Market;
  let elsewhere: Market;
  let agent: { token: string; employeeId: number };
  let otherAgent: string;
  let finance: string;
  let customerId: number;

  before(async () => {
    market = await createMarket();
    elsewhere = await createMarket();
    const a = await loginAs('agent', { regionIds: [market.region.id] });
    agent = { token: a.token, employeeId: a.user.employee.id };
    ({ token: otherAgent } = await loginAs('agent', { regionIds: [elsewhere.region.id] }));
    ({ token: finance } = await loginAs('finance'));
    const res = await call('post', '/customers', agent.token, { firstName: 'Achieng', lastName: 'Odhiambo', phone: uniquePhone(), regionId: market.region.id });
    expect(res.status).to.equal(201);
    customerId = res.body.id;
  });

  it('next of kin: added, changed, listed, removed, each audited', async () => {
    const added = await call('post', `/customers/${customerId}/next-of-kin`, agent.token, {
      name: 'Peter Odhiambo',
      relationship: 'brother',
      phone: '+254711000111',
    });
    expect(added.status, JSON.stringify(added.body)).to.equal(201);
    expect(added.body).to.include({ customerId, name: 'Peter Odhiambo', relationship: 'brother', address: null });
    const changed = await call('patch', `/customers/${customerId}/next-of-kin/${added.body.id}`, agent.token, { address: 'Kisumu' });
    expect(changed.status).to.equal(200);
    expect(changed.body).to.include({ address: 'Kisumu', name: 'Peter Odhiambo' });
    const list = await call('get', `/customers/${customerId}/next-of-kin`, finance);
    expect(list.body.data.map((k: { id: number }) => k.id)).to.deep.equal([added.body.id]);
    expect((await send('delete', `/customers/${customerId}/next-of-kin/${added.body.id}`, agent.token)).status).to.equal(204);
    expect(await NextOfKin.count({ where: { customerId } })).to.equal(0);
    const actions = (await SystemLog.findAll({ where: { entity: 'nextOfKins', entityId: added.body.id }, order: [['id', 'ASC']] })).map((l) => l.action);
    expect(actions).to.deep.equal(['customer.next_of_kin_added', 'customer.next_of_kin_changed', 'customer.next_of_kin_removed']);
  });

  it('contacts: a new primary takes the place of the old one of its type; e-mails and phones are checked', async () => {
    const first = await call('post', `/customers/${customerId}/contacts`, agent.token, { contactType: 'phone', value: '+254722000001', isPrimary: true });
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    const second = await call('post', `/customers/${customerId}/contacts`, agent.token, { contactType: 'phone', value: '+254722000002', isPrimary: true });
    const email = await call('post', `/customers/${customerId}/contacts`, agent.token, { contactType: 'email', value: 'achieng@example.com', isPrimary: true });
    expect(email.status).to.equal(201);
    const rows = await CustomerContact.findAll({ where: { customerId }, order: [['id', 'ASC']] });
    expect(rows.map((r) => [r.value, r.isPrimary])).to.deep.equal([
      ['+254722000001', false],
      ['+254722000002', true],
      ['achieng@example.com', true],
    ]);
    const badEmail = await call('post', `/customers/${customerId}/contacts`, agent.token, { contactType: 'email', value: '+254722000003' });
    expect(badEmail.status).to.equal(400);
    expect(badEmail.body.errors[0]).to.include({ field: 'value' });
    expect((await send('delete', `/customers/${customerId}/contacts/${second.body.id}`, agent.token)).status).to.equal(204);
    expect(await CustomerContact.count({ where: { customerId } })).to.equal(2);
  });

  it('consents: given then withdrawn, with who and how; one row per type; the history is in the audit', async () => {
    const given = await send('put', `/customers/${customerId}/consents/marketing_sms`, agent.token, { granted: true, method: 'field_app' });
    expect(given.status, JSON.stringify(given.body)).to.equal(200);
    expect(given.body).to.include({ consentType: 'marketing_sms', granted: true, revokedAt: null, recordedBy: agent.employeeId, method: 'field_app' });
    const withdrawn = await send('put', `/customers/${customerId}/consents/marketing_sms`, agent.token, { granted: false, method: 'call_centre' });
    expect(withdrawn.body).to.include({ granted: false, method: 'call_centre', grantedAt: given.body.grantedAt });
    expect(withdrawn.body.revokedAt).to.be.a('string');
    expect(await CustomerConsent.count({ where: { customerId, consentType: 'marketing_sms' } })).to.equal(1);
    const list = await call('get', `/customers/${customerId}/consents`, agent.token);
    expect(list.body.data.map((c: { consentType: string }) => c.consentType)).to.deep.equal(['marketing_sms']);
    const logs = await SystemLog.findAll({ where: { entity: 'customerConsents' }, order: [['id', 'ASC']] });
    expect(logs.map((l) => l.action)).to.include.members(['customer.consent_granted', 'customer.consent_revoked']);
    expect((await send('put', `/customers/${customerId}/consents/telepathy`, agent.token, { granted: true, method: 'sms' })).status).to.equal(400);
    const noMethod = await send('put', `/customers/${customerId}/consents/data_sharing`, agent.token, { granted: 'yes' });
    expect(noMethod.status).to.equal(400);
    expect(noMethod.body.errors.map((e: { field: string }) => e.field)).to.have.members(['granted', 'method']);
  });

  it('notes: anyone who can see the customer adds one (finance included); newest first, paged; not editable', async () => {
    for (const note of ['Called: lamp works', 'Asked for a payment holiday']) {
      expect((await call('post', `/customers/${customerId}/notes`, finance, { note })).status).to.equal(201);
    }
    const page = await call('get', `/customers/${customerId}/notes?limit=1`, agent.token);
    expect(page.body.data.map((n: { note: string }) => n.note)).to.deep.equal(['Asked for a payment holiday']);
    const next = await call('get', `/customers/${customerId}/notes?limit=1&cursor=${page.body.page.nextCursor}`, agent.token);
    expect(next.body.data.map((n: { note: string }) => n.note)).to.deep.equal(['Called: lamp works']);
    expect((await call('post', `/customers/${customerId}/notes`, agent.token, { note: '   ' })).status).to.equal(400);
  });

  it('another region is 404 for every record; a write without customers:write is 403; nothing is written', async () => {
    const before = await Promise.all([NextOfKin.count(), CustomerContact.count(), CustomerNote.count()]);
    expect((await call('get', `/customers/${customerId}/next-of-kin`, otherAgent)).status).to.equal(404);
    expect((await call('post', `/customers/${customerId}/next-of-kin`, otherAgent, { name: 'X', relationship: 'y', phone: '+254711000111' })).status).to.equal(
      404,
    );
    expect((await call('get', `/customers/${customerId}/contacts`, otherAgent)).status).to.equal(404);
    expect((await send('put', `/customers/${customerId}/consents/terms`, otherAgent, { granted: true, method: 'sms' })).status).to.equal(404);
    expect((await call('post', `/customers/${customerId}/notes`, otherAgent, { note: 'hello' })).status).to.equal(404);
    expect((await call('post', `/customers/${customerId}/contacts`, finance, { contactType: 'phone', value: '+254722000009' })).status).to.equal(403);
    expect((await send('delete', `/customers/${customerId}/next-of-kin/999999`, agent.token)).status).to.equal(404);
    expect(await Promise.all([NextOfKin.count(), CustomerContact.count(), CustomerNote.count()])).to.deep.equal(before);
  });
});
