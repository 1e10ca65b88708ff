import { expect } from 'chai';
import { Account, AccountDevice } from '../../src/modules/accounts/models';
import { SystemLog } from '../../src/modules/audit/models';
import { FieldVisit, FieldVisitPhoto } from '../../src/modules/collections/models';
import { Device, DeviceToken, type DeviceModel } from '../../src/modules/devices/models';
import { Notification } from '../../src/modules/notifications/models';
import { StockMovement, StockTransferItem } from '../../src/modules/inventory/models';
import { Warehouse } from '../../src/modules/organisation/reference.models';
import { loginAs } from '../support/app';
import { createMarket, openAccount, type Market } from '../support/lending';
import { call, loginWithPermissions, pay } from '../lending/support';
import { createDeviceModel, decodeOnDevice } from '../devices/support';
import { deviceAttachedSchema } from '../../src/modules/devices/devices.responses';
import { myStockSchema, stockMovementSchema, stockTransferSchema, valuationSchema } from '../../src/modules/inventory/inventory.responses';
import { pagedResponseSchema } from '../../src/platform/http/pagination';
import { createSupplier, createWarehouse, expectDeclared, level, newUnit, orderedPurchaseOrder, receiveUnits, type Unit } from './support';

const PLAN = { price: '10000.00', downPayment: '1000.00', duration: 10, frequency: 'weekly' as const, startDate: '2026-11-20' };
const PHOTO = { reference: 'photos/2026/12/06/roof-1.jpg', mimeType: 'image/jpeg', sizeBytes: 182_000, sha256: 'ab'.repeat(32), caption: 'panel on the roof' };

