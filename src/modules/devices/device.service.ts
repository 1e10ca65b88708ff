import { Op, UniqueConstraintError, literal, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import type { ScopedActor } from '../../platform/auth/actor';
import type { RegionScope } from '../../platform/auth/principal';
import { inRegionScope } from '../../platform/auth/principal';
import type { AppContext } from '../../platform/context';
import { dataCrypto, type DataCrypto } from '../../platform/crypto';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, type Paged, pageOf } from '../../platform/http/pagination';
import { problems, type FieldError } from '../../platform/http/problem';
import type { PhotoReference } from '../../platform/http/schemas';
import type { Logger } from '../../platform/logging/logger';
import type { JobQueue } from '../../platform/queue';
import { redisUnavailable } from '../../platform/queue/unavailable';
import { Account, AccountDevice, CreditDayEntry } from '../accounts/models';
import { audit } from '../audit/audit';
import { Product } from '../catalogue/models';
import { FieldVisit, FieldVisitPhoto } from '../collections/models';
import { Customer } from '../customers/models';
import { requestSend } from '../notifications/jobs';
import { Notification } from '../notifications/models';
import { enqueueNotification, NotificationError } from '../notifications/outbox';
import { calendarOfRegion } from '../organisation/business-date';
import { Warehouse } from '../organisation/reference.models';
import { remainingDays } from './credit.service';
import { deviceStock } from './stock-keeper';
import { Device, DeviceEvent, DeviceModel, DeviceToken, type DeviceStatus, type DeviceTokenType } from './models';
import { DAY_MS, DeviceTokenError, wholeSeconds, encryptDeviceKey, lockDevice, mintTokens, spacedToken, tokenView, type MintedToken } from './tokens';

/** A resend of a token whose SMS was saved less than this long ago joins it (a retry, not a new request). */
export const RESEND_JOIN_MS = 10 * 60_000;

export interface RegisterDeviceInput {
  serialNumber: string;
  deviceModelId: number;
  productId: number;
  /** 32 hexadecimal characters; stored encrypted, never returned or logged. */
  openpaygoSecretKey?: string;
  startingCode?: number;
  warehouseId?: number;
  firmwareVersion?: string;
  status?: Extract<DeviceStatus, 'stored' | 'shipped'>;
}

/** A photo of the installation visit, by reference. */
export type InstallationPhoto = PhotoReference;

export interface InstallInput {
  deviceId?: number;
  serialNumber?: string;
  installationDate?: string;
  latitude: number;
  longitude: number;
  photos: InstallationPhoto[];
  notes?: string;
}

export interface ReturnInput {
  warehouseId: number;
  faulty: boolean;
  reason: string;
}

/** What an installation adds to an attach, in the attach's transaction. */
interface InstallStep {
  locationId: number;
  input: InstallInput;
}

export interface DeviceListQuery {
  status?: DeviceStatus;
  serialNumber?: string;
  accountId?: number;
  limit: number;
  cursor?: string;
}

/** Statuses a device can be handed to a customer from. */
const ATTACHABLE: readonly DeviceStatus[] = ['stored', 'shipped'];
/** Accounts a device can no longer be attached to. */
const FINISHED_ACCOUNT: readonly string[] = ['closed', 'written_off', 'repossessed'];

type ActiveLink = { accountId: number; accountNumber: string; regionId: number; accountStatus: string; linkId: number };

