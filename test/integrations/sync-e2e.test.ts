import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { Account } from '../../src/modules/accounts/models';
import { Customer } from '../../src/modules/customers/models';
import { OutboxDrain } from '../../src/modules/integrations/drain';
import { SyncOutbox } from '../../src/modules/integrations/models';
import { NetsuiteAccountMapping } from '../../src/modules/integrations/netsuite';
import { closeSyncTargets, driverOf, syncTargetFor } from '../../src/modules/integrations/registry';
import { SalesforceTarget } from '../../src/modules/integrations/salesforce';
import type { SyncTarget } from '../../src/modules/integrations/sync-target';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import type { AppContext } from '../../src/platform/context';
import { Decimal } from '../../src/platform/money';
import { loginAs, testRuntime } from '../support/app';
import { createMarket, createPlan, openAccount, type Market } from '../support/lending';
import { call, pay } from '../lending/support';
import type { FakeNetsuite } from '../fakes/netsuite';
import type { FakeSalesforce } from '../fakes/salesforce';
import { mapSubsidiary, restConfig as netsuiteRest, startFake as startNetsuite } from './netsuite-support';
import { restConfig as salesforceRest, startFake as startSalesforce } from './salesforce-support';

const DAY = '2026-11-20';

/**
 * End to end (issue 13): both fakes as servers, the real clients as the registry builds them from
 * configuration (NETSUITE_DRIVER / SALESFORCE_DRIVER = rest), the real drain over the real outbox.
 */
