import { expect } from 'chai';
import { SystemLog } from '../../src/modules/audit/models';
import { BlacklistEntry, Customer, CustomerAddress, KycCheck } from '../../src/modules/customers/models';
import { dataCrypto } from '../../src/platform/crypto';
import { loginAs, testRuntime, uniquePhone } from '../support/app';
import { createMarket, type Market } from '../support/lending';
import { call } from '../lending/support';

const uniqueId = () => `ID ${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;

describe('customers: onboarding, search and KYC', () => {
  let market: Market;
  let elsewhere: Market;
  let agent: { token: string; employeeId: number };
  let backOffice: { token: string; employeeId: number };
  let finance: string;
  before(async () => {
    market = await createMarket();
    elsewhere = await createMarket();
    const a = await loginAs('agent', { regionIds: [market.region.id] });
    agent = { token: a.token, employeeId: a.user.employee.id };
    const b = await loginAs('back_office');
    backOffice = { token: b.token, employeeId: b.user.employee.id };
    ({ token: finance } = await loginAs('finance'));
  });

  function onboard(token: string, extra: object = {}) {
    return call('post', '/customers', token, {
      firstName: 'Amina',
      lastName: 'Otieno',
      phone: uniquePhone(),
      nationalId: uniqueId(),
      regionId: market.region.id,
      ...extra,
    });
  }

  it('an agent onboards a customer: the national ID is stored encrypted with a blind index, shown masked, and the agent is the caller', async () => {
    const nationalId = '1234 5678';
    const res = await onboard(agent.token, {
      nationalId,
      preferredLanguage: 'sw',
      address: { addressLine: 'Plot 7, Kisumu road', latitude: '-0.0917016', longitude: '34.7679568' },
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.headers.location).to.equal(`/api/v1/customers/${res.body.id}`);
    expect(res.body).to.include({
      firstName: 'Amina',
      kycStatus: 'pending',
      regionId: market.region.id,
      agentId: agent.employeeId,
      preferredLanguage: 'sw',
      nationalId: '****5678',
    });

    const row = (await Customer.findByPk(res.body.id))!;
    expect(row.nationalId).to.not.include('12345678');
    const { config } = await testRuntime();
    const crypto = dataCrypto(config.dataEncryptionKey);
    expect(crypto.decrypt(row.nationalId!, 'customers.nationalId')).to.equal('12345678');
    expect(row.nationalIdHash).to.equal(crypto.blindIndex('12345678'));
    const address = await CustomerAddress.findOne({ where: { customerId: row.id } });
    expect(address).to.include({ addressLine: 'Plot 7, Kisumu road', isPrimary: true, latitude: '-0.0917016' });
    const log = (await SystemLog.findOne({ where: { entity: 'customers', entityId: row.id, action: 'customer.onboard' } }))!;
    expect(JSON.stringify(log.newValues)).to.not.include('5678');

    // Back office (customers:kyc) sees the number in full.
    const full = await call('get', `/customers/${row.id}`, backOffice.token);
    expect(full.body.nationalId).to.equal('12345678');
  });

  it('finds a customer by national ID (however it is typed) and by phone; lists are region-scoped and paged', async () => {
    const phone = uniquePhone();
    const created = await onboard(agent.token, { nationalId: 'ab-77 31 90', phone });
    await onboard(backOffice.token, { regionId: elsewhere.region.id });

    const byId = await call('get', '/customers?nationalId=AB773190', backOffice.token);
    expect(byId.status).to.equal(200);
    expect(byId.body.data.map((c: { id: number }) => c.id)).to.deep.equal([created.body.id]);
    const byPhone = await call('get', `/customers?phone=${encodeURIComponent(phone)}`, agent.token);
    expect(byPhone.body.data.map((c: { id: number }) => c.id)).to.deep.equal([created.body.id]);

    const mine = await call('get', '/customers?limit=200', agent.token);
    expect(mine.body.data.length).to.be.greaterThan(0);
    expect(mine.body.data.every((c: { regionId: number }) => c.regionId === market.region.id)).to.equal(true);
    const first = await call('get', '/customers?limit=1', agent.token);
    expect(first.body.page.nextCursor).to.be.a('string');
    const second = await call('get', `/customers?limit=1&cursor=${first.body.page.nextCursor}`, agent.token);
    expect(second.body.data[0].id).to.be.lessThan(first.body.data[0].id);
  });

  it('409 for a national ID already on file (naming the customer), 422 for a blacklisted phone; nothing is written', async () => {
    const first = await onboard(agent.token, { nationalId: '99887766' });
    const before = await Customer.count();
    const again = await onboard(agent.token, { nationalId: '9988 7766' });
    expect(again.status).to.equal(409);
    expect(again.body).to.include({ customerId: first.body.id });
    expect(again.headers['content-type']).to.match(/problem\+json/);

    const phone = uniquePhone();
    await BlacklistEntry.create({ phone, reason: 'fraud', addedBy: backOffice.employeeId });
    const listed = await onboard(agent.token, { phone });
    expect(listed.status).to.equal(422);
    expect(listed.body.type).to.match(/customer-blacklisted/);
    expect(await Customer.count()).to.equal(before);
  });

  it("KYC: back office verifies (a KycCheck row, audited); the customer's own agent may not; a rejection needs a reason", async () => {
    const created = await onboard(backOffice.token);
    const own = await call('post', `/customers/${created.body.id}/kyc`, backOffice.token, { decision: 'verified' });
    expect(own.status).to.equal(403);
    expect(own.body.type).to.match(/four-eyes/);

    const other = await loginAs('back_office');
    const noReason = await call('post', `/customers/${created.body.id}/kyc`, other.token, { decision: 'rejected' });
    expect(noReason.status).to.equal(400);
    expect(JSON.stringify(noReason.body)).to.include('reason');

    const verified = await call('post', `/customers/${created.body.id}/kyc`, other.token, { decision: 'verified' });
    expect(verified.status, JSON.stringify(verified.body)).to.equal(200);
    expect(verified.body).to.include({ kycStatus: 'verified' });
    expect(verified.body.kycCheck).to.include({ decision: 'verified', checkedBy: other.user.employee.id });
    expect(await KycCheck.count({ where: { customerId: created.body.id } })).to.equal(1);
    const audit = (await SystemLog.findOne({ where: { entity: 'customers', entityId: created.body.id, action: 'customer.kyc' } }))!;
    expect(audit).to.include({ userId: other.user.employee.id });
    expect(audit.newValues).to.include({ kycStatus: 'verified' });

    // A new national ID has not been checked: KYC starts again.
    const changed = await call('patch', `/customers/${created.body.id}`, agent.token, { nationalId: uniqueId() });
    expect(changed.status, JSON.stringify(changed.body)).to.equal(200);
    expect(changed.body.kycStatus).to.equal('pending');
  });

  it('a customer without a national ID cannot be verified (422)', async () => {
    const res = await call('post', '/customers', agent.token, { firstName: 'No', lastName: 'Id', phone: uniquePhone(), regionId: market.region.id });
    expect(res.status).to.equal(201);
    expect(res.body.nationalId).to.equal(null);
    const decided = await call('post', `/customers/${res.body.id}/kyc`, backOffice.token, { decision: 'verified' });
    expect(decided.status).to.equal(422);
    expect((await Customer.findByPk(res.body.id))!.kycStatus).to.equal('pending');
  });

  it('4xx: 400 names the fields, 401 without a token, 403 without the permission, 404 in another region', async () => {
    const bad = await call('post', '/customers', agent.token, { firstName: '', phone: '0712', regionId: 'x', nationalId: 'bad!id', extra: 1 });
    expect(bad.status).to.equal(400);
    const fields = (bad.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).to.include.members(['firstName', 'lastName', 'phone', 'regionId', 'nationalId', 'extra']);

    expect((await call('get', '/customers', undefined)).status).to.equal(401);
    expect((await call('post', '/customers', finance, { firstName: 'A', lastName: 'B', phone: uniquePhone(), regionId: market.region.id })).status).to.equal(
      403,
    );
    expect((await call('post', `/customers/1/kyc`, agent.token, { decision: 'verified' })).status).to.equal(403);

    const far = await onboard(backOffice.token, { regionId: elsewhere.region.id });
    expect((await call('get', `/customers/${far.body.id}`, agent.token)).status).to.equal(404);
    expect((await call('patch', `/customers/${far.body.id}`, agent.token, { firstName: 'X' })).status).to.equal(404);
    const intoElsewhere = await onboard(agent.token, { regionId: elsewhere.region.id });
    expect(intoElsewhere.status).to.equal(404);
    expect((await call('patch', `/customers/${far.body.id}`, backOffice.token, {})).status).to.equal(400);
  });
});
