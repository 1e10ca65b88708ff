import { Op, UniqueConstraintError, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import type { ScopedActor } from '../../platform/auth/actor';
import { inRegionScope, type RegionScope } from '../../platform/auth/principal';
import type { AppContext } from '../../platform/context';
import { dataCrypto, type DataCrypto } from '../../platform/crypto';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, pageOf, type Paged } from '../../platform/http/pagination';
import { HttpProblem, problems, type FieldError } from '../../platform/http/problem';
import { Decimal, toMoneyString } from '../../platform/money';
import { audit } from '../audit/audit';
import { Product } from '../catalogue/models';
import { Device, DeviceEvent, DeviceModel } from '../devices/models';
import { encryptDeviceKey } from '../devices/tokens';
import { parseCsvText } from '../../platform/csv';
import { Warehouse } from '../organisation/reference.models';
import { PurchaseOrder, PurchaseOrderItem, Supplier, type PurchaseOrderStatus } from './models';
import { applyMovements, type MovementInput } from './stock';

export interface PurchaseOrderLineInput {
  productId: number;
  deviceModelId?: number;
  quantity: number;
  unitCost: string;
}

export interface CreatePurchaseOrderInput {
  supplierId: number;
  warehouseId: number;
  expectedAt?: string;
  currency?: string;
  notes?: string;
  items: PurchaseOrderLineInput[];
}

export interface ReceivedUnit {
  serialNumber: string;
  openpaygoSecretKey?: string;
  startingCode?: number;
  firmwareVersion?: string;
}

export interface ReceiptLineInput {
  purchaseOrderItemId: number;
  /** Units of a line without a device model (not serialised). */
  quantity?: number;
  /** Serialised units of a line with a device model: one per unit. */
  devices?: ReceivedUnit[];
}

export interface PurchaseOrderListQuery {
  status?: PurchaseOrderStatus;
  supplierId?: number;
  warehouseId?: number;
  limit: number;
  cursor?: string;
}

/** Receipt rows kept per answer: enough to fix a file, bounded so a bad upload cannot flood the answer. */
const MAX_ERRORS = 100;
const HEX32 = /^[0-9a-fA-F]{32}$/;
const MAX_STARTING_CODE = 999_999_999;

/** The purchase order as the API shows it, with its lines. */
export function purchaseOrderView(po: PurchaseOrder, items: PurchaseOrderItem[]) {
  return {
    id: po.id,
    orderNumber: po.orderNumber,
    supplierId: po.supplierId,
    warehouseId: po.warehouseId ?? null,
    status: po.status,
    orderedAt: po.orderedAt ? po.orderedAt.toISOString() : null,
    expectedAt: po.expectedAt ?? null,
    totalAmount: toMoneyString(po.totalAmount),
    currency: po.currency ?? null,
    notes: po.notes ?? null,
    createdBy: po.createdBy,
    items: items.map((i) => ({
      id: i.id,
      productId: i.productId,
      deviceModelId: i.deviceModelId ?? null,
      quantity: i.quantity,
      receivedQuantity: i.receivedQuantity,
      unitCost: toMoneyString(i.unitCost),
    })),
    createdAt: po.createdAt.toISOString(),
    updatedAt: po.updatedAt.toISOString(),
  };
}

const receiptRejected = (errors: FieldError[], detail: string) => new HttpProblem(422, detail, { type: 'receipt-rejected', extensions: { errors } });

/**
 * Purchase orders from suppliers: draft -> ordered -> partially_received -> received (or
 * cancelled before anything arrived). Receiving registers each serialised unit as a device in the
 * order's warehouse (its OpenPAYGO key encrypted as POST /devices does), raises the warehouse's
 * stock and writes one stockMovements row per unit; either the whole receipt is taken or nothing.
 * Region scope: through the order's warehouse (another region's order is a 404).
 */
export class PurchaseOrderService {
  private readonly sequelize: Sequelize;
  private readonly crypto: DataCrypto;

  constructor(ctx: Pick<AppContext, 'sequelize' | 'config'>) {
    this.sequelize = ctx.sequelize;
    this.crypto = dataCrypto(ctx.config.dataEncryptionKey);
  }

  private async warehouseInScope(scope: RegionScope, id: number | null): Promise<Warehouse | null> {
    if (!id) return null;
    const w = await Warehouse.findByPk(id);
    return w && inRegionScope(scope, w.regionId) ? w : null;
  }

  private async visible(actor: ScopedActor, id: number): Promise<PurchaseOrder> {
    const po = await PurchaseOrder.findByPk(id);
    if (!po) throw problems.notFound('purchase order');
    if (!actor.scope.all && !(await this.warehouseInScope(actor.scope, po.warehouseId))) throw problems.notFound('purchase order');
    return po;
  }

