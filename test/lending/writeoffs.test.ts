import { expect } from 'chai';
import { Writeoff } from '../../src/modules/billing/models';
import { loginAs } from '../support/app';
import { createMarket, expectBooksBalanced, openAccount, type Market } from '../support/lending';
import { accountState, call, entryLines, expectBalanceMatchesItems, loginWithPermissions, pay } from './support';
import { expectRejectedOnce } from '../support/approvals';

describe('lending: write-offs (maker-checker)', () => {
  let market: Market;
  let maker: string;
  let checker: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: maker } = await loginAs('back_office'));
    ({ token: checker } = await loginAs('finance'));
  });
  beforeEach(() => market.setDate('2026-11-20'));

  const ask = (accountId: number, token = maker) => call('post', `/accounts/${accountId}/writeoff`, token, { reason: 'customer unreachable for 120 days' });
  async function writeOff(accountId: number) {
    const w = await ask(accountId);
    expect(w.status, JSON.stringify(w.body)).to.equal(201);
    return call('post', `/writeoffs/${w.body.id}/approve`, checker);
  }

  it('writes the whole balance off (Dr 5200 / Cr 1200), waives what is open; later money is a recovery; reversals keep the books whole', async () => {
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-11-20' });
    await pay(checker, account.id, '100.00');
    const partial = await pay(checker, account.id, '150.00');
    const w = await ask(account.id);
    expect(w.body).to.include({ status: 'pending', amount: '750.00' });
    await market.setDate('2026-12-20');
    const approved = await call('post', `/writeoffs/${w.body.id}/approve`, checker);
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    expect(approved.body).to.include({ status: 'approved', amount: '750.00', writeoffDate: '2026-12-20' });
    const state = await accountState(account.id);
    expect(state.account).to.include({ status: 'written_off', balance: '0.00', daysPastDue: 0, parBucket: 'current' });
    expect(state.installments.map((i) => [i.paidAmount, i.status])).to.deep.equal([
      ['100.00', 'paid'],
      ['150.00', 'waived'],
      ['0.00', 'waived'],
      ['0.00', 'waived'],
    ]);
    expect(await entryLines('writeoff', w.body.id)).to.deep.equal([['5200 Dr 750.00', '1200 Cr 750.00']]);

    // Money after the write-off is a recovery: Cr 4500, the (zero) balance does not move.
    const recovery = await pay(checker, account.id, '200.00');
    expect(recovery.status).to.equal(201);
    expect(recovery.body.account).to.include({ status: 'written_off', balance: '0.00' });
    expect(await entryLines('payment', recovery.body.payment.id)).to.deep.equal([['1100 Dr 200.00', '4500 Cr 200.00']]);
    await expectBooksBalanced([account.id]);

    // Reversing the recovery gives back recoveries; reversing the earlier payment writes off what it had settled.
    const r1 = await call('post', `/payments/${recovery.body.payment.id}/reversal`, maker, { reason: 'bounced' });
    expect((await call('post', `/payment-reversals/${r1.body.id}/approve`, checker)).status).to.equal(200);
    expect(await entryLines('reversal', r1.body.id)).to.deep.equal([['1100 Cr 200.00', '4500 Dr 200.00']]);
    const r2 = await call('post', `/payments/${partial.body.payment.id}/reversal`, maker, { reason: 'bounced' });
    expect((await call('post', `/payment-reversals/${r2.body.id}/approve`, checker)).status).to.equal(200);
    expect(await entryLines('reversal', r2.body.id)).to.deep.equal([
      ['1100 Cr 150.00', '1200 Dr 150.00'],
      ['5200 Dr 150.00', '1200 Cr 150.00'],
    ]);
    const after = await accountState(account.id);
    expect(after.account).to.include({ status: 'written_off', balance: '0.00' });
    expect(after.installments[1]).to.include({ paidAmount: '0.00', status: 'waived' });
    await expectBooksBalanced([account.id]);
    await expectBalanceMatchesItems(account.id);
  });

  it('409: a closed account, a written-off one, a second pending write-off, and an approval after the account was paid off', async () => {
    const closed = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    await pay(checker, closed.id, '500.00');
    const res = await ask(closed.id);
    expect(res.status).to.equal(409);
    expect(res.body.type).to.match(/illegal-transition/);

    const account = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    const w = await ask(account.id);
    expect(w.status).to.equal(201);
    expect((await ask(account.id)).body.type).to.match(/writeoff-pending/);
    await pay(checker, account.id, '500.00'); // paid off meanwhile: closed
    const late = await call('post', `/writeoffs/${w.body.id}/approve`, checker);
    expect(late.status).to.equal(409);
    expect(late.body.type).to.match(/illegal-transition/);
    expect((await Writeoff.findByPk(w.body.id))!.status).to.equal('pending');

    const gone = await openAccount(market, { startDate: '2026-11-20' });
    expect((await writeOff(gone.id)).status).to.equal(200);
    expect((await ask(gone.id)).status).to.equal(409);
    await expectBooksBalanced([closed.id, account.id, gone.id]);
  });

  it('maker = checker is 403; reject leaves the account untouched', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    await pay(checker, account.id, '1000.00');
    const before = await accountState(account.id);
    const own = await ask(account.id, checker);
    expect(own.status).to.equal(201);
    const self = await call('post', `/writeoffs/${own.body.id}/approve`, checker);
    expect(self.status).to.equal(403);
    expect(self.body.type).to.match(/four-eyes/);
    const { token: otherChecker } = await loginAs('finance');
    const rejected = await call('post', `/writeoffs/${own.body.id}/reject`, otherChecker, { reason: 'customer promised to pay' });
    expect(rejected.status).to.equal(200);
    expect(rejected.body).to.include({ status: 'rejected', rejectionReason: 'customer promised to pay' });
    await expectRejectedOnce({ path: '/writeoffs', action: 'writeoff.reject', entity: 'writeoffs' }, own.body.id, 'customer promised to pay', otherChecker);
    expect(await accountState(account.id)).to.deep.equal(before);
    expect(await entryLines('writeoff', own.body.id)).to.deep.equal([]);
    expect((await call('post', `/writeoffs/${own.body.id}/approve`, otherChecker)).status).to.equal(409);
  });

  it('4xx: 400, 401, 403 without the permission, 404 in another region', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const bad = await call('post', `/accounts/${account.id}/writeoff`, maker, { reasons: 'x' });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['reason', 'reasons']);
    expect((await call('post', `/accounts/${account.id}/writeoff`, undefined, { reason: 'abc' })).status).to.equal(401);
    const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await ask(account.id, agent)).status).to.equal(403);
    const w = await ask(account.id);
    expect((await call('post', `/writeoffs/${w.body.id}/approve`, maker)).status).to.equal(403);
    const elsewhere = await createMarket();
    const { token: regional } = await loginWithPermissions(['accounts:read', 'writeoffs:request', 'writeoffs:approve'], [elsewhere.region.id]);
    expect((await ask(account.id, regional)).status).to.equal(404);
    expect((await call('post', `/writeoffs/${w.body.id}/approve`, regional)).status).to.equal(404);
    expect((await call('get', `/writeoffs?accountId=${account.id}`, regional)).body.data).to.deep.equal([]);
    expect((await call('get', `/writeoffs?accountId=${account.id}`, checker)).body.data).to.have.length(1);
  });
});
