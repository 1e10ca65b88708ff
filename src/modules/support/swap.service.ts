import type { Sequelize, Transaction } from 'sequelize';
import type { EmployeeActor } from '../../platform/auth/actor';
import { inRegionScope } from '../../platform/auth/principal';
import type { AppContext } from '../../platform/context';
import { dataCrypto, type DataCrypto } from '../../platform/crypto';
import { withTransaction } from '../../platform/db/transaction';
import { problems } from '../../platform/http/problem';
import type { Logger } from '../../platform/logging/logger';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { raiseChargeOnLocked } from '../accounts/charge.service';
import { Account, AccountDevice, type AccountStatus } from '../accounts/models';
import { lockAccount, preparedAccount } from '../accounts/settlement';
import { audit } from '../audit/audit';
import { remainingDays } from '../devices/credit.service';
import { Device, DeviceEvent, DeviceModel } from '../devices/models';
import { deviceStock } from '../devices/stock-keeper';
import { DeviceTokenError, lockDevice, mintTokens, type MintedToken } from '../devices/tokens';
import { Warehouse } from '../organisation/reference.models';
import { DeviceSwap, type DeviceSwapKind } from './models';
import { lastDayCovered, warrantyCover, warrantyMonths } from './warranty-policy';

/** Accounts whose device may be swapped: the contract runs and the unit is with the customer. */
const SWAPPABLE: readonly AccountStatus[] = ['active', 'suspended'];
/** Units that may be handed out: in stock, not in repair or retired. */
const HANDABLE = ['stored', 'shipped'];

export interface SwapInput {
  newDeviceId: number;
  /** The unit taken back; may be omitted when the account has exactly one device. */
  oldDeviceId?: number;
  reason: string;
  /** A paid swap's fee: an account charge (Dr 1200 / Cr 4300) in the same transaction. */
  fee?: MoneyString;
}

export interface SwapResult {
  swap: DeviceSwap;
  token: MintedToken | null;
}

export function deviceSwapView(s: DeviceSwap, token: MintedToken | null = null) {
  return {
    id: s.id,
    accountId: s.accountId,
    kind: s.kind,
    oldDeviceId: s.oldDeviceId,
    newDeviceId: s.newDeviceId,
    fromWarehouseId: s.fromWarehouseId,
    returnWarehouseId: s.returnWarehouseId,
    reason: s.reason,
    creditDays: s.creditDays,
    deviceTokenId: s.deviceTokenId ?? null,
    fee: s.fee ?? null,
    accountChargeId: s.accountChargeId ?? null,
    createdBy: s.createdBy ?? null,
    createdAt: s.createdAt.toISOString(),
    token: token ? { tokenType: token.tokenType, value: token.value, token: token.token, tokenCount: token.tokenCount } : null,
  };
}

/**
 * Swaps an account's device for a unit in stock, in the caller's transaction, the account row
 * already locked (lockAccount, the first read). Devices are locked next, in ascending id order.
 *  - the old unit leaves the account (its accountDevices link ends as 'faulty') and goes back into
 *    the stock location the new unit came from, in_repair (a +1 'return' movement);
 *  - the new unit leaves that location (a -1 'sale' movement) and is attached;
 *  - the new unit gets a SET_TIME token with the account's remaining credit days (what the
 *    customer paid for and had not used yet), so it shows exactly what the old one did;
 *  - a paid swap's fee is an account charge with its journal lines.
 * A unit is in one place at a time: the new unit must be in stock (not attached, not in transit,
 * stored or shipped), in the caller's own stock location or a warehouse of their regions (never
 * another agent's), else 409.
 */