describe('integrations: sync end to end (API -> outbox -> drain -> registry targets -> NetSuite and Salesforce fakes)', function () {
  this.timeout(120_000);
  let ns: FakeNetsuite;
  let sf: FakeSalesforce;
  let market: Market;
  let ctx: AppContext;
  let drain: OutboxDrain;
  let netsuite: SyncTarget;
  let salesforce: SyncTarget;
  let agent: string;
  let backOffice: string;
  let cashier: string;

  before(async () => {
    const rt = await testRuntime();
    ns = await startNetsuite();
    sf = await startSalesforce();
    market = await createMarket({ businessDate: DAY });
    await mapSubsidiary(market.country.id, '5');
    const codes = await rt.sequelize.query<{ code: string }>('SELECT code FROM ledgerAccounts', { type: QueryTypes.SELECT });
    await NetsuiteAccountMapping.bulkCreate(codes.map(({ code }) => ({ countryId: market.country.id, ledgerCode: code, netsuiteAccountId: `9${code}` })));
    ({ token: agent } = await loginAs('agent', { regionIds: [market.region.id] }));
    ({ token: backOffice } = await loginAs('back_office'));
    ({ token: cashier } = await loginAs('finance'));
    ctx = {
      config: { ...rt.config, netsuite: netsuiteRest(ns), salesforce: salesforceRest(sf), queuePrefix: `amt-test-${randomUUID().slice(0, 8)}` },
      sequelize: rt.sequelize,
      logger: rt.logger,
      queue: rt.queue,
      redis: rt.redis,
    };
    // Targets are built once per runtime: forget any another test had built with the log driver.
    await closeSyncTargets(rt.sequelize);
    netsuite = syncTargetFor(ctx, 'netsuite');
    salesforce = syncTargetFor(ctx, 'salesforce');
    drain = new OutboxDrain({ sequelize: rt.sequelize, config: { ...rt.config.sync, backoffBaseMs: 1, backoffMaxMs: 1 }, logger: rt.logger });
    // Whatever earlier tests left in the outbox goes first, so what follows counts only this test's writes.
    await drainBoth();
  });

  after(async () => {
    await closeSyncTargets((await testRuntime()).sequelize);
    await ns.stop();
    await sf.stop();
  });

  async function drainBoth(): Promise<void> {
    await drain.drain(netsuite);
    await drain.drain(salesforce);
  }

  it('the registry serves the REST clients when their driver is rest (the log driver otherwise)', () => {
    expect(netsuite.name).to.equal('netsuite');
    expect(driverOf(netsuite)).to.equal('netsuite');
    expect('client' in netsuite && netsuite.client).to.not.equal(undefined);
    expect(salesforce).to.be.instanceOf(SalesforceTarget);
    expect(driverOf(salesforce)).to.equal('salesforce');
  });

  it('a new customer, a new account and ten payments reach both systems; the ten payments make one Salesforce write; the day journal equals the journal lines', async () => {
    // A customer onboarded through the API: upserted into NetSuite and Salesforce by external id.
    const onboarded = await call('post', '/customers', agent, {
      firstName: 'Amina',
      lastName: `Otieno ${randomUUID().slice(0, 6)}`,
      phone: `+2547${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
      nationalId: `ID ${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`,
      regionId: market.region.id,
    });
    expect(onboarded.status, JSON.stringify(onboarded.body)).to.equal(201);
    const customerId = onboarded.body.id as number;
    const { product, payplan } = await createPlan({ price: '1000.00', downPayment: '100.00', duration: 4, frequency: 'weekly' });
    const opened = await call('post', '/accounts', backOffice, { customerId, productId: product.id, payplanId: payplan.id, startDate: DAY });
    expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
    const accountId = opened.body.id as number;
    await drainBoth();

    const customer = (await Customer.findByPk(customerId))!;
    const nsCustomer = ns.byExternalId('customer', `amt-cust-${customerId}`)!;
    expect(nsCustomer, 'customer in NetSuite').to.not.equal(undefined);
    expect(nsCustomer.fields).to.include({ firstName: 'Amina', lastName: customer.lastName, phone: customer.phone });
    expect(nsCustomer.fields.subsidiary).to.deep.equal({ id: '5' });
    const sfCustomer = sf.find('Account', 'AMT_Customer_Id__c', String(customerId))!;
    expect(sfCustomer, 'customer in Salesforce').to.not.equal(undefined);
    expect(sfCustomer).to.include({ Name: `Amina ${customer.lastName}` });
    expect(JSON.stringify(sfCustomer)).to.not.include('ID ');
    let account = (await Account.findByPk(accountId))!;
    let sfAccount = sf.find('PAYG_Account__c', 'AMT_Account_Number__c', account.accountNumber)!;
    expect(sfAccount, 'PAYG account in Salesforce').to.not.equal(undefined);
    expect(sfAccount).to.include({ Status__c: 'pending', Balance__c: account.balance, AMT_Customer_Id__c: String(customerId) });

    // Ten payments on the account: ten outbox rows for Salesforce, one upsert of the account's state.
    const requestsBefore = sf.requests.length;
    expect((await pay(cashier, accountId, '100.00')).status).to.equal(201);
    for (let i = 0; i < 9; i++) expect((await pay(cashier, accountId, '10.00')).status).to.equal(201);
    const pending = await SyncOutbox.count({ where: { target: 'salesforce', aggregateType: 'account', aggregateId: accountId, status: 'pending' } });
    expect(pending).to.equal(10);
    await drain.drain(salesforce);
    const upserts = sf.requests.slice(requestsBefore).filter((r) => r.path.includes('PAYG_Account__c') && r.method !== 'GET');
    expect(upserts.map((r) => r.records)).to.deep.equal([1]);
    account = (await Account.findByPk(accountId))!;
    expect(account.balance).to.equal(new Decimal('1000.00').minus('190.00').toFixed(2));
    sfAccount = sf.find('PAYG_Account__c', 'AMT_Account_Number__c', account.accountNumber)!;
    expect(sfAccount).to.include({ Status__c: account.status, Balance__c: account.balance });
    expect(account.status).to.equal('active');
    expect(await SyncOutbox.count({ where: { target: 'salesforce', aggregateType: 'account', aggregateId: accountId, status: 'done' } })).to.equal(11);

    // NetSuite hears of money through the day journal: after the nightly close, one journal entry
    // for the country and day whose lines equal the day's journalLines per mapped account.
    const journalBefore = ns.all('journalEntry').length;
    await drain.drain(netsuite);
    expect(ns.all('journalEntry').length, 'payments alone send no journal').to.equal(journalBefore);
    await closeDayInline(await testRuntime(), market.country.id, DAY, { chunkSize: 1_000_000 });
    await drain.drain(netsuite);
    const je = ns.byExternalId('journalEntry', `amt-je-${market.country.code}-${DAY}`)!;
    expect(je, 'day journal in NetSuite').to.not.equal(undefined);
    expect(je.fields).to.include({ tranDate: DAY });
    const lines = (je.fields.line as { items: { account: { id: string }; debit?: number; credit?: number }[] }).items;
    const sent: Record<string, string> = {};
    for (const l of lines)
      sent[l.account.id] = new Decimal(sent[l.account.id] ?? 0)
        .plus(l.debit ?? 0)
        .minus(l.credit ?? 0)
        .toFixed(2);
    const rows = await ctx.sequelize.query<{ code: string; net: string }>(
      `SELECT la.code, SUM(jl.debit) - SUM(jl.credit) AS net FROM journalLines jl JOIN journalEntries je ON je.id = jl.journalEntryId
         JOIN ledgerAccounts la ON la.id = jl.ledgerAccountId WHERE je.countryId = :countryId AND je.businessDate = :date GROUP BY la.code`,
      { replacements: { countryId: market.country.id, date: DAY }, type: QueryTypes.SELECT },
    );
    const expected = Object.fromEntries(rows.filter((r) => !new Decimal(r.net).isZero()).map((r) => [`9${r.code}`, new Decimal(r.net).toFixed(2)]));
    expect(Object.fromEntries(Object.entries(sent).filter(([, v]) => !new Decimal(v).isZero()))).to.deep.equal(expected);
    const debits = lines.reduce((s, l) => s.plus(l.debit ?? 0), new Decimal(0));
    const credits = lines.reduce((s, l) => s.plus(l.credit ?? 0), new Decimal(0));
    expect(debits.toFixed(2)).to.equal(credits.toFixed(2));
    expect(debits.greaterThan(0)).to.equal(true);

    // Nothing left behind for either system, nothing dead.
    for (const target of ['netsuite', 'salesforce']) {
      expect(await SyncOutbox.count({ where: { target, status: 'failed', aggregateId: [customerId, accountId] } }), `${target} dead`).to.equal(0);
    }
  });

  it('a reversal reaches Salesforce as the account restored (balance back up), in one upsert', async () => {
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 4, frequency: 'weekly', startDate: DAY });
    expect((await pay(cashier, account.id, '100.00')).status).to.equal(201);
    const second = await pay(cashier, account.id, '50.00');
    expect(second.status).to.equal(201);
    await drain.drain(salesforce);
    const paid = (await Account.findByPk(account.id))!;
    expect(sf.find('PAYG_Account__c', 'AMT_Account_Number__c', paid.accountNumber)).to.include({ Balance__c: paid.balance });

    const requested = await call('post', `/payments/${second.body.payment.id}/reversal`, backOffice, { reason: 'provider reversed the transaction' });
    expect(requested.status, JSON.stringify(requested.body)).to.equal(201);
    const approved = await call('post', `/payment-reversals/${requested.body.id}/approve`, cashier);
    expect(approved.status, JSON.stringify(approved.body)).to.be.oneOf([200, 201]);
    const requestsBefore = sf.requests.length;
    await drain.drain(salesforce);
    const reversed = (await Account.findByPk(account.id))!;
    expect(reversed.balance).to.equal(new Decimal(paid.balance).plus('50.00').toFixed(2));
    expect(sf.find('PAYG_Account__c', 'AMT_Account_Number__c', reversed.accountNumber)).to.include({
      Balance__c: reversed.balance,
      Status__c: reversed.status,
    });
    expect(
      sf.requests
        .slice(requestsBefore)
        .filter((r) => r.path.includes('PAYG_Account__c'))
        .map((r) => r.records),
    ).to.deep.equal([1]);
  });
});
