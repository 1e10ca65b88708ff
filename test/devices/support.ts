import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Account } from '../../src/modules/accounts/models';
import { DeviceModel, DeviceToken } from '../../src/modules/devices/models';
import { decodeToken } from '../../src/modules/devices/openpaygo/token';
import { testRuntime } from '../support/app';
import { openAccount, type Market, type PlanOptions } from '../support/lending';
import { call } from '../lending/support';

/** Helpers of the device tests: device models, devices registered through the API, decoding. */

export async function createDeviceModel(
  options: { tokenType?: 'standard' | 'extended'; restrictedDigitSet?: boolean; supportsOpenPaygo?: boolean } = {},
): Promise<DeviceModel> {
  await testRuntime();
  const tag = randomUUID().slice(0, 8);
  return DeviceModel.create({
    manufacturer: 'SunTest',
    name: `Lamp ${tag}`,
    code: `DM-${tag}`,
    tokenType: options.tokenType ?? 'standard',
    restrictedDigitSet: options.restrictedDigitSet ?? false,
    supportsOpenPaygo: options.supportsOpenPaygo ?? true,
  });
}

export interface TestDevice {
  id: number;
  serialNumber: string;
  key: string;
  startingCode: number;
}

/** Registers a device through POST /devices with a fresh key and starting code. */
export async function registerDevice(token: string, productId: number, options: { model?: DeviceModel; warehouseId?: number } = {}): Promise<TestDevice> {
  const model = options.model ?? (await createDeviceModel());
  const key = randomBytes(16).toString('hex');
  const startingCode = 100_000_000 + Math.floor(Math.random() * 800_000_000);
  const serialNumber = `SN-${randomUUID().slice(0, 12)}`;
  const res = await call('post', '/devices', token, {
    serialNumber,
    deviceModelId: model.id,
    productId,
    openpaygoSecretKey: key,
    startingCode,
    ...(options.warehouseId ? { warehouseId: options.warehouseId } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return { id: res.body.id as number, serialNumber, key, startingCode };
}

/** An account (own product and plan, daily rate 50.00) with a registered device attached. */
export async function accountWithDevice(
  market: Market,
  token: string,
  plan?: PlanOptions & { startDate?: string },
  model?: DeviceModel,
): Promise<{ account: Account; device: TestDevice }> {
  const account = await openAccount(market, plan);
  const device = await registerDevice(token, account.productId, { model });
  const res = await call('post', `/accounts/${account.id}/devices`, token, { deviceId: device.id });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return { account, device };
}

/** What the device's firmware makes of a token typed in after `lastCount`. */
export function decodeOnDevice(device: TestDevice, token: string, lastCount: number, restrictedDigitSet = false) {
  return decodeToken({ token, key: device.key, startingCode: device.startingCode, lastCount, restrictedDigitSet });
}

export async function tokensOf(deviceId: number): Promise<DeviceToken[]> {
  return DeviceToken.findAll({ where: { deviceId }, order: [['tokenCount', 'ASC']] });
}
