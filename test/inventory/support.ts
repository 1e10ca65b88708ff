import { randomBytes, randomUUID } from 'node:crypto';
import type Joi from 'joi';
import { expect } from 'chai';
import { Supplier } from '../../src/modules/inventory/models';
import { StockItem } from '../../src/modules/inventory/models';
import { Warehouse } from '../../src/modules/organisation/reference.models';
import { testRuntime } from '../support/app';
import { call } from '../lending/support';

/** Helpers of the stock tests: suppliers, warehouses, purchase orders received through the API. */

export async function createSupplier(): Promise<Supplier> {
  await testRuntime();
  const tag = randomUUID().slice(0, 8);
  return Supplier.create({ name: `Sun Supplies ${tag}`, code: `SUP-${tag}` });
}

export async function createWarehouse(regionId: number): Promise<Warehouse> {
  await testRuntime();
  const tag = randomUUID().slice(0, 8);
  return Warehouse.create({ name: `Depot ${tag}`, code: `WH-${tag}`, regionId });
}

export interface Unit {
  serialNumber: string;
  openpaygoSecretKey: string;
  startingCode: number;
}

export function newUnit(): Unit {
  return {
    serialNumber: `SN-${randomUUID().slice(0, 13)}`,
    openpaygoSecretKey: randomBytes(16).toString('hex'),
    startingCode: 100_000_000 + Math.floor(Math.random() * 800_000_000),
  };
}

/** A purchase order (ordered) for `quantity` units of one device model at `unitCost`; returns it as the API shows it. */
export async function orderedPurchaseOrder(
  token: string,
  o: { supplierId: number; warehouseId: number; productId: number; deviceModelId: number; quantity: number; unitCost: string },
) {
  const created = await call('post', '/purchase-orders', token, {
    supplierId: o.supplierId,
    warehouseId: o.warehouseId,
    items: [{ productId: o.productId, deviceModelId: o.deviceModelId, quantity: o.quantity, unitCost: o.unitCost }],
  });
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  const ordered = await call('post', `/purchase-orders/${created.body.id}/order`, token);
  expect(ordered.status, JSON.stringify(ordered.body)).to.equal(200);
  return ordered.body as { id: number; items: { id: number }[] };
}

/** Receives `units` on the order's first line; returns the new device ids. */
export async function receiveUnits(token: string, po: { id: number; items: { id: number }[] }, units: Unit[]): Promise<number[]> {
  const res = await call('post', `/purchase-orders/${po.id}/receipts`, token, { lines: [{ purchaseOrderItemId: po.items[0]!.id, devices: units }] });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body.received.deviceIds as number[];
}

export async function level(warehouseId: number, productId: number): Promise<number> {
  const row = await StockItem.findOne({ where: { warehouseId, productId } });
  return row?.quantity ?? 0;
}

/** The answer is what its route declares (the response schema the OpenAPI document is built from). */
export function expectDeclared(schema: Joi.Schema, body: unknown): void {
  const { error } = schema.validate(body, { presence: 'optional', convert: false });
  expect(error?.message ?? null, JSON.stringify(body)).to.equal(null);
}
