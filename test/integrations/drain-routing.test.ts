import { expect } from 'chai';
import { Op, type WhereOptions } from 'sequelize';
import { SyncOutbox } from '../../src/modules/integrations/models';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import { loginAs, testRuntime, uniquePhone } from '../support/app';
import { CLOSED, craftPortfolio, freshMarket, payNow } from '../operations/support';
import { call } from '../lending/support';

function rowsOf(where: WhereOptions<SyncOutbox>) {
  return SyncOutbox.findAll({ where, order: [['id', 'ASC']] }).then((rows) => rows.map((r) => [r.target, r.aggregateType, r.aggregateId, r.eventType]));
}

describe('integrations: which outbox rows the business changes write', function () {
  this.timeout(120_000);

  it('a payment: a payment row for NetSuite and an account row (state transfer) for Salesforce', async () => {
    const market = await freshMarket();
    const [crafted] = await craftPortfolio(market);
    const account = crafted!.account;
    const before = (await SyncOutbox.max<number, SyncOutbox>('id')) ?? 0;
    await payNow(account.id, '50.00');
    const rows = await SyncOutbox.findAll({ where: { id: { [Op.gt]: before }, eventType: 'payment.completed' } });
    expect(rows.map((r) => [r.target, r.aggregateType, r.target === 'salesforce' ? r.aggregateId === account.id : r.aggregateId !== account.id])).to.deep.equal(
      [
        ['netsuite', 'payment', true],
        ['salesforce', 'account', true],
      ],
    );
  });

  it('a customer onboarded, updated and KYC-decided: customer rows for NetSuite and Salesforce, no personal data in them', async () => {
    const market = await freshMarket();
    const agent = await loginAs('agent', { regionIds: [market.region.id] });
    const backOffice = await loginAs('back_office');
    const created = await call('post', '/customers', agent.token, {
      firstName: 'Amina',
      lastName: 'Otieno',
      phone: uniquePhone(),
      nationalId: `ID ${Math.floor(Math.random() * 1e9)}`,
      regionId: market.region.id,
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.id as number;
    const patched = await call('patch', `/customers/${id}`, agent.token, { email: `amina.${id}@example.com` });
    expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
    const kyc = await call('post', `/customers/${id}/kyc`, backOffice.token, { decision: 'verified' });
    expect(kyc.status, JSON.stringify(kyc.body)).to.be.oneOf([200, 201]);
    expect(await rowsOf({ aggregateType: 'customer', aggregateId: id })).to.deep.equal([
      ['netsuite', 'customer', id, 'customer.created'],
      ['salesforce', 'customer', id, 'customer.created'],
      ['netsuite', 'customer', id, 'customer.updated'],
      ['salesforce', 'customer', id, 'customer.updated'],
      ['netsuite', 'customer', id, 'customer.updated'],
      ['salesforce', 'customer', id, 'customer.updated'],
    ]);
    const payloads = (await SyncOutbox.findAll({ where: { aggregateType: 'customer', aggregateId: id } })).map((r) => JSON.stringify(r.payload));
    for (const p of payloads) expect(p).to.not.match(/Amina|Otieno|ID \d|@example/);
  });

  it('the nightly close files an account row for Salesforce for each account whose DPD, bucket or status it changed; a re-run adds none', async () => {
    const rt = await testRuntime();
    const market = await freshMarket();
    const crafted = await craftPortfolio(market);
    const ids = crafted.map((c) => c.account.id);
    const before = (await SyncOutbox.max<number, SyncOutbox>('id')) ?? 0;
    const summary = await closeDayInline(rt, market.country.id, CLOSED, { partitions: 2, chunkSize: 3 });
    const changed = crafted.filter((c) => c.expect.dpd > 0).map((c) => c.account.id);
    expect(changed.length).to.be.greaterThan(0);
    expect(changed.length).to.be.lessThan(crafted.length);
    const rows = await SyncOutbox.findAll({ where: { id: { [Op.gt]: before }, eventType: 'account.arrears_changed' }, order: [['aggregateId', 'ASC']] });
    expect(rows.map((r) => [r.target, r.aggregateType, r.aggregateId])).to.deep.equal(changed.sort((a, b) => a - b).map((id) => ['salesforce', 'account', id]));
    expect(rows.every((r) => ids.includes(r.aggregateId))).to.equal(true);
    expect(summary.counts['sync.accounts']).to.equal(changed.length);
    await closeDayInline(rt, market.country.id, CLOSED, { partitions: 2, chunkSize: 3 });
    expect(await SyncOutbox.count({ where: { id: { [Op.gt]: before }, eventType: 'account.arrears_changed' } })).to.equal(changed.length);
  });
});
