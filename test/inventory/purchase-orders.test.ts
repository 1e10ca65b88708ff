import { expect } from 'chai';
import { Op } from 'sequelize';
import { SystemLog } from '../../src/modules/audit/models';
import { Device } from '../../src/modules/devices/models';
import { DEVICE_KEY_CONTEXT } from '../../src/modules/devices/tokens';
import { PurchaseOrder, PurchaseOrderItem, StockMovement } from '../../src/modules/inventory/models';
import { dataCrypto } from '../../src/platform/crypto';
import { api, loginAs, testRuntime } from '../support/app';
import { createMarket, createPlan, type Market } from '../support/lending';
import { call, loginWithPermissions } from '../lending/support';
import { createDeviceModel } from '../devices/support';
import { purchaseOrderReceiptSchema, purchaseOrderSchema } from '../../src/modules/inventory/inventory.responses';
import { createSupplier, createWarehouse, expectDeclared, level, newUnit, orderedPurchaseOrder, receiveUnits } from './support';

async function postCsv(path: string, token: string, csv: string) {
  return (await api()).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'text/csv').send(csv);
}

describe('inventory: purchase orders and receiving', () => {
  let market: Market;
  let other: Market;
  let admin: string;
  let backOffice: string;
  before(async () => {
    market = await createMarket();
    other = await createMarket();
    ({ token: admin } = await loginAs('admin'));
    ({ token: backOffice } = await loginAs('back_office'));
  });

  async function setup(quantity = 3, unitCost = '4500.00') {
    const [supplier, warehouse, model, { product }] = await Promise.all([
      createSupplier(),
      createWarehouse(market.region.id),
      createDeviceModel(),
      createPlan(),
    ]);
    const po = await orderedPurchaseOrder(backOffice, {
      supplierId: supplier.id,
      warehouseId: warehouse.id,
      productId: product.id,
      deviceModelId: model.id,
      quantity,
      unitCost,
    });
    return { supplier, warehouse, model, product, po };
  }

  it('draft -> ordered -> partially received -> received: devices in the warehouse with encrypted keys, stock level and one movement per unit, audited', async () => {
    const [supplier, warehouse, model, { product }] = await Promise.all([
      createSupplier(),
      createWarehouse(market.region.id),
      createDeviceModel(),
      createPlan(),
    ]);
    const created = await call('post', '/purchase-orders', backOffice, {
      supplierId: supplier.id,
      warehouseId: warehouse.id,
      currency: 'KES',
      items: [
        { productId: product.id, deviceModelId: model.id, quantity: 3, unitCost: '4500.00' },
        { productId: product.id, quantity: 10, unitCost: '120.50' },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.body).to.include({ status: 'draft', totalAmount: '14705.00', warehouseId: warehouse.id });
    expectDeclared(purchaseOrderSchema, created.body);
    expect(created.body.orderNumber).to.equal(`PO-${String(created.body.id).padStart(6, '0')}`);
    const [serialised, loose] = created.body.items as { id: number }[];

    // A draft takes no receipt.
    const early = await call('post', `/purchase-orders/${created.body.id}/receipts`, backOffice, { lines: [{ purchaseOrderItemId: loose!.id, quantity: 1 }] });
    expect(early.status).to.equal(409);
    expect((await call('post', `/purchase-orders/${created.body.id}/order`, backOffice)).body.status).to.equal('ordered');
    expect((await call('post', `/purchase-orders/${created.body.id}/order`, backOffice)).status).to.equal(409);

    const units = [newUnit(), newUnit()];
    const first = await call('post', `/purchase-orders/${created.body.id}/receipts`, backOffice, {
      lines: [
        { purchaseOrderItemId: serialised!.id, devices: units },
        { purchaseOrderItemId: loose!.id, quantity: 4 },
      ],
    });
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    expectDeclared(purchaseOrderReceiptSchema, first.body);
    expect(first.body.purchaseOrder.status).to.equal('partially_received');
    expect(first.body.received.units).to.equal(6);
    expect(first.body.purchaseOrder.items.map((i: { receivedQuantity: number }) => i.receivedQuantity)).to.deep.equal([2, 4]);
    expect(JSON.stringify(first.body)).not.to.contain(units[0]!.openpaygoSecretKey);

    const devices = await Device.scope('withSecret').findAll({ where: { id: { [Op.in]: first.body.received.deviceIds } }, order: [['id', 'ASC']] });
    expect(devices.map((d) => d.serialNumber)).to.have.members(units.map((u) => u.serialNumber));
    const crypto = dataCrypto((await testRuntime()).config.dataEncryptionKey);
    for (const d of devices) {
      const unit = units.find((u) => u.serialNumber === d.serialNumber)!;
      expect(d).to.include({
        warehouseId: warehouse.id,
        status: 'stored',
        purchaseOrderId: created.body.id,
        purchaseOrderItemId: serialised!.id,
        supplierId: supplier.id,
      });
      expect(d.openpaygoSecretKey).to.match(/^v1:/);
      expect(crypto.decrypt(d.openpaygoSecretKey!, DEVICE_KEY_CONTEXT)).to.equal(unit.openpaygoSecretKey);
      expect(d.startingCode).to.equal(unit.startingCode);
    }
    expect(await level(warehouse.id, product.id)).to.equal(6);
    const movements = await StockMovement.findAll({ where: { referenceType: 'purchaseOrders', referenceId: created.body.id } });
    expect(movements.map((m) => [m.movementType, m.quantity, m.deviceId !== null])).to.have.deep.members([
      ['receipt', 1, true],
      ['receipt', 1, true],
      ['receipt', 4, false],
    ]);

    const rest = await call('post', `/purchase-orders/${created.body.id}/receipts`, backOffice, {
      lines: [
        { purchaseOrderItemId: serialised!.id, devices: [newUnit()] },
        { purchaseOrderItemId: loose!.id, quantity: 6 },
      ],
    });
    expect(rest.status, JSON.stringify(rest.body)).to.equal(201);
    expect(rest.body.purchaseOrder.status).to.equal('received');
    expect(await level(warehouse.id, product.id)).to.equal(13);
    // Received in full: no more receipts, no cancelling.
    expect(
      (await call('post', `/purchase-orders/${created.body.id}/receipts`, backOffice, { lines: [{ purchaseOrderItemId: loose!.id, quantity: 1 }] })).status,
    ).to.equal(409);
    expect((await call('post', `/purchase-orders/${created.body.id}/cancel`, backOffice)).status).to.equal(409);

    const logs = await SystemLog.findAll({ where: { entity: 'purchaseOrders', entityId: created.body.id }, order: [['id', 'ASC']] });
    expect(logs.map((l) => l.action)).to.deep.equal(['purchaseOrder.create', 'purchaseOrder.order', 'purchaseOrder.receive', 'purchaseOrder.receive']);
    expect(JSON.stringify(logs.map((l) => l.get()))).not.to.contain(units[0]!.openpaygoSecretKey);
  });

  it('receiving more than ordered, a taken or repeated serial, a missing key: 422 naming each, nothing received', async () => {
    const { po, warehouse, product } = await setup(2);
    const taken = newUnit();
    await receiveUnits(backOffice, po, [taken]);
    const dup = newUnit();
    const res = await call('post', `/purchase-orders/${po.id}/receipts`, backOffice, {
      lines: [
        {
          purchaseOrderItemId: po.items[0]!.id,
          devices: [taken, dup, dup, { serialNumber: newUnit().serialNumber }],
        },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(422);
    expect(res.body.type).to.match(/receipt-rejected$/);
    const fields = (res.body.errors as { field: string; message: string }[]).map((e) => `${e.field}: ${e.message}`);
    expect(fields).to.include.members([
      'lines[0].devices[0].serialNumber: a device with this serial number is already registered',
      'lines[0].devices[2].serialNumber: this serial number appears twice in the receipt',
      'lines[0].devices[3].openpaygoSecretKey: this device model takes OpenPAYGO tokens: its secret key is required',
    ]);
    expect(fields.some((f) => f.startsWith('lines[0].devices: more than ordered'))).to.equal(true);
    // Exactly what is left is fine.
    const over = await call('post', `/purchase-orders/${po.id}/receipts`, backOffice, {
      lines: [{ purchaseOrderItemId: po.items[0]!.id, devices: [newUnit(), newUnit()] }],
    });
    expect(over.status).to.equal(422);
    expect(over.body.errors[0].message).to.match(/^more than ordered: line \d+ ordered 2, 1 already received, 2 in this receipt$/);
    expect(await Device.count({ where: { serialNumber: dup.serialNumber } })).to.equal(0);
    expect(await level(warehouse.id, product.id)).to.equal(1);
    expect((await PurchaseOrderItem.findByPk(po.items[0]!.id))!.receivedQuantity).to.equal(1);
    // A line of another order.
    const { po: another } = await setup(1);
    const foreign = await call('post', `/purchase-orders/${po.id}/receipts`, backOffice, {
      lines: [{ purchaseOrderItemId: another.items[0]!.id, devices: [newUnit()] }],
    });
    expect(foreign.status).to.equal(422);
    expect(foreign.body.errors[0].field).to.equal('lines[0].purchaseOrderItemId');
    // Shape errors are 400s naming the field.
    const bad = await call('post', `/purchase-orders/${po.id}/receipts`, backOffice, {
      lines: [{ purchaseOrderItemId: po.items[0]!.id, devices: [{ serialNumber: 'X', openpaygoSecretKey: 'zz' }] }],
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors[0].field).to.equal('lines.0.devices.0.openpaygoSecretKey');
  });

  it('two receipts of the same order at once never exceed what was ordered', async () => {
    const { po, warehouse, product } = await setup(3);
    const results = await Promise.all(
      [0, 1].map(() =>
        call('post', `/purchase-orders/${po.id}/receipts`, backOffice, { lines: [{ purchaseOrderItemId: po.items[0]!.id, devices: [newUnit(), newUnit()] }] }),
      ),
    );
    expect(results.map((r) => r.status).sort()).to.deep.equal([201, 422]);
    expect(await level(warehouse.id, product.id)).to.equal(2);
    expect((await PurchaseOrderItem.findByPk(po.items[0]!.id))!.receivedQuantity).to.equal(2);
  });

  it('CSV of serials and keys: every bad row named, nothing half-imported; a good file is received whole', async () => {
    const { po, warehouse, product } = await setup(3);
    const line = po.items[0]!.id;
    const [a, b, c] = [newUnit(), newUnit(), newUnit()];
    const badCsv = [
      'purchaseOrderItemId,serialNumber,openpaygoSecretKey,startingCode',
      `${line},${a.serialNumber},${a.openpaygoSecretKey},${a.startingCode}`,
      `${line},${b.serialNumber},nothex,${b.startingCode}`,
      `x,${c.serialNumber},${c.openpaygoSecretKey},`,
      `${line},${c.serialNumber},${c.openpaygoSecretKey},12345678901`,
    ].join('\n');
    const bad = await postCsv(`/purchase-orders/${po.id}/receipts.csv`, backOffice, badCsv);
    expect(bad.status, JSON.stringify(bad.body)).to.equal(400);
    expect((bad.body.errors as { field: string }[]).map((e) => e.field)).to.deep.equal([
      'row 3: openpaygoSecretKey',
      'row 4: purchaseOrderItemId',
      'row 5: startingCode',
    ]);
    expect(JSON.stringify(bad.body)).not.to.contain(a.openpaygoSecretKey);
    expect(await Device.count({ where: { serialNumber: { [Op.in]: [a, b, c].map((u) => u.serialNumber) } } })).to.equal(0);

    // Rows the order cannot take (a serial repeated, one more than ordered) are named by row too.
    const d = newUnit();
    const tooMany = [
      'purchaseOrderItemId,serialNumber,openpaygoSecretKey',
      ...[a, b, c, d].map((u) => `${line},${u.serialNumber},${u.openpaygoSecretKey}`),
      `${line},${a.serialNumber},${a.openpaygoSecretKey}`,
    ].join('\r\n');
    const rejected = await postCsv(`/purchase-orders/${po.id}/receipts.csv`, backOffice, tooMany);
    expect(rejected.status, JSON.stringify(rejected.body)).to.equal(422);
    const fields = (rejected.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).to.include('row 6: serialNumber');
    expect(fields.some((f) => /devices$/.test(f))).to.equal(true);
    expect(await Device.count({ where: { serialNumber: { [Op.in]: [a, b, c, d].map((u) => u.serialNumber) } } })).to.equal(0);

    const good = [
      'purchaseOrderItemId,serialNumber,openpaygoSecretKey,startingCode',
      ...[a, b].map((u) => `${line},${u.serialNumber},${u.openpaygoSecretKey},${u.startingCode}`),
    ].join('\n');
    const ok = await postCsv(`/purchase-orders/${po.id}/receipts.csv`, backOffice, good);
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    expect(ok.body.received.deviceIds).to.have.length(2);
    expect(ok.body.purchaseOrder.status).to.equal('partially_received');
    expect(await level(warehouse.id, product.id)).to.equal(2);
    // The same file again: its serials are taken now.
    const again = await postCsv(`/purchase-orders/${po.id}/receipts.csv`, backOffice, good);
    expect(again.status).to.equal(422);
    // (and two more would be one more than the line still awaits)
    expect((again.body.errors as { field: string }[]).map((e) => e.field)).to.deep.equal([
      'row 2: serialNumber',
      'row 3: serialNumber',
      `purchaseOrderItemId ${line}: devices`,
    ]);
    // Not CSV at all.
    const json = await call('post', `/purchase-orders/${po.id}/receipts.csv`, backOffice, { lines: [] });
    expect(json.status).to.equal(415);
  });

  it('403 without the permission, 404 for another region, 400 naming bad fields; a cancelled order takes nothing', async () => {
    const { po } = await setup(1);
    const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await call('get', `/purchase-orders/${po.id}`, agent)).status).to.equal(403);
    expect(
      (await call('post', `/purchase-orders/${po.id}/receipts`, agent, { lines: [{ purchaseOrderItemId: po.items[0]!.id, devices: [newUnit()] }] })).status,
    ).to.equal(403);
    const { token: elsewhere } = await loginWithPermissions(['stock:read', 'stock:write'], [other.region.id]);
    expect((await call('get', `/purchase-orders/${po.id}`, elsewhere)).status).to.equal(404);
    expect(
      (await call('post', `/purchase-orders/${po.id}/receipts`, elsewhere, { lines: [{ purchaseOrderItemId: po.items[0]!.id, devices: [newUnit()] }] })).status,
    ).to.equal(404);
    const listed = await call('get', '/purchase-orders?limit=100', elsewhere);
    expect(listed.status).to.equal(200);
    expect(listed.body.data.map((p: { id: number }) => p.id)).not.to.include(po.id);
    const { token: regional } = await loginWithPermissions(['stock:read', 'stock:write'], [market.region.id]);
    expect((await call('get', `/purchase-orders/${po.id}`, regional)).status).to.equal(200);

    const { product } = await createPlan();
    const farWarehouse = await createWarehouse(other.region.id);
    const supplier = await createSupplier();
    const bad = await call('post', '/purchase-orders', regional, {
      supplierId: 999999,
      warehouseId: farWarehouse.id,
      items: [{ productId: product.id, deviceModelId: 999999, quantity: 1, unitCost: '10.00' }],
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['supplierId', 'warehouseId', 'items[0].deviceModelId']);
    const shape = await call('post', '/purchase-orders', regional, {
      supplierId: supplier.id,
      warehouseId: farWarehouse.id,
      items: [{ productId: product.id, quantity: 0, unitCost: '1.234' }],
    });
    expect(shape.status).to.equal(400);
    expect(shape.body.errors.map((e: { field: string }) => e.field)).to.have.members(['items.0.quantity', 'items.0.unitCost']);

    const cancelled = await call('post', `/purchase-orders/${po.id}/cancel`, admin);
    expect(cancelled.status).to.equal(200);
    expect(cancelled.body.status).to.equal('cancelled');
    expect(
      (await call('post', `/purchase-orders/${po.id}/receipts`, admin, { lines: [{ purchaseOrderItemId: po.items[0]!.id, devices: [newUnit()] }] })).status,
    ).to.equal(409);
    expect((await PurchaseOrder.findByPk(po.id))!.status).to.equal('cancelled');
  });
});