/** The device as the API shows it: never the key (not even its ciphertext), never the starting code. */
export function deviceView(d: Device, link: ActiveLink | null, model?: DeviceModel | null) {
  return {
    id: d.id,
    serialNumber: d.serialNumber,
    deviceModelId: d.deviceModelId,
    ...(model
      ? { deviceModel: { id: model.id, code: model.code, name: model.name, tokenType: model.tokenType, restrictedDigitSet: model.restrictedDigitSet } }
      : {}),
    productId: d.productId,
    warehouseId: d.warehouseId,
    status: d.status,
    /** Takes OpenPAYGO tokens (has a key). Load devices with scope('withSecret') for this to be right. */
    openpaygo: d.getDataValue('openpaygoSecretKey') != null,
    tokenCount: d.tokenCount,
    firmwareVersion: d.firmwareVersion,
    activatedAt: d.activatedAt ? d.activatedAt.toISOString() : null,
    paygDisabledAt: d.paygDisabledAt ? d.paygDisabledAt.toISOString() : null,
    account: link ? { id: link.accountId, accountNumber: link.accountNumber, status: link.accountStatus } : null,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

export function fieldVisitView(v: FieldVisit, photos: FieldVisitPhoto[]) {
  return {
    id: v.id,
    purpose: v.purpose,
    visitedAt: v.visitedAt ? v.visitedAt.toISOString() : null,
    latitude: v.latitude,
    longitude: v.longitude,
    outcome: v.outcome,
    notes: v.notes,
    photos: photos.map((p) => ({
      id: p.id,
      reference: p.reference,
      mimeType: p.mimeType,
      sizeBytes: p.sizeBytes,
      sha256: p.sha256,
      caption: p.caption,
      takenAt: p.takenAt ? p.takenAt.toISOString() : null,
    })),
  };
}

const ids = (values: readonly number[]) =>
  values
    .map((v) => Number(v))
    .filter((v) => Number.isSafeInteger(v))
    .join(',') || 'NULL';

/**
 * Devices: registering units with their OpenPAYGO key (encrypted at rest), handing one to an
 * account, and tokens minted by staff. Region scope: a device is in the region of the account it
 * is attached to, else in the region of the warehouse holding it; a caller limited to regions sees
 * only those (another region's device is a 404).
 */
export class DeviceService {
  private readonly sequelize: Sequelize;
  private readonly crypto: DataCrypto;
  private readonly logger: Logger;
  private readonly queue?: JobQueue;

  constructor(ctx: Pick<AppContext, 'sequelize' | 'config' | 'logger'> & { queue?: JobQueue }) {
    this.sequelize = ctx.sequelize;
    this.crypto = dataCrypto(ctx.config.dataEncryptionKey);
    this.logger = ctx.logger;
    this.queue = ctx.queue;
  }

  // --- reading -------------------------------------------------------------------------------

  private async activeLinks(deviceIds: number[], t?: Transaction): Promise<Map<number, ActiveLink>> {
    if (!deviceIds.length) return new Map();
    const links = await AccountDevice.findAll({
      where: { deviceId: { [Op.in]: deviceIds }, status: 'active' },
      include: [{ model: Account, as: 'account', attributes: ['id', 'accountNumber', 'regionId', 'status'] }],
      transaction: t,
    });
    return new Map(
      links.map((l) => [
        l.deviceId,
        { accountId: l.accountId, accountNumber: l.account!.accountNumber, regionId: l.account!.regionId, accountStatus: l.account!.status, linkId: l.id },
      ]),
    );
  }

  /** Where-clause limiting devices to the caller's regions (attached account, else holding warehouse). */
  private scopeWhere(scope: RegionScope): WhereOptions {
    if (scope.all) return {};
    const regions = ids(scope.regionIds);
    return {
      [Op.or]: [
        {
          id: {
            [Op.in]: literal(
              `(SELECT ad.deviceId FROM accountDevices ad JOIN accounts a ON a.id = ad.accountId WHERE ad.status = 'active' AND a.regionId IN (${regions}))`,
            ),
          },
        },
        {
          [Op.and]: [
            literal(`NOT EXISTS (SELECT 1 FROM accountDevices ad2 WHERE ad2.deviceId = \`Device\`.\`id\` AND ad2.status = 'active')`),
            { warehouseId: { [Op.in]: literal(`(SELECT w.id FROM warehouses w WHERE w.regionId IN (${regions}))`) } },
          ],
        },
      ],
    };
  }

  private async visible(scope: RegionScope, device: Device, link: ActiveLink | null): Promise<boolean> {
    if (scope.all) return true;
    if (link) return inRegionScope(scope, link.regionId);
    if (device.warehouseId) {
      const w = await Warehouse.findByPk(device.warehouseId, { attributes: ['id', 'regionId'] });
      return !!w && inRegionScope(scope, w.regionId);
    }
    return false;
  }

  /** A device the caller may see, with its active link; 404 otherwise. */
  private async visibleDevice(actor: ScopedActor, id: number): Promise<{ device: Device; link: ActiveLink | null }> {
    const device = await Device.scope('withSecret').findByPk(id);
    if (!device) throw problems.notFound('device');
    const link = (await this.activeLinks([id])).get(id) ?? null;
    if (!(await this.visible(actor.scope, device, link))) throw problems.notFound('device');
    return { device, link };
  }

  async get(actor: ScopedActor, id: number) {
    const { device, link } = await this.visibleDevice(actor, id);
    const model = await DeviceModel.findByPk(device.deviceModelId);
    return deviceView(device, link, model);
  }

  async list(actor: ScopedActor, q: DeviceListQuery): Promise<Paged<ReturnType<typeof deviceView>>> {
    const where: WhereOptions[] = [this.scopeWhere(actor.scope)];
    if (q.status) where.push({ status: q.status });
    if (q.serialNumber) where.push({ serialNumber: q.serialNumber });
    if (q.accountId)
      where.push({ id: { [Op.in]: literal(`(SELECT deviceId FROM accountDevices WHERE accountId = ${Number(q.accountId)} AND status = 'active')`) } });
    if (q.cursor) where.push({ id: { [Op.lt]: decodeIdCursor(q.cursor) } });
    const rows = await Device.scope('withSecret').findAll({ where: { [Op.and]: where }, order: [['id', 'DESC']], limit: q.limit + 1 });
    const page = pageOf(rows, q.limit, (last) => [last.id]);
    const links = await this.activeLinks(page.data.map((d) => d.id));
    return { data: page.data.map((d) => deviceView(d, links.get(d.id) ?? null)), page: page.page };
  }

  async tokens(actor: ScopedActor, id: number, q: { limit: number; cursor?: string }): Promise<Paged<ReturnType<typeof tokenView>>> {
    await this.visibleDevice(actor, id);
    const where: WhereOptions[] = [{ deviceId: id }];
    if (q.cursor) where.push({ tokenCount: { [Op.lt]: decodeIdCursor(q.cursor) } });
    const rows = await DeviceToken.findAll({ where: { [Op.and]: where }, order: [['tokenCount', 'DESC']], limit: q.limit + 1 });
    const page = pageOf(rows, q.limit, (last) => [last.tokenCount]);
    return { data: page.data.map(tokenView), page: page.page };
  }

  // --- registering ---------------------------------------------------------------------------

  async register(actor: ScopedActor, input: RegisterDeviceInput) {
    const errors: FieldError[] = [];
    const [model, product, warehouse] = await Promise.all([
      DeviceModel.findByPk(input.deviceModelId),
      Product.findByPk(input.productId, { attributes: ['id'] }),
      input.warehouseId ? Warehouse.findByPk(input.warehouseId, { attributes: ['id', 'regionId'] }) : Promise.resolve(null),
    ]);
    if (!model || !model.isActive) errors.push({ field: 'deviceModelId', in: 'body', message: 'no active device model with this id' });
    if (!product) errors.push({ field: 'productId', in: 'body', message: 'no product with this id' });
    if (input.warehouseId && (!warehouse || !inRegionScope(actor.scope, warehouse.regionId)))
      errors.push({ field: 'warehouseId', in: 'body', message: 'no warehouse with this id' });
    if (model?.supportsOpenPaygo && !input.openpaygoSecretKey)
      errors.push({ field: 'openpaygoSecretKey', in: 'body', message: 'this device model takes OpenPAYGO tokens: its secret key is required' });
    if (model && !model.supportsOpenPaygo && (input.openpaygoSecretKey || input.startingCode !== undefined)) {
      errors.push({ field: 'openpaygoSecretKey', in: 'body', message: 'this device model does not take OpenPAYGO tokens' });
    }
    if (errors.length) throw problems.validation(errors, 'The device cannot be registered as given.');
    if (!actor.scope.all && !input.warehouseId) {
      // A device outside any warehouse is visible only to all-region staff: regional staff name their warehouse.
      throw problems.validation([{ field: 'warehouseId', in: 'body', message: 'required for staff limited to regions' }]);
    }

    try {
      const device = await withTransaction(this.sequelize, async (t) => {
        const d = await Device.create(
          {
            serialNumber: input.serialNumber,
            deviceModelId: input.deviceModelId,
            productId: input.productId,
            warehouseId: input.warehouseId ?? null,
            status: input.status ?? 'stored',
            openpaygoSecretKey: input.openpaygoSecretKey ? encryptDeviceKey(this.crypto, input.openpaygoSecretKey) : null,
            startingCode: input.startingCode ?? null,
            firmwareVersion: input.firmwareVersion ?? null,
          },
          { transaction: t },
        );
        await DeviceEvent.create(
          {
            deviceId: d.id,
            eventType: 'registered',
            payload: { status: d.status, warehouseId: d.warehouseId },
            occurredAt: new Date(),
            createdBy: actor.employeeId,
          },
          { transaction: t },
        );
        if (d.warehouseId) {
          await deviceStock(t).move(t, [
            {
              warehouseId: d.warehouseId,
              productId: d.productId,
              deviceId: d.id,
              quantity: 1,
              movementType: 'receipt',
              referenceType: 'devices',
              referenceId: d.id,
              note: 'registered by hand',
              createdBy: actor.employeeId,
            },
          ]);
        }
        await this.audit(
          actor,
          'device.register',
          d.id,
          null,
          {
            serialNumber: d.serialNumber,
            deviceModelId: d.deviceModelId,
            productId: d.productId,
            warehouseId: d.warehouseId,
            openpaygo: !!input.openpaygoSecretKey,
          },
          t,
        );
        return d;
      });
      this.logger.info({ deviceId: device.id, serialNumber: device.serialNumber }, 'device registered');
      const reloaded = (await Device.scope('withSecret').findByPk(device.id))!;
      return deviceView(reloaded, null, model);
    } catch (err) {
      if (err instanceof UniqueConstraintError) {
        throw problems.conflict(`A device with serial number ${input.serialNumber} already exists.`, 'duplicate', { fields: ['serialNumber'] });
      }
      throw err;
    }
  }

  // --- attaching to an account ---------------------------------------------------------------

  async attach(actor: ScopedActor, accountId: number, input: { deviceId?: number; serialNumber?: string; installationDate?: string }, install?: InstallStep) {
    const head = await Account.findByPk(accountId, { attributes: ['id', 'regionId'] });
    if (!head || !inRegionScope(actor.scope, head.regionId)) throw problems.notFound('account');
    const found = input.deviceId
      ? await Device.findByPk(input.deviceId, { attributes: ['id', 'warehouseId'] })
      : await Device.findOne({ where: { serialNumber: input.serialNumber! }, attributes: ['id', 'warehouseId'] });
    const field = input.deviceId ? 'deviceId' : 'serialNumber';
    if (!found) throw problems.validation([{ field, in: 'body', message: 'no such device' }]);
    if (!actor.scope.all) {
      const w = found.warehouseId ? await Warehouse.findByPk(found.warehouseId, { attributes: ['id', 'regionId'] }) : null;
      if (!w || !inRegionScope(actor.scope, w.regionId)) throw problems.validation([{ field, in: 'body', message: 'no such device' }]);
    }
    const calendar = await calendarOfRegion(head.regionId);

    const result = await withTransaction(this.sequelize, async (t) => {
      // Lock order everywhere: the account, then its devices.
      const account = (await Account.findByPk(accountId, { lock: t.LOCK.UPDATE, transaction: t }))!;
      if (FINISHED_ACCOUNT.includes(account.status)) {
        throw problems.conflict(`The account is ${account.status}; no device can be attached to it.`, 'account-not-open', { currentStatus: account.status });
      }
      return this.attachLocked(t, actor, account, found.id, { installationDate: input.installationDate ?? calendar.businessDate, install });
    });
    if (result.sms && this.queue) {
      // Committed: if the queue does not answer, the minute's send round delivers it.
      await requestSend(this.queue).catch((err: Error) =>
        this.logger.warn({ err: err.message, notificationId: result.sms!.id }, 'could not ask for an SMS round'),
      );
    }
    const links = await this.activeLinks([result.device.id]);
    return {
      accountDevice: {
        id: result.link.id,
        accountId: result.link.accountId,
        deviceId: result.link.deviceId,
        deviceSerial: result.link.deviceSerial,
        status: result.link.status,
        installationDate: result.link.installationDate,
      },
      device: deviceView(result.device, links.get(result.device.id) ?? null),
      token: result.minted[0]
        ? { tokenType: result.minted[0].tokenType, value: result.minted[0].value, token: result.minted[0].token, tokenCount: result.minted[0].tokenCount }
        : null,
      ...(result.visit ? { fieldVisit: fieldVisitView(result.visit.visit, result.visit.photos) } : {}),
    };
  }

  /**
   * Attaches a device to an account the caller has locked, in the caller's transaction (lock
   * order: the account, then its devices): the checks (not attached elsewhere, not in transit, in
   * stock, of the product), the link, the device activated and out of stock, and the credit the
   * account already has as a SET_TIME token. POST /accounts/:id/devices and an upgrade
   * (contract-changes, with the new product's id as `productId`) use it.
   */
  async attachLocked(
    t: Transaction,
    actor: ScopedActor,
    account: Account,
    deviceId: number,
    options: { installationDate: string; productId?: number; install?: InstallStep },
  ): Promise<{
    link: AccountDevice;
    device: Device;
    account: Account;
    minted: MintedToken[];
    visit: Awaited<ReturnType<DeviceService['recordInstallationVisit']>> | null;
    sms: Notification | null;
  }> {
    const install = options.install;
    const device = await lockDevice(deviceId, t);
    if (!device) throw problems.validation([{ field: 'deviceId', in: 'body', message: 'no such device' }]);
    const active = await AccountDevice.findOne({ where: { deviceId: device.id, status: 'active' }, transaction: t });
    if (active) {
      if (active.accountId === account.id)
        throw problems.conflict('This device is already attached to this account.', 'already-attached', { accountDeviceId: active.id });
      throw problems.conflict('This device is attached to another account.', 'device-in-use');
    }
    if (install && device.warehouseId !== install.locationId) {
      throw problems.conflict('This device is not in your stock (any more): only a unit you carry can be installed.', 'not-in-your-stock');
    }
    const transferId = await deviceStock(t).inTransit(t, device.id);
    if (transferId) {
      throw problems.conflict('This device is in transit; receive the transfer first.', 'device-in-transit', { stockTransferId: transferId });
    }
    if (!ATTACHABLE.includes(device.status)) {
      throw problems.conflict(`A ${device.status} device cannot be handed to a customer (only stored or shipped ones).`, 'device-not-available', {
        currentStatus: device.status,
      });
    }
    if (device.productId !== (options.productId ?? account.productId)) {
      throw problems.unprocessable('This device is not of the product the account financed.', 'product-mismatch', {
        deviceProductId: device.productId,
        accountProductId: options.productId ?? account.productId,
      });
    }
    const model = await DeviceModel.findByPk(device.deviceModelId, { attributes: ['id', 'code'], transaction: t });
    const installationDate = options.installationDate;
    const previous = await AccountDevice.findOne({ where: { accountId: account.id, deviceId: device.id }, transaction: t });
    const link = previous
      ? await previous.update({ status: 'active', installationDate }, { transaction: t })
      : await AccountDevice.create(
          {
            accountId: account.id,
            deviceId: device.id,
            deviceSerial: device.serialNumber,
            deviceType: model?.code ?? null,
            status: 'active',
            installationDate,
          },
          { transaction: t },
        );
    const before = { status: device.status, warehouseId: device.warehouseId };
    const now = new Date();
    await Device.update({ status: 'activated', warehouseId: null, activatedAt: device.activatedAt ?? now }, { where: { id: device.id }, transaction: t });
    Object.assign(device, { status: 'activated', warehouseId: null, activatedAt: device.activatedAt ?? now });
    await DeviceEvent.create(
      { deviceId: device.id, eventType: 'activated', payload: { accountId: account.id, from: before }, occurredAt: now, createdBy: actor.employeeId },
      { transaction: t },
    );
    // The unit leaves the stock that held it (a warehouse or the installing agent's own stock).
    if (before.warehouseId) {
      await deviceStock(t).move(t, [
        {
          warehouseId: before.warehouseId,
          productId: device.productId,
          deviceId: device.id,
          quantity: -1,
          movementType: 'sale',
          referenceType: 'accounts',
          referenceId: account.id,
          createdBy: actor.employeeId,
        },
      ]);
    }
    const visit = install ? await this.recordInstallationVisit(t, actor, account, install.input, installationDate, now) : null;

    // Credit already bought (e.g. the down payment before the unit was handed over) goes onto the device.
    let minted: MintedToken[] = [];
    const days = remainingDays(account.creditExpiresAt ?? null, now);
    if (device.openpaygoSecretKey && days > 0) {
      try {
        minted = await mintTokens(
          this.crypto,
          device,
          {
            type: 'SET_TIME',
            value: days,
            source: 'system',
            accountId: account.id,
            requestedBy: actor.employeeId,
            reason: 'attached to an account with credit',
          },
          t,
        );
      } catch (err) {
        if (!(err instanceof DeviceTokenError)) throw err;
        this.logger.error({ deviceId: device.id, code: err.code }, 'no token minted on attach');
      }
    }
    const sms = minted[0] ? await this.queueFirstTokenSms(t, account, minted[0]) : null;
    await this.audit(
      actor,
      install ? 'device.install' : 'device.attach',
      device.id,
      before,
      {
        accountId: account.id,
        accountDeviceId: link.id,
        status: 'activated',
        tokenIds: minted.map((m) => m.id),
        ...(sms ? { notificationId: sms.id } : {}),
        ...(visit ? { fieldVisitId: visit.visit.id, photos: visit.photos.length } : {}),
      },
      t,
    );
    return { link, device, account, minted, visit, sms };
  }

  /**
   * The first token goes to the customer by SMS (template token_resend) in the attach's own
   * transaction, so an installed device never waits for the next payment to get its token by
   * SMS. No phone or no template: the attach still stands (the token is in the answer and can be
   * resent), logged.
   */
  private async queueFirstTokenSms(t: Transaction, account: Account, token: MintedToken) {
    const customer = await Customer.findByPk(account.customerId, { attributes: ['id', 'firstName', 'phone', 'preferredLanguage'], transaction: t });
    if (!customer?.phone) return null;
    try {
      const queued = await enqueueNotification(
        {
          customerId: customer.id,
          accountId: account.id,
          channel: 'sms',
          recipient: customer.phone,
          templateCode: 'token_resend',
          language: customer.preferredLanguage,
          variables: { customerName: customer.firstName, accountNumber: account.accountNumber, token: spacedToken(token.token) },
          dedupeKey: `token-first:${token.id}`,
        },
        t,
      );
      return queued.notification;
    } catch (err) {
      if (!(err instanceof NotificationError)) throw err;
      this.logger.error({ accountId: account.id, tokenId: token.id, err: err.message }, 'first token SMS not queued');
      return null;
    }
  }

  private async recordInstallationVisit(t: Transaction, actor: ScopedActor, account: Account, input: InstallInput, day: string, now: Date) {
    const visit = await FieldVisit.create(
      {
        employeeId: actor.employeeId,
        customerId: account.customerId,
        accountId: account.id,
        purpose: 'installation',
        scheduledFor: day,
        visitedAt: now,
        latitude: input.latitude.toFixed(7),
        longitude: input.longitude.toFixed(7),
        outcome: 'installed',
        notes: input.notes ?? null,
      },
      { transaction: t },
    );
    const photos = input.photos.length
      ? await FieldVisitPhoto.bulkCreate(
          input.photos.map((p) => ({
            fieldVisitId: visit.id,
            reference: p.reference,
            mimeType: p.mimeType,
            sizeBytes: p.sizeBytes ?? null,
            sha256: p.sha256?.toLowerCase() ?? null,
            caption: p.caption ?? null,
            takenAt: p.takenAt ? new Date(p.takenAt) : null,
          })),
          { transaction: t },
        )
      : [];
    const stored = await FieldVisitPhoto.findAll({ where: { fieldVisitId: visit.id }, order: [['id', 'ASC']], transaction: t });
    return { visit, photos: photos.length ? stored : [] };
  }

  // --- installation by the agent who carries the device --------------------------------------

  /**
   * An agent installs a unit they carry (their own stock location) on an account they sold, in
   * their regions: the device is attached as by POST /accounts/{id}/devices (first token
   * included), leaves the agent's stock (a sale movement), and the visit is recorded with its GPS
   * fix and photo references. Another agent's sale is a 403; a unit not in the agent's stock a 409.
   */
  async install(actor: ScopedActor, accountId: number, input: InstallInput) {
    const head = await Account.findByPk(accountId, { attributes: ['id', 'regionId', 'agentId'] });
    if (!head || !inRegionScope(actor.scope, head.regionId)) throw problems.notFound('account');
    if (head.agentId !== null && head.agentId !== actor.employeeId) {
      throw problems.forbidden('This account was sold by another agent: only its seller installs its device.', 'not-your-sale');
    }
    const field = input.deviceId ? 'deviceId' : 'serialNumber';
    const found = input.deviceId
      ? await Device.findByPk(input.deviceId, { attributes: ['id', 'warehouseId'] })
      : await Device.findOne({ where: { serialNumber: input.serialNumber! }, attributes: ['id', 'warehouseId'] });
    if (!found) throw problems.validation([{ field, in: 'body', message: 'no such device' }]);
    const location = await Warehouse.findOne({ where: { employeeId: actor.employeeId }, attributes: ['id'] });
    if (!location || found.warehouseId !== location.id) {
      throw problems.conflict('This device is not in your stock: only a unit you carry can be installed.', 'not-in-your-stock');
    }
    return this.attach(actor, accountId, { deviceId: found.id, installationDate: input.installationDate }, { locationId: location.id, input });
  }

  // --- back into stock ------------------------------------------------------------------------

  /**
   * A unit comes back from the field into a warehouse (a faulty unit swapped, a unit taken back):
   * detached from its account (the link marked faulty or inactive), in the warehouse as stored or
   * in_repair, a return movement. The account keeps its credit: a replacement attached later gets
   * the remaining days as its first token.
   */
  async returnToStock(actor: ScopedActor, deviceId: number, input: ReturnInput) {
    const { link } = await this.visibleDevice(actor, deviceId);
    const warehouse = await Warehouse.findByPk(input.warehouseId, { attributes: ['id', 'regionId', 'isActive'] });
    if (!warehouse || !warehouse.isActive || !inRegionScope(actor.scope, warehouse.regionId)) {
      throw problems.validation([{ field: 'warehouseId', in: 'body', message: 'no active warehouse with this id' }]);
    }
    await withTransaction(this.sequelize, async (t) => {
      const account = link ? await Account.findByPk(link.accountId, { lock: t.LOCK.UPDATE, transaction: t }) : null;
      const device = (await lockDevice(deviceId, t))!;
      const current = await AccountDevice.findOne({ where: { deviceId, status: 'active' }, transaction: t });
      if ((current?.accountId ?? null) !== (account?.id ?? null))
        throw problems.conflict('The device was attached or detached meanwhile; try again.', 'device-changed');
      if (device.warehouseId !== null) throw problems.conflict('This device is already in stock.', 'already-in-stock', { warehouseId: device.warehouseId });
      if (await deviceStock(t).inTransit(t, deviceId))
        throw problems.conflict('This device is in transit; receive or cancel its transfer.', 'device-in-transit');
      const before = { status: device.status, warehouseId: device.warehouseId, accountId: current?.accountId ?? null };
      const status: DeviceStatus = input.faulty ? 'in_repair' : 'stored';
      if (current) await current.update({ status: input.faulty ? 'faulty' : 'inactive' }, { transaction: t });
      await Device.update({ status, warehouseId: warehouse.id }, { where: { id: deviceId }, transaction: t });
      await DeviceEvent.create(
        {
          deviceId,
          eventType: 'returned',
          payload: { warehouseId: warehouse.id, faulty: input.faulty, accountId: current?.accountId ?? null },
          occurredAt: new Date(),
          createdBy: actor.employeeId,
        },
        { transaction: t },
      );
      await deviceStock(t).move(t, [
        {
          warehouseId: warehouse.id,
          productId: device.productId,
          deviceId,
          quantity: 1,
          movementType: 'return',
          referenceType: current ? 'accounts' : null,
          referenceId: current?.accountId ?? null,
          note: `${input.faulty ? 'faulty: ' : ''}${input.reason}`,
          createdBy: actor.employeeId,
        },
      ]);
      await this.audit(actor, 'device.return', deviceId, before, { status, warehouseId: warehouse.id, faulty: input.faulty, reason: input.reason }, t);
    });
    return this.get(actor, deviceId);
  }

  // --- staff tokens --------------------------------------------------------------------------

  /**
   * A token minted by staff under the device lock (after the account's, when attached). ADD_TIME
   * and SET_TIME move the account's credit (creditDayEntries reason 'manual'), so the server's
   * view stays what the device will show; DISABLE_PAYG and COUNTER_SYNC do not.
   */
  async mintManual(actor: ScopedActor, deviceId: number, input: { type: DeviceTokenType; value?: number; reason: string }) {
    const { link } = await this.visibleDevice(actor, deviceId);
    const minted = await withTransaction(this.sequelize, async (t) => {
      const account = link ? await Account.findByPk(link.accountId, { lock: t.LOCK.UPDATE, transaction: t }) : null;
      const device = (await lockDevice(deviceId, t))!;
      // The link may have changed since it was read: the device lock settles it.
      const current = await AccountDevice.findOne({ where: { deviceId, status: 'active' }, attributes: ['accountId'], transaction: t });
      if ((current?.accountId ?? null) !== (account?.id ?? null))
        throw problems.conflict('The device was attached or detached meanwhile; try again.', 'device-changed');
      let tokens: MintedToken[];
      try {
        tokens = await mintTokens(
          this.crypto,
          device,
          {
            type: input.type,
            value: input.value ?? null,
            source: 'manual',
            accountId: account?.id ?? null,
            requestedBy: actor.employeeId,
            reason: input.reason,
          },
          t,
        );
      } catch (err) {
        if (!(err instanceof DeviceTokenError)) throw err;
        if (err.field === 'count') throw problems.unprocessable(`The device's token counter is exhausted: ${err.message}`, 'token-counter-exhausted');
        if (err.code === 'invalid-token-request' || err.code === 'too-many-days') {
          throw problems.validation([{ field: err.field === 'value' ? 'value' : 'type', in: 'body', message: err.message }]);
        }
        throw problems.unprocessable(err.message, err.code);
      }
      if (account && (input.type === 'ADD_TIME' || input.type === 'SET_TIME')) {
        const now = new Date();
        const value = input.value ?? 0;
        const before = account.creditExpiresAt ?? null;
        const expiry = wholeSeconds(
          input.type === 'ADD_TIME' ? Math.max(now.getTime(), before?.getTime() ?? 0) + value * DAY_MS : now.getTime() + value * DAY_MS,
        );
        const delta = input.type === 'ADD_TIME' ? value : value - remainingDays(before, now);
        await CreditDayEntry.create(
          { accountId: account.id, deviceId, days: delta, reason: 'manual', note: input.reason, createdBy: actor.employeeId, creditExpiresAt: expiry },
          { transaction: t },
        );
        await Account.update({ creditExpiresAt: expiry }, { where: { id: account.id }, transaction: t });
      }
      await this.audit(
        actor,
        'deviceToken.manual',
        deviceId,
        null,
        {
          tokenIds: tokens.map((m) => m.id),
          type: input.type,
          value: input.value ?? null,
          tokenCount: tokens.at(-1)!.tokenCount,
          accountId: account?.id ?? null,
          reason: input.reason,
        },
        t,
      );
      return tokens;
    });
    const rows = await DeviceToken.findAll({ where: { id: { [Op.in]: minted.map((m) => m.id) } }, order: [['tokenCount', 'ASC']] });
    return { tokens: rows.map(tokenView) };
  }

  /**
   * Sends the device's last token to the customer again by SMS; mints nothing. A resend of the
   * same token while an earlier one is still waiting to go out, or went out less than
   * RESEND_JOIN_MS ago, joins it (one SMS, not two): so a client retrying after a 503 (the job
   * queue did not answer after the SMS was committed) never sends the customer the same token
   * twice, even when the queue came back and sent it before the retry.
   */
  async resend(actor: ScopedActor, deviceId: number, reason: string) {
    const { device, link } = await this.visibleDevice(actor, deviceId);
    if (!link) throw problems.unprocessable('This device is not attached to an account: there is no customer to send its token to.', 'not-attached');
    const account = (await Account.findByPk(link.accountId, { attributes: ['id', 'accountNumber', 'customerId'] }))!;
    const customer = await Customer.findByPk(account.customerId, { attributes: ['id', 'firstName', 'phone', 'preferredLanguage'] });
    if (!customer?.phone) throw problems.unprocessable('The customer has no phone number to send the token to.', 'no-phone');
    const { notification, last } = await withTransaction(this.sequelize, async (t) => {
      // The device lock first: resends (and mints) of one device queue here, so two cannot both miss the pending one.
      await lockDevice(device.id, t);
      const last = await DeviceToken.findOne({ where: { deviceId }, order: [['tokenCount', 'DESC']], transaction: t });
      if (!last) throw problems.unprocessable('No token was ever minted for this device.', 'no-token');
      const keyPrefix = `token-resend:${last.id}:`;
      const earlier = await Notification.findAll({
        where: { dedupeKey: { [Op.like]: `${keyPrefix}%` } },
        attributes: ['id', 'status', 'recipient', 'dedupeKey', 'createdAt'],
        transaction: t,
      });
      const recent = Date.now() - RESEND_JOIN_MS;
      const joined = earlier.find((n) => n.status === 'pending' || n.status === 'sending' || (n.status === 'sent' && n.createdAt.getTime() > recent));
      if (joined) return { notification: joined, last };
      let queued;
      try {
        queued = await enqueueNotification(
          {
            customerId: customer.id,
            accountId: account.id,
            channel: 'sms',
            recipient: customer.phone,
            templateCode: 'token_resend',
            language: customer.preferredLanguage,
            variables: { customerName: customer.firstName, accountNumber: account.accountNumber, token: spacedToken(last.token) },
            dedupeKey: `${keyPrefix}${earlier.length + 1}`,
          },
          t,
        );
      } catch (err) {
        if (err instanceof NotificationError) throw problems.unprocessable(`The token SMS cannot be built: ${err.message}.`, 'no-template');
        throw err;
      }
      await this.audit(
        actor,
        'deviceToken.resend',
        device.id,
        null,
        { tokenId: last.id, tokenCount: last.tokenCount, notificationId: queued.notification.id, accountId: account.id, reason },
        t,
      );
      return { notification: queued.notification, last };
    });
    if (this.queue) {
      try {
        await requestSend(this.queue);
      } catch (err) {
        // Committed: the minute's send round delivers it once the queue is back; a retry joins this SMS.
        this.logger.warn({ err: (err as Error).message, notificationId: notification.id }, 'could not ask for an SMS round');
        throw redisUnavailable(
          `The SMS (notification ${notification.id}) is saved and goes out once the job queue (Redis) answers again; retrying will not send it twice.`,
        );
      }
    }
    return { notificationId: notification.id, status: notification.status, tokenId: last.id, tokenCount: last.tokenCount, recipient: notification.recipient };
  }

  private async audit(
    actor: ScopedActor,
    action: string,
    deviceId: number,
    before: Record<string, unknown> | null,
    after: Record<string, unknown>,
    t: Transaction,
  ) {
    await audit.record(t, { actor, action, entity: 'devices', entityId: deviceId, before, after });
  }
}