export async function swapOnLocked(
  deps: { crypto: DataCrypto; logger: Logger },
  account: Account,
  actor: EmployeeActor,
  kind: DeviceSwapKind,
  input: SwapInput,
  t: Transaction,
): Promise<SwapResult> {
  if (!SWAPPABLE.includes(account.status)) {
    throw problems.conflict(`The device of an account that is ${account.status} cannot be swapped.`, 'account-not-swappable', {
      currentStatus: account.status,
    });
  }
  const links = await AccountDevice.findAll({ where: { accountId: account.id, status: 'active' }, order: [['id', 'ASC']], transaction: t });
  let link: AccountDevice | undefined;
  if (input.oldDeviceId !== undefined) {
    link = links.find((l) => l.deviceId === input.oldDeviceId);
    if (!link) throw problems.conflict('This device is not attached to the account (any more).', 'device-not-attached', { deviceId: input.oldDeviceId });
  } else if (links.length === 1) {
    link = links[0]!;
  } else if (!links.length) {
    throw problems.conflict('The account has no device attached: there is nothing to swap.', 'no-device');
  } else {
    throw problems.validation([{ field: 'oldDeviceId', in: 'body', message: 'the account has several devices: name the one to swap' }]);
  }
  if (link.deviceId === input.newDeviceId) throw problems.conflict('This device is already attached to this account.', 'already-attached');

  // Devices in ascending id order, after the account.
  const [first, second] = [link.deviceId, input.newDeviceId].sort((a, b) => a - b);
  const locked = new Map<number, Device>();
  for (const id of [first!, second!]) {
    const d = await lockDevice(id, t);
    if (d) locked.set(id, d);
  }
  const oldDevice = locked.get(link.deviceId)!;
  const newDevice = locked.get(input.newDeviceId);
  if (!newDevice) throw problems.validation([{ field: 'newDeviceId', in: 'body', message: 'no such device' }]);

  // The new unit: in stock, in one place, which the caller may hand out from.
  const attached = await AccountDevice.findOne({ where: { deviceId: newDevice.id, status: 'active' }, transaction: t });
  if (attached) throw problems.conflict('This device is attached to an account: it is not in stock.', 'device-in-use');
  if (newDevice.warehouseId === null) throw problems.conflict('This device is not in stock.', 'not-in-stock');
  const transferId = await deviceStock(t).inTransit(t, newDevice.id);
  if (transferId) throw problems.conflict('This device is in transit; receive the transfer first.', 'device-in-transit', { stockTransferId: transferId });
  if (!HANDABLE.includes(newDevice.status)) {
    throw problems.conflict(`A ${newDevice.status} device cannot be handed to a customer (only stored or shipped ones).`, 'device-not-available', {
      currentStatus: newDevice.status,
    });
  }
  const location = (await Warehouse.findByPk(newDevice.warehouseId, { attributes: ['id', 'regionId', 'employeeId', 'isActive'], transaction: t }))!;
  if (location.employeeId !== null && location.employeeId !== actor.employeeId) {
    throw problems.conflict("This device is in another agent's stock: only a unit you carry or a warehouse's can be handed out.", 'not-in-your-stock');
  }
  if (location.employeeId === null && (!inRegionScope(actor.scope, location.regionId) || location.regionId !== account.regionId)) {
    throw problems.conflict("This device is in a warehouse outside the account's region.", 'device-elsewhere', { warehouseId: location.id });
  }
  if (newDevice.productId !== account.productId) {
    throw problems.unprocessable('This device is not of the product the account financed.', 'product-mismatch', {
      deviceProductId: newDevice.productId,
      accountProductId: account.productId,
    });
  }

  const { calendar } = await preparedAccount(account, t);
  const businessDate = calendar.businessDate;
  const now = new Date();
  const days = remainingDays(account.creditExpiresAt ?? null, now);
  // A warranty replacement carries the original's cover; a paid one starts its own from today.
  const oldCover = await warrantyCover(link, oldDevice.productId, t);
  const newTerms = kind === 'paid' ? await warrantyMonths(newDevice.productId, t) : null;
  const newExpiry = kind === 'warranty' ? oldCover.expiry : newTerms?.months ? lastDayCovered(businessDate, newTerms.months) : null;

  const swap = await DeviceSwap.create(
    {
      accountId: account.id,
      kind,
      oldDeviceId: oldDevice.id,
      newDeviceId: newDevice.id,
      fromWarehouseId: location.id,
      returnWarehouseId: location.id,
      reason: input.reason,
      creditDays: days,
      createdBy: actor.employeeId,
    },
    { transaction: t },
  );

  // The old unit: off the account, back into the location the new one left, to be repaired.
  await link.update({ status: 'faulty' }, { transaction: t });
  await Device.update({ status: 'in_repair', warehouseId: location.id }, { where: { id: oldDevice.id }, transaction: t });
  // The new unit: attached (a link it had with this account before is reused), out of stock.
  const model = await DeviceModel.findByPk(newDevice.deviceModelId, { attributes: ['id', 'code'], transaction: t });
  const previous = await AccountDevice.findOne({ where: { accountId: account.id, deviceId: newDevice.id }, transaction: t });
  const newLink = previous
    ? await previous.update({ status: 'active', installationDate: businessDate, warrantyExpiry: newExpiry }, { transaction: t })
    : await AccountDevice.create(
        {
          accountId: account.id,
          deviceId: newDevice.id,
          deviceSerial: newDevice.serialNumber,
          deviceType: model?.code ?? null,
          status: 'active',
          installationDate: businessDate,
          warrantyExpiry: newExpiry,
        },
        { transaction: t },
      );
  await Device.update({ status: 'activated', warehouseId: null, activatedAt: newDevice.activatedAt ?? now }, { where: { id: newDevice.id }, transaction: t });
  Object.assign(newDevice, { status: 'activated', warehouseId: null, activatedAt: newDevice.activatedAt ?? now });
  await DeviceEvent.bulkCreate(
    [
      {
        deviceId: oldDevice.id,
        eventType: 'swapped_out',
        payload: { deviceSwapId: swap.id, accountId: account.id, warehouseId: location.id, kind },
        occurredAt: now,
        createdBy: actor.employeeId,
      },
      {
        deviceId: newDevice.id,
        eventType: 'swapped_in',
        payload: { deviceSwapId: swap.id, accountId: account.id, fromWarehouseId: location.id, kind },
        occurredAt: now,
        createdBy: actor.employeeId,
      },
    ],
    { transaction: t },
  );
  await deviceStock(t).move(t, [
    {
      warehouseId: location.id,
      productId: newDevice.productId,
      deviceId: newDevice.id,
      quantity: -1,
      movementType: 'sale',
      referenceType: 'deviceSwaps',
      referenceId: swap.id,
      note: `swap on account ${account.accountNumber}`,
      createdBy: actor.employeeId,
    },
    {
      warehouseId: location.id,
      productId: oldDevice.productId,
      deviceId: oldDevice.id,
      quantity: 1,
      movementType: 'return',
      referenceType: 'deviceSwaps',
      referenceId: swap.id,
      note: `faulty: swapped out of account ${account.accountNumber} (${kind})`,
      createdBy: actor.employeeId,
    },
  ]);

  // The credit the customer paid for goes onto the new unit (SET_TIME: exactly what is left).
  let token: MintedToken | null = null;
  if (newDevice.openpaygoSecretKey) {
    try {
      const minted = await mintTokens(
        deps.crypto,
        newDevice,
        { type: 'SET_TIME', value: days, source: 'system', accountId: account.id, requestedBy: actor.employeeId, reason: `device swap ${swap.id}` },
        t,
      );
      token = minted[0] ?? null;
    } catch (err) {
      // The swap stands; staff can mint the days by hand (POST /devices/{id}/tokens).
      if (!(err instanceof DeviceTokenError)) throw err;
      deps.logger.error({ deviceId: newDevice.id, code: err.code }, 'no token minted on a device swap');
    }
  }

  let accountChargeId: number | null = null;
  if (input.fee !== undefined && new Decimal(input.fee).greaterThan(0)) {
    const charge = await raiseChargeOnLocked(
      account,
      { chargeType: 'fee', amount: toMoneyString(input.fee), description: `Device swap ${swap.id}: ${oldDevice.serialNumber} -> ${newDevice.serialNumber}` },
      actor,
      t,
    );
    accountChargeId = charge.id;
  }
  await account.save({ transaction: t }); // what the catch-up of preparedAccount changed
  await swap.update({ deviceTokenId: token?.id ?? null, fee: accountChargeId ? toMoneyString(input.fee!) : null, accountChargeId }, { transaction: t });

  await audit.record(t, {
    actor,
    action: 'device.swap',
    entity: 'deviceSwaps',
    entityId: swap.id,
    before: { deviceId: oldDevice.id, accountDeviceId: link.id, newDeviceWarehouseId: location.id },
    after: {
      kind,
      accountId: account.id,
      newDeviceId: newDevice.id,
      accountDeviceId: newLink.id,
      oldDeviceWarehouseId: location.id,
      creditDays: days,
      deviceTokenId: token?.id ?? null,
      accountChargeId,
      reason: input.reason,
    },
  });
  return { swap, token };
}

