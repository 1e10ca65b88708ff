import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startSalesforceFake, type RunningFake } from '../../scripts/fake-salesforce';
import { startNetsuiteFakeForDemo, type FakeNetsuite } from '../fakes/netsuite';
import { demoLogin, startDemo, stopDemo, waitForDrain, type DemoServer } from '../support/demo-server';

type Api = Awaited<ReturnType<typeof demoLogin>>;

/**
 * README "Watching a sync locally", as a user does it: `npm run fakes` (both fakes with the
 * variables they print) and `npm start` pointed at them. The demo seeders map each country to a
 * NetSuite subsidiary and every ledger code to a GL account (seeders/20261208700100), so the demo
 * portfolio's customers, day journals and commission bills all reach NetSuite with no dead item,
 * and a new customer and payment arrive in both fakes.
 */
describe('integrations: the demo pointed at `npm run fakes` (demo-seeded NetSuite mappings, no dead items)', function () {
  this.timeout(300_000);
  let dir: string;
  let netsuite: { fake: FakeNetsuite; env: Record<string, string> };
  let salesforce: RunningFake;
  let server: DemoServer | undefined;
  let finance: Api;
  let agent: Api;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amt-demo-fakes-'));
    netsuite = await startNetsuiteFakeForDemo(0);
    salesforce = await startSalesforceFake({ port: 0 });
    server = await startDemo(path.join(dir, 'demo.sqlite'), { ...netsuite.env, ...salesforce.env, SYNC_POLL_INTERVAL_SECONDS: '1' });
    finance = await demoLogin(server.base, 'finance@amt.local');
    agent = await demoLogin(server.base, 'agent@amt.local');
  });

  after(async () => {
    if (server && server.child.exitCode === null) await stopDemo(server);
    await netsuite?.fake.stop();
    await salesforce?.fake.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const drained = () => waitForDrain(server!, finance, { attempts: 600, intervalMs: 250 });

  it('the demo portfolio drains into both fakes with no dead item; a new customer and a payment then arrive in both', async () => {
    const first = await drained();
    expect(first.map((t) => [t.target, t.driver, t.dead])).to.deep.equal([
      ['netsuite', 'netsuite', 0],
      ['salesforce', 'salesforce', 0],
    ]);
    const dead = await finance('GET', '/integrations/dead');
    expect(dead.body.data, JSON.stringify(dead.body.data)).to.deep.equal([]);
    // The portfolio's closed days went to NetSuite as balanced journal entries on the seeded chart.
    const journals = netsuite.fake.all('journalEntry');
    expect(journals.length, 'day journals of the demo history').to.be.greaterThan(0);
    expect(journals[0]!.fields.subsidiary).to.deep.equal({ id: '1' });

    const regions = await agent('GET', '/regions');
    const nairobi = (regions.body.data ?? regions.body).find((r: { code: string }) => r.code === 'KE-NAI');
    const onboarded = await agent('POST', '/customers', {
      firstName: 'Zawadi',
      lastName: 'Mwangi',
      phone: `+2547${String(Date.now()).slice(-8)}`,
      nationalId: `ID ${String(Date.now()).slice(-9)}`,
      regionId: nairobi.id,
    });
    expect(onboarded.status, JSON.stringify(onboarded.body)).to.equal(201);
    const customerId = onboarded.body.id as number;

    let account: { id: number; accountNumber: string } | undefined;
    for (let id = 1; !account && id < 50; id++) {
      const res = await finance('GET', `/accounts/${id}`);
      if (res.status === 200 && res.body.status === 'active') account = res.body;
    }
    expect(account, 'an active demo account').to.not.equal(undefined);
    const paid = await finance(
      'POST',
      '/payments',
      { accountId: account!.id, amount: '10.00', paymentType: 'CASH', channel: 'cash', transactionRef: `DEMO-FAKES-${Date.now()}` },
      { 'Idempotency-Key': `demo-fakes-${Date.now()}` },
    );
    expect(paid.status, JSON.stringify(paid.body)).to.equal(201);

    const after = await drained();
    expect(after.map((t) => t.dead)).to.deep.equal([0, 0]);
    const nsCustomer = netsuite.fake.byExternalId('customer', `amt-cust-${customerId}`);
    expect(nsCustomer?.fields, 'the new customer in NetSuite').to.include({ firstName: 'Zawadi', lastName: 'Mwangi' });
    expect(nsCustomer!.fields.subsidiary, "Kenya's demo subsidiary").to.deep.equal({ id: '1' });
    expect(salesforce.fake.find('Account', 'AMT_Customer_Id__c', String(customerId)), 'the new customer in Salesforce').to.include({ Name: 'Zawadi Mwangi' });
    const sfAccount = salesforce.fake.find('PAYG_Account__c', 'AMT_Account_Number__c', account!.accountNumber);
    const now = await finance('GET', `/accounts/${account!.id}`);
    expect(sfAccount, 'the paid account in Salesforce').to.include({ Balance__c: now.body.balance });
    expect(server!.output()).to.not.match(/"level":(50|60)/);
  });
});
