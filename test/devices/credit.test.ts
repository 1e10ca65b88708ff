import { expect } from 'chai';
import { Account, CreditDayEntry } from '../../src/modules/accounts/models';
import { devicesModule } from '../../src/modules/devices';
import { Device, DeviceToken } from '../../src/modules/devices/models';
import { Notification } from '../../src/modules/notifications/models';
import { DAY_MS } from '../../src/modules/devices/tokens';
import { dataCrypto } from '../../src/platform/crypto';
import { loginAs, testRuntime } from '../support/app';
import { createMarket, expectBooksBalanced, openAccount, type Market } from '../support/lending';
import { call, pay } from '../lending/support';
import { accountWithDevice, createDeviceModel, decodeOnDevice, tokensOf } from './support';

const PLAN = { price: '10000.00', downPayment: '1000.00', duration: 10, frequency: 'weekly' as const, startDate: '2026-11-20' };

describe('devices: payments buy credit days and OpenPAYGO tokens', () => {
  let market: Market;
  let admin: string;
  let maker: string;
  let checker: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: admin } = await loginAs('admin'));
    ({ token: maker } = await loginAs('back_office'));
    ({ token: checker } = await loginAs('finance'));
  });
  beforeEach(() => market.setDate('2026-11-20'));

  async function reverse(paymentId: number) {
    const r = await call('post', `/payments/${paymentId}/reversal`, maker, { reason: 'provider reversed the transaction' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const approved = await call('post', `/payment-reversals/${r.body.id}/approve`, checker);
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    return approved;
  }

  it('a payment buys floor(amount / dailyRate) days and an ADD_TIME token that decodes to those days and the next even count', async () => {
    const { account, device } = await accountWithDevice(market, admin, PLAN);
    const res = await pay(admin, account.id, '1000.00');
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.creditDays).to.equal(20); // 1000 / 50
    expect(res.body.token).to.match(/^\d{9}$/);
    expect(res.body.tokens).to.have.length(1);
    expect(res.body.tokens[0]).to.include({ deviceId: device.id, serialNumber: device.serialNumber, tokenType: 'ADD_TIME', value: 20, tokenCount: 2 });
    expect(decodeOnDevice(device, res.body.token, 0)).to.deep.equal({ status: 'VALID', type: 'ADD_TIME', value: 20, count: 2, extended: false });
    expect(res.body.account.creditExpiresAt).to.equal(res.body.creditExpiresAt);

    const [row] = await tokensOf(device.id);
    expect(row).to.include({
      tokenType: 'ADD_TIME',
      value: 20,
      tokenCount: 2,
      source: 'payment',
      paymentId: res.body.payment.id,
      accountId: account.id,
      token: res.body.token,
    });
    expect((await Device.findByPk(device.id))!.tokenCount).to.equal(2);
    const entries = await CreditDayEntry.findAll({ where: { accountId: account.id } });
    expect(entries.map((e) => [e.reason, e.days, e.paymentId])).to.deep.equal([['payment', 20, res.body.payment.id]]);
    expect(entries[0]!.creditExpiresAt.toISOString()).to.equal(res.body.creditExpiresAt);
    expect((await Account.findByPk(account.id))!.creditExpiresAt!.toISOString()).to.equal(res.body.creditExpiresAt);

    // The customer gets the token by SMS, in their language, queued with the payment.
    const sms = await Notification.findOne({ where: { dedupeKey: `payment_received:${res.body.payment.id}` } });
    expect(sms).to.not.equal(null);
    expect(sms!).to.include({ status: 'pending', channel: 'sms', templateCode: 'payment_received', accountId: account.id, recipient: '+254711000000' });
    const spaced = `${res.body.token.slice(0, 3)} ${res.body.token.slice(3, 6)} ${res.body.token.slice(6)}`;
    expect(sms!.body).to.contain(`Token: ${spaced} (20 days)`);
    expect(sms!.body).to.contain('KES 1000.00');
    await expectBooksBalanced([account.id]);
  });

  it('remainders carry over: 1000 + 125 + 25 at 50 a day buy 20, 2 and 1 days; less than a day buys nothing yet', async () => {
    const { account, device } = await accountWithDevice(market, admin, PLAN);
    const first = await pay(admin, account.id, '1000.00');
    const second = await pay(admin, account.id, '125.00'); // 1125 -> 22 days in all: 2 more, 25 carried
    const third = await pay(admin, account.id, '25.00'); // 1150 -> 23: 1 more
    expect([first.body.creditDays, second.body.creditDays, third.body.creditDays]).to.deep.equal([20, 2, 1]);
    expect(decodeOnDevice(device, second.body.token, 2)).to.include({ status: 'VALID', type: 'ADD_TIME', value: 2, count: 4 });
    expect(decodeOnDevice(device, third.body.token, 4)).to.include({ status: 'VALID', type: 'ADD_TIME', value: 1, count: 6 });
    // Days extend the expiry exactly (it was in the future each time).
    const t1 = Date.parse(first.body.creditExpiresAt);
    expect(Date.parse(second.body.creditExpiresAt) - t1).to.equal(2 * DAY_MS);
    expect(Date.parse(third.body.creditExpiresAt) - t1).to.equal(3 * DAY_MS);

    const small = await pay(admin, account.id, '30.00'); // 1180 -> 23: nothing yet
    expect(small.status).to.equal(201);
    expect(small.body).to.include({ creditDays: 0, token: null, creditExpiresAt: third.body.creditExpiresAt });
    expect(await Notification.count({ where: { dedupeKey: `payment_received:${small.body.payment.id}` } })).to.equal(0);
    const topUp = await pay(admin, account.id, '20.00'); // 1200 -> 24
    expect(topUp.body.creditDays).to.equal(1);
    expect(decodeOnDevice(device, topUp.body.token, 6)).to.include({ status: 'VALID', value: 1, count: 8 });
    const sum = (await CreditDayEntry.sum('days', { where: { accountId: account.id } })) as number;
    expect(Number(sum)).to.equal(24);
    expect((await tokensOf(device.id)).map((t) => t.tokenCount)).to.deep.equal([2, 4, 6, 8]);
  });

  it('the payment that pays the account off mints DISABLE_PAYG; money after payoff buys no days and no token', async () => {
    const { account, device } = await accountWithDevice(market, admin, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    const down = await pay(admin, account.id, '100.00');
    expect(down.body.tokens[0]).to.include({ tokenType: 'ADD_TIME', value: 2, tokenCount: 2 });
    const last = await pay(admin, account.id, '400.00');
    expect(last.status).to.equal(201);
    expect(last.body.account.status).to.equal('closed');
    expect(last.body.tokens).to.have.length(1);
    expect(last.body.tokens[0]).to.include({ tokenType: 'DISABLE_PAYG', tokenCount: 3 });
    expect(decodeOnDevice(device, last.body.token, 2)).to.deep.equal({ status: 'VALID', type: 'DISABLE_PAYG', value: 998, count: 3, extended: false });
    expect((await Device.findByPk(device.id))!.paygDisabledAt).to.be.instanceOf(Date);
    const sms = await Notification.findOne({ where: { dedupeKey: `account_paid_off:${last.body.payment.id}` } });
    expect(sms!.templateCode).to.equal('account_paid_off');
    expect(sms!.body).to.contain('fully paid');

    const extra = await pay(admin, account.id, '100.00');
    expect(extra.status).to.equal(201);
    expect(extra.body).to.include({ creditDays: 0, token: null });
    expect((await tokensOf(device.id)).map((t) => t.tokenType)).to.deep.equal(['ADD_TIME', 'DISABLE_PAYG']);
  });

  it('a reversal takes the days back (creditDayEntries reason reversal) and mints SET_TIME with the days that remain', async () => {
    const { account, device } = await accountWithDevice(market, admin, PLAN);
    const first = await pay(admin, account.id, '1000.00'); // 20 days
    const second = await pay(admin, account.id, '500.00'); // 10 days
    const approved = await reverse(second.body.payment.id);
    expect(approved.body.creditDays).to.equal(-10);
    expect(approved.body.creditExpiresAt).to.equal(first.body.creditExpiresAt);
    expect(approved.body.tokens).to.have.length(1);
    expect(approved.body.tokens[0]).to.include({ tokenType: 'SET_TIME', value: 20, tokenCount: 5 });
    expect(decodeOnDevice(device, approved.body.token, 4)).to.deep.equal({ status: 'VALID', type: 'SET_TIME', value: 20, count: 5, extended: false });

    const entries = await CreditDayEntry.findAll({ where: { accountId: account.id }, order: [['id', 'ASC']] });
    expect(entries.map((e) => [e.reason, e.days, e.paymentId])).to.deep.equal([
      ['payment', 20, first.body.payment.id],
      ['payment', 10, second.body.payment.id],
      ['reversal', -10, second.body.payment.id],
    ]);
    const token = (await tokensOf(device.id)).at(-1)!;
    expect(token).to.include({ source: 'reversal', paymentId: second.body.payment.id });
    expect((await Account.findByPk(account.id))!.creditExpiresAt!.toISOString()).to.equal(first.body.creditExpiresAt);

    // The next payment continues from the stored count.
    const next = await pay(admin, account.id, '50.00');
    expect(next.body.tokens[0]).to.include({ tokenType: 'ADD_TIME', value: 1, tokenCount: 6 });
    expect(decodeOnDevice(device, next.body.token, 5)).to.include({ status: 'VALID', count: 6 });
  });

  it('a reversal keeps the rule floor(paid / rate): it takes back the carried remainder too', async () => {
    const { account } = await accountWithDevice(market, admin, PLAN);
    await pay(admin, account.id, '1000.00'); // 20
    const p70 = await pay(admin, account.id, '70.00'); // 1070 -> 21: +1, 20 carried
    const p30 = await pay(admin, account.id, '30.00'); // 1100 -> 22: +1
    expect([p70.body.creditDays, p30.body.creditDays]).to.deep.equal([1, 1]);
    const approved = await reverse(p70.body.payment.id); // 1030 -> 20: two days go
    expect(approved.body.creditDays).to.equal(-2);
    const sum = Number(await CreditDayEntry.sum('days', { where: { accountId: account.id } }));
    expect(sum).to.equal(20);
  });

  it('reversing the payment that paid the account off puts the device back under pay-as-you-go (SET_TIME)', async () => {
    const { account, device } = await accountWithDevice(market, admin, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    await pay(admin, account.id, '100.00'); // 2 days, count 2
    const last = await pay(admin, account.id, '400.00'); // closed, DISABLE_PAYG count 3
    const approved = await reverse(last.body.payment.id);
    expect(approved.body.creditDays).to.equal(-8);
    expect(approved.body.tokens[0]).to.include({ tokenType: 'SET_TIME', value: 2, tokenCount: 5 });
    expect(decodeOnDevice(device, approved.body.token, 3)).to.include({ status: 'VALID', type: 'SET_TIME', value: 2 });
    expect((await Device.findByPk(device.id))!.paygDisabledAt).to.equal(null);
  });

  it('a reversal that leaves no credit mints SET_TIME 0 (the device locks at once)', async () => {
    const { account, device } = await accountWithDevice(market, admin, PLAN);
    const only = await pay(admin, account.id, '1000.00');
    const approved = await reverse(only.body.payment.id);
    expect(approved.body.creditDays).to.equal(-20);
    expect(approved.body.tokens[0]).to.include({ tokenType: 'SET_TIME', value: 0 });
    expect(decodeOnDevice(device, approved.body.token, 2)).to.include({ status: 'VALID', type: 'SET_TIME', value: 0 });
  });

  it('an approved refund takes back the days the refunded money bought (reason refund) and mints SET_TIME; a rejected one changes nothing', async () => {
    const { account, device } = await accountWithDevice(market, admin, PLAN);
    const first = await pay(admin, account.id, '1000.00'); // 20 days
    const second = await pay(admin, account.id, '500.00'); // 10 days
    const refundOf = (amount: string) =>
      call('post', '/refunds', maker, {
        paymentId: second.body.payment.id,
        amount,
        reason: 'customer paid twice',
        method: 'mobile_money',
        destination: '+254711000000',
      });

    const rejected = await refundOf('120.00');
    expect((await call('post', `/refunds/${rejected.body.id}/reject`, checker, { reason: 'no proof' })).status).to.equal(200);
    expect(Number(await CreditDayEntry.sum('days', { where: { accountId: account.id } }))).to.equal(30);

    const requested = await refundOf('120.00'); // 1380 kept -> 27 days: 3 go, the 30 left carry over
    expect(requested.status, JSON.stringify(requested.body)).to.equal(201);
    const approved = await call('post', `/refunds/${requested.body.id}/approve`, checker);
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    expect(approved.body).to.include({ status: 'approved', creditDays: -3 });
    expect(approved.body.tokens).to.have.length(1);
    expect(approved.body.tokens[0]).to.include({ tokenType: 'SET_TIME', value: 27, tokenCount: 5 });
    expect(decodeOnDevice(device, approved.body.token, 4)).to.deep.equal({ status: 'VALID', type: 'SET_TIME', value: 27, count: 5, extended: false });

    const entries = await CreditDayEntry.findAll({ where: { accountId: account.id }, order: [['id', 'ASC']] });
    expect(entries.map((e) => [e.reason, e.days, e.paymentId])).to.deep.equal([
      ['payment', 20, first.body.payment.id],
      ['payment', 10, second.body.payment.id],
      ['refund', -3, second.body.payment.id],
    ]);
    expect((await tokensOf(device.id)).at(-1)).to.include({ source: 'refund', paymentId: second.body.payment.id });

    // The rule holds from here on: 1380 + 20 = 1400 kept buys 28 days, one more.
    const next = await pay(admin, account.id, '20.00');
    expect(next.body.creditDays).to.equal(1);
    expect(next.body.tokens[0]).to.include({ tokenType: 'ADD_TIME', value: 1, tokenCount: 6 });
    await expectBooksBalanced([account.id]);
  });

  it('accounts without devices still get their days; devices without OpenPAYGO get no token', async () => {
    const bare = await openAccount(market, PLAN);
    const res = await pay(admin, bare.id, '1000.00');
    expect(res.body).to.include({ creditDays: 20, token: null });
    expect(res.body.tokens).to.deep.equal([]);

    const account = await openAccount(market, PLAN);
    const model = await createDeviceModel({ supportsOpenPaygo: false });
    const reg = await call('post', '/devices', admin, { serialNumber: `NOPAYG-${account.id}`, deviceModelId: model.id, productId: account.productId });
    expect(reg.status, JSON.stringify(reg.body)).to.equal(201);
    expect(reg.body.openpaygo).to.equal(false);
    expect((await call('post', `/accounts/${account.id}/devices`, admin, { deviceId: reg.body.id })).status).to.equal(201);
    const paid = await pay(admin, account.id, '1000.00');
    expect(paid.body).to.include({ creditDays: 20, token: null });
  });

  it('a device whose key cannot be decrypted gets no token, and the payment still posts', async () => {
    const { account, device } = await accountWithDevice(market, admin, PLAN);
    await Device.scope('withSecret').update(
      { openpaygoSecretKey: dataCrypto('ab'.repeat(32)).encrypt(device.key, 'devices.openpaygoSecretKey') },
      { where: { id: device.id } },
    );
    const res = await pay(admin, account.id, '1000.00');
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ creditDays: 20, token: null });
    expect(res.body.tokenErrors).to.deep.equal([
      { deviceId: device.id, code: 'key-unreadable', message: 'The device key cannot be decrypted with the configured DATA_ENCRYPTION_KEY.' },
    ]);
    expect(await DeviceToken.count({ where: { deviceId: device.id } })).to.equal(0);
  });

  it('extended devices take one 12-digit token for many days; restricted keypads get digits 1-4 only', async () => {
    const ext = await accountWithDevice(
      market,
      admin,
      { ...PLAN, price: '100000.00', downPayment: '60000.00' },
      await createDeviceModel({ tokenType: 'extended' }),
    );
    const big = await pay(admin, ext.account.id, '60000.00'); // 1200 days
    expect(big.body.tokens).to.have.length(1);
    expect(big.body.token).to.match(/^\d{12}$/);
    expect(decodeOnDevice(ext.device, big.body.token, 0)).to.include({ status: 'VALID', type: 'ADD_TIME', value: 1200, extended: true });

    const std = await accountWithDevice(market, admin, { ...PLAN, price: '100000.00', downPayment: '60000.00' });
    const split = await pay(admin, std.account.id, '60000.00'); // 1200 days: 995 + 205
    expect(split.body.tokens.map((t: { value: number; tokenCount: number }) => [t.value, t.tokenCount])).to.deep.equal([
      [995, 2],
      [205, 4],
    ]);
    expect(decodeOnDevice(std.device, split.body.tokens[1].token, 2)).to.include({ status: 'VALID', value: 205 });
    const sms = await Notification.findOne({ where: { dedupeKey: `payment_received:${split.body.payment.id}` } });
    expect(sms!.body).to.contain('(1200 days)');

    const keypad = await accountWithDevice(market, admin, PLAN, await createDeviceModel({ restrictedDigitSet: true }));
    const r = await pay(admin, keypad.account.id, '1000.00');
    expect(r.body.token).to.match(/^[1-4]{15}$/);
    expect(decodeOnDevice(keypad.device, r.body.token, 0, true)).to.include({ status: 'VALID', type: 'ADD_TIME', value: 20 });
  });

  describe('concurrency: token counts strictly increase per device', () => {
    function expectStrictlyIncreasing(tokens: DeviceToken[]) {
      const byId = [...tokens].sort((a, b) => a.id - b.id).map((t) => t.tokenCount);
      for (let i = 1; i < byId.length; i++) expect(byId[i]!, `counts in minting order ${byId.join(',')}`).to.be.greaterThan(byId[i - 1]!);
      expect(new Set(byId).size).to.equal(byId.length);
    }

    it('concurrent payments on one account: unique counts, increasing in minting order, each token valid in turn', async () => {
      const { account, device } = await accountWithDevice(market, admin, PLAN);
      const results = await Promise.all(Array.from({ length: 8 }, () => pay(admin, account.id, '50.00')));
      expect(results.map((r) => r.status)).to.deep.equal(Array(8).fill(201));
      const tokens = await tokensOf(device.id);
      expect(tokens.map((t) => t.tokenCount)).to.deep.equal([2, 4, 6, 8, 10, 12, 14, 16]);
      expectStrictlyIncreasing(tokens);
      let last = 0;
      for (const t of tokens) {
        expect(decodeOnDevice(device, t.token, last)).to.include({ status: 'VALID', type: 'ADD_TIME', value: 1, count: t.tokenCount });
        last = t.tokenCount;
      }
      expect((await Device.findByPk(device.id))!.tokenCount).to.equal(16);
      expect(Number(await CreditDayEntry.sum('days', { where: { accountId: account.id } }))).to.equal(8);
      await expectBooksBalanced([account.id]);
    });

    it('concurrent payments on two accounts sharing nothing: each device counts on its own', async () => {
      const a = await accountWithDevice(market, admin, PLAN);
      const b = await accountWithDevice(market, admin, PLAN);
      const results = await Promise.all([0, 1, 2, 3].flatMap(() => [pay(admin, a.account.id, '100.00'), pay(admin, b.account.id, '100.00')]));
      expect(results.every((r) => r.status === 201)).to.equal(true);
      for (const { device } of [a, b]) {
        const tokens = await tokensOf(device.id);
        expect(tokens.map((t) => [t.tokenCount, t.value])).to.deep.equal([
          [2, 2],
          [4, 2],
          [6, 2],
          [8, 2],
        ]);
        expectStrictlyIncreasing(tokens);
      }
    });

    it('payments and manual tokens racing on the same device never share a count', async () => {
      const { account, device } = await accountWithDevice(market, admin, PLAN);
      const work = [
        ...Array.from({ length: 4 }, () => pay(admin, account.id, '50.00')),
        ...Array.from({ length: 4 }, (_, i) =>
          call('post', `/devices/${device.id}/tokens`, admin, {
            type: i % 2 ? 'COUNTER_SYNC' : 'ADD_TIME',
            ...(i % 2 ? {} : { value: 1 }),
            reason: 'race test',
          }),
        ),
      ];
      const results = await Promise.all(work);
      expect(
        results.every((r) => r.status === 201),
        JSON.stringify(results.map((r) => r.body)),
      ).to.equal(true);
      const tokens = await tokensOf(device.id);
      expect(tokens).to.have.length(8);
      expectStrictlyIncreasing(tokens);
      let last = 0;
      for (const t of tokens) {
        expect(decodeOnDevice(device, t.token, last)).to.include({ status: 'VALID', count: t.tokenCount });
        last = t.tokenCount;
      }
    });
  });

  it('listeners are registered once, however often the module starts', async () => {
    const rt = await testRuntime();
    // The runtime registered them already (register(ctx)); starting the module again must not add more.
    devicesModule.register!(rt);
    devicesModule.register!(rt);
    devicesModule.routes!(rt);
    const { account, device } = await accountWithDevice(market, admin, PLAN);
    const res = await pay(admin, account.id, '100.00');
    expect(res.body.tokens).to.have.length(1);
    expect(await DeviceToken.count({ where: { deviceId: device.id } })).to.equal(1);
    expect(await CreditDayEntry.count({ where: { accountId: account.id } })).to.equal(1);
  });
});
