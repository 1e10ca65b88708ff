import { expect } from 'chai';
import { PaymentAllocation } from '../../src/modules/payments/models';
import { Refund } from '../../src/modules/billing/models';
import { InstallmentSchedule } from '../../src/modules/accounts/models';
import { loginAs } from '../support/app';
import { createMarket, expectBooksBalanced, openAccount, type Market } from '../support/lending';
import { accountState, call, entryLines, expectBalanceMatchesItems, loginWithPermissions, pay } from './support';
import { expectRejectedOnce } from '../support/approvals';

describe('lending: refunds (maker-checker)', () => {
  let market: Market;
  let maker: string;
  let checker: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: maker } = await loginAs('back_office'));
    ({ token: checker } = await loginAs('finance'));
  });
  beforeEach(() => market.setDate('2026-11-20'));

  const ask = (paymentId: number, amount: string, token = maker, extra: object = {}) =>
    call('post', '/refunds', token, { paymentId, amount, reason: 'customer returned the kit', method: 'mobile_money', destination: '+254711000000', ...extra });

  it("takes the refund from the credit balance first, then from the payment's allocations newest first; payout clears refunds payable", async () => {
    const account = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    const paid = await pay(checker, account.id, '650.00');
    expect(paid.body.account).to.include({ status: 'closed', creditBalance: '150.00' });
    const paymentId = paid.body.payment.id;

    // 1. 100 out of the 150 credit: the account stays closed, nothing owed again.
    const first = await ask(paymentId, '100.00');
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    expect(first.body).to.include({ status: 'pending', amount: '100.00', accountId: account.id });
    const approved = await call('post', `/refunds/${first.body.id}/approve`, checker);
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    expect(approved.body).to.include({ status: 'approved' });
    expect((await accountState(account.id)).account).to.include({ status: 'closed', balance: '0.00', creditBalance: '50.00' });
    expect(await entryLines('refund', first.body.id)).to.deep.equal([['2100 Dr 100.00', '2400 Cr 100.00']]);

    const done = await call('post', `/refunds/${first.body.id}/complete`, checker, { payoutReference: 'MPX123' });
    expect(done.status).to.equal(200);
    expect(done.body).to.include({ status: 'completed', payoutReference: 'MPX123', refundDate: '2026-11-20' });
    expect(await entryLines('refund', first.body.id)).to.deep.equal([
      ['2100 Dr 100.00', '2400 Cr 100.00'],
      ['2400 Dr 100.00', '1100 Cr 100.00'],
    ]);
    expect((await call('post', `/refunds/${first.body.id}/complete`, checker, { payoutReference: 'again' })).status).to.equal(409);

    // 2. 120: the last 50 of credit, then 70 taken back from the newest instalment: the account re-opens.
    const second = await ask(paymentId, '120.00');
    expect((await call('post', `/refunds/${second.body.id}/approve`, checker)).status).to.equal(200);
    const state = await accountState(account.id);
    expect(state.account).to.include({ status: 'active', balance: '70.00', creditBalance: '0.00' });
    expect(state.installments.map((i) => [i.paidAmount, i.status])).to.deep.equal([
      ['100.00', 'paid'],
      ['200.00', 'paid'],
      ['130.00', 'partial'],
    ]);
    expect(await entryLines('refund', second.body.id)).to.deep.equal([['2100 Dr 50.00', '2400 Cr 120.00', '1200 Dr 70.00']]);
    const last = (await InstallmentSchedule.findOne({ where: { accountId: account.id, installmentNumber: 2 } }))!;
    const rows = await PaymentAllocation.findAll({ where: { paymentId, installmentScheduleId: last.id }, order: [['id', 'ASC']] });
    expect(rows.map((r) => [r.amount, r.reversedAt !== null])).to.deep.equal([
      ['200.00', true],
      ['130.00', false],
    ]);

    // 3. More than the payment can still give back (650 - 220 = 430) is a 422.
    const tooMuch = await ask(paymentId, '431.00');
    expect(tooMuch.status).to.equal(422);
    expect(tooMuch.body).to.include({ refundable: '430.00' });
    await expectBooksBalanced([account.id]);
    await expectBalanceMatchesItems(account.id);
  });

  it('pending refunds count against what is refundable; a refunded payment cannot be reversed, nor a reversed one refunded', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const paid = await pay(checker, account.id, '300.00');
    expect((await ask(paid.body.payment.id, '200.00')).status).to.equal(201);
    expect((await ask(paid.body.payment.id, '101.00')).status).to.equal(422);
    const rev = await call('post', `/payments/${paid.body.payment.id}/reversal`, maker, { reason: 'bounced' });
    expect(rev.status).to.equal(409);
    expect(rev.body.type).to.match(/payment-refunded/);

    const other = await pay(checker, account.id, '50.00');
    const r = await call('post', `/payments/${other.body.payment.id}/reversal`, maker, { reason: 'bounced' });
    const whilePending = await ask(other.body.payment.id, '10.00');
    expect(whilePending.status).to.equal(409);
    expect(whilePending.body.type).to.match(/reversal-pending/);
    await call('post', `/payment-reversals/${r.body.id}/approve`, checker);
    const reversed = await ask(other.body.payment.id, '10.00');
    expect(reversed.status).to.equal(409);
    expect(reversed.body.type).to.match(/payment-not-completed/);
  });

  it('maker = checker is 403; reject leaves everything untouched; decided refunds are 409', async () => {
    const account = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    const paid = await pay(checker, account.id, '600.00');
    const before = await accountState(account.id);
    const own = await ask(paid.body.payment.id, '50.00', checker);
    expect(own.status).to.equal(201);
    const self = await call('post', `/refunds/${own.body.id}/approve`, checker);
    expect(self.status).to.equal(403);
    expect(self.body.type).to.match(/four-eyes/);
    expect(self.body.detail).to.match(/another employee/);

    const { token: otherChecker } = await loginAs('finance');
    expect((await call('post', `/refunds/${own.body.id}/complete`, otherChecker, { payoutReference: 'x' })).status).to.equal(409); // not approved
    const rejected = await call('post', `/refunds/${own.body.id}/reject`, otherChecker, { reason: 'no proof of return' });
    expect(rejected.status).to.equal(200);
    expect(rejected.body).to.include({ status: 'rejected', rejectionReason: 'no proof of return' });
    await expectRejectedOnce({ path: '/refunds', action: 'refund.reject', entity: 'refunds' }, own.body.id, 'no proof of return', otherChecker);
    expect(await accountState(account.id)).to.deep.equal(before);
    expect(await entryLines('refund', own.body.id)).to.deep.equal([]);
    expect((await call('post', `/refunds/${own.body.id}/approve`, otherChecker)).status).to.equal(409);
    // A rejected refund no longer holds any of the payment.
    expect((await ask(paid.body.payment.id, '600.00')).status).to.equal(201);
    const queue = await call('get', `/refunds?paymentId=${paid.body.payment.id}&status=pending`, checker);
    expect(queue.body.data.map((r: { amount: string }) => r.amount)).to.deep.equal(['600.00']);
    await expectBooksBalanced([account.id]);
  });

  it('4xx: 400 names the fields, 401, 403 without the permission, 404 in another region', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const paid = await pay(checker, account.id, '300.00');
    const bad = await call('post', '/refunds', maker, { paymentId: paid.body.payment.id, method: 'pigeon', tip: 1, reason: 'r' });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['amount', 'method', 'tip', 'reason']);
    expect((await call('post', '/refunds', undefined, {})).status).to.equal(401);
    const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await ask(paid.body.payment.id, '10.00', agent)).status).to.equal(403);
    const pending = await ask(paid.body.payment.id, '10.00');
    expect((await call('post', `/refunds/${pending.body.id}/approve`, maker)).status).to.equal(403);

    const elsewhere = await createMarket();
    const { token: regional } = await loginWithPermissions(['payments:read', 'refunds:request', 'refunds:approve'], [elsewhere.region.id]);
    expect((await ask(paid.body.payment.id, '10.00', regional)).status).to.equal(404);
    expect((await call('post', `/refunds/${pending.body.id}/approve`, regional)).status).to.equal(404);
    expect((await call('get', `/refunds/${pending.body.id}`, regional)).status).to.equal(404);
    expect((await Refund.findByPk(pending.body.id))!.status).to.equal('pending');
  });
});
