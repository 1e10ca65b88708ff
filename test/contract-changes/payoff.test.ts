import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Payplan } from '../../src/modules/catalogue/models';
import { PayoffQuote } from '../../src/modules/contract-changes/models';
import { Device } from '../../src/modules/devices/models';
import { Payment } from '../../src/modules/payments/models';
import { loginAs } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { createMarket, openAccount, type Market } from '../support/lending';
import { accountWithDevice, decodeOnDevice, tokensOf } from '../devices/support';
import { accountState, call, entryLines, loginWithPermissions, pay } from '../lending/support';

describe('contract changes: payoff quotes', () => {
  let market: Market;
  let staff: string; // back office: accounts:payoff, payments, reversal requests
  let checker: string; // finance: approves reversals and write-offs
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: staff } = await loginAs('back_office'));
    ({ token: checker } = await loginAs('finance'));
  });
  beforeEach(() => market.setDate('2026-11-20'));

  const PLAN = { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly' as const, startDate: '2026-11-20' };
  const discountOf = (payplanId: number, rule: { earlyPayoffDiscountPercent?: string; earlyPayoffDiscountAmount?: string }) =>
    Payplan.update(rule, { where: { id: payplanId } });
  const quote = (accountId: number, date?: string, token = staff) => call('get', `/accounts/${accountId}/payoff${date ? `?date=${date}` : ''}`, token);
  const payQuote = (accountId: number, quoteId: number, amount?: string, token = staff) =>
    call(
      'post',
      `/accounts/${accountId}/payoff`,
      token,
      { quoteId, ...(amount ? { amount } : {}), paymentType: 'CASH', channel: 'cash', transactionRef: `PO${randomUUID().slice(0, 12)}` },
      { 'Idempotency-Key': randomUUID() },
    );

  it('quotes outstanding less the discount on what falls due after the date; paying exactly the quote closes the account, books the discount and unlocks the device', async () => {
    const { account, device } = await accountWithDevice(market, staff, PLAN);
    await discountOf(account.payplanId, { earlyPayoffDiscountPercent: '10.00' });
    expect((await pay(staff, account.id, '100.00')).status).to.equal(201); // the down payment: active

    // Instalments of 300 fall due 11-27, 12-04, 12-11: on 11-27 the first is due, not "after".
    const later = await quote(account.id, '2026-11-27');
    expect(later.status, JSON.stringify(later.body)).to.equal(200);
    expect(later.body).to.include({ outstanding: '900.00', discount: '60.00', creditApplied: '0.00', amount: '840.00', validUntil: '2026-11-27' });

    const q = await quote(account.id);
    expect(q.status).to.equal(200);
    expect(q.body).to.include({
      payoffDate: '2026-11-20',
      validUntil: '2026-11-20',
      outstanding: '900.00',
      discount: '90.00',
      amount: '810.00',
      status: 'open',
    });

    const paid = await payQuote(account.id, q.body.id, '810.00');
    expect(paid.status, JSON.stringify(paid.body)).to.equal(201);
    expect(paid.body.account).to.include({ status: 'closed', balance: '0.00' });
    expect(paid.body.quote).to.include({ status: 'paid', paymentId: paid.body.payment.id });
    expect(paid.body.payment).to.include({ amount: '810.00' });
    expect(paid.body.tokens).to.have.length(1);
    expect(paid.body.tokens[0]).to.include({ tokenType: 'DISABLE_PAYG' });
    const previous = (await tokensOf(device.id)).at(-2)!;
    expect(decodeOnDevice(device, paid.body.token, previous.tokenCount)).to.include({ status: 'VALID', type: 'DISABLE_PAYG' });
    expect((await Device.findByPk(device.id))!.paygDisabledAt).to.be.instanceOf(Date);

    expect(await entryLines('payoff_discount', q.body.id)).to.deep.equal([['5500 Dr 90.00', '1200 Cr 90.00']]);
    expect(await entryLines('payment', paid.body.payment.id)).to.deep.equal([['1110 Dr 810.00', '1200 Cr 810.00']]);
    const state = await accountState(account.id);
    expect(state.installments.map((i) => [i.n, i.paidAmount, i.status])).to.deep.equal([
      [0, '100.00', 'paid'],
      [1, '300.00', 'paid'],
      [2, '300.00', 'paid'],
      [3, '210.00', 'waived'],
    ]);
    await expectAccountBooks(account.id, 'after payoff');

    // A paid quote is not paid twice.
    const again = await payQuote(account.id, q.body.id);
    expect(again.status).to.equal(409);
    expect(again.body.type).to.match(/quote-not-open/);
  });

  it('applies the credit balance: the earlier overpayment settles items first, each payment still allocating exactly its amount', async () => {
    const account = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    await discountOf(account.payplanId, { earlyPayoffDiscountAmount: '20.00' });
    await pay(staff, account.id, '100.00');
    const b = await pay(staff, account.id, '200.00');
    const c = await pay(staff, account.id, '250.00'); // 200 to instalment 2, 50 credit: closed
    expect(c.body.account).to.include({ status: 'closed', creditBalance: '50.00' });
    const r = await call('post', `/payments/${b.body.payment.id}/reversal`, staff, { reason: 'bounced' });
    expect((await call('post', `/payment-reversals/${r.body.id}/approve`, checker)).status).to.equal(200);
    expect((await accountState(account.id)).account).to.include({ status: 'active', balance: '200.00', creditBalance: '50.00' });

    const q = await quote(account.id);
    expect(q.body).to.include({ outstanding: '200.00', discount: '20.00', creditApplied: '50.00', amount: '130.00' });
    const paid = await payQuote(account.id, q.body.id);
    expect(paid.status, JSON.stringify(paid.body)).to.equal(201);
    expect(paid.body.account).to.include({ status: 'closed', balance: '0.00', creditBalance: '0.00' });
    expect(await entryLines('payoff_credit', q.body.id)).to.deep.equal([['2100 Dr 50.00', '1200 Cr 50.00']]);
    expect(await entryLines('payoff_discount', q.body.id)).to.deep.equal([['5500 Dr 20.00', '1200 Cr 20.00']]);
    await expectAccountBooks(account.id, 'after a payoff with credit');
  });

  it("a credit note's credit is not applied (no payment stands behind it): the quote pays every item and the credit stays, refundable, on the closed account", async () => {
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-11-06' });
    expect((await pay(staff, account.id, '100.00')).status).to.equal(201);
    const invoice = await call('post', `/accounts/${account.id}/invoices`, staff, { period: '2026-11' });
    expect(invoice.status, JSON.stringify(invoice.body)).to.equal(201);
    const note = await call(
      'post',
      `/invoices/${invoice.body.id}/credit-notes`,
      staff,
      { amount: '40.00', reason: 'billing correction' },
      { 'Idempotency-Key': randomUUID() },
    );
    expect(note.status, JSON.stringify(note.body)).to.equal(201);
    expect((await accountState(account.id)).account).to.include({ balance: '900.00', creditBalance: '40.00' });

    const q = await quote(account.id);
    expect(q.body).to.include({ outstanding: '900.00', discount: '0.00', creditApplied: '0.00', amount: '900.00' });
    const paid = await payQuote(account.id, q.body.id);
    expect(paid.status, JSON.stringify(paid.body)).to.equal(201);
    expect(paid.body.account).to.include({ status: 'closed', balance: '0.00', creditBalance: '40.00' });
    expect(await entryLines('payoff_credit', q.body.id)).to.deep.equal([]);
    await expectAccountBooks(account.id, 'after a payoff of an account holding a credit note');
  });

  it('409 on a stale quote (a payment or a charge since) and on an expired one; the quote is marked so', async () => {
    const account = await openAccount(market, PLAN);
    await pay(staff, account.id, '100.00');
    const q1 = await quote(account.id, '2026-11-25');
    await pay(staff, account.id, '50.00');
    const stale = await payQuote(account.id, q1.body.id);
    expect(stale.status).to.equal(409);
    expect(stale.body.type).to.match(/quote-stale/);
    expect((await PayoffQuote.findByPk(q1.body.id))!.status).to.equal('stale');

    const q2 = await quote(account.id);
    const charge = await call(
      'post',
      `/accounts/${account.id}/charges`,
      staff,
      { chargeType: 'fee', amount: '25.00', description: 'visit' },
      { 'Idempotency-Key': randomUUID() },
    );
    expect(charge.status, JSON.stringify(charge.body)).to.equal(201);
    expect((await payQuote(account.id, q2.body.id)).body.type).to.match(/quote-stale/);

    const q3 = await quote(account.id);
    await market.setDate('2026-11-21');
    const expired = await payQuote(account.id, q3.body.id);
    expect(expired.status).to.equal(409);
    expect(expired.body.type).to.match(/quote-expired/);
    expect((await PayoffQuote.findByPk(q3.body.id))!.status).to.equal('expired');

    // Another amount than the quote is 400 naming it; nothing was written.
    const q4 = await quote(account.id);
    const wrong = await payQuote(account.id, q4.body.id, '1.00');
    expect(wrong.status).to.equal(400);
    expect(wrong.body.errors[0].field).to.equal('amount');
    expect((await PayoffQuote.findByPk(q4.body.id))!.status).to.equal('open');
    await expectAccountBooks(account.id, 'after refusals');
  });

  it('409 on a closed, a written-off or a pending account; 400 naming date; 404 in another region; 403 without the permission', async () => {
    const closed = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    await pay(staff, closed.id, '500.00');
    const c = await quote(closed.id);
    expect(c.status).to.equal(409);
    expect(c.body.type).to.match(/account-not-payable/);

    const pending = await openAccount(market, PLAN);
    expect((await quote(pending.id)).status).to.equal(409);

    const written = await openAccount(market, PLAN);
    await pay(staff, written.id, '100.00');
    const w = await call('post', `/accounts/${written.id}/writeoff`, staff, { reason: 'customer unreachable' });
    expect((await call('post', `/writeoffs/${w.body.id}/approve`, checker)).status).to.equal(200);
    const wq = await quote(written.id);
    expect(wq.status).to.equal(409);
    expect(wq.body.detail).to.match(/written_off/);

    const live = await openAccount(market, PLAN);
    await pay(staff, live.id, '100.00');
    for (const date of ['2026-11-19', '2027-03-01', '2026-02-30', 'tomorrow']) {
      const bad = await quote(live.id, date);
      expect(bad.status, date).to.equal(400);
      expect(bad.body.errors[0].field, date).to.equal('date');
    }

    const otherMarket = await createMarket({ businessDate: '2026-11-20' });
    const { token: outsider } = await loginWithPermissions(['accounts:payoff', 'accounts:read'], [otherMarket.region.id]);
    expect((await quote(live.id, undefined, outsider)).status).to.equal(404);
    const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await quote(live.id, undefined, agent)).status).to.equal(403);
    const q = await quote(live.id);
    expect((await payQuote(live.id, q.body.id, undefined, outsider)).status).to.equal(404);
    expect((await payQuote(live.id, q.body.id, undefined, agent)).status).to.equal(403);
    expect(await PayoffQuote.count({ where: { accountId: live.id } })).to.equal(1);
  });

  it('a charge is part of what settles the account; a retry with the same Idempotency-Key gets the first answer and pays once', async () => {
    const account = await openAccount(market, PLAN);
    await discountOf(account.payplanId, { earlyPayoffDiscountPercent: '10.00' });
    await pay(staff, account.id, '100.00');
    const fee = await call(
      'post',
      `/accounts/${account.id}/charges`,
      staff,
      { chargeType: 'fee', amount: '40.00', description: 'visit' },
      { 'Idempotency-Key': randomUUID() },
    );
    expect(fee.status).to.equal(201);
    const q = await quote(account.id);
    expect(q.body).to.include({ outstanding: '940.00', discount: '90.00', amount: '850.00' });
    const key = randomUUID();
    const body = { quoteId: q.body.id, paymentType: 'CASH', channel: 'cash', transactionRef: `PO${randomUUID().slice(0, 12)}` };
    const first = await call('post', `/accounts/${account.id}/payoff`, staff, body, { 'Idempotency-Key': key });
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    const replay = await call('post', `/accounts/${account.id}/payoff`, staff, body, { 'Idempotency-Key': key });
    expect(replay.status).to.equal(201);
    expect(replay.body).to.deep.equal(first.body);
    expect((await accountState(account.id)).charges).to.deep.equal([{ id: fee.body.charge.id, paidAmount: '40.00', status: 'paid' }]);
    expect(await Payment.count({ where: { transactionRef: body.transactionRef } })).to.equal(1);
    expect(await PayoffQuote.count({ where: { accountId: account.id, status: 'paid' } })).to.equal(1);
    await expectAccountBooks(account.id, 'after a replayed payoff');
  });

  it('a payplan carries at most one discount rule (/payplans): a percentage up to 100 or an amount', async () => {
    const { token: admin } = await loginAs('admin');
    const base = {
      name: 'Early bird',
      duration: 10,
      downPayment: '100.00',
      installmentAmount: '50.00',
      frequency: 'weekly',
      daysUntilSuspension: 7,
      dailyRate: '10.00',
    };
    const both = await call('post', '/payplans', admin, {
      ...base,
      code: `EB-${randomUUID().slice(0, 8)}`,
      earlyPayoffDiscountPercent: '5.00',
      earlyPayoffDiscountAmount: '100.00',
    });
    expect(both.status, JSON.stringify(both.body)).to.equal(400);
    expect(JSON.stringify(both.body.errors)).to.match(/earlyPayoffDiscountPercent/);
    const tooMuch = await call('post', '/payplans', admin, { ...base, code: `EB-${randomUUID().slice(0, 8)}`, earlyPayoffDiscountPercent: '150.00' });
    expect(tooMuch.status).to.equal(400);
    expect(tooMuch.body.errors[0].field).to.equal('earlyPayoffDiscountPercent');
    const ok = await call('post', '/payplans', admin, { ...base, code: `EB-${randomUUID().slice(0, 8)}`, earlyPayoffDiscountPercent: '7.5' });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    expect(ok.body).to.include({ earlyPayoffDiscountPercent: '7.50', earlyPayoffDiscountAmount: null });
  });

  it('paying the quote races another payment and a charge on the same account: one wins, the books stay whole', async () => {
    for (let round = 0; round < 4; round++) {
      const { account } = await accountWithDevice(market, staff, PLAN);
      await discountOf(account.payplanId, { earlyPayoffDiscountPercent: '5.00' });
      await pay(staff, account.id, '100.00');
      const q = await quote(account.id);
      const other =
        round % 2 === 0
          ? pay(staff, account.id, '40.00')
          : call(
              'post',
              `/accounts/${account.id}/charges`,
              staff,
              { chargeType: 'fee', amount: '15.00', description: 'visit' },
              { 'Idempotency-Key': randomUUID() },
            );
      const [payoff, rival] = await Promise.all([payQuote(account.id, q.body.id), other]);
      expect([201, 409], JSON.stringify(payoff.body)).to.include(payoff.status);
      const state = await accountState(account.id);
      if (payoff.status === 201) {
        // The payoff went first: the rival payment is credit on the closed account; a charge is refused there.
        expect(state.account.status).to.equal('closed');
        expect(rival.status, JSON.stringify(rival.body)).to.equal(round % 2 === 0 ? 201 : 409);
      } else {
        expect(payoff.body.type).to.match(/quote-stale/);
        expect(rival.status).to.equal(201);
        expect(state.account.status).to.equal('active');
      }
      await expectAccountBooks(account.id, `race round ${round}`);
    }
  });
});