/** Stock custody: transfers between warehouses and to agents, installation from an agent's stock, returns, valuation. */
describe('inventory: transfers, agent stock, installation, returns, valuation', () => {
  let market: Market;
  let other: Market;
  let admin: string;
  let backOffice: string;
  let model: DeviceModel;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    other = await createMarket({ businessDate: '2026-11-20' });
    ({ token: admin } = await loginAs('admin'));
    ({ token: backOffice } = await loginAs('back_office'));
    model = await createDeviceModel();
  });

  /** A warehouse in the market holding `n` units of the product, received on a purchase order at `unitCost`. */
  async function stocked(productId: number, n: number, unitCost = '4500.00') {
    const [supplier, warehouse] = await Promise.all([createSupplier(), createWarehouse(market.region.id)]);
    const po = await orderedPurchaseOrder(backOffice, {
      supplierId: supplier.id,
      warehouseId: warehouse.id,
      productId,
      deviceModelId: model.id,
      quantity: n,
      unitCost,
    });
    const units = Array.from({ length: n }, newUnit);
    const ids = await receiveUnits(backOffice, po, units);
    const byId = new Map<number, Unit>();
    for (const id of ids) {
      const d = (await Device.findByPk(id))!;
      byId.set(
        id,
        units.find((u) => u.serialNumber === d.serialNumber)!,
      );
    }
    return { warehouse, ids, units: byId };
  }

  /** An agent of the market with the units sent to (and received into) their own stock. */
  async function agentWithStock(productId: number, n: number) {
    const { warehouse, ids, units } = await stocked(productId, n);
    const agent = await loginAs('agent', { regionIds: [market.region.id] });
    const sent = await call('post', '/stock-transfers', backOffice, { fromWarehouseId: warehouse.id, toEmployeeId: agent.user.employee.id, deviceIds: ids });
    expect(sent.status, JSON.stringify(sent.body)).to.equal(201);
    const got = await call('post', `/my-stock/transfers/${sent.body.id}/receive`, agent.token);
    expect(got.status, JSON.stringify(got.body)).to.equal(200);
    const location = (await Warehouse.findOne({ where: { employeeId: agent.user.employee.id } }))!;
    return { agent, warehouse, location, ids, units };
  }

  /** An account the agent sold, of the product, with its down payment paid (20 days of credit). */
  async function soldBy(agentEmployeeId: number, productId: number) {
    const account = await openAccount(market, PLAN);
    await Account.update({ productId, agentId: agentEmployeeId }, { where: { id: account.id } });
    const paid = await pay(admin, account.id, '1000.00');
    expect(paid.status, JSON.stringify(paid.body)).to.equal(201);
    return account;
  }

  it('warehouse -> warehouse: dispatched (out of the source, in transit), received (into the destination); movements and levels agree', async () => {
    const product = (await openAccount(market, PLAN)).productId;
    const { warehouse, ids } = await stocked(product, 3);
    const depot = await createWarehouse(market.region.id);
    const sent = await call('post', '/stock-transfers', backOffice, {
      fromWarehouseId: warehouse.id,
      toWarehouseId: depot.id,
      deviceIds: ids.slice(0, 2),
      notes: 'to the depot',
    });
    expect(sent.status, JSON.stringify(sent.body)).to.equal(201);
    expect(sent.body).to.include({ status: 'in_transit', fromWarehouseId: warehouse.id, toWarehouseId: depot.id });
    expectDeclared(stockTransferSchema, sent.body);
    expect(sent.body.items.map((i: { inTransit: boolean }) => i.inTransit)).to.deep.equal([true, true]);
    expect(await level(warehouse.id, product)).to.equal(1);
    expect(await level(depot.id, product)).to.equal(0);
    const moving = (await Device.findByPk(ids[0]))!;
    expect(moving).to.include({ warehouseId: null, status: 'shipped' });

    // In transit: it cannot be sent again, nor attached to an account.
    const again = await call('post', '/stock-transfers', backOffice, { fromWarehouseId: warehouse.id, toWarehouseId: depot.id, deviceIds: [ids[0]] });
    expect(again.status).to.equal(409);
    expect(again.body.deviceIds).to.deep.equal([ids[0]]);
    const account = await openAccount(market, PLAN);
    await Account.update({ productId: product }, { where: { id: account.id } });
    const attach = await call('post', `/accounts/${account.id}/devices`, admin, { deviceId: ids[0] });
    expect(attach.status).to.equal(409);
    expect(attach.body.type).to.match(/device-in-transit$/);

    const got = await call('post', `/stock-transfers/${sent.body.id}/receive`, backOffice);
    expect(got.status, JSON.stringify(got.body)).to.equal(200);
    expect(got.body.status).to.equal('received');
    expect(got.body.items.map((i: { inTransit: boolean }) => i.inTransit)).to.deep.equal([false, false]);
    expect(await level(depot.id, product)).to.equal(2);
    expect((await Device.findByPk(ids[0]))!).to.include({ warehouseId: depot.id, status: 'stored' });
    expect((await call('post', `/stock-transfers/${sent.body.id}/receive`, backOffice)).status).to.equal(409);
    expect((await call('post', `/stock-transfers/${sent.body.id}/cancel`, backOffice)).status).to.equal(409);
    const trail = await StockMovement.findAll({ where: { deviceId: ids[0] }, order: [['id', 'ASC']] });
    expect(trail.map((m) => [m.movementType, m.warehouseId, m.quantity])).to.deep.equal([
      ['receipt', warehouse.id, 1],
      ['transfer_out', warehouse.id, -1],
      ['transfer_in', depot.id, 1],
    ]);
    // The unit's custody trail through the API, newest first; another region sees none of it.
    const api = await call('get', `/stock-movements?deviceId=${ids[0]}`, backOffice);
    expect(api.status).to.equal(200);
    expectDeclared(pagedResponseSchema(stockMovementSchema), api.body);
    expect(api.body.data.map((m: { movementType: string }) => m.movementType)).to.deep.equal(['transfer_in', 'transfer_out', 'receipt']);
    expect(api.body.data[2]).to.include({ referenceType: 'purchaseOrders', warehouseId: warehouse.id, quantity: 1 });
    const { token: far } = await loginWithPermissions(['stock:read'], [other.region.id]);
    expect((await call('get', `/stock-movements?deviceId=${ids[0]}`, far)).body.data).to.deep.equal([]);
    expect((await call('get', '/stock-movements?movementType=lost', backOffice)).status).to.equal(400);
    const logs = await SystemLog.findAll({ where: { entity: 'stockTransfers', entityId: sent.body.id }, order: [['id', 'ASC']] });
    expect(logs.map((l) => l.action)).to.deep.equal(['stockTransfer.dispatch', 'stockTransfer.receive']);

    // Cancelled: back into the source.
    const back = await call('post', '/stock-transfers', backOffice, { fromWarehouseId: depot.id, toWarehouseId: warehouse.id, deviceIds: [ids[0]] });
    const cancelled = await call('post', `/stock-transfers/${back.body.id}/cancel`, backOffice);
    expect(cancelled.body.status).to.equal('cancelled');
    expect((await Device.findByPk(ids[0]))!).to.include({ warehouseId: depot.id, status: 'stored' });
    expect(await level(depot.id, product)).to.equal(2);
  });

  it('two transfers of the same unit at once: one wins, the other is a 409; the unit is in one place', async () => {
    const product = (await openAccount(market, PLAN)).productId;
    for (let round = 0; round < 3; round++) {
      const { warehouse, ids } = await stocked(product, 1);
      const [a, b] = [await createWarehouse(market.region.id), await createWarehouse(market.region.id)];
      const results = await Promise.all(
        [a, b].map((to) => call('post', '/stock-transfers', backOffice, { fromWarehouseId: warehouse.id, toWarehouseId: to.id, deviceIds: ids })),
      );
      expect(results.map((r) => r.status).sort(), JSON.stringify(results.map((r) => r.body))).to.deep.equal([201, 409]);
      expect(await StockTransferItem.count({ where: { inTransitDeviceId: ids[0] } })).to.equal(1);
      expect(await level(warehouse.id, product)).to.equal(0);
      const out = await StockMovement.count({ where: { deviceId: ids[0], movementType: 'transfer_out' } });
      expect(out).to.equal(1);
    }
  });

  it("a unit the warehouse's level never counted (written by a bulk loader) still leaves it: counted in by an adjustment, never refused", async () => {
    const account = await openAccount(market, PLAN);
    const warehouse = await createWarehouse(market.region.id);
    const loaded = await Device.create({
      serialNumber: newUnit().serialNumber,
      deviceModelId: model.id,
      productId: account.productId,
      warehouseId: warehouse.id,
    });
    const res = await call('post', `/accounts/${account.id}/devices`, admin, { deviceId: loaded.id });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(await level(warehouse.id, account.productId)).to.equal(0);
    const trail = await StockMovement.findAll({ where: { warehouseId: warehouse.id }, order: [['id', 'ASC']] });
    expect(trail.map((m) => [m.movementType, m.quantity])).to.deep.equal([
      ['adjustment', 1],
      ['sale', -1],
    ]);
  });

  it('regional staff: receiving is for the destination region, cancelling for the source region; other regions see no transfer', async () => {
    const product = (await openAccount(market, PLAN)).productId;
    const { warehouse, ids } = await stocked(product, 1);
    const far = await Warehouse.create({ name: 'Far depot', code: `WH-FAR-${ids[0]}`, regionId: other.region.id });
    const sent = await call('post', '/stock-transfers', backOffice, { fromWarehouseId: warehouse.id, toWarehouseId: far.id, deviceIds: ids });
    expect(sent.status).to.equal(201);
    const { token: here } = await loginWithPermissions(['stock:read', 'stock:write'], [market.region.id]);
    const { token: there } = await loginWithPermissions(['stock:read', 'stock:write'], [other.region.id]);
    const { token: nowhere } = await loginWithPermissions(['stock:read', 'stock:write'], [(await createMarket()).region.id]);
    expect((await call('get', `/stock-transfers/${sent.body.id}`, nowhere)).status).to.equal(404);
    expect((await call('post', `/stock-transfers/${sent.body.id}/receive`, nowhere)).status).to.equal(404);
    expect((await call('post', `/stock-transfers/${sent.body.id}/receive`, here)).status).to.equal(403);
    expect((await call('post', `/stock-transfers/${sent.body.id}/cancel`, there)).status).to.equal(403);
    const list = await call('get', `/stock-transfers?warehouseId=${far.id}`, there);
    expect(list.body.data.map((t: { id: number }) => t.id)).to.deep.equal([sent.body.id]);
    expect((await call('post', `/stock-transfers/${sent.body.id}/receive`, there)).status).to.equal(200);
    // Dispatching from another region's warehouse: 400 naming it.
    const stolen = await call('post', '/stock-transfers', there, { fromWarehouseId: warehouse.id, toWarehouseId: far.id, deviceIds: ids });
    expect(stolen.status).to.equal(400);
    expect(stolen.body.errors[0].field).to.equal('fromWarehouseId');
  });

  it('the database refuses a unit in two open transfers even without the device lock (unique in-transit key)', async () => {
    const product = (await openAccount(market, PLAN)).productId;
    const { warehouse, ids } = await stocked(product, 1);
    const depot = await createWarehouse(market.region.id);
    const sent = await call('post', '/stock-transfers', backOffice, { fromWarehouseId: warehouse.id, toWarehouseId: depot.id, deviceIds: ids });
    let refused: unknown = null;
    try {
      await StockTransferItem.create({ stockTransferId: sent.body.id, productId: product, deviceId: ids[0], inTransitDeviceId: ids[0] });
    } catch (err) {
      refused = err;
    }
    expect((refused as Error | null)?.name).to.equal('SequelizeUniqueConstraintError');
  });

  it("warehouse -> agent: the agent's own stock location, GET /my-stock, receiving; another agent cannot receive it", async () => {
    const product = (await openAccount(market, PLAN)).productId;
    const { warehouse, ids } = await stocked(product, 2);
    const agent = await loginAs('agent', { regionIds: [market.region.id] });
    const stranger = await loginAs('agent', { regionIds: [market.region.id] });
    const farAgent = await loginAs('agent', { regionIds: [other.region.id] });
    const far = await call('post', '/stock-transfers', backOffice, { fromWarehouseId: warehouse.id, toEmployeeId: farAgent.user.employee.id, deviceIds: ids });
    expect(far.status).to.equal(400);
    expect(far.body.errors[0].field).to.equal('toEmployeeId');
    // Agents do not dispatch from warehouses.
    expect(
      (await call('post', '/stock-transfers', agent.token, { fromWarehouseId: warehouse.id, toEmployeeId: agent.user.employee.id, deviceIds: ids })).status,
    ).to.equal(403);

    const sent = await call('post', '/stock-transfers', backOffice, { fromWarehouseId: warehouse.id, toEmployeeId: agent.user.employee.id, deviceIds: ids });
    expect(sent.status, JSON.stringify(sent.body)).to.equal(201);
    const location = (await Warehouse.findOne({ where: { employeeId: agent.user.employee.id } }))!;
    expect(location).to.include({ regionId: market.region.id, code: `AGENT-${agent.user.employee.id}` });
    const before = await call('get', '/my-stock', agent.token);
    expect(before.status).to.equal(200);
    expect(before.body.devices).to.deep.equal([]);
    expect(before.body.incoming.map((t: { id: number }) => t.id)).to.deep.equal([sent.body.id]);
    expectDeclared(myStockSchema, before.body);

    expect((await call('post', `/my-stock/transfers/${sent.body.id}/receive`, stranger.token)).status).to.equal(404);
    const got = await call('post', `/my-stock/transfers/${sent.body.id}/receive`, agent.token);
    expect(got.status, JSON.stringify(got.body)).to.equal(200);
    const after = await call('get', '/my-stock', agent.token);
    expect(after.body.location).to.include({ id: location.id });
    expect(after.body.devices.map((d: { id: number }) => d.id)).to.have.members(ids);
    expect(after.body.incoming).to.deep.equal([]);
    expectDeclared(myStockSchema, after.body);
    expect(await level(location.id, product)).to.equal(2);
    expect((await call('get', '/my-stock', stranger.token)).body).to.deep.equal({ location: null, devices: [], incoming: [] });
    // Back office may not use the agents' route (no stock:receive) and agents cannot read the warehouses' transfers.
    expect((await call('get', '/my-stock', backOffice)).status).to.equal(403);
    expect((await call('get', `/stock-transfers/${sent.body.id}`, agent.token)).status).to.equal(403);
  });

  it('installation by the agent who carries the unit: attached, first token, out of their stock, a field visit with GPS and photos', async () => {
    const product = (await openAccount(market, PLAN)).productId;
    const { agent, location, ids, units } = await agentWithStock(product, 2);
    const account = await soldBy(agent.user.employee.id, product);

    // Before devices:install, agents could not attach what they sold: the back-office route is still closed to them.
    expect((await call('post', `/accounts/${account.id}/devices`, agent.token, { deviceId: ids[0] })).status).to.equal(403);

    const res = await call('post', `/accounts/${account.id}/installation`, agent.token, {
      deviceId: ids[0],
      latitude: -1.2921,
      longitude: 36.8219,
      photos: [PHOTO, { reference: 'photos/2026/12/06/meter.png', mimeType: 'image/png' }],
      notes: 'installed on the east roof',
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expectDeclared(deviceAttachedSchema, res.body);
    expect(res.body.accountDevice).to.include({ accountId: account.id, deviceId: ids[0], status: 'active' });
    expect(res.body.device).to.include({ status: 'activated', warehouseId: null });
    expect(res.body.token).to.include({ tokenType: 'SET_TIME', value: 20, tokenCount: 1 });
    const unit = units.get(ids[0]!)!;
    expect(decodeOnDevice({ id: ids[0]!, ...unit, key: unit.openpaygoSecretKey }, res.body.token.token, 0)).to.include({
      status: 'VALID',
      type: 'SET_TIME',
      value: 20,
    });
    expect(res.body.fieldVisit).to.include({ purpose: 'installation', latitude: '-1.2921000', longitude: '36.8219000', outcome: 'installed' });
    expect(res.body.fieldVisit.photos).to.have.length(2);
    expect(res.body.fieldVisit.photos[0]).to.include({ reference: PHOTO.reference, mimeType: 'image/jpeg', sizeBytes: 182_000, sha256: PHOTO.sha256 });

    const visit = (await FieldVisit.findByPk(res.body.fieldVisit.id))!;
    expect(visit).to.include({ employeeId: agent.user.employee.id, accountId: account.id, customerId: account.customerId, purpose: 'installation' });
    expect(await FieldVisitPhoto.count({ where: { fieldVisitId: visit.id } })).to.equal(2);
    expect(await level(location.id, product)).to.equal(1);
    const sale = await StockMovement.findOne({ where: { deviceId: ids[0], movementType: 'sale' } });
    expect(sale).to.include({ warehouseId: location.id, quantity: -1, referenceType: 'accounts', referenceId: account.id });
    const mine = await call('get', '/my-stock', agent.token);
    expect(mine.body.devices.map((d: { id: number }) => d.id)).to.deep.equal([ids[1]]);
    const log = await SystemLog.findOne({ where: { action: 'device.install', entityId: ids[0] } });
    expect(log!.userId).to.equal(agent.user.employee.id);
    expect(log!.newValues).to.include({ accountId: account.id, fieldVisitId: visit.id, photos: 2 });
    expect(JSON.stringify(log!.get()).toLowerCase()).not.to.contain(unit.openpaygoSecretKey);
    // The customer gets the first token by SMS, queued with the install (one SMS, the token as typed on the keypad).
    const sms = await Notification.findAll({ where: { accountId: account.id, templateCode: 'token_resend' } });
    expect(sms).to.have.length(1);
    expect(sms[0]).to.include({
      channel: 'sms',
      recipient: '+254711000000',
      dedupeKey: `token-first:${(await DeviceToken.findOne({ where: { deviceId: ids[0] } }))!.id}`,
    });
    expect(sms[0]!.body.replace(/\s/g, '')).to.contain(res.body.token.token);
    expect(log!.newValues).to.include({ notificationId: sms[0]!.id });
    // The same unit again: it is no longer in their stock.
    const again = await call('post', `/accounts/${account.id}/installation`, agent.token, { deviceId: ids[0], latitude: 0, longitude: 0, photos: [PHOTO] });
    expect(again.status).to.equal(409);
  });

  it("installation refused: a unit in someone else's stock (409), another agent's sale (403), another region's account (404), no permission (403), bad GPS or photo (400)", async () => {
    const product = (await openAccount(market, PLAN)).productId;
    const mine = await agentWithStock(product, 1);
    const theirs = await agentWithStock(product, 1);
    const account = await soldBy(mine.agent.user.employee.id, product);
    const body = (deviceId: number) => ({ deviceId, latitude: -1.3, longitude: 36.8, photos: [PHOTO] });

    const foreignUnit = await call('post', `/accounts/${account.id}/installation`, mine.agent.token, body(theirs.ids[0]!));
    expect(foreignUnit.status).to.equal(409);
    expect(foreignUnit.body.type).to.match(/not-in-your-stock$/);
    // A unit still in a warehouse is not theirs either.
    const { ids: inWarehouse } = await stocked(product, 1);
    expect((await call('post', `/accounts/${account.id}/installation`, mine.agent.token, body(inWarehouse[0]!))).status).to.equal(409);

    const notTheirSale = await call('post', `/accounts/${account.id}/installation`, theirs.agent.token, body(theirs.ids[0]!));
    expect(notTheirSale.status).to.equal(403);
    expect(notTheirSale.body.type).to.match(/not-your-sale$/);

    const farAgent = await loginAs('agent', { regionIds: [other.region.id] });
    expect((await call('post', `/accounts/${account.id}/installation`, farAgent.token, body(mine.ids[0]!))).status).to.equal(404);
    const { token: noInstall } = await loginWithPermissions(['devices:read', 'accounts:read'], [market.region.id]);
    expect((await call('post', `/accounts/${account.id}/installation`, noInstall, body(mine.ids[0]!))).status).to.equal(403);

    const badGps = await call('post', `/accounts/${account.id}/installation`, mine.agent.token, { ...body(mine.ids[0]!), latitude: 91, photos: [] });
    expect(badGps.status).to.equal(400);
    expect(badGps.body.errors.map((e: { field: string }) => e.field)).to.have.members(['latitude', 'photos']);
    const badPhoto = await call('post', `/accounts/${account.id}/installation`, mine.agent.token, {
      ...body(mine.ids[0]!),
      photos: [{ reference: 'x.exe', mimeType: 'application/octet-stream' }],
    });
    expect(badPhoto.status).to.equal(400);
    expect(badPhoto.body.errors[0].field).to.equal('photos.0.mimeType');

    // Nothing of these moved the unit.
    expect((await Device.findByPk(mine.ids[0]))!).to.include({ warehouseId: mine.location.id, status: 'stored' });
    expect(await AccountDevice.count({ where: { deviceId: mine.ids[0] } })).to.equal(0);
    expect(await FieldVisit.count({ where: { employeeId: mine.agent.user.employee.id } })).to.equal(0);
  });

  it('installation by serial number on an account with no credit yet: attached, no token until the down payment buys days', async () => {
    const product = (await openAccount(market, PLAN)).productId;
    const { agent, ids } = await agentWithStock(product, 1);
    const account = await openAccount(market, PLAN);
    await Account.update({ productId: product, agentId: agent.user.employee.id }, { where: { id: account.id } });
    const serialNumber = (await Device.findByPk(ids[0]))!.serialNumber;
    const res = await call('post', `/accounts/${account.id}/installation`, agent.token, { serialNumber, latitude: 0.5, longitude: 34.75, photos: [PHOTO] });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expectDeclared(deviceAttachedSchema, res.body);
    expect(res.body.token).to.equal(null);
    expect(res.body.accountDevice).to.include({ deviceSerial: serialNumber, installationDate: '2026-11-20' });
    const paid = await pay(admin, account.id, '1000.00');
    expect(paid.status).to.equal(201);
    expect(paid.body.token).to.match(/^\d{9,}$/);
    expect(paid.body.creditDays).to.equal(20);
  });

  it('two installs of one unit at once (on two accounts): one wins', async () => {
    const product = (await openAccount(market, PLAN)).productId;
    const { agent, location, ids } = await agentWithStock(product, 1);
    const [a, b] = [await soldBy(agent.user.employee.id, product), await soldBy(agent.user.employee.id, product)];
    const results = await Promise.all(
      [a, b].map((acc) =>
        call('post', `/accounts/${acc.id}/installation`, agent.token, { deviceId: ids[0], latitude: -1.3, longitude: 36.8, photos: [PHOTO] }),
      ),
    );
    expect(results.map((r) => r.status).sort(), JSON.stringify(results.map((r) => r.body))).to.deep.equal([201, 409]);
    expect(await AccountDevice.count({ where: { deviceId: ids[0], status: 'active' } })).to.equal(1);
    expect(await StockMovement.count({ where: { deviceId: ids[0], movementType: 'sale' } })).to.equal(1);
    expect(await level(location.id, product)).to.equal(0);
    expect(await FieldVisit.count({ where: { employeeId: agent.user.employee.id } })).to.equal(1);
  });

  it('an installation and a transfer of the same unit at once (the agent installs while the office moves it): one wins, the unit is in one place', async () => {
    const product = (await openAccount(market, PLAN)).productId;
    for (let round = 0; round < 3; round++) {
      const { agent, location, ids } = await agentWithStock(product, 1);
      const account = await soldBy(agent.user.employee.id, product);
      const depot = await createWarehouse(market.region.id);
      const [install, transfer] = await Promise.all([
        call('post', `/accounts/${account.id}/installation`, agent.token, { deviceId: ids[0], latitude: -1.3, longitude: 36.8, photos: [PHOTO] }),
        call('post', '/stock-transfers', backOffice, { fromWarehouseId: location.id, toWarehouseId: depot.id, deviceIds: ids }),
      ]);
      expect([install.status, transfer.status].sort(), JSON.stringify([install.body, transfer.body])).to.deep.equal([201, 409]);
      const device = (await Device.findByPk(ids[0]))!;
      const linked = await AccountDevice.count({ where: { deviceId: ids[0], status: 'active' } });
      const inTransit = await StockTransferItem.count({ where: { inTransitDeviceId: ids[0] } });
      if (install.status === 201) expect([device.status, device.warehouseId, linked, inTransit]).to.deep.equal(['activated', null, 1, 0]);
      else expect([device.status, device.warehouseId, linked, inTransit]).to.deep.equal(['shipped', null, 0, 1]);
      expect(await level(location.id, product)).to.equal(0);
    }
  });

  it('returns: an agent sends a faulty unit back (arrives in_repair); a unit taken back from a customer is detached and in the warehouse', async () => {
    const product = (await openAccount(market, PLAN)).productId;
    const { agent, warehouse, location, ids } = await agentWithStock(product, 2);
    const faulty = await call('post', '/my-stock/returns', agent.token, {
      toWarehouseId: warehouse.id,
      deviceIds: [ids[0]],
      faulty: true,
      notes: 'does not charge',
    });
    expect(faulty.status, JSON.stringify(faulty.body)).to.equal(201);
    expect(faulty.body).to.include({ fromWarehouseId: location.id, toWarehouseId: warehouse.id, status: 'in_transit' });
    expect((await Device.findByPk(ids[0]))!.status).to.equal('in_repair');
    // Not theirs to receive into a warehouse; the warehouse receives it.
    expect((await call('post', `/stock-transfers/${faulty.body.id}/receive`, agent.token)).status).to.equal(403);
    expect((await call('post', `/stock-transfers/${faulty.body.id}/receive`, backOffice)).status).to.equal(200);
    expect((await Device.findByPk(ids[0]))!).to.include({ warehouseId: warehouse.id, status: 'in_repair' });
    // A unit they do not carry (any more).
    const notMine = await call('post', '/my-stock/returns', agent.token, { toWarehouseId: warehouse.id, deviceIds: [ids[0]] });
    expect(notMine.status).to.equal(409);
    expect(notMine.body.type).to.match(/device-not-here$/);

    // Installed, then the customer's unit fails and comes back.
    const account = await soldBy(agent.user.employee.id, product);
    const installed = await call('post', `/accounts/${account.id}/installation`, agent.token, {
      deviceId: ids[1],
      latitude: -1.3,
      longitude: 36.8,
      photos: [PHOTO],
    });
    expect(installed.status).to.equal(201);
    const back = await call('post', `/devices/${ids[1]}/return`, backOffice, { warehouseId: warehouse.id, faulty: true, reason: 'panel cracked, swapped' });
    expect(back.status, JSON.stringify(back.body)).to.equal(200);
    expect(back.body).to.include({ status: 'in_repair', warehouseId: warehouse.id, account: null });
    expect((await AccountDevice.findOne({ where: { deviceId: ids[1] } }))!.status).to.equal('faulty');
    expect((await call('post', `/devices/${ids[1]}/return`, backOffice, { warehouseId: warehouse.id, faulty: true, reason: 'again' })).status).to.equal(409);
    expect(await level(warehouse.id, product)).to.equal(2);
    expect(
      (await call('post', `/devices/${ids[1]}/return`, agent.token, { warehouseId: warehouse.id, faulty: true, reason: 'agents cannot' })).status,
    ).to.equal(403);
  });

  it('valuation at cost per warehouse, agents included; another region sees none of it', async () => {
    const product = (await openAccount(market, PLAN)).productId;
    const { warehouse, ids } = await stocked(product, 3, '4500.00');
    const { ids: cheaper, warehouse: second } = await stocked(product, 2, '3999.99');
    const agent = await loginAs('agent', { regionIds: [market.region.id] });
    const sent = await call('post', '/stock-transfers', backOffice, {
      fromWarehouseId: second.id,
      toEmployeeId: agent.user.employee.id,
      deviceIds: [cheaper[0]],
    });
    await call('post', `/my-stock/transfers/${sent.body.id}/receive`, agent.token);
    const location = (await Warehouse.findOne({ where: { employeeId: agent.user.employee.id } }))!;
    // One unit in transit counts nowhere.
    await call('post', '/stock-transfers', backOffice, { fromWarehouseId: warehouse.id, toWarehouseId: second.id, deviceIds: [ids[0]] });

    const res = await call('get', '/stock/valuation', backOffice);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expectDeclared(valuationSchema, res.body);
    const of = (id: number) => res.body.data.find((w: { warehouseId: number }) => w.warehouseId === id);
    expect(of(warehouse.id)).to.deep.include({ value: '9000.00' });
    expect(of(warehouse.id).products).to.deep.equal([{ productId: product, quantity: 2, serialisedUnits: 2, unpricedUnits: 0, value: '9000.00' }]);
    expect(of(second.id)).to.deep.include({ value: '3999.99' });
    expect(of(location.id)).to.deep.include({ value: '3999.99', agentEmployeeId: agent.user.employee.id });
    const one = await call('get', `/stock/valuation?warehouseId=${warehouse.id}`, backOffice);
    expect(one.body).to.deep.equal({ data: [of(warehouse.id)], totalValue: '9000.00' });

    const { token: far } = await loginWithPermissions(['stock:read'], [other.region.id]);
    const farView = await call('get', `/stock/valuation?warehouseId=${warehouse.id}`, far);
    expect(farView.body).to.deep.equal({ data: [], totalValue: '0.00' });
    expect((await call('get', '/stock/valuation', agent.token)).status).to.equal(403);
  });
});
