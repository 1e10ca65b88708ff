import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { AccountDevice } from '../../src/modules/accounts/models';
import type { Account } from '../../src/modules/accounts/models';
import { Product } from '../../src/modules/catalogue/models';
import { Device } from '../../src/modules/devices/models';
import { Warehouse } from '../../src/modules/organisation/reference.models';
import { loginAs, testRuntime } from '../support/app';
import { openAccount, type Market } from '../support/lending';
import { call, pay } from '../lending/support';
import { registerDevice, type TestDevice } from '../devices/support';

/** Helpers of the after-sales tests (tickets, warranty claims, device swaps). */

export type Login = Awaited<ReturnType<typeof loginAs>>;

/**
 * An account of `market` (price 10000.00, down payment 1000.00 paid: 20 credit days at 50.00 a
 * day) with a registered unit attached on the business date; its product has `warrantyMonths`.
 */
export async function paidAccountWithDevice(
  market: Market,
  token: string,
  warrantyMonths: number | null = 12,
): Promise<{ account: Account; device: TestDevice }> {
  const account = await openAccount(market, { price: '10000.00', downPayment: '1000.00' });
  await Product.update({ warrantyPeriod: warrantyMonths }, { where: { id: account.productId } });
  const device = await registerDevice(token, account.productId);
  const attached = await call('post', `/accounts/${account.id}/devices`, token, { deviceId: device.id });
  expect(attached.status, JSON.stringify(attached.body)).to.equal(201);
  const paid = await pay(token, account.id, '1000.00');
  expect(paid.status, JSON.stringify(paid.body)).to.equal(201);
  return { account, device };
}

/** An agent's own stock location (a warehouse row with employeeId). */
export async function agentLocation(regionId: number, employeeId: number): Promise<Warehouse> {
  await testRuntime();
  const tag = randomUUID().slice(0, 8);
  return Warehouse.create({ name: `Bag of ${employeeId} ${tag}`, code: `AG-${tag}`, regionId, employeeId });
}

/** Where a unit is: its warehouse (null: in the field) and the accounts it is attached to. */
export async function whereIs(deviceId: number) {
  const device = (await Device.findByPk(deviceId))!;
  const links = await AccountDevice.findAll({ where: { deviceId, status: 'active' } });
  return { warehouseId: device.warehouseId ?? null, status: device.status, activeLinks: links.map((l) => l.accountId) };
}

/** A unit is in exactly one place: in a warehouse and on no account, or on one account and in no warehouse. */
export async function expectOnePlace(deviceId: number): Promise<void> {
  const w = await whereIs(deviceId);
  const places = (w.warehouseId !== null ? 1 : 0) + w.activeLinks.length;
  expect(places, `device ${deviceId} is in ${places} places: ${JSON.stringify(w)}`).to.equal(1);
}
