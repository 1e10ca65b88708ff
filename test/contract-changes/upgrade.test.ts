import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { AccountDevice, AccountUpgrade, InstallmentSchedule } from '../../src/modules/accounts/models';
import { loginAs } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { createMarket, createPlan, openAccount, type Market } from '../support/lending';
import { accountWithDevice, decodeOnDevice, registerDevice } from '../devices/support';
import { call, entryLines, loginWithPermissions, pay } from '../lending/support';

describe('contract changes: upgrades', () => {
  let market: Market;
  let staff: string; // back office: accounts:upgrade, payments, devices
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: staff } = await loginAs('back_office'));
  });
  beforeEach(() => market.setDate('2026-11-20'));

  const PLAN = { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly' as const, startDate: '2026-11-20' };
  const upgrade = (accountId: number, body: object, token = staff, key = randomUUID()) =>
    call('post', `/accounts/${accountId}/upgrade`, token, body, { 'Idempotency-Key': key });
  const schedule = async (accountId: number) =>
    (await InstallmentSchedule.findAll({ where: { accountId }, order: [['installmentNumber', 'ASC']] })).map((i) => [
      i.installmentNumber,
      i.dueDate,
      i.amount,
      i.paidAmount,
      i.status,
    ]);

  it('adds the product: price on the receivable, down payment due now, the rest over the open due dates; the device attached with its first token; books right, then paid off', async () => {
    const { account, device: first } = await accountWithDevice(market, staff, PLAN);
    expect((await pay(staff, account.id, '100.00')).status).to.equal(201); // active, 2 credit days at 50 a day
    const { product, payplan } = await createPlan({ price: '600.00', downPayment: '60.00' });
    const tv = await registerDevice(staff, product.id);

    const res = await upgrade(account.id, { productId: product.id, payplanId: payplan.id, deviceId: tv.id, reason: 'adds a TV' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ price: '600.00', downPayment: '60.00', status: 'completed', balance: '1500.00', accountStatus: 'active', deviceId: tv.id });
    expect(res.body.tokens).to.have.length(1);
    expect(res.body.tokens[0]).to.include({ deviceId: tv.id, tokenType: 'SET_TIME', value: 2 });
    expect(decodeOnDevice(tv, res.body.tokens[0].token, 0)).to.include({ status: 'VALID', type: 'SET_TIME', value: 2 });

    expect(await schedule(account.id)).to.deep.equal([
      [0, '2026-11-20', '100.00', '100.00', 'paid'],
      [1, '2026-11-27', '300.00', '0.00', 'superseded'],
      [2, '2026-12-04', '300.00', '0.00', 'superseded'],
      [3, '2026-12-11', '300.00', '0.00', 'superseded'],
      [4, '2026-11-20', '60.00', '0.00', 'pending'],
      [5, '2026-11-27', '480.00', '0.00', 'pending'],
      [6, '2026-12-04', '480.00', '0.00', 'pending'],
      [7, '2026-12-11', '480.00', '0.00', 'pending'],
    ]);
    expect(await entryLines('upgrade', res.body.id)).to.deep.equal([['1200 Dr 600.00', '4100 Cr 600.00']]);
    const links = await AccountDevice.findAll({ where: { accountId: account.id, status: 'active' }, order: [['deviceId', 'ASC']] });
    expect(links.map((l) => l.deviceId)).to.deep.equal([first.id, tv.id].sort((a, b) => a - b));
    const row = (await AccountUpgrade.findByPk(res.body.id))!;
    expect(row).to.include({ fromAccountId: account.id, toProductId: product.id, scheduleChangeId: res.body.scheduleChangeId, status: 'completed' });
    await expectAccountBooks(account.id, 'after the upgrade');

    // Paying the combined balance closes the account and unlocks both devices.
    const last = await pay(staff, account.id, '1500.00');
    expect(last.status).to.equal(201);
    expect(last.body.account).to.include({ status: 'closed', balance: '0.00' });
    expect(last.body.tokens.map((t: { deviceId: number; tokenType: string }) => [t.deviceId, t.tokenType])).to.have.deep.members([
      [first.id, 'DISABLE_PAYG'],
      [tv.id, 'DISABLE_PAYG'],
    ]);
    await expectAccountBooks(account.id, 'after paying the upgraded account off');
  });

  it('4xx: a pending account, a device attached elsewhere, of another product or outside your stock, a product not sold, another region, no permission; nothing written', async () => {
    const { product, payplan } = await createPlan({ price: '600.00', downPayment: '60.00' });
    const pending = await openAccount(market, PLAN);
    const notActive = await upgrade(pending.id, { productId: product.id, payplanId: payplan.id });
    expect(notActive.status).to.equal(409);
    expect(notActive.body.type).to.match(/account-not-active/);

    const { account, device: attached } = await accountWithDevice(market, staff, PLAN);
    await pay(staff, account.id, '100.00');
    const before = await schedule(account.id);

    // The device went to another account by its own upgrade.
    const other = await accountWithDevice(market, staff, PLAN);
    await pay(staff, other.account.id, '100.00');
    const inUse = await registerDevice(staff, product.id);
    const otherUpgrade = await upgrade(other.account.id, { productId: product.id, payplanId: payplan.id, deviceId: inUse.id });
    expect(otherUpgrade.status, JSON.stringify(otherUpgrade.body)).to.equal(201);
    const busy = await upgrade(account.id, { productId: product.id, payplanId: payplan.id, deviceId: inUse.id });
    expect(busy.status).to.equal(409);
    expect(busy.body.type).to.match(/device-in-use/);

    const wrong = await upgrade(account.id, { productId: product.id, payplanId: payplan.id, deviceId: attached.id });
    expect(wrong.status).to.equal(409); // the account's own device: already attached

    const oldKind = await registerDevice(staff, account.productId);
    const mismatch = await upgrade(account.id, { productId: product.id, payplanId: payplan.id, deviceId: oldKind.id });
    expect(mismatch.status).to.equal(422);
    expect(mismatch.body.type).to.match(/product-mismatch/);

    const unknown = await upgrade(account.id, { productId: 2147480000 });
    expect(unknown.status).to.equal(400);
    expect(unknown.body.errors[0].field).to.equal('productId');
    const unsold = await upgrade(account.id, { productId: product.id }); // not priced on the account's own plan
    expect(unsold.status).to.equal(400);
    expect(unsold.body.errors[0].field).to.equal('productId');
    const tooMuch = await upgrade(account.id, { productId: product.id, payplanId: payplan.id, downPayment: '700.00' });
    expect(tooMuch.status).to.equal(400);
    expect(tooMuch.body.errors[0].field).to.equal('downPayment');

    // A regional employee: a device in no stock of theirs is not disclosed; another region's account is 404.
    const { token: regional } = await loginWithPermissions(['accounts:upgrade', 'accounts:read'], [market.region.id]);
    const loose = await registerDevice(staff, product.id);
    const notYours = await upgrade(account.id, { productId: product.id, payplanId: payplan.id, deviceId: loose.id }, regional);
    expect(notYours.status).to.equal(400);
    expect(notYours.body.errors[0].field).to.equal('deviceId');
    const elsewhere = await createMarket({ businessDate: '2026-11-20' });
    const { token: outsider } = await loginWithPermissions(['accounts:upgrade', 'accounts:read'], [elsewhere.region.id]);
    expect((await upgrade(account.id, { productId: product.id, payplanId: payplan.id }, outsider)).status).to.equal(404);
    const { token: finance } = await loginAs('finance');
    expect((await upgrade(account.id, { productId: product.id, payplanId: payplan.id }, finance)).status).to.equal(403);

    expect(await schedule(account.id)).to.deep.equal(before);
    expect(await AccountUpgrade.count({ where: { fromAccountId: account.id } })).to.equal(0);
    await expectAccountBooks(account.id, 'after refused upgrades');
  });

  it('a retry with the same Idempotency-Key gets the first answer; an upgrade racing payments and a payoff keeps the books whole', async () => {
    const { product, payplan } = await createPlan({ price: '600.00', downPayment: '60.00' });
    const account = await openAccount(market, PLAN);
    await pay(staff, account.id, '100.00');
    const key = randomUUID();
    const body = { productId: product.id, payplanId: payplan.id };
    const first = await upgrade(account.id, body, staff, key);
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    const replay = await upgrade(account.id, body, staff, key);
    expect(replay.status).to.equal(201);
    expect(replay.body).to.deep.equal(first.body);
    expect(await AccountUpgrade.count({ where: { fromAccountId: account.id } })).to.equal(1);
    await expectAccountBooks(account.id, 'after a replayed upgrade');

    for (let round = 0; round < 3; round++) {
      const racing = await openAccount(market, PLAN);
      await pay(staff, racing.id, '100.00');
      const quote = await call('get', `/accounts/${racing.id}/payoff`, staff);
      const results = await Promise.all([
        upgrade(racing.id, body),
        pay(staff, racing.id, '150.00'),
        round === 2
          ? call(
              'post',
              `/accounts/${racing.id}/payoff`,
              staff,
              { quoteId: quote.body.id, paymentType: 'CASH', channel: 'cash', transactionRef: `PO${randomUUID().slice(0, 12)}` },
              { 'Idempotency-Key': randomUUID() },
            )
          : pay(staff, racing.id, '75.00'),
      ]);
      for (const r of results) expect([201, 409], JSON.stringify(r.body)).to.include(r.status);
      await expectAccountBooks(racing.id, `race round ${round}`);
    }
  });

  it('409 for an account in arrears', async () => {
    const account = await openAccount(market, PLAN);
    await pay(staff, account.id, '100.00');
    await market.setDate('2026-11-30'); // the 11-27 instalment is overdue
    const { product, payplan } = await createPlan({ price: '600.00', downPayment: '60.00' });
    const res = await upgrade(account.id, { productId: product.id, payplanId: payplan.id });
    expect(res.status).to.equal(409);
    expect(res.body.type).to.match(/in-arrears/);
  });
});