  private async view(po: PurchaseOrder, t?: Transaction) {
    const items = await PurchaseOrderItem.findAll({ where: { purchaseOrderId: po.id }, order: [['id', 'ASC']], transaction: t });
    return purchaseOrderView(po, items);
  }

  async get(actor: ScopedActor, id: number) {
    return this.view(await this.visible(actor, id));
  }

  async list(actor: ScopedActor, q: PurchaseOrderListQuery): Promise<Paged<ReturnType<typeof purchaseOrderView>>> {
    const where: WhereOptions[] = [];
    if (q.status) where.push({ status: q.status });
    if (q.supplierId) where.push({ supplierId: q.supplierId });
    if (q.warehouseId) where.push({ warehouseId: q.warehouseId });
    if (!actor.scope.all) {
      const ws = await Warehouse.findAll({ where: { regionId: { [Op.in]: [...actor.scope.regionIds] } }, attributes: ['id'] });
      where.push({ warehouseId: { [Op.in]: ws.map((w) => w.id) } });
    }
    if (q.cursor) where.push({ id: { [Op.lt]: decodeIdCursor(q.cursor) } });
    const rows = await PurchaseOrder.findAll({ where: { [Op.and]: where }, order: [['id', 'DESC']], limit: q.limit + 1 });
    const page = pageOf(rows, q.limit, (last) => [last.id]);
    const items = await PurchaseOrderItem.findAll({ where: { purchaseOrderId: { [Op.in]: page.data.map((p) => p.id) } }, order: [['id', 'ASC']] });
    return {
      data: page.data.map((p) =>
        purchaseOrderView(
          p,
          items.filter((i) => i.purchaseOrderId === p.id),
        ),
      ),
      page: page.page,
    };
  }

  async create(actor: ScopedActor, input: CreatePurchaseOrderInput) {
    const errors: FieldError[] = [];
    const [supplier, warehouse] = await Promise.all([Supplier.findByPk(input.supplierId), this.warehouseInScope(actor.scope, input.warehouseId)]);
    if (!supplier || !supplier.isActive) errors.push({ field: 'supplierId', in: 'body', message: 'no active supplier with this id' });
    if (!warehouse || !warehouse.isActive) errors.push({ field: 'warehouseId', in: 'body', message: 'no active warehouse with this id' });
    else if (warehouse.employeeId)
      errors.push({ field: 'warehouseId', in: 'body', message: "an agent's stock location receives transfers, not purchase orders" });
    const productIds = [...new Set(input.items.map((i) => i.productId))];
    const modelIds = [...new Set(input.items.flatMap((i) => (i.deviceModelId ? [i.deviceModelId] : [])))];
    const [products, models] = await Promise.all([
      Product.findAll({ where: { id: { [Op.in]: productIds } }, attributes: ['id'] }),
      DeviceModel.findAll({ where: { id: { [Op.in]: modelIds } }, attributes: ['id', 'isActive'] }),
    ]);
    input.items.forEach((item, i) => {
      if (!products.some((p) => p.id === item.productId)) errors.push({ field: `items[${i}].productId`, in: 'body', message: 'no product with this id' });
      if (item.deviceModelId && !models.some((m) => m.id === item.deviceModelId && m.isActive))
        errors.push({ field: `items[${i}].deviceModelId`, in: 'body', message: 'no active device model with this id' });
    });
    if (errors.length) throw problems.validation(errors, 'The purchase order cannot be created as given.');
    const total = input.items.reduce((sum, i) => sum.plus(new Decimal(i.unitCost).times(i.quantity)), new Decimal(0));

    const po = await withTransaction(this.sequelize, async (t) => {
      const created = await PurchaseOrder.create(
        {
          supplierId: input.supplierId,
          // A placeholder unique per attempt; the number is derived from the id just below.
          orderNumber: `PO-NEW-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`,
          status: 'draft',
          warehouseId: input.warehouseId,
          expectedAt: input.expectedAt ?? null,
          totalAmount: toMoneyString(total),
          currency: input.currency ?? null,
          notes: input.notes ?? null,
          createdBy: actor.employeeId,
        },
        { transaction: t },
      );
      await created.update({ orderNumber: `PO-${String(created.id).padStart(6, '0')}` }, { transaction: t });
      await PurchaseOrderItem.bulkCreate(
        input.items.map((i) => ({
          purchaseOrderId: created.id,
          productId: i.productId,
          deviceModelId: i.deviceModelId ?? null,
          quantity: i.quantity,
          unitCost: toMoneyString(i.unitCost),
        })),
        { transaction: t },
      );
      await audit.record(t, {
        actor,
        action: 'purchaseOrder.create',
        entity: 'purchaseOrders',
        entityId: created.id,
        before: null,
        after: { supplierId: created.supplierId, warehouseId: created.warehouseId, totalAmount: created.totalAmount, lines: input.items.length },
      });
      return created;
    });
    return this.view(po);
  }

