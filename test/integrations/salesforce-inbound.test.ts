import { expect } from 'chai';
import { SystemLog } from '../../src/modules/audit/models';
import { SALESFORCE_INBOUND_JOB, runSalesforceInbound } from '../../src/modules/crm/salesforce-inbound.jobs';
import { CustomerService } from '../../src/modules/customers/customer.service';
import { Customer, CustomerAddress } from '../../src/modules/customers/models';
import { SalesforceMapping } from '../../src/modules/integrations/models';
import { SalesforceClient } from '../../src/modules/integrations/salesforce/client';
import { SalesforceInbound, WATERMARK_KEY, soqlDateTime } from '../../src/modules/integrations/salesforce/inbound';
import { SalesforceConflict } from '../../src/modules/integrations/salesforce/models';
import { SalesforceTarget } from '../../src/modules/integrations/salesforce/target';
import { JobRun } from '../../src/modules/operations/models';
import { SystemSetting } from '../../src/modules/organisation/reference.models';
import { dataCrypto } from '../../src/platform/crypto';
import { loadConfig } from '../../src/platform/config';
import { createRuntime } from '../../src/runtime';
import { closeTestRuntime, testRuntime } from '../support/app';
import { testEnv } from '../support/env';
import { createMarket, type Market } from '../support/lending';
import type { FakeSalesforce } from '../fakes/salesforce';
import { CONSUMER_KEY, keyPair, restConfig, SF_USER, startFake, type RestConfig } from './salesforce-support';

