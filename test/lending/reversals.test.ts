import { expect } from 'chai';
import { AccountStatusHistory } from '../../src/modules/accounts/models';
import { JournalEntry } from '../../src/modules/ledger/models';
import { Payment, PaymentAllocation, PaymentReversal } from '../../src/modules/payments/models';
import { loginAs } from '../support/app';
import { createMarket, expectBooksBalanced, openAccount, type Market } from '../support/lending';
import { accountState, call, entryLines, expectBalanceMatchesItems, loginWithPermissions, pay } from './support';

describe('lending: payment reversals (maker-checker)', () => {
  let market: Market;
  let maker: string; // back office: may request, not approve
  let checker: string; // finance: approves
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: maker } = await loginAs('back_office'));
    ({ token: checker } = await loginAs('finance'));
  });
  beforeEach(() => market.setDate('2026-11-20'));

  async function request(paymentId: number, token = maker) {
    return call('post', `/payments/${paymentId}/reversal`, token, { reason: 'provider reversed the transaction' });
  }
  async function reverse(paymentId: number) {
    const r = await request(paymentId);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return call('post', `/payment-reversals/${r.body.id}/approve`, checker);
  }

  it('restores instalments, balance, credit, DPD and status exactly, and reverses the journal entry', async () => {
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-11-20' });
    expect((await pay(checker, account.id, '100.00')).status).to.equal(201);
    await market.setDate('2026-12-12'); // three instalments past due
    expect((await pay(checker, account.id, '10.00')).status).to.equal(201); // brings the account to today
    const before = await accountState(account.id);
    expect(before.account.daysPastDue).to.be.greaterThan(0);

    const paid = await pay(checker, account.id, '500.00');
    expect(paid.status).to.equal(201);
    expect(await accountState(account.id)).to.not.deep.equal(before);

    const approved = await reverse(paid.body.payment.id);
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    expect(approved.body).to.include({ status: 'approved', paymentId: paid.body.payment.id });
    expect(approved.body.journalEntryId).to.be.a('number');
    expect(await accountState(account.id)).to.deep.equal(before);

    const payment = await Payment.findByPk(paid.body.payment.id);
    expect(payment!.status).to.equal('reversed');
    const allocations = await PaymentAllocation.findAll({ where: { paymentId: payment!.id } });
    expect(allocations.every((a) => a.reversedAt !== null)).to.equal(true);
    const original = (await JournalEntry.findOne({ where: { sourceType: 'payment', sourceId: payment!.id } }))!;
    const reversing = (await JournalEntry.findByPk(approved.body.journalEntryId))!;
    expect(reversing.reversalOfId).to.equal(original.id);
    const [paymentLines] = await entryLines('payment', payment!.id);
    const [reversalLines] = await entryLines('reversal', approved.body.id);
    const swap = (l: string) => l.replace(/ Dr /, ' X ').replace(/ Cr /, ' Dr ').replace(/ X /, ' Cr ');
    expect(reversalLines).to.have.members(paymentLines!.map(swap));
    await expectBooksBalanced([account.id]);
    await expectBalanceMatchesItems(account.id);
  });

  it('re-opens a closed account and takes the overpayment back from the credit balance', async () => {
    const account = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    expect((await pay(checker, account.id, '100.00')).body.account.status).to.equal('active');
    const before = await accountState(account.id);
    const paid = await pay(checker, account.id, '550.00');
    expect(paid.body.account).to.include({ status: 'closed', creditBalance: '150.00', balance: '0.00' });

    const approved = await reverse(paid.body.payment.id);
    expect(approved.status).to.equal(200);
    const after = await accountState(account.id);
    expect(after.installments).to.deep.equal(before.installments);
    expect(after.account).to.include({ balance: '400.00', creditBalance: '0.00', status: 'active', daysPastDue: 0 });
    const history = await AccountStatusHistory.findAll({ where: { accountId: account.id }, order: [['id', 'ASC']] });
    expect(history.map((h) => `${h.previousStatus ?? ''}->${h.newStatus}`)).to.deep.equal(['->pending', 'pending->active', 'active->closed', 'closed->active']);
    await expectBooksBalanced([account.id]);
  });

  it('reversing the down payment that activated the account makes it pending again, with its history', async () => {
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-11-20' });
    const before = await accountState(account.id);
    const down = await pay(checker, account.id, '100.00');
    expect(down.body.account).to.include({ status: 'active', activationDate: '2026-11-20' });

    expect((await reverse(down.body.payment.id)).status).to.equal(200);
    expect(await accountState(account.id)).to.deep.equal(before);
    const view = await call('get', `/accounts/${account.id}`, checker);
    expect(view.body).to.include({ status: 'pending', activationDate: null });
    const history = await AccountStatusHistory.findAll({ where: { accountId: account.id }, order: [['id', 'ASC']] });
    expect(history.map((h) => `${h.previousStatus ?? ''}->${h.newStatus}`)).to.deep.equal(['->pending', 'pending->active', 'active->pending']);
    expect(history.at(-1)!.reason).to.match(/down payment is owed again/);

    // Paying the down payment again activates it again; a paid-off account whose only payment is
    // reversed goes straight back to pending.
    expect((await pay(checker, account.id, '100.00')).body.account).to.include({ status: 'active', activationDate: '2026-11-20' });
    await expectBooksBalanced([account.id]);
    await expectBalanceMatchesItems(account.id);

    const other = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    const all = await pay(checker, other.id, '500.00');
    expect(all.body.account.status).to.equal('closed');
    expect((await reverse(all.body.payment.id)).status).to.equal(200);
    const otherHistory = await AccountStatusHistory.findAll({ where: { accountId: other.id }, order: [['id', 'ASC']] });
    expect(otherHistory.map((h) => `${h.previousStatus ?? ''}->${h.newStatus}`)).to.deep.equal([
      '->pending',
      'pending->active',
      'active->closed',
      'closed->pending',
    ]);
    expect((await accountState(other.id)).account).to.include({ status: 'pending', balance: '500.00' });
    await expectBooksBalanced([other.id]);
  });

  it('a reversal that brings arrears back suspends the account again', async () => {
    const account = await openAccount(market, {
      price: '1000.00',
      downPayment: '100.00',
      duration: 3,
      frequency: 'weekly',
      daysUntilSuspension: 5,
      startDate: '2026-11-20',
    });
    await pay(checker, account.id, '100.00');
    await market.setDate('2026-12-05');
    expect((await pay(checker, account.id, '10.00')).body.account.status).to.equal('suspended');
    const catchUp = await pay(checker, account.id, '590.00');
    expect(catchUp.body.account).to.include({ status: 'active', daysPastDue: 0 });
    expect((await reverse(catchUp.body.payment.id)).status).to.equal(200);
    expect((await accountState(account.id)).account).to.include({ status: 'suspended', daysPastDue: 8, balance: '890.00' });
    await expectBooksBalanced([account.id]);
  });

  it('409 when the overpayment was already used (credit balance short); nothing changes', async () => {
    const account = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    const first = await pay(checker, account.id, '100.00');
    const last = await pay(checker, account.id, '550.00'); // pays off 400, 150 credit
    expect(last.body.account).to.include({ status: 'closed', creditBalance: '150.00' });
    // A refund of the first payment is taken from the credit balance first: 100 of the 150.
    const refund = await call('post', '/refunds', maker, { paymentId: first.body.payment.id, amount: '100.00', reason: 'paid twice', method: 'mobile_money' });
    expect((await call('post', `/refunds/${refund.body.id}/approve`, checker)).status).to.equal(200);
    const before = await accountState(account.id);
    expect(before.account.creditBalance).to.equal('50.00');

    const r = await request(last.body.payment.id);
    const res = await call('post', `/payment-reversals/${r.body.id}/approve`, checker);
    expect(res.status).to.equal(409);
    expect(res.body.type).to.match(/credit-already-used/);
    expect(await accountState(account.id)).to.deep.equal(before);
    expect((await PaymentReversal.findByPk(r.body.id))!.status).to.equal('pending');
    await expectBooksBalanced([account.id]);
  });

  it('maker = checker is 403 with a clear detail; reject leaves everything untouched; a decided reversal is 409', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const paid = await pay(checker, account.id, '1500.00');
    const before = await accountState(account.id);

    const own = await request(paid.body.payment.id, checker); // finance may request too...
    expect(own.status).to.equal(201);
    const self = await call('post', `/payment-reversals/${own.body.id}/approve`, checker); // ...but not approve its own
    expect(self.status).to.equal(403);
    expect(self.body.type).to.match(/four-eyes/);
    expect(self.body.detail).to.match(/another employee/);
    expect((await call('post', `/payment-reversals/${own.body.id}/reject`, checker, { reason: 'mine' })).status).to.equal(403);

    const { token: otherChecker } = await loginAs('finance');
    const rejected = await call('post', `/payment-reversals/${own.body.id}/reject`, otherChecker, { reason: 'the money did arrive' });
    expect(rejected.status).to.equal(200);
    expect(rejected.body).to.include({ status: 'rejected' });
    expect(await accountState(account.id)).to.deep.equal(before);
    expect((await Payment.findByPk(paid.body.payment.id))!.status).to.equal('completed');
    expect((await call('post', `/payment-reversals/${own.body.id}/approve`, otherChecker)).status).to.equal(409);

    const list = await call('get', `/payment-reversals?paymentId=${paid.body.payment.id}`, checker);
    expect(list.status).to.equal(200);
    expect(list.body.data.map((r: { status: string }) => r.status)).to.deep.equal(['rejected']);
    await expectBooksBalanced([account.id]);
  });

  it('409 for a second pending reversal and for a reversed payment', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const paid = await pay(checker, account.id, '300.00');
    const first = await request(paid.body.payment.id);
    expect(first.status).to.equal(201);
    const again = await request(paid.body.payment.id);
    expect(again.status).to.equal(409);
    expect(again.body.type).to.match(/reversal-pending/);
    expect((await call('post', `/payment-reversals/${first.body.id}/approve`, checker)).status).to.equal(200);
    const reversed = await request(paid.body.payment.id);
    expect(reversed.status).to.equal(409);
    expect(reversed.body.type).to.match(/payment-not-completed/);
  });

  it('4xx: 400 names the fields, 401 without a token, 403 without the permission, 404 in another region', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const paid = await pay(checker, account.id, '300.00');
    const bad = await call('post', `/payments/${paid.body.payment.id}/reversal`, maker, { tip: 1 });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['reason', 'tip']);
    expect((await call('post', `/payments/${paid.body.payment.id}/reversal`, undefined, { reason: 'xyz' })).status).to.equal(401);
    const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await request(paid.body.payment.id, agent)).status).to.equal(403);
    const r = await request(paid.body.payment.id);
    expect((await call('post', `/payment-reversals/${r.body.id}/approve`, maker)).status).to.equal(403); // back office cannot approve

    const elsewhere = await createMarket();
    const { token: regional } = await loginWithPermissions(['payments:read', 'payments:reverse', 'payments:reverse:approve'], [elsewhere.region.id]);
    expect((await request(paid.body.payment.id, regional)).status).to.equal(404);
    expect((await call('post', `/payment-reversals/${r.body.id}/approve`, regional)).status).to.equal(404);
    expect((await call('get', `/payment-reversals/${r.body.id}`, regional)).status).to.equal(404);
    expect((await call('get', `/payment-reversals?paymentId=${paid.body.payment.id}`, regional)).body.data).to.deep.equal([]);
    expect((await call('post', '/payments/99999999/reversal', maker, { reason: 'nothing' })).status).to.equal(404);
  });
});
