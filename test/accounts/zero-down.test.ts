import { expect } from 'chai';
import { Account, AccountStatusHistory, InstallmentSchedule } from '../../src/modules/accounts/models';
import { CommissionEntry } from '../../src/modules/commissions/models';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import { loginAs, testRuntime } from '../support/app';
import { createCustomer, createMarket, createPlan, expectBooksBalanced, openAccount, type Market } from '../support/lending';
import { createCommissionPlan } from '../commissions/support';
import { call, expectBalanceMatchesItems, pay } from '../lending/support';

/**
 * Zero-down plans (issue 12, defect 3): no instalment 0 (a 0.00 "unpaid" line is refused by the
 * CHECK installmentSchedules_unpaid_owes on MySQL), active from the opening; and pending accounts
 * (a down payment still owed) carry no DPD or PAR bucket (defect 14); an account lives in its
 * customer's region.
 */
describe('accounts: zero-down plans, pending accounts and the opening region', () => {
  let market: Market;
  let admin: string;
  let adminEmployeeId: number;
  const history = async (accountId: number) =>
    (await AccountStatusHistory.findAll({ where: { accountId }, order: [['id', 'ASC']] })).map((h) => `${h.previousStatus ?? ''}->${h.newStatus}`);

  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    const login = await loginAs('admin');
    admin = login.token;
    adminEmployeeId = login.user.employee.id;
  });

  it('POST /accounts on a zero-down plan: 201, active at once, no instalment 0; payments settle it; books balanced', async () => {
    const { product, payplan } = await createPlan({ price: '1200.00', downPayment: '0.00', duration: 4, frequency: 'weekly' });
    const customer = await createCustomer(market.region.id);
    const opened = await call('post', '/accounts', admin, { customerId: customer.id, productId: product.id, payplanId: payplan.id });
    expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
    expect(opened.body).to.include({
      status: 'active',
      activationDate: '2026-11-20',
      downPaymentAmount: '0.00',
      totalPrice: '1200.00',
      balance: '1200.00',
      daysPastDue: 0,
      parBucket: 'current',
    });
    const id = opened.body.id as number;

    const detail = await call('get', `/accounts/${id}`, admin);
    expect(
      detail.body.schedule.map((i: { installmentNumber: number; dueDate: string; amount: string; status: string }) => [
        i.installmentNumber,
        i.dueDate,
        i.amount,
        i.status,
      ]),
    ).to.deep.equal([
      [1, '2026-11-27', '300.00', 'pending'],
      [2, '2026-12-04', '300.00', 'pending'],
      [3, '2026-12-11', '300.00', 'pending'],
      [4, '2026-12-18', '300.00', 'pending'],
    ]);
    expect(await history(id)).to.deep.equal(['->active']);
    await expectBooksBalanced([id]);

    const first = await pay(admin, id, '300.00');
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    const afterFirst = (await Account.findByPk(id))!;
    expect({ status: afterFirst.status, balance: afterFirst.balance, activationDate: afterFirst.activationDate }).to.deep.equal({
      status: 'active',
      balance: '900.00',
      activationDate: '2026-11-20',
    });
    expect((await InstallmentSchedule.findOne({ where: { accountId: id, installmentNumber: 1 } }))!.status).to.equal('paid');
    await expectBalanceMatchesItems(id);

    const rest = await pay(admin, id, '900.00');
    expect(rest.status).to.equal(201);
    const done = (await Account.findByPk(id))!;
    expect({ status: done.status, balance: done.balance }).to.deep.equal({ status: 'closed', balance: '0.00' });
    expect(await history(id)).to.deep.equal(['->active', 'active->closed']);
    await expectBooksBalanced([id]);
    await expectBalanceMatchesItems(id);
  });

  it('a back-dated zero-down sale is aged at opening like any active loan, and paying its arrears re-activates it', async () => {
    // Sold 2026-10-09, 10 weekly instalments of 120: 5 due before 2026-11-20, the oldest 35 days ago.
    const account = await openAccount(market, {
      price: '1200.00',
      downPayment: '0.00',
      duration: 10,
      frequency: 'weekly',
      daysUntilSuspension: 14,
      startDate: '2026-10-09',
    });
    const opened = (await Account.findByPk(account.id))!;
    expect({ status: opened.status, activationDate: opened.activationDate, daysPastDue: opened.daysPastDue, parBucket: opened.parBucket }).to.deep.equal({
      status: 'suspended',
      activationDate: '2026-10-09',
      daysPastDue: 35,
      parBucket: '31-60',
    });
    expect(await history(account.id)).to.deep.equal(['->active', 'active->suspended']);

    const paid = await pay(admin, account.id, '600.00');
    expect(paid.status).to.equal(201);
    const after = (await Account.findByPk(account.id))!;
    expect({ status: after.status, daysPastDue: after.daysPastDue, balance: after.balance }).to.deep.equal({
      status: 'active',
      daysPastDue: 0,
      balance: '600.00',
    });
    await expectBooksBalanced([account.id]);
    await expectBalanceMatchesItems(account.id);
  });

  it('the nightly close ages a zero-down account (DPD, PAR) and leaves a pending one at DPD 0 with its down payment overdue', async () => {
    const own = await createMarket({ businessDate: '2026-11-20' });
    const zero = await openAccount(own, { price: '400.00', downPayment: '0.00', duration: 4, frequency: 'daily', startDate: '2026-11-19' }); // instalment 1 due today
    const pending = await openAccount(own, { price: '1000.00', downPayment: '100.00', duration: 4, frequency: 'weekly', startDate: '2026-10-16' });
    // A part of the down payment: still pending, so still no arrears (the payment path's rule).
    expect((await pay(admin, pending.id, '40.00')).status).to.equal(201);
    const partly = (await Account.findByPk(pending.id))!;
    expect({ status: partly.status, daysPastDue: partly.daysPastDue, parBucket: partly.parBucket }).to.deep.equal({
      status: 'pending',
      daysPastDue: 0,
      parBucket: 'current',
    });

    await closeDayInline(await testRuntime(), own.country.id, '2026-11-20');
    const z = (await Account.findByPk(zero.id))!;
    expect({ status: z.status, daysPastDue: z.daysPastDue, parBucket: z.parBucket }).to.deep.equal({ status: 'active', daysPastDue: 1, parBucket: '1-30' });
    const p = (await Account.findByPk(pending.id))!;
    expect({ status: p.status, daysPastDue: p.daysPastDue, parBucket: p.parBucket, lastNightlyBusinessDate: p.lastNightlyBusinessDate }).to.deep.equal({
      status: 'pending',
      daysPastDue: 0,
      parBucket: 'current',
      lastNightlyBusinessDate: '2026-11-21',
    });
    const down = (await InstallmentSchedule.findOne({ where: { accountId: pending.id, installmentNumber: 0 } }))!;
    expect({ status: down.status, paidAmount: down.paidAmount }).to.deep.equal({ status: 'overdue', paidAmount: '40.00' });
    const late = await call('get', `/accounts?regionId=${own.region.id}&minDaysPastDue=1`, admin);
    expect(late.body.data.map((a: { id: number }) => a.id)).to.deep.equal([zero.id]);

    // The rest of the down payment activates it: from then on its arrears count (instalment 1 due 2026-10-23).
    expect((await pay(admin, pending.id, '60.00')).status).to.equal(201);
    const active = (await Account.findByPk(pending.id))!;
    expect({ status: active.status, daysPastDue: active.daysPastDue, parBucket: active.parBucket }).to.deep.equal({
      status: 'active',
      daysPastDue: 29,
      parBucket: '1-30',
    });
    await expectBooksBalanced([zero.id, pending.id]);
  });

  it('the agent earns the sale commission when a zero-down account opens (no down payment will), once', async () => {
    const own = await createMarket({ businessDate: '2026-11-20' });
    await createCommissionPlan([
      { eventType: 'sale', amount: '500.00', regionId: own.region.id },
      { eventType: 'down_payment', amount: '50.00', regionId: own.region.id },
    ]);
    const { product, payplan } = await createPlan({ price: '1200.00', downPayment: '0.00', duration: 4 });
    const customer = await createCustomer(own.region.id);
    const opened = await call('post', '/accounts', admin, { customerId: customer.id, productId: product.id, payplanId: payplan.id });
    expect(opened.status).to.equal(201);
    expect((await pay(admin, opened.body.id, '300.00')).status).to.equal(201); // the activation day: no second sale
    const entries = await CommissionEntry.findAll({ where: { accountId: opened.body.id }, order: [['id', 'ASC']] });
    const sales = entries.filter((e) => e.eventType === 'sale');
    expect(sales.map((e) => ({ employeeId: e.employeeId, amount: e.amount }))).to.deep.equal([{ employeeId: adminEmployeeId, amount: '500.00' }]);
    expect(entries.filter((e) => e.eventType === 'down_payment')).to.deep.equal([]);
  });

  it("refuses an account in a region other than its customer's: 422 naming regionId, nothing written", async () => {
    const other = await createMarket({ businessDate: '2026-11-20' });
    const { product, payplan } = await createPlan();
    const customer = await createCustomer(market.region.id);
    const mismatch = await call('post', '/accounts', admin, {
      customerId: customer.id,
      productId: product.id,
      payplanId: payplan.id,
      regionId: other.region.id,
    });
    expect(mismatch.status, JSON.stringify(mismatch.body)).to.equal(422);
    expect(mismatch.type).to.equal('application/problem+json');
    expect(mismatch.body.status).to.equal(422);
    expect((mismatch.body.errors as { field: string }[]).map((e) => e.field)).to.deep.equal(['regionId']);
    // A region that does not exist is refused too, never a 500 (a 400 if validation catches it first).
    const missing = await call('post', '/accounts', admin, { customerId: customer.id, productId: product.id, payplanId: payplan.id, regionId: 2_000_000_000 });
    expect(missing.status, JSON.stringify(missing.body)).to.be.oneOf([400, 422]);
    expect((missing.body.errors as { field: string }[]).map((e) => e.field)).to.deep.equal(['regionId']);
    expect(await Account.count({ where: { customerId: customer.id } })).to.equal(0);

    const same = await call('post', '/accounts', admin, { customerId: customer.id, productId: product.id, payplanId: payplan.id, regionId: market.region.id });
    expect(same.status).to.equal(201);
    expect(same.body).to.include({ regionId: market.region.id, status: 'pending' });
  });
});