/** POST /accounts/{id}/device-swap: a paid swap (issue 16); warranty swaps come from warranty claims. */
export class DeviceSwapService {
  private readonly sequelize: Sequelize;
  private readonly deps: { crypto: DataCrypto; logger: Logger };

  constructor(ctx: Pick<AppContext, 'sequelize' | 'config' | 'logger'>) {
    this.sequelize = ctx.sequelize;
    this.deps = { crypto: dataCrypto(ctx.config.dataEncryptionKey), logger: ctx.logger };
  }

  async paidSwap(
    actor: EmployeeActor,
    accountId: number,
    input: SwapInput,
    beforeCommit?: (r: SwapResult, t: Transaction) => Promise<void>,
  ): Promise<SwapResult> {
    const head = await Account.findByPk(accountId, { attributes: ['id', 'regionId'] });
    if (!head || !inRegionScope(actor.scope, head.regionId)) throw problems.notFound('account');
    if (input.fee !== undefined && new Decimal(input.fee).greaterThan(0) && !actor.permissions.has('charges:write')) {
      throw problems.forbidden('A swap fee is an account charge: it needs charges:write.');
    }
    if (!(await Device.count({ where: { id: input.newDeviceId } })))
      throw problems.validation([{ field: 'newDeviceId', in: 'body', message: 'no such device' }]);
    // The unit the caller sees now is the one swapped: if another swap replaced it meanwhile, this one is a 409, never a second swap.
    const seen = input.oldDeviceId ?? (await this.onlyDevice(accountId));
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(accountId, t);
      const result = await swapOnLocked(this.deps, account, actor, 'paid', { ...input, oldDeviceId: seen }, t);
      await beforeCommit?.(result, t);
      return result;
    });
  }

  /** The account's one attached device (undefined when none or several: the swap then explains). */
  private async onlyDevice(accountId: number): Promise<number | undefined> {
    const links = await AccountDevice.findAll({ where: { accountId, status: 'active' }, attributes: ['id', 'deviceId'] });
    return links.length === 1 ? links[0]!.deviceId : undefined;
  }
}