  /** draft -> ordered, or draft/ordered -> cancelled (nothing received yet). */
  async transition(actor: ScopedActor, id: number, to: 'ordered' | 'cancelled') {
    await this.visible(actor, id);
    const po = await withTransaction(this.sequelize, async (t) => {
      const locked = (await PurchaseOrder.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      const allowed: readonly PurchaseOrderStatus[] = to === 'ordered' ? ['draft'] : ['draft', 'ordered'];
      if (!allowed.includes(locked.status)) {
        throw problems.conflict(`A ${locked.status} purchase order cannot become ${to}.`, 'purchase-order-status', { currentStatus: locked.status });
      }
      const before = { status: locked.status };
      await locked.update({ status: to, ...(to === 'ordered' ? { orderedAt: new Date() } : {}) }, { transaction: t });
      await audit.record(t, {
        actor,
        action: `purchaseOrder.${to === 'ordered' ? 'order' : 'cancel'}`,
        entity: 'purchaseOrders',
        entityId: id,
        before,
        after: { status: to },
      });
      return locked;
    });
    return this.view(po);
  }

  /**
   * Reads a CSV of received units: header `purchaseOrderItemId,serialNumber,openpaygoSecretKey`
   * (optional columns startingCode, firmwareVersion; a line without a device model takes a
   * `quantity` column instead of a serial). Every bad row is named (row = line in the file).
   */
  parseReceiptCsv(text: string, maxRows: number): { lines: ReceiptLineInput[]; rowOf: Map<string, number> } {
    const rows = parseCsvText(text, 'The receipt file is not valid CSV; nothing was received.');
    const errors: FieldError[] = [];
    if (!rows.length) throw problems.validation([{ field: 'body', in: 'body', message: 'the file is empty' }]);
    if (rows.length - 1 > maxRows) throw problems.validation([{ field: 'body', in: 'body', message: `at most ${maxRows} rows per file` }]);
    const header = rows[0]!.fields.map((h) =>
      h
        .trim()
        .replace(/[\s_-]+/g, '')
        .toLowerCase(),
    );
    const col = (name: string) => header.indexOf(name.toLowerCase());
    const iItem = col('purchaseOrderItemId');
    const iSerial = col('serialNumber');
    const iKey = col('openpaygoSecretKey');
    const iCode = col('startingCode');
    const iFirmware = col('firmwareVersion');
    const iQty = col('quantity');
    if (iItem < 0) errors.push({ field: 'purchaseOrderItemId', in: 'body', message: 'the header names no purchaseOrderItemId column' });
    if (iSerial < 0 && iQty < 0) errors.push({ field: 'serialNumber', in: 'body', message: 'the header names neither a serialNumber nor a quantity column' });
    if (errors.length) throw problems.validation(errors, 'The receipt file has no usable header.');
    const byItem = new Map<number, ReceiptLineInput>();
    const rowOf = new Map<string, number>();
    for (const { line, fields } of rows.slice(1)) {
      const cell = (i: number) => (i >= 0 ? (fields[i] ?? '').trim() : '');
      const bad = (field: string, message: string) => errors.push({ field: `row ${line}: ${field}`, in: 'body', message });
      const itemId = Number(cell(iItem));
      if (!Number.isSafeInteger(itemId) || itemId <= 0) {
        bad('purchaseOrderItemId', 'not an id');
        continue;
      }
      const entry = byItem.get(itemId) ?? { purchaseOrderItemId: itemId };
      byItem.set(itemId, entry);
      const serial = cell(iSerial);
      const qty = cell(iQty);
      if (serial) {
        if (serial.length > 100) bad('serialNumber', 'longer than 100 characters');
        const key = cell(iKey);
        const code = cell(iCode);
        const firmware = cell(iFirmware);
        if (key && !HEX32.test(key)) bad('openpaygoSecretKey', 'must be 32 hexadecimal characters');
        if (code && (!/^\d{1,9}$/.test(code) || Number(code) > MAX_STARTING_CODE)) bad('startingCode', 'must be a whole number of up to 9 digits');
        if (firmware.length > 50) bad('firmwareVersion', 'longer than 50 characters');
        const unit: ReceivedUnit = { serialNumber: serial, ...(key ? { openpaygoSecretKey: key } : {}), ...(code ? { startingCode: Number(code) } : {}) };
        if (firmware) unit.firmwareVersion = firmware;
        (entry.devices ??= []).push(unit);
        rowOf.set(`${itemId}:${serial}`, line);
      } else if (qty) {
        if (!/^\d{1,6}$/.test(qty) || Number(qty) < 1) bad('quantity', 'must be a whole number from 1');
        else entry.quantity = (entry.quantity ?? 0) + Number(qty);
      } else bad('serialNumber', 'a row needs a serialNumber (or a quantity for a line that is not serialised)');
      if (errors.length >= MAX_ERRORS) break;
    }
    if (errors.length) throw problems.validation(errors, 'The receipt file has bad rows; nothing was received.');
    if (!byItem.size) throw problems.validation([{ field: 'body', in: 'body', message: 'the file has a header but no rows' }]);
    return { lines: [...byItem.values()], rowOf };
  }

  /**
   * Receives units against the order's lines, all or nothing. Checked before anything is written,
   * every problem named: lines of another order, serials repeated or already registered, a key
   * missing or not wanted, more units than the line still awaits (a 422 naming each). The order is
   * locked first, so two receipts of one order queue and never together exceed what was ordered.
   */
  async receive(actor: ScopedActor, id: number, lines: ReceiptLineInput[], rowOf?: Map<string, number>) {
    await this.visible(actor, id);
    const where = (line: number, field: string, unitIndex?: number, serial?: string) => {
      if (rowOf && serial !== undefined) return `row ${rowOf.get(`${lines[line]!.purchaseOrderItemId}:${serial}`) ?? '?'}: ${field}`;
      if (rowOf) return `purchaseOrderItemId ${lines[line]!.purchaseOrderItemId}: ${field}`;
      return unitIndex === undefined ? `lines[${line}].${field}` : `lines[${line}].devices[${unitIndex}].${field}`;
    };
    const serials = lines.flatMap((l) => (l.devices ?? []).map((d) => d.serialNumber));
    const taken = new Set(
      serials.length ? (await Device.findAll({ where: { serialNumber: { [Op.in]: serials } }, attributes: ['serialNumber'] })).map((d) => d.serialNumber) : [],
    );

    try {
      const result = await withTransaction(this.sequelize, async (t) => {
        const po = (await PurchaseOrder.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
        if (po.status !== 'ordered' && po.status !== 'partially_received') {
          throw problems.conflict(`A ${po.status} purchase order takes no receipts (only ordered or partially received ones).`, 'purchase-order-status', {
            currentStatus: po.status,
          });
        }
        if (!po.warehouseId) throw problems.conflict('The purchase order names no warehouse to receive into.', 'purchase-order-warehouse');
        const items = await PurchaseOrderItem.findAll({ where: { purchaseOrderId: id }, order: [['id', 'ASC']], transaction: t });
        const models = await DeviceModel.findAll({
          where: { id: { [Op.in]: items.flatMap((i) => (i.deviceModelId ? [i.deviceModelId] : [])) } },
          attributes: ['id', 'supportsOpenPaygo'],
          transaction: t,
        });
        const errors: FieldError[] = [];
        const seen = new Set<string>();
        const wanted = new Map<number, number>();
        lines.forEach((line, li) => {
          const item = items.find((i) => i.id === line.purchaseOrderItemId);
          if (!item) {
            errors.push({ field: where(li, 'purchaseOrderItemId'), in: 'body', message: 'not a line of this purchase order' });
            return;
          }
          let count: number;
          if (item.deviceModelId) {
            const model = models.find((m) => m.id === item.deviceModelId);
            if (!line.devices?.length || line.quantity !== undefined) {
              errors.push({
                field: where(li, 'devices'),
                in: 'body',
                message: 'a line with a device model is received unit by unit, each with its serial number',
              });
              return;
            }
            line.devices.forEach((unit, ui) => {
              const at = (field: string) => where(li, field, ui, unit.serialNumber);
              if (seen.has(unit.serialNumber))
                errors.push({ field: at('serialNumber'), in: 'body', message: 'this serial number appears twice in the receipt' });
              seen.add(unit.serialNumber);
              if (taken.has(unit.serialNumber))
                errors.push({ field: at('serialNumber'), in: 'body', message: 'a device with this serial number is already registered' });
              if (model?.supportsOpenPaygo && !unit.openpaygoSecretKey)
                errors.push({ field: at('openpaygoSecretKey'), in: 'body', message: 'this device model takes OpenPAYGO tokens: its secret key is required' });
              if (model && !model.supportsOpenPaygo && (unit.openpaygoSecretKey || unit.startingCode !== undefined))
                errors.push({ field: at('openpaygoSecretKey'), in: 'body', message: 'this device model does not take OpenPAYGO tokens' });
            });
            count = line.devices.length;
          } else {
            if (line.devices?.length || !line.quantity) {
              errors.push({ field: where(li, 'quantity'), in: 'body', message: 'a line without a device model is received by quantity' });
              return;
            }
            count = line.quantity;
          }
          const total = (wanted.get(item.id) ?? 0) + count;
          wanted.set(item.id, total);
          if (item.receivedQuantity + total > item.quantity) {
            errors.push({
              field: where(li, item.deviceModelId ? 'devices' : 'quantity'),
              in: 'body',
              message: `more than ordered: line ${item.id} ordered ${item.quantity}, ${item.receivedQuantity} already received, ${total} in this receipt`,
            });
          }
        });
        if (errors.length) throw receiptRejected(errors.slice(0, MAX_ERRORS), 'The receipt cannot be taken as given; nothing was received.');

        const warehouseId = po.warehouseId;
        const now = new Date();
        const movements: MovementInput[] = [];
        const created: Device[] = [];
        for (const line of lines) {
          const item = items.find((i) => i.id === line.purchaseOrderItemId)!;
          if (item.deviceModelId) {
            const devices = await Device.bulkCreate(
              line.devices!.map((unit) => ({
                serialNumber: unit.serialNumber,
                deviceModelId: item.deviceModelId!,
                productId: item.productId,
                warehouseId,
                supplierId: po.supplierId,
                purchaseOrderId: po.id,
                purchaseOrderItemId: item.id,
                status: 'stored' as const,
                openpaygoSecretKey: unit.openpaygoSecretKey ? encryptDeviceKey(this.crypto, unit.openpaygoSecretKey) : null,
                startingCode: unit.startingCode ?? null,
                firmwareVersion: unit.firmwareVersion ?? null,
              })),
              { transaction: t },
            );
            // bulkCreate gives ids back on MySQL and SQLite alike: read them by serial to be sure.
            const rows = await Device.findAll({ where: { serialNumber: { [Op.in]: devices.map((d) => d.serialNumber) } }, transaction: t });
            created.push(...rows);
            for (const d of rows) {
              movements.push({
                warehouseId,
                productId: item.productId,
                deviceId: d.id,
                quantity: 1,
                movementType: 'receipt',
                referenceType: 'purchaseOrders',
                referenceId: po.id,
                createdBy: actor.employeeId,
              });
            }
          } else {
            movements.push({
              warehouseId,
              productId: item.productId,
              quantity: line.quantity!,
              movementType: 'receipt',
              referenceType: 'purchaseOrders',
              referenceId: po.id,
              createdBy: actor.employeeId,
            });
          }
          await PurchaseOrderItem.update({ receivedQuantity: item.receivedQuantity + (wanted.get(item.id) ?? 0) }, { where: { id: item.id }, transaction: t });
          item.receivedQuantity += wanted.get(item.id) ?? 0;
          wanted.delete(item.id);
        }
        if (created.length) {
          await DeviceEvent.bulkCreate(
            created.map((d) => ({
              deviceId: d.id,
              eventType: 'received',
              payload: { purchaseOrderId: po.id, warehouseId },
              occurredAt: now,
              createdBy: actor.employeeId,
            })),
            { transaction: t },
          );
        }
        await applyMovements(t, movements);
        const complete = items.every((i) => i.receivedQuantity >= i.quantity);
        const before = { status: po.status };
        await po.update({ status: complete ? 'received' : 'partially_received' }, { transaction: t });
        await audit.record(t, {
          actor,
          action: 'purchaseOrder.receive',
          entity: 'purchaseOrders',
          entityId: po.id,
          before,
          after: {
            status: po.status,
            warehouseId,
            units: movements.reduce((n, m) => n + m.quantity, 0),
            deviceIds: created.map((d) => d.id),
            serialNumbers: created.map((d) => d.serialNumber),
          },
        });
        return { po, deviceIds: created.map((d) => d.id) };
      });
      return {
        purchaseOrder: await this.view(result.po),
        received: { deviceIds: result.deviceIds, units: lines.reduce((n, l) => n + (l.devices?.length ?? l.quantity ?? 0), 0) },
      };
    } catch (err) {
      // A serial registered between the check and the insert.
      if (err instanceof UniqueConstraintError)
        throw problems.conflict('A device with one of these serial numbers was registered meanwhile; nothing was received.', 'duplicate', {
          fields: ['serialNumber'],
        });
      throw err;
    }
  }
}
