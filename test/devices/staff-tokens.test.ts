import { expect } from 'chai';
import { Account, CreditDayEntry } from '../../src/modules/accounts/models';
import { SystemLog } from '../../src/modules/audit/models';
import { Customer } from '../../src/modules/customers/models';
import { Device, DeviceToken } from '../../src/modules/devices/models';
import { DAY_MS } from '../../src/modules/devices/tokens';
import { RESEND_JOIN_MS } from '../../src/modules/devices/device.service';
import { Notification } from '../../src/modules/notifications/models';
import { loginAs } from '../support/app';
import { createMarket, openAccount, type Market } from '../support/lending';
import { call, pay } from '../lending/support';
import { accountWithDevice, createDeviceModel, decodeOnDevice, registerDevice, tokensOf } from './support';

const PLAN = { price: '10000.00', downPayment: '1000.00', duration: 10, frequency: 'weekly' as const, startDate: '2026-11-20' };

describe('devices: tokens by staff (manual mint, resend)', () => {
  let market: Market;
  let admin: string;
  let backOffice: string;
  let backOfficeId: number;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: admin } = await loginAs('admin'));
    const bo = await loginAs('back_office');
    backOffice = bo.token;
    backOfficeId = bo.user.employee.id;
  });

  describe('POST /devices/:id/tokens', () => {
    it('mints ADD_TIME from the stored count, moves the account credit (reason manual) and logs who, what and why', async () => {
      const { account, device } = await accountWithDevice(market, admin, PLAN);
      const paid = await pay(admin, account.id, '1000.00'); // count 2, 20 days
      const res = await call('post', `/devices/${device.id}/tokens`, backOffice, { type: 'ADD_TIME', value: 5, reason: 'compensation for a faulty panel' });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.tokens).to.have.length(1);
      expect(res.body.tokens[0]).to.include({
        tokenType: 'ADD_TIME',
        value: 5,
        tokenCount: 4,
        source: 'manual',
        requestedBy: backOfficeId,
        reason: 'compensation for a faulty panel',
        accountId: account.id,
      });
      expect(decodeOnDevice(device, res.body.tokens[0].token, 2)).to.include({ status: 'VALID', type: 'ADD_TIME', value: 5, count: 4 });

      const entry = await CreditDayEntry.findOne({ where: { accountId: account.id, reason: 'manual' } });
      expect(entry).to.include({ days: 5, deviceId: device.id, createdBy: backOfficeId, note: 'compensation for a faulty panel' });
      const expiry = (await Account.findByPk(account.id))!.creditExpiresAt!;
      expect(expiry.getTime() - Date.parse(paid.body.creditExpiresAt)).to.equal(5 * DAY_MS);

      const log = await SystemLog.findOne({ where: { action: 'deviceToken.manual', entityId: device.id } });
      expect(log).to.include({ userId: backOfficeId, entity: 'devices' });
      expect(log!.newValues).to.include({ type: 'ADD_TIME', value: 5, tokenCount: 4, reason: 'compensation for a faulty panel', accountId: account.id });
      expect(JSON.stringify(log!.get()).toLowerCase()).not.to.contain(device.key);
      expect(log!.ipAddress).to.be.a('string');
    });

    it("SET_TIME, COUNTER_SYNC and DISABLE_PAYG decode as such; days past a standard token's 995 become several tokens", async () => {
      const { device } = await accountWithDevice(market, admin, PLAN);
      const set = await call('post', `/devices/${device.id}/tokens`, admin, { type: 'SET_TIME', value: 7, reason: 'reset after repair' });
      expect(decodeOnDevice(device, set.body.tokens[0].token, 0)).to.include({ status: 'VALID', type: 'SET_TIME', value: 7, count: 1 });
      const sync = await call('post', `/devices/${device.id}/tokens`, admin, { type: 'COUNTER_SYNC', reason: 'device counter behind' });
      expect(decodeOnDevice(device, sync.body.tokens[0].token, 1)).to.include({ status: 'VALID', type: 'COUNTER_SYNC', count: 3 });
      const many = await call('post', `/devices/${device.id}/tokens`, admin, { type: 'ADD_TIME', value: 1000, reason: 'long loan' });
      expect(many.body.tokens.map((t: { value: number; tokenCount: number }) => [t.value, t.tokenCount])).to.deep.equal([
        [995, 4],
        [5, 6],
      ]);
      const off = await call('post', `/devices/${device.id}/tokens`, admin, { type: 'DISABLE_PAYG', reason: 'paid off in cash at the branch' });
      expect(decodeOnDevice(device, off.body.tokens[0].token, 6)).to.include({ status: 'VALID', type: 'DISABLE_PAYG', count: 7 });
      const get = await call('get', `/devices/${device.id}`, admin);
      expect(get.body.paygDisabledAt).to.be.a('string');
      expect(get.body.tokenCount).to.equal(7);
    });

    it('400 naming value or reason; 422 for a device without OpenPAYGO; 404; 401; 403 without tokens:manual', async () => {
      const { device } = await accountWithDevice(market, admin, PLAN);
      const fields = async (body: object) => {
        const r = await call('post', `/devices/${device.id}/tokens`, admin, body);
        expect(r.status, JSON.stringify(r.body)).to.equal(400);
        return r.body.errors.map((e: { field: string }) => e.field) as string[];
      };
      expect(await fields({ type: 'ADD_TIME', reason: 'x is short' })).to.deep.equal(['value']);
      expect(await fields({ type: 'DISABLE_PAYG', value: 3, reason: 'no value allowed' })).to.deep.equal(['value']);
      expect(await fields({ type: 'ADD_TIME', value: 1.5, reason: 'fractional' })).to.deep.equal(['value']);
      expect(await fields({ type: 'ADD_TIME', value: 3 })).to.deep.equal(['reason']);
      expect(await fields({ type: 'UNLOCK', reason: 'not a type' })).to.deep.equal(['type']);
      expect(await tokensOf(device.id)).to.have.length(0);
      // The firmware's 16-bit counter is the end of the line for a device.
      await Device.update({ tokenCount: 65_535 }, { where: { id: device.id } });
      const exhausted = await call('post', `/devices/${device.id}/tokens`, admin, { type: 'ADD_TIME', value: 1, reason: 'counter at its end' });
      expect(exhausted.status).to.equal(422);
      expect(exhausted.body.type).to.match(/token-counter-exhausted$/);
      expect(await tokensOf(device.id)).to.have.length(0);

      const account = await openAccount(market, PLAN);
      const model = await createDeviceModel({ supportsOpenPaygo: false });
      const plain = await call('post', '/devices', admin, { serialNumber: `PLAIN-${account.id}`, deviceModelId: model.id, productId: account.productId });
      const refused = await call('post', `/devices/${plain.body.id}/tokens`, admin, { type: 'COUNTER_SYNC', reason: 'no key at all' });
      expect(refused.status).to.equal(422);
      expect(refused.body.type).to.match(/no-openpaygo-key$/);

      expect((await call('post', '/devices/99999999/tokens', admin, { type: 'COUNTER_SYNC', reason: 'unknown device' })).status).to.equal(404);
      expect((await call('post', `/devices/${device.id}/tokens`, undefined, { type: 'COUNTER_SYNC', reason: 'anonymous' })).status).to.equal(401);
      const { token: collections } = await loginAs('collections');
      expect((await call('post', `/devices/${device.id}/tokens`, collections, { type: 'COUNTER_SYNC', reason: 'no permission' })).status).to.equal(403);
      const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
      expect((await call('post', `/devices/${device.id}/tokens`, agent, { type: 'COUNTER_SYNC', reason: 'no permission' })).status).to.equal(403);
    });
  });

  describe('POST /devices/:id/tokens/resend', () => {
    it("queues the last token by SMS in the customer's language, mints nothing, and logs the reason", async () => {
      const { account, device } = await accountWithDevice(market, admin, PLAN);
      const paid = await pay(admin, account.id, '1000.00');
      await Customer.update({ preferredLanguage: 'sw' }, { where: { id: account.customerId } });
      const before = await DeviceToken.count({ where: { deviceId: device.id } });
      const res = await call('post', `/devices/${device.id}/tokens/resend`, backOffice, { reason: 'customer deleted the SMS' });
      expect(res.status, JSON.stringify(res.body)).to.equal(202);
      expect(res.body).to.include({ status: 'pending', tokenCount: 2, recipient: '+254711000000' });
      expect(await DeviceToken.count({ where: { deviceId: device.id } })).to.equal(before);
      const sms = (await Notification.findByPk(res.body.notificationId))!;
      expect(sms.templateCode).to.equal('token_resend');
      const t = paid.body.token as string;
      expect(sms.body).to.contain(`tokeni yako ya akaunti ${account.accountNumber} ni ${t.slice(0, 3)} ${t.slice(3, 6)} ${t.slice(6)}`);
      const log = await SystemLog.findOne({ where: { action: 'deviceToken.resend', entityId: device.id } });
      expect(log).to.include({ userId: backOfficeId });
      expect(log!.newValues).to.include({ reason: 'customer deleted the SMS', tokenCount: 2, notificationId: sms.id });

      // While that SMS still waits to go out, a resend (a client retrying) joins it: one SMS, one audit line.
      const retried = await call('post', `/devices/${device.id}/tokens/resend`, backOffice, { reason: 'customer deleted the SMS' });
      expect(retried.status).to.equal(202);
      expect(retried.body.notificationId).to.equal(sms.id);
      expect(await SystemLog.count({ where: { action: 'deviceToken.resend', entityId: device.id } })).to.equal(1);

      // Sent a moment ago (the queue came back before the client's retry): still the same SMS.
      await sms.update({ status: 'sent', sentAt: new Date() });
      const late = await call('post', `/devices/${device.id}/tokens/resend`, backOffice, { reason: 'customer deleted the SMS' });
      expect(late.body).to.include({ notificationId: sms.id, status: 'sent' });

      // Once it went out RESEND_JOIN_MS ago, resending sends again; a language without templates falls back to English.
      await Notification.update({ createdAt: new Date(Date.now() - RESEND_JOIN_MS - 60_000) }, { where: { id: sms.id }, silent: true });
      await Customer.update({ preferredLanguage: 'pt' }, { where: { id: account.customerId } });
      const again = await call('post', `/devices/${device.id}/tokens/resend`, backOffice, { reason: 'asked again' });
      expect(again.status).to.equal(202);
      expect(again.body.notificationId).to.not.equal(sms.id);
      expect((await Notification.findByPk(again.body.notificationId))!.body).to.match(/^Dear Wanjiku, your token for account/);
    });

    it('422 when the device is on no account or has no token yet; 400 without a reason; 404; 403', async () => {
      const account = await openAccount(market, PLAN);
      const loose = await registerDevice(admin, account.productId);
      const notAttached = await call('post', `/devices/${loose.id}/tokens/resend`, admin, { reason: 'please resend' });
      expect(notAttached.status).to.equal(422);
      expect(notAttached.body.type).to.match(/not-attached$/);
      const { device } = await accountWithDevice(market, admin, PLAN);
      const none = await call('post', `/devices/${device.id}/tokens/resend`, admin, { reason: 'please resend' });
      expect(none.status).to.equal(422);
      expect(none.body.type).to.match(/no-token$/);
      const noReason = await call('post', `/devices/${device.id}/tokens/resend`, admin, {});
      expect(noReason.status).to.equal(400);
      expect(noReason.body.errors[0].field).to.equal('reason');
      expect((await call('post', '/devices/99999999/tokens/resend', admin, { reason: 'please resend' })).status).to.equal(404);
      const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
      expect((await call('post', `/devices/${device.id}/tokens/resend`, agent, { reason: 'please resend' })).status).to.equal(403);
    });
  });
});
