import { expect } from 'chai';
import { Account } from '../../src/modules/accounts/models';
import { accrue, accrueOnPayment } from '../../src/modules/commissions/accrual.service';
import { CommissionEntry } from '../../src/modules/commissions/models';
import { pickRule, specificity, splitStages, type ActiveRule } from '../../src/modules/commissions/rules.service';
import { Payment } from '../../src/modules/payments/models';
import { Decimal } from '../../src/platform/money';
import { createEmployee, loginAs, testRuntime } from '../support/app';
import { createMarket, createPlan, type Market } from '../support/lending';
import { call, pay } from '../lending/support';
import { createCommissionPlan, entriesOf, sellAccount, STAGED } from './support';

describe('commissions: rules and accrual', () => {
  let market: Market;
  let cashier: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: cashier } = await loginAs('finance'));
    await createCommissionPlan([
      { eventType: 'sale', amount: '1000.00', stages: STAGED, clawbackWithinDays: 90, regionId: market.region.id },
      { eventType: 'down_payment', amount: '100.00', regionId: market.region.id },
      { eventType: 'collection', percentage: '2.0000', regionId: market.region.id },
    ]);
  });
  beforeEach(() => market.setDate('2026-11-20'));

  it('the down payment that activates the account earns the staged sale and the down-payment commission; partial down payments earn nothing', async () => {
    const agent = await createEmployee('agent', { regionIds: [market.region.id] });
    const account = await sellAccount(market, agent.employee.id, { price: '10000.00', downPayment: '1000.00', duration: 10, startDate: '2026-11-20' });
    expect((await pay(cashier, account.id, '400.00')).body.account.status).to.equal('pending');
    expect(await entriesOf(agent.employee.id)).to.deep.equal([]);

    const res = await pay(cashier, account.id, '700.00'); // 600 completes the down payment, 100 goes to instalment 1
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.account.status).to.equal('active');
    expect(await entriesOf(agent.employee.id)).to.deep.equal([
      { event: 'sale', stage: 0, amount: '500.00', earnedOn: '2026-11-20', status: 'payable' },
      { event: 'sale', stage: 1, amount: '250.00', earnedOn: '2027-01-20', status: 'accrued' },
      { event: 'sale', stage: 2, amount: '250.00', earnedOn: '2027-04-20', status: 'accrued' },
      { event: 'down_payment', stage: 0, amount: '100.00', earnedOn: '2026-11-20', status: 'payable' },
      { event: 'collection', stage: 0, amount: '2.00', earnedOn: '2026-11-20', status: 'payable' },
    ]);
    const sale = await CommissionEntry.findOne({ where: { employeeId: agent.employee.id, eventType: 'sale', stage: 0 } });
    expect(sale).to.include({ sourceType: 'account', sourceId: account.id, accountId: account.id });
  });

  it('collections earn their percentage of the money collected, rounded to the cent; the sale is earned only once', async () => {
    const agent = await createEmployee('agent', { regionIds: [market.region.id] });
    const account = await sellAccount(market, agent.employee.id, { price: '5000.00', downPayment: '500.00', duration: 10, startDate: '2026-11-20' });
    await pay(cashier, account.id, '500.00');
    await market.setDate('2026-11-27');
    const p1 = await pay(cashier, account.id, '333.33');
    const p2 = await pay(cashier, account.id, '450.00');
    const collections = await CommissionEntry.findAll({ where: { employeeId: agent.employee.id, eventType: 'collection' }, order: [['id', 'ASC']] });
    expect(collections.map((e) => [e.sourceId, e.amount, e.earnedOn, e.status])).to.deep.equal([
      [p1.body.payment.id, '6.67', '2026-11-27', 'payable'],
      [p2.body.payment.id, '9.00', '2026-11-27', 'payable'],
    ]);
    expect(await CommissionEntry.count({ where: { employeeId: agent.employee.id, eventType: 'sale' } })).to.equal(3);
  });

  it('an account without an agent, and money on a written-off account (a recovery), earn nothing', async () => {
    const agentless = await sellAccount(market, null, { startDate: '2026-11-20' });
    expect(agentless.agentId).to.equal(null);
    await pay(cashier, agentless.id, '1500.00');
    expect(await CommissionEntry.count({ where: { accountId: agentless.id } })).to.equal(0);

    const agent = await createEmployee('agent', { regionIds: [market.region.id] });
    const account = await sellAccount(market, agent.employee.id, { price: '3000.00', downPayment: '300.00', startDate: '2026-11-20' });
    await pay(cashier, account.id, '300.00');
    const before = await CommissionEntry.count({ where: { accountId: account.id } });
    const { token: maker } = await loginAs('back_office');
    const w = await call('post', `/accounts/${account.id}/writeoff`, maker, { reason: 'customer left the country' });
    expect(w.status, JSON.stringify(w.body)).to.equal(201);
    expect((await call('post', `/writeoffs/${w.body.id}/approve`, cashier)).status).to.equal(200);
    expect((await pay(cashier, account.id, '200.00')).status).to.equal(201);
    expect(await CommissionEntry.count({ where: { accountId: account.id } })).to.equal(before);
  });

  it('a reversed payment takes its collection commission back (cancelled before any payout)', async () => {
    const agent = await createEmployee('agent', { regionIds: [market.region.id] });
    const account = await sellAccount(market, agent.employee.id, { price: '3000.00', downPayment: '300.00', startDate: '2026-11-20' });
    await pay(cashier, account.id, '300.00');
    const p = await pay(cashier, account.id, '250.00');
    const { token: maker } = await loginAs('back_office');
    const r = await call('post', `/payments/${p.body.payment.id}/reversal`, maker, { reason: 'bounced' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect((await call('post', `/payment-reversals/${r.body.id}/approve`, cashier)).status).to.equal(200);
    const e = await CommissionEntry.findOne({ where: { employeeId: agent.employee.id, sourceType: 'payment', sourceId: p.body.payment.id } });
    expect(e).to.include({ eventType: 'collection', amount: '5.00', status: 'cancelled' });
  });

  it('re-running the accrual of the same events inserts nothing (unique rule, source, stage, employee)', async () => {
    const agent = await createEmployee('agent', { regionIds: [market.region.id] });
    const account = await sellAccount(market, agent.employee.id, { price: '2000.00', downPayment: '200.00', startDate: '2026-11-20' });
    const res = await pay(cashier, account.id, '250.00');
    const before = await entriesOf(agent.employee.id);
    expect(before).to.have.length(5);
    const { sequelize } = await testRuntime();
    const payment = (await Payment.findByPk(res.body.payment.id))!;
    for (let i = 0; i < 2; i++) {
      await sequelize.transaction(async (t) => {
        const locked = (await Account.findByPk(account.id, { lock: t.LOCK.UPDATE, transaction: t }))!;
        await accrueOnPayment({ payment, account: locked, businessDate: '2026-11-20', paidOff: false }, t);
        const offered = await accrue(
          [
            {
              eventType: 'sale',
              employeeId: agent.employee.id,
              accountId: account.id,
              productId: account.productId,
              regionId: account.regionId,
              sourceType: 'account',
              sourceId: account.id,
              eventDate: '2026-11-20',
              base: '2000.00',
            },
          ],
          t,
        );
        expect(offered).to.equal(3);
      });
    }
    expect(await entriesOf(agent.employee.id)).to.deep.equal(before);
  });

  describe('rule specificity', () => {
    const base: Omit<ActiveRule, 'id' | 'productId' | 'regionId' | 'priority'> = {
      commissionPlanId: 1,
      planValidFrom: '2026-01-01',
      planValidTo: null,
      eventType: 'sale',
      calculation: 'fixed',
      amount: '1.00',
      percentage: null,
      stages: null,
      clawbackWithinDays: null,
    };
    const rule = (id: number, productId: number | null, regionId: number | null, priority = 0, extra: Partial<ActiveRule> = {}): ActiveRule => ({
      ...base,
      id,
      productId,
      regionId,
      priority,
      ...extra,
    });
    const q = { eventType: 'sale' as const, productId: 7, regionId: 3, date: '2026-11-20' };

    it('product + region beats product, which beats region, which beats any; then priority', () => {
      const any = rule(1, null, null, 99);
      const region = rule(2, null, 3, 50);
      const product = rule(3, 7, null);
      const both = rule(4, 7, 3);
      expect([any, region, product, both].map(specificity)).to.deep.equal([0, 1, 2, 3]);
      expect(pickRule([any, region, product, both], q)?.id).to.equal(4);
      expect(pickRule([any, region, product], q)?.id).to.equal(3);
      expect(pickRule([any, region], q)?.id).to.equal(2);
      expect(pickRule([any], q)?.id).to.equal(1);
      expect(pickRule([rule(5, null, 3, 1), rule(6, null, 3, 5), rule(7, null, 3, 2)], q)?.id).to.equal(6);
    });

    it('ignores rules of other products, regions, events, and plans not valid on the date', () => {
      expect(pickRule([rule(1, 8, null), rule(2, null, 4), rule(3, null, null, 0, { eventType: 'collection' })], q)).to.equal(undefined);
      expect(pickRule([rule(1, null, null, 0, { planValidFrom: '2026-11-21' }), rule(2, null, null, 0, { planValidTo: '2026-11-19' })], q)).to.equal(undefined);
      expect(pickRule([rule(1, null, null, 0, { planValidTo: '2026-11-20' })], q)?.id).to.equal(1);
    });

    it('applies in accrual: the product + region rule wins over the region rule and the default plan', async () => {
      const other = await createMarket({ businessDate: '2026-11-20' });
      const { product, payplan } = await createPlan({ price: '4000.00', downPayment: '400.00' });
      await createCommissionPlan([
        { eventType: 'sale', amount: '111.00', regionId: other.region.id, priority: 100 },
        { eventType: 'sale', amount: '222.00', productId: product.id },
        { eventType: 'sale', amount: '333.00', productId: product.id, regionId: other.region.id },
        { eventType: 'sale', amount: '444.00', productId: product.id, regionId: other.region.id, isActive: false },
      ]);
      const agent = await createEmployee('agent', { regionIds: [other.region.id] });
      const account = await sellAccount(other, agent.employee.id, { catalogue: { product, payplan } });
      const otherProduct = await sellAccount(other, agent.employee.id, { price: '4000.00', downPayment: '400.00' });
      await pay(cashier, account.id, '400.00');
      await pay(cashier, otherProduct.id, '500.00');
      const entries = await CommissionEntry.findAll({
        where: { employeeId: agent.employee.id },
        order: [
          ['accountId', 'ASC'],
          ['eventType', 'ASC'],
        ],
      });
      expect(entries.map((s) => [s.accountId, s.eventType, s.amount])).to.deep.equal([
        [account.id, 'sale', '333.00'],
        [otherProduct.id, 'sale', '111.00'],
        // No rule of this region for collections: the seeded default plan's 2 % of the 100.00 collected.
        [otherProduct.id, 'collection', '2.00'],
      ]);
    });
  });

  it('splits stages to the cent, the last stage taking the rounding; month ends stay month ends', () => {
    const stages = splitStages(
      new Decimal('100.01'),
      [
        { percent: 33.33, afterMonths: 0 },
        { percent: 33.33, afterMonths: 1 },
        { percent: 33.34, afterMonths: 2 },
      ],
      '2027-01-31',
    );
    expect(stages.map((s) => [s.amount, s.earnedOn])).to.deep.equal([
      ['33.33', '2027-01-31'],
      ['33.33', '2027-02-28'],
      ['33.35', '2027-03-31'],
    ]);
  });
});
