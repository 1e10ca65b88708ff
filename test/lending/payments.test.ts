import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Account, AccountStatusHistory, InstallmentSchedule } from '../../src/modules/accounts/models';
import { FiscalPeriod } from '../../src/modules/ledger/models';
import { Payment } from '../../src/modules/payments/models';
import { Decimal } from '../../src/platform/money';
import { api, loginAs } from '../support/app';
import { createCustomer, createMarket, createPlan, expectBooksBalanced, openAccount, type Market } from '../support/lending';

describe('lending core: accounts and payments', () => {
  let market: Market;
  let token: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token } = await loginAs('finance'));
  });
  beforeEach(() => market.setDate('2026-11-20'));

  async function pay(accountId: number, amount: string, key = randomUUID(), extra: Record<string, unknown> = {}) {
    return (await api())
      .post('/api/v1/payments')
      .set('Authorization', `Bearer ${token}`)
      .set('Idempotency-Key', key)
      .send({ accountId, amount, paymentType: 'MPESA', channel: 'mobile_money', transactionRef: `TX${randomUUID().slice(0, 10)}`, ...extra });
  }

  const schedule = async (accountId: number) =>
    (await InstallmentSchedule.findAll({ where: { accountId }, order: [['installmentNumber', 'ASC']] })).map((i) => ({
      n: i.installmentNumber,
      paid: i.paidAmount,
      status: i.status,
    }));

  it('opening an account builds its schedule, books the receivable and waits for the down payment', async () => {
    const { token: agentToken } = await loginAs('back_office');
    const { product, payplan } = await createPlan({ price: '12000.00', downPayment: '2000.00', duration: 4, frequency: 'monthly', interestRate: '5.00' });
    const customer = await createCustomer(market.region.id);
    const res = await (
      await api()
    )
      .post('/api/v1/accounts')
      .set('Authorization', `Bearer ${agentToken}`)
      .send({ customerId: customer.id, productId: product.id, payplanId: payplan.id, startDate: '2026-01-31' });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ status: 'pending', totalPrice: '12500.00', financedAmount: '10500.00', balance: '12500.00', downPaymentAmount: '2000.00' });
    const detail = await (await api()).get(`/api/v1/accounts/${res.body.id}`).set('Authorization', `Bearer ${agentToken}`).expect(200);
    expect(detail.body.schedule.map((r: { dueDate: string; amount: string }) => [r.dueDate, r.amount])).to.deep.equal([
      ['2026-01-31', '2000.00'],
      ['2026-02-28', '2625.00'],
      ['2026-03-31', '2625.00'],
      ['2026-04-30', '2625.00'],
      ['2026-05-31', '2625.00'],
    ]);
    expect(detail.body.history.map((h: { to: string }) => h.to)).to.deep.equal(['pending']);
    await expectBooksBalanced([res.body.id]);
  });

  it('the down payment activates the account; money then goes to the oldest overdue instalment first', async () => {
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-11-20' });
    let res = await pay(account.id, '100.00');
    expect(res.status).to.equal(201);
    expect(res.body.account.status).to.equal('active');
    expect(res.body.allocations).to.deep.equal([{ kind: 'installment', id: res.body.allocations[0].id, amount: '100.00' }]);

    await market.setDate('2026-12-12'); // instalments of 11-27, 12-04 and 12-11 are past due: DPD 15
    res = await pay(account.id, '350.00');
    expect(res.status).to.equal(201);
    expect(await schedule(account.id)).to.deep.equal([
      { n: 0, paid: '100.00', status: 'paid' },
      { n: 1, paid: '300.00', status: 'paid' },
      { n: 2, paid: '50.00', status: 'overdue' },
      { n: 3, paid: '0.00', status: 'overdue' },
    ]);
    expect(res.body.account).to.include({ balance: '550.00', daysPastDue: 8, parBucket: '1-30' });
    await expectBooksBalanced([account.id]);
  });

  it('an overpayment beyond payoff closes the account and stays as credit', async () => {
    const account = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    const res = await pay(account.id, '650.00');
    expect(res.status).to.equal(201);
    expect(res.body.account).to.include({ status: 'closed', balance: '0.00', creditBalance: '150.00' });
    expect(res.body.allocations.at(-1)).to.deep.equal({ kind: 'credit_balance', id: null, amount: '150.00' });
    const history = await AccountStatusHistory.findAll({ where: { accountId: account.id }, order: [['id', 'ASC']] });
    expect(history.map((h) => `${h.previousStatus ?? ''}->${h.newStatus}`)).to.deep.equal(['->pending', 'pending->active', 'active->closed']);
    await expectBooksBalanced([account.id]);
  });

  it('a payment after midnight first applies the close the account missed (overdue flags and DPD)', async () => {
    const account = await openAccount(market, {
      price: '1000.00',
      downPayment: '100.00',
      duration: 3,
      frequency: 'weekly',
      daysUntilSuspension: 5,
      startDate: '2026-11-20',
    });
    await pay(account.id, '100.00');
    await market.setDate('2026-12-05'); // the 11-27 instalment is 8 days late: beyond the 5-day limit
    const res = await pay(account.id, '10.00');
    expect(res.status).to.equal(201);
    expect(res.body.account).to.include({ status: 'suspended', daysPastDue: 8 });
    const statuses = await schedule(account.id);
    expect(statuses[1]).to.deep.equal({ n: 1, paid: '10.00', status: 'overdue' });
    // catching up clears the arrears and re-activates the account
    const catchUp = await pay(account.id, '590.00');
    expect(catchUp.body.account).to.include({ status: 'active', daysPastDue: 0 });
    await expectBooksBalanced([account.id]);
  });

  describe('Idempotency-Key', () => {
    it('the same key and body replays the first response; another body is 422', async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const key = randomUUID();
      const body = { transactionRef: 'REPLAY-1' };
      const first = await pay(account.id, '100.00', key, body);
      const again = await pay(account.id, '100.00', key, body);
      expect(first.status).to.equal(201);
      expect(again.status).to.equal(201);
      expect(again.headers['idempotent-replayed']).to.equal('true');
      expect(again.body).to.deep.equal(first.body);
      // The receipt number is taken in the COMMIT's round trip; the stored answer has it, byte for byte.
      expect(first.body.payment.receiptNumber).to.match(/^RC\d{9,}$/);
      expect(again.text).to.equal(first.text);
      const stored = await Payment.findByPk(first.body.payment.id);
      expect(stored!.receiptNumber).to.equal(first.body.payment.receiptNumber);
      const other = await pay(account.id, '200.00', key, body);
      expect(other.status).to.equal(422);
      expect(await Payment.count({ where: { accountId: account.id } })).to.equal(1);
    });

    it('is required (400 naming the header)', async () => {
      const res = await (
        await api()
      )
        .post('/api/v1/payments')
        .set('Authorization', `Bearer ${token}`)
        .send({ accountId: 1, amount: '1.00', paymentType: 'MPESA', channel: 'mobile_money', transactionRef: 'x' });
      expect(res.status).to.equal(400);
      expect(res.body.errors[0].field).to.equal('Idempotency-Key');
    });

    it('posted 50 times concurrently, credits once', async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const key = randomUUID();
      const body = { transactionRef: 'CONCURRENT-1' };
      const results = await Promise.all(Array.from({ length: 50 }, () => pay(account.id, '300.00', key, body)));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201).length).to.be.at.least(1);
      expect(statuses.every((s) => s === 201 || s === 409)).to.equal(true);
      expect(await Payment.count({ where: { accountId: account.id } })).to.equal(1);
      const reloaded = await Account.findByPk(account.id);
      expect(reloaded!.balance).to.equal(new Decimal(account.balance).minus('300.00').toFixed(2));
      await expectBooksBalanced([account.id]);
    });
  });

  it('200 concurrent payments on one account lose nothing', async function () {
    this.timeout(120000);
    const account = await openAccount(market, { price: '100000.00', downPayment: '1000.00', duration: 52, startDate: '2026-11-20' });
    const amounts = Array.from({ length: 200 }, (_, i) => new Decimal(10 + (i % 17)).plus(new Decimal(i % 100).dividedBy(100)).toFixed(2));
    const results = await Promise.all(amounts.map((a) => pay(account.id, a)));
    expect(results.map((r) => r.status).filter((s) => s !== 201)).to.deep.equal([]);
    const total = amounts.reduce((s, a) => s.plus(a), new Decimal(0));
    const reloaded = await Account.findByPk(account.id);
    expect(reloaded!.balance).to.equal(new Decimal(account.balance).minus(total).toFixed(2));
    expect(await Payment.count({ where: { accountId: account.id } })).to.equal(200);
    const receipts = (await Payment.findAll({ where: { accountId: account.id } })).map((p) => p.receiptNumber);
    expect(new Set(receipts).size).to.equal(200);
    // Gapless: nothing else took a receipt number meanwhile, so the 200 are consecutive; and each
    // answer carries its payment's number.
    const numbers = receipts.map((r) => Number(r!.slice(2))).sort((a, b) => a - b);
    expect(numbers[199]! - numbers[0]!).to.equal(199);
    expect(results.map((r) => r.body.payment.receiptNumber).sort()).to.deep.equal([...receipts].sort());
    await expectBooksBalanced([account.id]);
  });

  it('a closed fiscal period refuses postings and nothing is written', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const before = await pay(account.id, '10.00');
    expect(before.status).to.equal(201);
    const period = (await FiscalPeriod.findOne({ where: { name: '2026-11', countryId: null } }))!;
    await period.update({ status: 'closed' });
    try {
      const res = await pay(account.id, '100.00');
      expect(res.status).to.equal(409);
      expect(res.body.type).to.match(/fiscal-period-closed/);
    } finally {
      await period.update({ status: 'open' });
    }
    expect(await Payment.count({ where: { accountId: account.id } })).to.equal(1);
    expect((await Account.findByPk(account.id))!.balance).to.equal(before.body.account.balance);
    // The refused payment took no receipt number: the next one is the successor of the one before.
    const after = await pay(account.id, '10.00');
    expect(after.status).to.equal(201);
    expect(Number(after.body.payment.receiptNumber.slice(2))).to.equal(Number(before.body.payment.receiptNumber.slice(2)) + 1);
  });

  describe('4xx paths', () => {
    it('400 names the fields; unknown fields refused; nothing written', async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const res = await pay(account.id, '-5', randomUUID(), { channel: 'pigeon', tip: 1 });
      expect(res.status).to.equal(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).to.have.members(['amount', 'channel', 'tip']);
      expect(await Payment.count({ where: { accountId: account.id } })).to.equal(0);
    });

    it('404 for an unknown account; 403 without payments:write; 401 without a token', async () => {
      expect((await pay(99999999, '10.00')).status).to.equal(404);
      const { token: agent } = await loginAs('agent');
      const res = await (await api()).post('/api/v1/payments').set('Authorization', `Bearer ${agent}`).set('Idempotency-Key', randomUUID()).send({});
      expect(res.status).to.equal(403);
      expect((await (await api()).post('/api/v1/payments').send({})).status).to.equal(401);
    });

    it("an agent cannot see another region's account (404)", async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const other = await createMarket();
      const { token: agent } = await loginAs('agent', { regionIds: [other.region.id] });
      expect((await (await api()).get(`/api/v1/accounts/${account.id}`).set('Authorization', `Bearer ${agent}`)).status).to.equal(404);
      const { token: local } = await loginAs('agent', { regionIds: [market.region.id] });
      expect((await (await api()).get(`/api/v1/accounts/${account.id}`).set('Authorization', `Bearer ${local}`)).status).to.equal(200);
    });
  });
});
