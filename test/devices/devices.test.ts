import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import pino from 'pino';
import { Account, AccountDevice } from '../../src/modules/accounts/models';
import { SystemLog } from '../../src/modules/audit/models';
import { creditDependencies } from '../../src/modules/devices/credit.service';
import { DeviceService } from '../../src/modules/devices/device.service';
import { Device, DeviceEvent } from '../../src/modules/devices/models';
import { DEVICE_KEY_CONTEXT } from '../../src/modules/devices/tokens';
import { Notification } from '../../src/modules/notifications/models';
import { Warehouse } from '../../src/modules/organisation/reference.models';
import { dataCrypto } from '../../src/platform/crypto';
import { REDACT_PATHS } from '../../src/platform/logging/logger';
import { api, loginAs, testRuntime } from '../support/app';
import { createMarket, openAccount, type Market } from '../support/lending';
import { call, loginWithPermissions, pay } from '../lending/support';
import { accountWithDevice, createDeviceModel, decodeOnDevice, registerDevice } from './support';

const PLAN = { price: '10000.00', downPayment: '1000.00', duration: 10, frequency: 'weekly' as const, startDate: '2026-11-20' };

function captureLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write: (chunk, _enc, cb) => {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink), lines };
}

describe('devices: registering, attaching, reading', () => {
  let market: Market;
  let other: Market;
  let admin: string;
  let backOffice: string;
  let warehouse: Warehouse;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    other = await createMarket({ businessDate: '2026-11-20' });
    ({ token: admin } = await loginAs('admin'));
    ({ token: backOffice } = await loginAs('back_office'));
    const tag = randomUUID().slice(0, 6);
    warehouse = await Warehouse.create({ name: `Depot ${tag}`, code: `WH-${tag}`, regionId: market.region.id });
  });

  describe('POST /devices', () => {
    it('stores the key encrypted (AES-GCM, bound to its column) and never returns it, nor its ciphertext or the starting code', async () => {
      const account = await openAccount(market, PLAN);
      const model = await createDeviceModel();
      const key = randomBytes(16).toString('hex').toUpperCase();
      const res = await call('post', '/devices', backOffice, {
        serialNumber: `SN-${randomUUID()}`,
        deviceModelId: model.id,
        productId: account.productId,
        openpaygoSecretKey: key,
        startingCode: 123456789,
        warehouseId: warehouse.id,
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.headers.location).to.equal(`/api/v1/devices/${res.body.id}`);
      expect(res.body).to.include({ status: 'stored', openpaygo: true, tokenCount: 0, warehouseId: warehouse.id, account: null });
      expect(res.body).to.not.have.any.keys('openpaygoSecretKey', 'startingCode');
      const raw = JSON.stringify(res.body);
      expect(raw.toLowerCase()).not.to.contain(key.toLowerCase());
      expect(raw).not.to.contain('v1:');
      expect(raw).not.to.contain('123456789');

      const stored = (await Device.scope('withSecret').findByPk(res.body.id))!;
      expect(stored.openpaygoSecretKey).to.match(/^v1:/);
      const crypto = dataCrypto((await testRuntime()).config.dataEncryptionKey);
      expect(crypto.decrypt(stored.openpaygoSecretKey!, DEVICE_KEY_CONTEXT)).to.equal(key.toLowerCase());
      expect(stored.startingCode).to.equal(123456789);
      // The default scope never even reads it.
      expect((await Device.findByPk(res.body.id))!.get()).to.not.have.property('openpaygoSecretKey');

      for (const path of [`/devices/${res.body.id}`, `/devices?serialNumber=${stored.serialNumber}`]) {
        const got = await call('get', path, backOffice);
        expect(got.status).to.equal(200);
        expect(JSON.stringify(got.body).toLowerCase()).not.to.contain(key.toLowerCase());
        expect(JSON.stringify(got.body)).not.to.contain('v1:');
      }
      const log = await SystemLog.findOne({ where: { action: 'device.register', entityId: res.body.id } });
      expect(log!.newValues).to.include({ serialNumber: stored.serialNumber, openpaygo: true });
      expect(JSON.stringify(log!.get()).toLowerCase()).not.to.contain(key.toLowerCase());
    });

    it('400 naming each bad field (key not 32 hex, unknown field, unknown model/product, missing key for an OpenPAYGO model); 401; 403; 409 on a taken serial', async () => {
      const account = await openAccount(market, PLAN);
      const model = await createDeviceModel();
      const base = { serialNumber: `SN-${randomUUID()}`, deviceModelId: model.id, productId: account.productId };
      const fields = async (body: object, token = admin) => {
        const r = await call('post', '/devices', token, body);
        expect(r.status, JSON.stringify(r.body)).to.equal(400);
        return r.body.errors.map((e: { field: string }) => e.field) as string[];
      };
      const shortKey = 'ab'.repeat(15) + 'a';
      const res = await call('post', '/devices', admin, { ...base, openpaygoSecretKey: shortKey });
      expect(res.status).to.equal(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).to.deep.equal(['openpaygoSecretKey']);
      expect(JSON.stringify(res.body)).not.to.contain(shortKey);
      expect(await fields({ ...base, openpaygoSecretKey: 'zz'.repeat(16) })).to.deep.equal(['openpaygoSecretKey']);
      expect(await fields({ ...base, openpaygoSecretKey: 'ab'.repeat(16), colour: 'red' })).to.deep.equal(['colour']);
      expect(await fields({ ...base, openpaygoSecretKey: 'ab'.repeat(16), startingCode: 1_000_000_000 })).to.deep.equal(['startingCode']);
      expect(await fields({ deviceModelId: model.id })).to.have.members(['serialNumber', 'productId']);
      expect(await fields({ ...base, deviceModelId: 999999, productId: 999999 })).to.have.members(['deviceModelId', 'productId']);
      expect(await fields(base)).to.deep.equal(['openpaygoSecretKey']);
      // Staff limited to regions name the warehouse, in their region.
      const { token: regional } = await loginWithPermissions(['devices:write', 'devices:read'], [market.region.id]);
      expect(await fields({ ...base, openpaygoSecretKey: 'ab'.repeat(16) }, regional)).to.deep.equal(['warehouseId']);
      const foreign = await Warehouse.create({ name: 'Far', code: `WH-${randomUUID().slice(0, 6)}`, regionId: other.region.id });
      expect(await fields({ ...base, openpaygoSecretKey: 'ab'.repeat(16), warehouseId: foreign.id }, regional)).to.deep.equal(['warehouseId']);

      expect((await call('post', '/devices', undefined, { ...base, openpaygoSecretKey: 'ab'.repeat(16) })).status).to.equal(401);
      const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
      expect((await call('post', '/devices', agent, { ...base, openpaygoSecretKey: 'ab'.repeat(16) })).status).to.equal(403);

      expect((await call('post', '/devices', admin, { ...base, openpaygoSecretKey: 'ab'.repeat(16) })).status).to.equal(201);
      const dup = await call('post', '/devices', admin, { ...base, openpaygoSecretKey: 'cd'.repeat(16) });
      expect(dup.status).to.equal(409);
      expect(dup.body.type).to.match(/duplicate$/);
    });
  });

  describe('POST /accounts/:id/devices', () => {
    it('hands a stored device to the account: active link, device activated and out of the warehouse, event and system log', async () => {
      const account = await openAccount(market, PLAN);
      const device = await registerDevice(admin, account.productId, { warehouseId: warehouse.id });
      const res = await call('post', `/accounts/${account.id}/devices`, backOffice, { serialNumber: device.serialNumber });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.accountDevice).to.include({
        accountId: account.id,
        deviceId: device.id,
        deviceSerial: device.serialNumber,
        status: 'active',
        installationDate: '2026-11-20',
      });
      expect(res.body.device).to.include({ status: 'activated', warehouseId: null });
      expect(res.body.device.account).to.deep.equal({ id: account.id, accountNumber: account.accountNumber, status: 'pending' });
      expect(res.body.token).to.equal(null); // no credit yet
      expect(await Notification.count({ where: { accountId: account.id } })).to.equal(0); // no token, no SMS
      expect(await DeviceEvent.count({ where: { deviceId: device.id, eventType: 'activated' } })).to.equal(1);
      expect(await SystemLog.count({ where: { action: 'device.attach', entityId: device.id } })).to.equal(1);
    });

    it('credit bought before the device was handed over goes onto it at once (SET_TIME)', async () => {
      const account = await openAccount(market, PLAN);
      const paid = await pay(admin, account.id, '1000.00');
      expect(paid.body).to.include({ creditDays: 20, token: null });
      const device = await registerDevice(admin, account.productId);
      const res = await call('post', `/accounts/${account.id}/devices`, admin, { deviceId: device.id });
      expect(res.status).to.equal(201);
      expect(res.body.token).to.include({ tokenType: 'SET_TIME', value: 20, tokenCount: 1 });
      expect(decodeOnDevice(device, res.body.token.token, 0)).to.include({ status: 'VALID', type: 'SET_TIME', value: 20 });
      // ... and the customer gets that first token by SMS, queued with the attach (the payment before it had no device: no token SMS).
      const sms = await Notification.findAll({ where: { accountId: account.id, templateCode: 'token_resend' } });
      expect(sms.map((n) => [n.channel, n.body.replace(/\s/g, '').includes(res.body.token.token)])).to.deep.equal([['sms', true]]);
    });

    it('409 when the device is on another account, already here, not in stock, or the account is finished; 422 for another product', async () => {
      const { account, device } = await accountWithDevice(market, admin, PLAN);
      const again = await call('post', `/accounts/${account.id}/devices`, admin, { deviceId: device.id });
      expect(again.status).to.equal(409);
      expect(again.body.type).to.match(/already-attached$/);
      const second = await openAccount(market, PLAN);
      await Account.update({ productId: account.productId }, { where: { id: second.id } });
      const inUse = await call('post', `/accounts/${second.id}/devices`, admin, { deviceId: device.id });
      expect(inUse.status).to.equal(409);
      expect(inUse.body.type).to.match(/device-in-use$/);

      const broken = await registerDevice(admin, second.productId);
      await Device.update({ status: 'in_repair' }, { where: { id: broken.id } });
      const repair = await call('post', `/accounts/${second.id}/devices`, admin, { deviceId: broken.id });
      expect(repair.status).to.equal(409);
      expect(repair.body).to.include({ status: 409, currentStatus: 'in_repair' });

      const wrongProduct = await registerDevice(admin, (await openAccount(market, PLAN)).productId);
      const mismatch = await call('post', `/accounts/${second.id}/devices`, admin, { deviceId: wrongProduct.id });
      expect(mismatch.status).to.equal(422);
      expect(mismatch.body.type).to.match(/product-mismatch$/);

      const closed = await openAccount(market, PLAN);
      await Account.update({ status: 'closed' }, { where: { id: closed.id } });
      const spare = await registerDevice(admin, closed.productId);
      const finished = await call('post', `/accounts/${closed.id}/devices`, admin, { deviceId: spare.id });
      expect(finished.status).to.equal(409);
      expect(finished.body.type).to.match(/account-not-open$/);
      expect(await AccountDevice.count({ where: { deviceId: spare.id } })).to.equal(0);
    });

    it('400 for a bad body or unknown device, 404 for an unknown or other-region account, 403 without devices:write', async () => {
      const account = await openAccount(market, PLAN);
      const device = await registerDevice(admin, account.productId, { warehouseId: warehouse.id });
      const both = await call('post', `/accounts/${account.id}/devices`, admin, { deviceId: device.id, serialNumber: device.serialNumber });
      expect(both.status).to.equal(400);
      const none = await call('post', `/accounts/${account.id}/devices`, admin, {});
      expect(none.status).to.equal(400);
      const unknown = await call('post', `/accounts/${account.id}/devices`, admin, { deviceId: 99999999 });
      expect(unknown.status).to.equal(400);
      expect(unknown.body.errors[0].field).to.equal('deviceId');
      const badDate = await call('post', `/accounts/${account.id}/devices`, admin, { deviceId: device.id, installationDate: '20-11-2026' });
      expect(badDate.body.errors[0].field).to.equal('installationDate');
      expect((await call('post', `/accounts/99999999/devices`, admin, { deviceId: device.id })).status).to.equal(404);
      const { token: elsewhere } = await loginWithPermissions(['devices:write', 'devices:read'], [other.region.id]);
      expect((await call('post', `/accounts/${account.id}/devices`, elsewhere, { deviceId: device.id })).status).to.equal(404);
      const { token: collections } = await loginAs('collections');
      expect((await call('post', `/accounts/${account.id}/devices`, collections, { deviceId: device.id })).status).to.equal(403);
      expect((await call('post', `/accounts/${account.id}/devices`, undefined, { deviceId: device.id })).status).to.equal(401);
      // A regional employee of the right region may do it.
      const { token: regional } = await loginWithPermissions(['devices:write', 'devices:read'], [market.region.id]);
      expect((await call('post', `/accounts/${account.id}/devices`, regional, { deviceId: device.id })).status).to.equal(201);
    });
  });

  describe('GET /devices, /devices/:id, /devices/:id/tokens', () => {
    it("regional staff see devices attached in their regions and stock in their warehouses; another region's device is a 404", async () => {
      const mine = await accountWithDevice(market, admin, PLAN);
      const theirs = await accountWithDevice(other, admin, PLAN);
      const stock = await registerDevice(admin, mine.account.productId, { warehouseId: warehouse.id });
      const loose = await registerDevice(admin, mine.account.productId); // no warehouse: head office only
      const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });

      expect((await call('get', `/devices/${mine.device.id}`, agent)).status).to.equal(200);
      expect((await call('get', `/devices/${stock.id}`, agent)).status).to.equal(200);
      expect((await call('get', `/devices/${theirs.device.id}`, agent)).status).to.equal(404);
      expect((await call('get', `/devices/${loose.id}`, agent)).status).to.equal(404);
      expect((await call('get', `/devices/${theirs.device.id}/tokens`, agent)).status).to.equal(404);
      expect((await call('get', `/devices/99999999`, agent)).status).to.equal(404);

      const list = await call('get', '/devices?limit=200', agent);
      expect(list.status).to.equal(200);
      const seen = list.body.data.map((d: { id: number }) => d.id);
      expect(seen).to.include.members([mine.device.id, stock.id]);
      expect(seen).to.not.include.members([theirs.device.id, loose.id]);
      const all = await call('get', `/devices?accountId=${theirs.account.id}`, admin);
      expect(all.body.data.map((d: { id: number }) => d.id)).to.deep.equal([theirs.device.id]);
      expect(all.body.data[0].account).to.include({ id: theirs.account.id });
      const byStatus = await call('get', `/devices?status=stored&serialNumber=${stock.serialNumber}`, agent);
      expect(byStatus.body.data.map((d: { id: number }) => d.id)).to.deep.equal([stock.id]);
    });

    it('tokens come latest count first, page by cursor, and 400 on bad query; 401/403', async () => {
      const { account, device } = await accountWithDevice(market, admin, PLAN);
      for (const amount of ['100.00', '100.00', '100.00']) await pay(admin, account.id, amount);
      const first = await call('get', `/devices/${device.id}/tokens?limit=2`, admin);
      expect(first.status).to.equal(200);
      expect(first.body.data.map((t: { tokenCount: number }) => t.tokenCount)).to.deep.equal([6, 4]);
      expect(first.body.data[0]).to.include({ tokenType: 'ADD_TIME', value: 2, source: 'payment', accountId: account.id });
      const next = await call('get', `/devices/${device.id}/tokens?limit=2&cursor=${first.body.page.nextCursor}`, admin);
      expect(next.body.data.map((t: { tokenCount: number }) => t.tokenCount)).to.deep.equal([2]);
      expect(next.body.page.nextCursor).to.equal(null);
      const bad = await call('get', `/devices/${device.id}/tokens?limit=0&colour=red`, admin);
      expect(bad.status).to.equal(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['limit', 'colour']);
      expect((await call('get', `/devices/abc/tokens`, admin)).status).to.equal(400);
      expect((await call('get', `/devices/${device.id}/tokens`, undefined)).status).to.equal(401);
      const { token: finance } = await loginAs('finance');
      expect((await call('get', `/devices/${device.id}/tokens`, finance)).status).to.equal(403);
      expect((await call('get', '/devices?status=lost', admin)).status).to.equal(400);
    });
  });

  it('OpenAPI documents every device route with its permission, and the register body without echoing a key', async () => {
    const doc = (await (await api()).get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { requestBody?: unknown; 'x-access'?: string }>>;
    };
    const routes = [
      ['/devices', 'post', 'devices:write'],
      ['/devices', 'get', 'devices:read'],
      ['/devices/{id}', 'get', 'devices:read'],
      ['/devices/{id}/tokens', 'get', 'devices:read'],
      ['/devices/{id}/tokens', 'post', 'tokens:manual'],
      ['/devices/{id}/tokens/resend', 'post', 'tokens:manual'],
      ['/accounts/{id}/devices', 'post', 'devices:write'],
    ] as const;
    for (const [path, method, permission] of routes) {
      expect(doc.paths[`/api/v1${path}`]?.[method]?.['x-access'], `${method} ${path}`).to.equal(`permission ${permission}`);
    }
    const register = JSON.stringify(doc.paths['/api/v1/devices']!.post!.requestBody);
    expect(register).to.contain('openpaygoSecretKey');
  });

  it('the secret key never reaches a log line, an event, the system log or an API answer, whatever happens to the device', async () => {
    const rt = await testRuntime();
    const { logger, lines } = captureLogger();
    const previous = creditDependencies({ crypto: dataCrypto(rt.config.dataEncryptionKey), logger });
    try {
      const service = new DeviceService({ sequelize: rt.sequelize, config: rt.config, logger });
      const head = { employeeId: (await loginAs('admin')).user.employee.id, scope: { all: true as const } };
      const account = await openAccount(market, PLAN);
      const model = await createDeviceModel();
      const key = randomBytes(16).toString('hex');
      const registered = await service.register(head, {
        serialNumber: `SN-${randomUUID()}`,
        deviceModelId: model.id,
        productId: account.productId,
        openpaygoSecretKey: key,
        startingCode: 987654321,
      });
      const attached = await service.attach(head, account.id, { deviceId: registered.id });
      const paid = await pay(admin, account.id, '1000.00');
      const manual = await service.mintManual(head, registered.id, { type: 'ADD_TIME', value: 3, reason: 'goodwill' });
      // A key that no longer decrypts is reported without the key.
      await Device.scope('withSecret').update(
        { openpaygoSecretKey: dataCrypto('cd'.repeat(32)).encrypt(key, DEVICE_KEY_CONTEXT) },
        { where: { id: registered.id } },
      );
      const failed = await pay(admin, account.id, '100.00');
      expect(failed.body.tokenErrors[0].code).to.equal('key-unreadable');

      expect(lines.length).to.be.greaterThan(0);
      const everything = [
        lines.join('\n'),
        JSON.stringify([registered, attached, paid.body, manual, failed.body]),
        JSON.stringify((await DeviceEvent.findAll({ where: { deviceId: registered.id } })).map((e) => e.get())),
        JSON.stringify((await SystemLog.findAll({ where: { entity: 'devices', entityId: registered.id } })).map((e) => e.get())),
      ]
        .join('\n')
        .toLowerCase();
      expect(everything).not.to.contain(key);
      expect(everything).not.to.contain('987654321');
      expect(lines.join('\n')).not.to.contain(paid.body.token);
    } finally {
      creditDependencies(previous);
    }
  });
});
