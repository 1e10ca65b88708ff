import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { AccountCharge } from '../../src/modules/accounts/models';
import { loginAs } from '../support/app';
import { createMarket, expectBooksBalanced, openAccount, type Market } from '../support/lending';
import { accountState, call, entryLines, expectBalanceMatchesItems, loginWithPermissions, pay } from './support';

describe('lending: charges and penalties', () => {
  let market: Market;
  let staff: string; // back office: charges:write, payments
  let finance: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: staff } = await loginAs('back_office'));
    ({ token: finance } = await loginAs('finance'));
  });
  beforeEach(() => market.setDate('2026-11-20'));

  const raise = (accountId: number, body: object, key = randomUUID(), token = staff) =>
    call('post', `/accounts/${accountId}/charges`, token, body, { 'Idempotency-Key': key });

  it('a fee raises the balance (Dr 1200 / Cr 4300), is paid first, and waiving reverses its unpaid part', async () => {
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-11-20' });
    await pay(finance, account.id, '100.00');
    const key = randomUUID();
    const fee = await raise(account.id, { chargeType: 'fee', amount: '50.00', description: 'Relocation of the kit' }, key);
    expect(fee.status, JSON.stringify(fee.body)).to.equal(201);
    expect(fee.body.charge).to.include({ chargeType: 'fee', amount: '50.00', paidAmount: '0.00', status: 'pending', dueDate: '2026-11-20' });
    expect(fee.body.account).to.include({ balance: '950.00' });
    const replay = await raise(account.id, { chargeType: 'fee', amount: '50.00', description: 'Relocation of the kit' }, key);
    expect(replay.status).to.equal(201);
    expect(replay.headers['idempotent-replayed']).to.equal('true');
    expect(await AccountCharge.count({ where: { accountId: account.id } })).to.equal(1);
    expect(await entryLines('charge', fee.body.charge.id)).to.deep.equal([['1200 Dr 50.00', '4300 Cr 50.00']]);

    const paid = await pay(finance, account.id, '30.00');
    expect(paid.body.allocations).to.deep.equal([{ kind: 'charge', id: fee.body.charge.id, amount: '30.00' }]);
    expect((await accountState(account.id)).charges).to.deep.equal([{ id: fee.body.charge.id, paidAmount: '30.00', status: 'partial' }]);

    const waived = await call('post', `/accounts/${account.id}/charges/${fee.body.charge.id}/waive`, staff, { reason: 'goodwill' });
    expect(waived.status, JSON.stringify(waived.body)).to.equal(200);
    expect(waived.body.charge).to.include({ status: 'waived', paidAmount: '30.00' });
    expect(waived.body.account).to.include({ balance: '900.00' });
    expect(await entryLines('charge_waiver', fee.body.charge.id)).to.deep.equal([['4300 Dr 20.00', '1200 Cr 20.00']]);
    const again = await call('post', `/accounts/${account.id}/charges/${fee.body.charge.id}/waive`, staff);
    expect(again.status).to.equal(409);
    expect(again.body.type).to.match(/charge-not-open/);

    // Reversing the payment that paid part of a waived fee writes that part off again: the balance does not move.
    const r = await call('post', `/payments/${paid.body.payment.id}/reversal`, staff, { reason: 'bounced' });
    expect((await call('post', `/payment-reversals/${r.body.id}/approve`, finance)).status).to.equal(200);
    expect((await accountState(account.id)).charges).to.deep.equal([{ id: fee.body.charge.id, paidAmount: '0.00', status: 'waived' }]);
    expect((await accountState(account.id)).account.balance).to.equal('900.00');
    await expectBooksBalanced([account.id]);
    await expectBalanceMatchesItems(account.id);
  });

  it('a penalty goes to 4400; a paid charge cannot be waived; no charge on a closed account', async () => {
    const account = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    await pay(finance, account.id, '100.00');
    const penalty = await raise(account.id, { chargeType: 'penalty', amount: '25.50', description: 'Late payment', dueDate: '2026-11-30' });
    expect(penalty.status).to.equal(201);
    expect(penalty.body.charge).to.include({ dueDate: '2026-11-30' });
    expect(await entryLines('charge', penalty.body.charge.id)).to.deep.equal([['1200 Dr 25.50', '4400 Cr 25.50']]);
    await pay(finance, account.id, '400.00'); // the penalty first, then 374.50 of the instalments
    expect((await accountState(account.id)).account).to.include({ balance: '25.50', status: 'active' });
    const waived = await call('post', `/accounts/${account.id}/charges/${penalty.body.charge.id}/waive`, staff);
    expect(waived.status).to.equal(409); // already paid
    const fee = await raise(account.id, { chargeType: 'fee', amount: '10.00', description: 'SMS statement' });
    await pay(finance, account.id, '25.50');
    const last = await call('post', `/accounts/${account.id}/charges/${fee.body.charge.id}/waive`, staff);
    expect(last.status).to.equal(409); // the payment settled the fee first
    await pay(finance, account.id, '10.00');
    expect((await accountState(account.id)).account).to.include({ balance: '0.00', status: 'closed' });

    const other = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    await pay(finance, other.id, '500.00');
    const refused = await raise(other.id, { chargeType: 'fee', amount: '10.00', description: 'after payoff' });
    expect(refused.status).to.equal(409);
    expect(refused.body.type).to.match(/account-not-chargeable/);
    await expectBooksBalanced([account.id, other.id]);
    await expectBalanceMatchesItems(account.id);
  });

  it('waiving the last thing owed closes the account (a plan that settles charges last)', async () => {
    const account = await openAccount(market, {
      price: '500.00',
      downPayment: '100.00',
      duration: 2,
      startDate: '2026-11-20',
      allocationOrder: ['overdue', 'due', 'future', 'charges'],
    });
    await pay(finance, account.id, '100.00');
    const fee = await raise(account.id, { chargeType: 'fee', amount: '40.00', description: 'Field visit' });
    await pay(finance, account.id, '400.00'); // the instalments first on this plan
    expect((await accountState(account.id)).account).to.include({ balance: '40.00', status: 'active' });
    const waived = await call('post', `/accounts/${account.id}/charges/${fee.body.charge.id}/waive`, staff);
    expect(waived.status).to.equal(200);
    expect(waived.body.account).to.include({ balance: '0.00', status: 'closed' });
    await expectBooksBalanced([account.id]);
    await expectBalanceMatchesItems(account.id);
  });

  it("4xx: 400 names the fields, Idempotency-Key required, 401, 403, 404 in another region or another account's charge", async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const bad = await raise(account.id, { chargeType: 'tax', amount: '-1', colour: 'red' });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['chargeType', 'amount', 'description', 'colour']);
    const noKey = await call('post', `/accounts/${account.id}/charges`, staff, { chargeType: 'fee', amount: '1.00', description: 'x' });
    expect(noKey.status).to.equal(400);
    expect(noKey.body.errors[0].field).to.equal('Idempotency-Key');
    expect((await call('post', `/accounts/${account.id}/charges`, undefined, {})).status).to.equal(401);
    expect((await raise(account.id, { chargeType: 'fee', amount: '1.00', description: 'x' }, randomUUID(), finance)).status).to.equal(403);
    const elsewhere = await createMarket();
    const { token: regional } = await loginWithPermissions(['accounts:read', 'charges:write'], [elsewhere.region.id]);
    expect((await raise(account.id, { chargeType: 'fee', amount: '1.00', description: 'x' }, randomUUID(), regional)).status).to.equal(404);
    const fee = await raise(account.id, { chargeType: 'fee', amount: '5.00', description: 'x' });
    expect((await call('post', `/accounts/${account.id}/charges/${fee.body.charge.id}/waive`, regional)).status).to.equal(404);
    expect((await call('get', `/accounts/${account.id}/charges`, regional)).status).to.equal(404);
    const other = await openAccount(market, { startDate: '2026-11-20' });
    expect((await call('post', `/accounts/${other.id}/charges/${fee.body.charge.id}/waive`, staff)).status).to.equal(404);
    const list = await call('get', `/accounts/${account.id}/charges`, staff);
    expect(list.body.data.map((c: { id: number }) => c.id)).to.deep.equal([fee.body.charge.id]);
  });
});
