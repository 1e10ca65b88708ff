import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { Account, InstallmentSchedule } from '../../src/modules/accounts/models';
import { Customer, CustomerAddress } from '../../src/modules/customers/models';
import { SalesforceMapping } from '../../src/modules/integrations/models';
import { SalesforceClient } from '../../src/modules/integrations/salesforce/client';
import { SalesforceTarget } from '../../src/modules/integrations/salesforce/target';
import type { SyncItem } from '../../src/modules/integrations/sync-target';
import { testRuntime } from '../support/app';
import { createCustomer, createMarket, openAccount, type Market } from '../support/lending';
import type { FakeSalesforce } from '../fakes/salesforce';
import { restConfig, startFake, type RestConfig } from './salesforce-support';

const item = (aggregate: string, id: number): SyncItem => ({ aggregate, id, events: [`${aggregate}.updated`], payloads: [{}] });

describe('Salesforce target (sObject Collections, Bulk API 2.0, JWT bearer) against the fake', () => {
  let fake: FakeSalesforce;
  let market: Market;

  before(async () => {
    await testRuntime();
    fake = await startFake();
    market = await createMarket();
  });
  after(async () => fake.stop());
  beforeEach(() => fake.reset());

  async function target(extra: Partial<RestConfig> = {}): Promise<SalesforceTarget> {
    const rt = await testRuntime();
    const cfg = restConfig(fake, extra);
    const t = new SalesforceTarget(rt.sequelize, new SalesforceClient(cfg), cfg);
    t.bulkPoll = { intervalMs: 20, timeoutMs: 10_000 };
    return t;
  }

  describe('authentication', () => {
    it('gets a token with a signed assertion and reuses it', async () => {
      const t = await target();
      const c = await createCustomer(market.region.id);
      expect(await t.push([item('customer', c.id)])).to.deep.equal([
        { status: 'done', remoteId: fake.find('Account', 'AMT_Customer_Id__c', String(c.id))!.Id },
      ]);
      await t.push([item('customer', c.id)]);
      expect(t.client.tokenRequests).to.equal(1);
      expect(fake.apiRequests(/oauth2\/token/)).to.have.length(1);
    });

    it('an assertion signed by another key is refused (400 invalid_grant): the items are retried, nothing is written', async () => {
      const other = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      const t = await target({ privateKey: other.privateKey });
      const c = await createCustomer(market.region.id);
      const [outcome] = await t.push([item('customer', c.id)]);
      expect(outcome).to.include({ status: 'retry' });
      expect((outcome as { error: string }).error).to.match(/invalid_grant/);
      expect(fake.records('Account')).to.have.length(0);
      expect(fake.requests.filter((r) => r.path.includes('/composite/'))).to.have.length(0);
    });

    it('a wrong consumer key is refused as invalid_client_id', async () => {
      const t = await target({ consumerKey: 'someone-else' });
      const c = await createCustomer(market.region.id);
      const [outcome] = await t.push([item('customer', c.id)]);
      expect((outcome as { error: string }).error).to.match(/invalid_client_id/);
    });

    it('an expired token (401 INVALID_SESSION_ID) gets one new token and one retry', async () => {
      const t = await target();
      const c = await createCustomer(market.region.id);
      await t.push([item('customer', c.id)]);
      fake.expireTokens();
      expect((await t.push([item('customer', c.id)]))[0]).to.include({ status: 'done' });
      expect(t.client.tokenRequests).to.equal(2);
      const composite = fake.apiRequests(/composite\/sobjects/).map((r) => r.status);
      expect(composite).to.deep.equal([200, 401, 200]);
    });

    it('a token refused again after the refresh is not retried a second time', async () => {
      const t = await target();
      const c = await createCustomer(market.region.id);
      await t.push([item('customer', c.id)]);
      fake.expireTokens();
      fake.failNext({ status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] }, 1, /composite/);
      fake.failNext({ status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] }, 1, /composite/);
      const [outcome] = await t.push([item('customer', c.id)]);
      expect(outcome).to.include({ status: 'retry' });
      expect(t.client.tokenRequests).to.equal(2);
    });
  });

  it('upserts a customer as an Account with its contact fields (never the national ID) and keeps the mapping', async () => {
    const t = await target();
    const c = await Customer.create({
      firstName: 'Achieng',
      lastName: 'Otieno',
      phone: '+254722000111',
      email: `achieng.${Date.now()}@example.com`,
      regionId: market.region.id,
      dateOfBirth: '1990-04-02',
      preferredLanguage: 'sw',
      nationalId: 'ciphertext-never-sent',
    });
    await CustomerAddress.create({ customerId: c.id, addressLine: 'Plot 4, Kisumu Rd', city: 'Kisumu', district: 'Kisumu East', isPrimary: true });
    const [outcome] = await t.push([item('customer', c.id)]);
    const rec = fake.find('Account', 'AMT_Customer_Id__c', String(c.id))!;
    expect(outcome).to.deep.equal({ status: 'done', remoteId: rec.Id });
    expect(rec).to.include({
      Name: 'Achieng Otieno',
      Phone: '+254722000111',
      AMT_Email__c: c.email,
      AMT_Preferred_Language__c: 'sw',
      AMT_Date_Of_Birth__c: '1990-04-02',
      BillingStreet: 'Plot 4, Kisumu Rd',
      BillingCity: 'Kisumu',
      BillingState: 'Kisumu East',
      AMT_KYC_Status__c: 'pending',
    });
    expect(JSON.stringify(rec)).not.to.contain('ciphertext');
    const mapping = await SalesforceMapping.findOne({ where: { localEntity: 'customer', localId: c.id } });
    expect(mapping).to.include({ salesforceId: rec.Id, salesforceObject: 'Account' });
    expect(mapping!.sentState).to.include({ phone: '+254722000111', city: 'Kisumu', firstName: 'Achieng' });
  });

  it('person accounts: FirstName, LastName, PersonMobilePhone, PersonEmail, PersonBirthdate and the record type', async () => {
    const t = await target({ personAccounts: true, personAccountRecordTypeId: '012000000000001AAA' });
    const c = await Customer.create({ firstName: 'Baraka', lastName: 'Mwangi', phone: '+254733000222', regionId: market.region.id, dateOfBirth: '1985-01-30' });
    await t.push([item('customer', c.id)]);
    const rec = fake.find('Account', 'AMT_Customer_Id__c', String(c.id))!;
    expect(rec).to.include({
      FirstName: 'Baraka',
      LastName: 'Mwangi',
      PersonMobilePhone: '+254733000222',
      PersonBirthdate: '1985-01-30',
      RecordTypeId: '012000000000001AAA',
    });
    expect(rec).not.to.have.property('Name');
  });

  it('upserts a PAYG account with its current state: product, status, balance, DPD, PAR bucket, next due, agent, last payment', async () => {
    const t = await target();
    const account = await openAccount(market, { price: '12000.00', downPayment: '2000.00', duration: 10 });
    await account.update({ daysPastDue: 12, parBucket: '1-30', status: 'suspended' });
    const first = await InstallmentSchedule.findOne({ where: { accountId: account.id }, order: [['dueDate', 'ASC']] });
    await first!.update({ paidAmount: '250.00', status: 'partial' });
    const [outcome] = await t.push([item('account', account.id)]);
    const rec = fake.find('PAYG_Account__c', 'AMT_Account_Number__c', account.accountNumber)!;
    expect(outcome).to.deep.equal({ status: 'done', remoteId: rec.Id });
    const fresh = (await Account.findByPk(account.id))!;
    const remaining = (Number(first!.amount) * 100 - 25000) / 100;
    expect(rec).to.include({
      AMT_Account_Id__c: String(account.id),
      AMT_Customer_Id__c: String(account.customerId),
      Status__c: 'suspended',
      Balance__c: fresh.balance,
      Days_Past_Due__c: 12,
      PAR_Bucket__c: '1-30',
      Next_Due_Date__c: first!.dueDate,
      Next_Due_Amount__c: remaining.toFixed(2),
      Last_Payment_Date__c: null,
    });
    expect(rec.Product_Code__c).to.be.a('string').and.match(/^P-/);
    expect(await SalesforceMapping.count({ where: { localEntity: 'account', localId: account.id, salesforceId: rec.Id } })).to.equal(1);
  });

  it('250 customers go as two collection requests (200 + 50), one record each in the fake', async () => {
    const t = await target();
    const customers = await Promise.all(Array.from({ length: 250 }, () => createCustomer(market.region.id)));
    const outcomes = await t.push(customers.map((c) => item('customer', c.id)));
    expect(outcomes.filter((o) => o.status === 'done')).to.have.length(250);
    expect(fake.apiRequests(/PATCH .*composite\/sobjects\/Account\/AMT_Customer_Id__c/).map((r) => r.records)).to.have.members([200, 50]);
    expect(fake.records('Account')).to.have.length(250);
    // Again: upserts, not inserts.
    await t.push(customers.map((c) => item('customer', c.id)));
    expect(fake.records('Account')).to.have.length(250);
  });

  it('above SALESFORCE_BULK_THRESHOLD a Bulk API 2.0 ingest job carries the records', async () => {
    const t = await target({ bulkThreshold: 5 });
    const customers = await Promise.all(Array.from({ length: 8 }, () => createCustomer(market.region.id)));
    const outcomes = await t.push(customers.map((c) => item('customer', c.id)));
    expect(outcomes.map((o) => o.status)).to.deep.equal(new Array(8).fill('done'));
    expect(fake.apiRequests(/composite/)).to.have.length(0);
    expect(fake.apiRequests(/POST .*jobs\/ingest$/)).to.have.length(1);
    expect(fake.apiRequests(/PUT .*jobs\/ingest\/.*\/batches/)[0]!.records).to.equal(8);
    expect(fake.records('Account')).to.have.length(8);
    const rec = fake.find('Account', 'AMT_Customer_Id__c', String(customers[3]!.id))!;
    expect(outcomes[3]).to.deep.equal({ status: 'done', remoteId: rec.Id });
    expect(rec.Phone).to.equal('+254711000000');
  });

  it('a bulk job with a failed row: that item dead with Salesforce’s error, the others done', async () => {
    const t = await target({ bulkThreshold: 2 });
    const customers = await Promise.all(Array.from({ length: 3 }, () => createCustomer(market.region.id)));
    const bad = String(customers[1]!.id);
    fake.reject('Account', (r) => r.AMT_Customer_Id__c === bad, {
      statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
      message: 'Phone is not valid',
      fields: ['Phone'],
    });
    const outcomes = await t.push(customers.map((c) => item('customer', c.id)));
    expect(outcomes.map((o) => o.status)).to.deep.equal(['done', 'dead', 'done']);
    expect((outcomes[1] as { error: string }).error).to.match(/FIELD_CUSTOM_VALIDATION_EXCEPTION:Phone is not valid/);
  });

  it('a per-record error: that item dead with its message, the others done', async () => {
    const t = await target();
    const customers = await Promise.all(Array.from({ length: 3 }, () => createCustomer(market.region.id)));
    const bad = String(customers[1]!.id);
    fake.reject('Account', (r) => r.AMT_Customer_Id__c === bad, {
      statusCode: 'STRING_TOO_LONG',
      message: 'Billing Street: data value too large',
      fields: ['BillingStreet'],
    });
    const outcomes = await t.push(customers.map((c) => item('customer', c.id)));
    expect(outcomes.map((o) => o.status)).to.deep.equal(['done', 'dead', 'done']);
    expect((outcomes[1] as { error: string }).error).to.equal('STRING_TOO_LONG: Billing Street: data value too large (BillingStreet)');
    expect(await SalesforceMapping.count({ where: { localEntity: 'customer', localId: customers[1]!.id } })).to.equal(0);
  });

  it('a record lock (UNABLE_TO_LOCK_ROW) is retried, not dead', async () => {
    const t = await target();
    const c = await createCustomer(market.region.id);
    fake.reject('Account', () => true, { statusCode: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record' });
    expect((await t.push([item('customer', c.id)]))[0]).to.include({ status: 'retry' });
  });

  it('a 5xx or a lost connection: every item of the request is retried; the write dropped after it applied leaves one record', async () => {
    const t = await target();
    const c = await createCustomer(market.region.id);
    fake.failNext({ status: 503, body: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'Server is temporarily unavailable' }] }, 1, /composite/);
    expect((await t.push([item('customer', c.id)]))[0]).to.include({ status: 'retry' });
    fake.failNext({ status: 500, body: 'Internal Server Error' }, 1, /composite/);
    expect((await t.push([item('customer', c.id)]))[0]).to.include({ status: 'retry' });
    fake.failNext({ drop: 'after' }, 1, /composite/);
    expect((await t.push([item('customer', c.id)]))[0]).to.include({ status: 'retry' });
    expect(fake.records('Account')).to.have.length(1);
    expect((await t.push([item('customer', c.id)]))[0]).to.include({ status: 'done' });
    expect(fake.records('Account')).to.have.length(1);
  });

  it('a slow answer past SALESFORCE_TIMEOUT_MS is a retry', async () => {
    const t = await target({ timeoutMs: 200 });
    const c = await createCustomer(market.region.id);
    fake.failNext({ delayMs: 600 }, 1, /composite/);
    expect((await t.push([item('customer', c.id)]))[0]).to.include({ status: 'retry' });
    // The slow request still applies after AMT gave up: the retry is an upsert of the same record.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(fake.records('Account')).to.have.length(1);
    expect((await t.push([item('customer', c.id)]))[0]).to.include({ status: 'done' });
    expect(fake.records('Account')).to.have.length(1);
  });

  it('an unknown aggregate or a missing row is dead, not retried forever', async () => {
    const t = await target();
    const outcomes = await t.push([item('payment', 1), item('customer', 2_000_000_000), item('account', 2_000_000_000)]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['dead', 'dead', 'dead']);
  });

  describe('API limits', () => {
    it('pauses when Sforce-Limit-Info usage passes SALESFORCE_PAUSE_SHARE, and says why', async () => {
      const t = await target({ pauseShare: 0.5 });
      fake.dailyLimit = 10;
      const c = await createCustomer(market.region.id);
      await t.push([item('customer', c.id)]);
      expect(await t.pauseState()).to.deep.equal({ paused: false });
      fake.apiUsed = 5;
      await t.push([item('customer', c.id)]);
      const state = await t.pauseState();
      expect(state.paused).to.equal(true);
      expect(state.reason).to.match(/6\/10 \(60\.0%\) is past SALESFORCE_PAUSE_SHARE 0\.5/);
    });

    it('REQUEST_LIMIT_EXCEEDED: the items are retried after the limit pause, and the target is paused', async () => {
      const t = await target({ limitPauseMs: 60_000 });
      fake.dailyLimit = 1;
      const c = await createCustomer(market.region.id);
      fake.apiUsed = 1;
      const [outcome] = await t.push([item('customer', c.id)]);
      expect(outcome).to.include({ status: 'retry', retryAfterMs: 60_000 });
      expect((outcome as { error: string }).error).to.match(/REQUEST_LIMIT_EXCEEDED/);
      const state = await t.pauseState();
      expect(state.paused).to.equal(true);
      expect(state.reason).to.match(/REQUEST_LIMIT_EXCEEDED/);
      expect(fake.records('Account')).to.have.length(0);
    });
  });
});
