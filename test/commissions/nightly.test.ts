import { expect } from 'chai';
import { Op } from 'sequelize';
import { Account } from '../../src/modules/accounts/models';
import { CommissionClawback, CommissionEntry } from '../../src/modules/commissions/models';
import { closeSteps } from '../../src/modules/operations/close-steps';
import { withTransaction } from '../../src/platform/db/transaction';
import { createEmployee, loginAs, testRuntime } from '../support/app';
import { createMarket, type Market } from '../support/lending';
import { call, pay } from '../lending/support';
import { createCommissionPlan, entriesOf, nightly, sellAccount, STAGED } from './support';

describe('commissions: the nightly step and clawbacks', () => {
  let market: Market;
  let elsewhere: Market;
  let cashier: string;
  let maker: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    elsewhere = await createMarket({ businessDate: '2026-11-20' });
    ({ token: cashier } = await loginAs('finance'));
    ({ token: maker } = await loginAs('back_office'));
    await createCommissionPlan([
      { eventType: 'sale', amount: '1000.00', stages: STAGED, clawbackWithinDays: 90, regionId: market.region.id },
      { eventType: 'sale', amount: '1000.00', stages: STAGED, clawbackWithinDays: 90, regionId: elsewhere.region.id },
      { eventType: 'collection', percentage: '2.0000', regionId: market.region.id },
    ]);
  });
  beforeEach(async () => {
    await market.setDate('2026-11-20');
    await elsewhere.setDate('2026-11-20');
  });

  const stagesOf = async (employeeId: number) => (await entriesOf(employeeId, { eventType: 'sale' })).map((e) => `${e.stage}:${e.earnedOn}:${e.status}`);

  async function soldAndActivated(m: Market) {
    const agent = await createEmployee('agent', { regionIds: [m.region.id] });
    const account = await sellAccount(m, agent.employee.id, {
      price: '6000.00',
      downPayment: '600.00',
      duration: 10,
      frequency: 'monthly',
      startDate: '2026-11-20',
    });
    // 600 completes the down payment, 100 is collected on instalment 1.
    expect((await pay(cashier, account.id, '700.00')).body.account.status).to.equal('active');
    return { agentId: agent.employee.id, account };
  }

  async function writeOff(accountId: number) {
    const w = await call('post', `/accounts/${accountId}/writeoff`, maker, { reason: 'customer unreachable' });
    expect(w.status, JSON.stringify(w.body)).to.equal(201);
    const a = await call('post', `/writeoffs/${w.body.id}/approve`, cashier);
    expect(a.status, JSON.stringify(a.body)).to.equal(200);
  }

  it('makes each stage payable on its business date, and not a day before; running twice changes nothing', async () => {
    const { agentId, account } = await soldAndActivated(market);
    const other = await soldAndActivated(elsewhere);
    expect(await stagesOf(agentId)).to.deep.equal(['0:2026-11-20:payable', '1:2027-01-20:accrued', '2:2027-04-20:accrued']);

    await nightly(market, '2027-01-19');
    expect(await stagesOf(agentId)).to.deep.equal(['0:2026-11-20:payable', '1:2027-01-20:accrued', '2:2027-04-20:accrued']);
    const first = await nightly(market, '2027-01-20');
    expect(first.payable).to.be.greaterThanOrEqual(1);
    expect(await stagesOf(agentId)).to.deep.equal(['0:2026-11-20:payable', '1:2027-01-20:payable', '2:2027-04-20:accrued']);
    const again = await nightly(market, '2027-01-20');
    expect(again).to.include({ payable: 0, cancelled: 0, clawedBack: 0 });
    expect(await stagesOf(agentId)).to.deep.equal(['0:2026-11-20:payable', '1:2027-01-20:payable', '2:2027-04-20:accrued']);
    await Account.update({ daysPastDue: 30, parBucket: '1-30' }, { where: { id: account.id } }); // late, not in default
    await nightly(market, '2027-04-20');
    expect(await stagesOf(agentId)).to.deep.equal(['0:2026-11-20:payable', '1:2027-01-20:payable', '2:2027-04-20:payable']);

    // Another country's entries wait for that country's own step.
    expect(await stagesOf(other.agentId)).to.deep.equal(['0:2026-11-20:payable', '1:2027-01-20:accrued', '2:2027-04-20:accrued']);
  });

  it('cancels a stage that requires the account not to be in default when it falls due with DPD over 90', async () => {
    const { agentId, account } = await soldAndActivated(market);
    await nightly(market, '2027-01-20');
    // The accounts' own nightly step has aged the account (set here as it would be).
    await Account.update({ daysPastDue: 91, parBucket: '90+' }, { where: { id: account.id } });
    const r = await nightly(market, '2027-04-20');
    expect(r.cancelled).to.be.greaterThanOrEqual(1);
    expect(await stagesOf(agentId)).to.deep.equal(['0:2026-11-20:payable', '1:2027-01-20:payable', '2:2027-04-20:cancelled']);
  });

  it("is the close's commissions step (registered through the module's register), per country and business date", async () => {
    const { agentId } = await soldAndActivated(market);
    const rt = await testRuntime();
    const step = closeSteps(rt.sequelize)
      .countrySteps()
      .find((s) => s.name === 'commissions')!;
    const result = (await withTransaction(rt.sequelize, (t) =>
      step.run({ countryId: market.country.id, closedDate: '2027-01-19', businessDate: '2027-01-20' }, t),
    )) as { payable: number };
    expect(result.payable).to.be.greaterThanOrEqual(1);
    expect(await stagesOf(agentId)).to.deep.equal(['0:2026-11-20:payable', '1:2027-01-20:payable', '2:2027-04-20:accrued']);
  });

  it('an early write-off claws back what was earned and cancels what was not; once only', async () => {
    const { agentId, account } = await soldAndActivated(market);
    await market.setDate('2026-12-20');
    await writeOff(account.id);
    const r = await nightly(market, '2026-12-20');
    expect(r).to.include({ clawedBack: 1 });
    expect(await stagesOf(agentId)).to.deep.equal(['0:2026-11-20:clawed_back', '1:2027-01-20:cancelled', '2:2027-04-20:cancelled']);
    const clawbacks = await CommissionClawback.findAll({ where: { accountId: account.id } });
    expect(clawbacks.map((c) => [c.employeeId, c.amount, c.clawedBackOn, c.commissionPaymentId])).to.deep.equal([[agentId, '500.00', '2026-12-20', null]]);
    expect(clawbacks[0]!.reason).to.match(/30 days after activation/);
    // The collection rule has no clawback window: that commission stays.
    expect(await entriesOf(agentId, { eventType: 'collection' })).to.deep.equal([
      { event: 'collection', stage: 0, amount: '2.00', earnedOn: '2026-11-20', status: 'payable' },
    ]);

    const again = await nightly(market, '2026-12-21');
    expect(again).to.include({ clawedBack: 0 });
    expect(await CommissionClawback.count({ where: { accountId: account.id } })).to.equal(1);
  });

  it('a write-off after the clawback window takes nothing back', async () => {
    const { agentId, account } = await soldAndActivated(market);
    await nightly(market, '2027-01-20');
    await market.setDate('2027-02-19'); // 91 days after activation
    await writeOff(account.id);
    await nightly(market, '2027-02-19');
    expect(await CommissionClawback.count({ where: { accountId: account.id } })).to.equal(0);
    expect(await stagesOf(agentId)).to.deep.equal(['0:2026-11-20:payable', '1:2027-01-20:payable', '2:2027-04-20:accrued']);
    // The last stage requires the account not to be in default: cancelled when it falls due.
    await nightly(market, '2027-04-20');
    expect(await stagesOf(agentId)).to.deep.equal(['0:2026-11-20:payable', '1:2027-01-20:payable', '2:2027-04-20:cancelled']);
    expect(await CommissionEntry.count({ where: { accountId: account.id, status: { [Op.in]: ['clawed_back'] } } })).to.equal(0);
  });
});