describe('Salesforce inbound pull (call-centre edits back into AMT)', () => {
  let fake: FakeSalesforce;
  let market: Market;
  let cfg: RestConfig;
  let target: SalesforceTarget;
  let inbound: SalesforceInbound;

  before(async () => {
    fake = await startFake({ pageSize: 2 });
    await build();
    market = await createMarket();
  });
  after(async () => fake.stop());

  async function build(extra: Partial<RestConfig> = {}): Promise<void> {
    const rt = await testRuntime();
    cfg = restConfig(fake, { inboundOverlapSeconds: 0, ...extra });
    const client = new SalesforceClient(cfg);
    target = new SalesforceTarget(rt.sequelize, client, cfg);
    const customers = new CustomerService(rt.sequelize, dataCrypto(rt.config.dataEncryptionKey));
    inbound = new SalesforceInbound(
      rt.sequelize,
      client,
      { personAccounts: cfg.personAccounts, overlapSeconds: 0 },
      (id, change, within) => customers.applyIntegrationChange(id, change, within),
      undefined,
      (ids) => target.push(ids.map((id) => ({ aggregate: 'customer', id, events: ['salesforce.conflict'], payloads: [{}] }))),
    );
  }

  /** A customer with a primary address, upserted to the fake; its Account there. */
  async function synced(kycStatus: 'pending' | 'verified' = 'pending'): Promise<{ customer: Customer; sfId: string }> {
    const customer = await Customer.create({
      firstName: 'Neema',
      lastName: `Kamau ${Math.random().toString(36).slice(2, 7)}`,
      phone: '+254711222333',
      regionId: market.region.id,
      dateOfBirth: '1992-06-15',
      kycStatus,
    });
    await CustomerAddress.create({ customerId: customer.id, addressLine: 'Moi Ave 12', city: 'Nairobi', district: 'Starehe', isPrimary: true });
    const [outcome] = await target.push([{ aggregate: 'customer', id: customer.id, events: ['customer.created'], payloads: [{}] }]);
    expect(outcome).to.include({ status: 'done' });
    return { customer, sfId: (outcome as { remoteId: string }).remoteId };
  }

  it('a call-centre edit of phone, e-mail, language and address reaches the customer, audited as the integration', async () => {
    const { customer, sfId } = await synced();
    await inbound.pull(); // takes the watermark past the creation
    const email = `neema.${customer.id}@example.com`;
    fake.edit('Account', sfId, {
      Phone: '+254700999888',
      AMT_Email__c: email,
      AMT_Preferred_Language__c: 'fr',
      BillingCity: 'Nakuru',
      BillingStreet: 'Kenyatta Ave 3',
    });
    const { counts } = await inbound.pull();
    expect(counts).to.include({ applied: 1, conflicts: 0 });
    await customer.reload();
    expect(customer).to.include({ phone: '+254700999888', email, preferredLanguage: 'fr' });
    const address = await CustomerAddress.findOne({ where: { customerId: customer.id, isPrimary: true } });
    expect(address).to.include({ addressLine: 'Kenyatta Ave 3', city: 'Nakuru', district: 'Starehe' });
    const log = await SystemLog.findOne({ where: { entity: 'customers', entityId: customer.id, action: 'customer.update' }, order: [['id', 'DESC']] });
    expect(log!.userId).to.equal(null);
    expect(log!.newValues).to.deep.include({ changedBy: 'integration:salesforce', remoteId: sfId });
    expect((log!.newValues as { fields: string[] }).fields).to.have.members(['phone', 'email', 'preferredLanguage', 'address.addressLine', 'address.city']);
    // Pulled again (the overlap re-reads it): nothing new happens.
    expect((await inbound.pull()).counts.applied).to.equal(0);
  });

  it('a KYC-verified name is not overwritten (conflict recorded); an unverified one is taken', async () => {
    const verified = await synced('verified');
    const pending = await synced('pending');
    fake.edit('Account', verified.sfId, { AMT_First_Name__c: 'Nelly', Phone: '+254700111000' });
    fake.edit('Account', pending.sfId, { AMT_Last_Name__c: 'Kamau-Otieno' });
    await inbound.pull();
    await verified.customer.reload();
    await pending.customer.reload();
    expect(verified.customer.firstName).to.equal('Neema');
    expect(verified.customer.phone, 'the contact field still applies').to.equal('+254700111000');
    expect(pending.customer.lastName).to.equal('Kamau-Otieno');
    const conflicts = await SalesforceConflict.findAll({ where: { customerId: verified.customer.id } });
    expect(conflicts.map((c) => c.get({ plain: true }))).to.have.length(1);
    expect(conflicts[0]).to.include({ field: 'firstName', amtValue: 'Neema', salesforceValue: 'Nelly', resolution: 'kept-amt', salesforceId: verified.sfId });
    expect(conflicts[0]!.reason).to.match(/KYC-verified/);
    // AMT's value went back to Salesforce at once.
    expect(fake.records('Account').find((r) => r.Id === verified.sfId)).to.include({ AMT_First_Name__c: 'Neema', Phone: '+254700111000' });
    // Not recorded again on the next pull.
    fake.edit('Account', verified.sfId, { BillingCity: 'Thika' });
    await inbound.pull();
    expect(await SalesforceConflict.count({ where: { customerId: verified.customer.id } })).to.equal(1);
  });

  it("AMT's own change does not come back (no echo), and a field both sides changed keeps AMT's value (conflict recorded)", async () => {
    const { customer, sfId } = await synced();
    await inbound.pull();
    // AMT changes the phone and sends it: Salesforce's SystemModstamp moves, the pull sees AMT's own value.
    await customer.update({ phone: '+254799000111' });
    await target.push([{ aggregate: 'customer', id: customer.id, events: ['customer.updated'], payloads: [{}] }]);
    const logsBefore = await SystemLog.count({ where: { entity: 'customers', entityId: customer.id } });
    const { counts } = await inbound.pull();
    expect(counts.applied).to.equal(0);
    expect(await SystemLog.count({ where: { entity: 'customers', entityId: customer.id } })).to.equal(logsBefore);
    expect(await SalesforceConflict.count({ where: { customerId: customer.id } })).to.equal(0);

    // Both change the e-mail before AMT's change reached Salesforce: AMT wins, recorded.
    await customer.update({ email: `amt.${customer.id}@example.com` });
    fake.edit('Account', sfId, { AMT_Email__c: `callcentre.${customer.id}@example.com` });
    await inbound.pull();
    await customer.reload();
    expect(customer.email).to.equal(`amt.${customer.id}@example.com`);
    const [conflict] = await SalesforceConflict.findAll({ where: { customerId: customer.id } });
    expect(conflict).to.include({ field: 'email', resolution: 'kept-amt', salesforceValue: `callcentre.${customer.id}@example.com` });
  });

  it('values AMT refuses (a bad phone, an emptied required field) are recorded, not applied', async () => {
    const { customer, sfId } = await synced();
    await inbound.pull();
    fake.edit('Account', sfId, { Phone: '0711 not a number', AMT_Preferred_Language__c: null });
    await inbound.pull();
    await customer.reload();
    expect(customer.phone).to.equal('+254711222333');
    const conflicts = await SalesforceConflict.findAll({ where: { customerId: customer.id }, order: [['field', 'ASC']] });
    expect(conflicts.map((c) => [c.field, c.resolution])).to.deep.equal([
      ['phone', 'refused'],
      ['preferredLanguage', 'refused'],
    ]);
  });

  it('pages through nextRecordsUrl', async () => {
    const all = await Promise.all([synced(), synced(), synced(), synced(), synced()]);
    await inbound.pull();
    fake.requests.length = 0;
    all.forEach(({ sfId }, i) => fake.edit('Account', sfId, { BillingCity: `Town ${i}` }));
    const { counts } = await inbound.pull();
    expect(counts.applied).to.equal(5);
    expect(fake.apiRequests(/GET .*\/query\/01g/).length, 'next pages').to.be.greaterThanOrEqual(2);
    for (const [i, { customer }] of all.entries()) {
      expect((await CustomerAddress.findOne({ where: { customerId: customer.id, isPrimary: true } }))!.city).to.equal(`Town ${i}`);
    }
  });

  it('the watermark survives a restart (a new runtime from SALESFORCE_* variables), and each pull is recorded in jobRuns', async () => {
    const { customer, sfId } = await synced();
    await closeTestRuntime();
    const env = testEnv({
      SALESFORCE_DRIVER: 'rest',
      SALESFORCE_LOGIN_URL: fake.baseUrl,
      SALESFORCE_CONSUMER_KEY: CONSUMER_KEY,
      SALESFORCE_USERNAME: SF_USER,
      SALESFORCE_PRIVATE_KEY: keyPair().privateKey.replace(/\n/g, '\\n'),
      SALESFORCE_INBOUND_OVERLAP_SECONDS: '0',
    });
    const first = await createRuntime(loadConfig(env), { role: 'test' });
    try {
      await runSalesforceInbound(first);
    } finally {
      await first.close();
    }
    fake.edit('Account', sfId, { BillingCity: 'Eldoret' });
    const second = await createRuntime(loadConfig(env), { role: 'test' });
    try {
      const mark = await SystemSetting.findOne({ where: { key: WATERMARK_KEY } });
      expect(mark!.value).to.be.a('string');
      const result = await runSalesforceInbound(second);
      expect(result).to.include({ applied: 1 });
      // The second runtime asks only for what changed after the stored watermark (its whole second),
      // not for everything again.
      const soql = fake
        .apiRequests(/\/query/)
        .map((r) => new URLSearchParams(r.search ?? '').get('q'))
        .filter((q): q is string => q !== null)
        .at(-1);
      const markMs = Date.parse(String(mark!.value).replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
      expect(soql, 'the pull starts from the stored watermark').to.include(`SystemModstamp > ${soqlDateTime(markMs)}`);
      const run = await JobRun.findOne({ where: { jobName: SALESFORCE_INBOUND_JOB }, order: [['id', 'DESC']] });
      expect(run).to.include({ status: 'succeeded' });
      expect(run!.counts).to.include({ applied: 1, conflicts: 0 });
      expect((await CustomerAddress.findOne({ where: { customerId: customer.id, isPrimary: true } }))!.city).to.equal('Eldoret');
      expect(await SalesforceMapping.count({ where: { localEntity: 'customer', localId: customer.id } })).to.equal(1);
    } finally {
      await second.close();
    }
  });
});
