import { Op, UniqueConstraintError, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import type { ScopedActor } from '../../platform/auth/actor';
import { inRegionScope } from '../../platform/auth/principal';
import type { AppContext } from '../../platform/context';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, pageOf, type Paged } from '../../platform/http/pagination';
import { problems, type FieldError } from '../../platform/http/problem';
import { Employee, EmployeeRegion } from '../access/models';
import { audit } from '../audit/audit';
import { Device, DeviceEvent } from '../devices/models';
import { Warehouse } from '../organisation/reference.models';
import { StockTransfer, StockTransferItem, type StockTransferStatus } from './models';
import { applyMovements, lockDeviceRows, type DeviceRow, type MovementInput } from './stock';

export interface DispatchInput {
  fromWarehouseId: number;
  toWarehouseId?: number;
  /** Send to a field agent: their own stock location (created on the first transfer to them). */
  toEmployeeId?: number;
  deviceIds: number[];
  /** Units sent back because they do not work: they travel and arrive in_repair. */
  faulty?: boolean;
  notes?: string;
}

export interface TransferListQuery {
  status?: StockTransferStatus;
  warehouseId?: number;
  limit: number;
  cursor?: string;
}

/** Statuses a unit can leave a stock location in. */
const MOVABLE = ['stored', 'in_repair'];

export function transferView(tr: StockTransfer, items: StockTransferItem[]) {
  return {
    id: tr.id,
    transferNumber: tr.transferNumber,
    fromWarehouseId: tr.fromWarehouseId,
    toWarehouseId: tr.toWarehouseId,
    status: tr.status,
    shippedAt: tr.shippedAt ? tr.shippedAt.toISOString() : null,
    receivedAt: tr.receivedAt ? tr.receivedAt.toISOString() : null,
    notes: tr.notes ?? null,
    createdBy: tr.createdBy,
    receivedBy: tr.receivedBy ?? null,
    items: items.map((i) => ({ id: i.id, productId: i.productId, deviceId: i.deviceId ?? null, quantity: i.quantity, inTransit: i.inTransitDeviceId != null })),
    createdAt: tr.createdAt.toISOString(),
    updatedAt: tr.updatedAt.toISOString(),
  };
}

/**
 * Transfers of serialised units: warehouse -> warehouse, warehouse -> a field agent's own stock
 * location, and back (returns, faulty units). Dispatch takes the units out of the source at once
 * (transfer_out movements, devices.warehouseId NULL, the unit held by the open transfer item whose
 * inTransitDeviceId is unique); receiving puts them in the destination (transfer_in); cancelling
 * puts them back in the source. Every change locks its devices first: of two transfers of one unit
 * at once, the second finds it gone (409), and the unique key stops it even if a path forgot to lock.
 */
export class TransferService {
  private readonly sequelize: Sequelize;

  constructor(ctx: Pick<AppContext, 'sequelize'>) {
    this.sequelize = ctx.sequelize;
  }

  /** The agent's own stock location, created (in the region given) the first time. */
  async agentLocation(employeeId: number, regionId: number | null): Promise<Warehouse | null> {
    const existing = await Warehouse.findOne({ where: { employeeId } });
    if (existing || regionId === null) return existing;
    const employee = await Employee.findByPk(employeeId, { attributes: ['id', 'firstName', 'lastName', 'employeeCode'] });
    if (!employee) return null;
    try {
      return await Warehouse.create({
        name: `Agent stock: ${employee.firstName} ${employee.lastName} (${employee.employeeCode})`.slice(0, 255),
        code: `AGENT-${employee.id}`,
        regionId,
        employeeId,
      });
    } catch (err) {
      // Two first transfers to the same agent at once: the unique key on employeeId keeps one.
      if (err instanceof UniqueConstraintError) return Warehouse.findOne({ where: { employeeId } });
      throw err;
    }
  }

  private async visible(actor: ScopedActor, id: number): Promise<StockTransfer> {
    const tr = await StockTransfer.findByPk(id);
    if (!tr) throw problems.notFound('stock transfer');
    if (!actor.scope.all) {
      const ws = await Warehouse.findAll({ where: { id: { [Op.in]: [tr.fromWarehouseId, tr.toWarehouseId] } }, attributes: ['id', 'regionId'] });
      if (!ws.some((w) => inRegionScope(actor.scope, w.regionId))) throw problems.notFound('stock transfer');
    }
    return tr;
  }

  private async view(tr: StockTransfer, t?: Transaction) {
    const items = await StockTransferItem.findAll({ where: { stockTransferId: tr.id }, order: [['id', 'ASC']], transaction: t });
    return transferView(tr, items);
  }

  async get(actor: ScopedActor, id: number) {
    return this.view(await this.visible(actor, id));
  }

  async list(actor: ScopedActor, q: TransferListQuery): Promise<Paged<ReturnType<typeof transferView>>> {
    const where: WhereOptions[] = [];
    if (q.status) where.push({ status: q.status });
    if (q.warehouseId) where.push({ [Op.or]: [{ fromWarehouseId: q.warehouseId }, { toWarehouseId: q.warehouseId }] });
    if (!actor.scope.all) {
      const ids = (await Warehouse.findAll({ where: { regionId: { [Op.in]: [...actor.scope.regionIds] } }, attributes: ['id'] })).map((w) => w.id);
      where.push({ [Op.or]: [{ fromWarehouseId: { [Op.in]: ids } }, { toWarehouseId: { [Op.in]: ids } }] });
    }
    if (q.cursor) where.push({ id: { [Op.lt]: decodeIdCursor(q.cursor) } });
    const rows = await StockTransfer.findAll({ where: { [Op.and]: where }, order: [['id', 'DESC']], limit: q.limit + 1 });
    const page = pageOf(rows, q.limit, (last) => [last.id]);
    const items = await StockTransferItem.findAll({ where: { stockTransferId: { [Op.in]: page.data.map((p) => p.id) } }, order: [['id', 'ASC']] });
    return {
      data: page.data.map((p) =>
        transferView(
          p,
          items.filter((i) => i.stockTransferId === p.id),
        ),
      ),
      page: page.page,
    };
  }

  /**
   * Dispatches units from a warehouse the caller sees. `ownStockOnly`: the caller is an agent
   * sending back what they carry (their own location is the only source they may name).
   */
  async dispatch(actor: ScopedActor, input: DispatchInput, options: { ownStockOnly?: boolean } = {}) {
    const errors: FieldError[] = [];
    const from = await Warehouse.findByPk(input.fromWarehouseId);
    const fromVisible = !!from && (options.ownStockOnly ? from.employeeId === actor.employeeId : inRegionScope(actor.scope, from.regionId));
    if (!from || !fromVisible) errors.push({ field: 'fromWarehouseId', in: 'body', message: 'no warehouse with this id' });
    let to: Warehouse | null = null;
    if (input.toEmployeeId) {
      const agent = await Employee.findByPk(input.toEmployeeId, { attributes: ['id', 'isActive'] });
      const regions = agent ? (await EmployeeRegion.findAll({ where: { employeeId: agent.id }, attributes: ['regionId'] })).map((r) => r.regionId) : [];
      const existing = agent ? await Warehouse.findOne({ where: { employeeId: agent.id } }) : null;
      const regionId = existing?.regionId ?? from?.regionId ?? null;
      if (!agent || !agent.isActive) errors.push({ field: 'toEmployeeId', in: 'body', message: 'no active employee with this id' });
      else if (regionId === null || !regions.includes(regionId))
        errors.push({ field: 'toEmployeeId', in: 'body', message: 'the employee does not cover the region of this stock (or of their stock location)' });
      else if (from && fromVisible) to = await this.agentLocation(agent.id, regionId);
    } else if (input.toWarehouseId) {
      to = await Warehouse.findByPk(input.toWarehouseId);
      if (!to || !to.isActive) errors.push({ field: 'toWarehouseId', in: 'body', message: 'no active warehouse with this id' });
      else if (options.ownStockOnly && to.employeeId)
        errors.push({ field: 'toWarehouseId', in: 'body', message: "returns go to a warehouse, not to an agent's stock" });
    }
    if (to && from && to.id === from.id)
      errors.push({ field: input.toEmployeeId ? 'toEmployeeId' : 'toWarehouseId', in: 'body', message: 'the destination is the source' });
    const found = await Device.findAll({ where: { id: { [Op.in]: input.deviceIds } }, attributes: ['id'] });
    input.deviceIds.forEach((id, i) => {
      if (!found.some((d) => d.id === id)) errors.push({ field: `deviceIds[${i}]`, in: 'body', message: 'no such device' });
    });
    if (errors.length || !from || !to) throw problems.validation(errors, 'The transfer cannot be made as given.');
    const destination = to;

    const transfer = await withTransaction(this.sequelize, async (t) => {
      const devices = await lockDeviceRows(t, input.deviceIds);
      const elsewhere = [...devices.values()].filter((d) => d.warehouseId !== from.id || !MOVABLE.includes(d.status));
      if (elsewhere.length) {
        throw problems.conflict(`Not every unit is in stock at ${from.code}: it was moved, installed or is in transit.`, 'device-not-here', {
          deviceIds: elsewhere.map((d) => d.id),
        });
      }
      const tr = await StockTransfer.create(
        {
          fromWarehouseId: from.id,
          toWarehouseId: destination.id,
          transferNumber: `TR-NEW-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`,
          status: 'in_transit',
          shippedAt: new Date(),
          notes: input.notes ?? null,
          createdBy: actor.employeeId!,
        },
        { transaction: t },
      );
      await tr.update({ transferNumber: `TR-${String(tr.id).padStart(6, '0')}` }, { transaction: t });
      const rows = [...devices.values()];
      // The unique key on inTransitDeviceId: a unit in another open transfer fails here whatever the path.
      await StockTransferItem.bulkCreate(
        rows.map((d) => ({ stockTransferId: tr.id, productId: d.productId, deviceId: d.id, inTransitDeviceId: d.id, quantity: 1 })),
        { transaction: t },
      );
      await this.moveDevices(t, rows, null, input.faulty ? 'in_repair' : (d) => (d.status === 'in_repair' ? 'in_repair' : 'shipped'), actor, 'dispatched', tr);
      await applyMovements(
        t,
        rows.map((d) => ({
          warehouseId: from.id,
          productId: d.productId,
          deviceId: d.id,
          quantity: -1,
          movementType: 'transfer_out',
          referenceType: 'stockTransfers',
          referenceId: tr.id,
          note: input.faulty ? 'faulty' : null,
          createdBy: actor.employeeId,
        })),
      );
      await audit.record(t, {
        actor,
        action: 'stockTransfer.dispatch',
        entity: 'stockTransfers',
        entityId: tr.id,
        before: null,
        after: { fromWarehouseId: from.id, toWarehouseId: destination.id, deviceIds: rows.map((d) => d.id), faulty: !!input.faulty, status: 'in_transit' },
      });
      return tr;
    });
    return this.view(transfer);
  }

  /**
   * Receives (into the destination) or cancels (back into the source) a transfer in transit.
   * `ownStockOnly`: the caller (an agent) receives into their own stock location only.
   */
  async close(actor: ScopedActor, id: number, outcome: 'received' | 'cancelled', options: { ownStockOnly?: boolean } = {}) {
    let head: StockTransfer;
    if (options.ownStockOnly) {
      head = (await StockTransfer.findByPk(id))!;
      const mine = head ? await Warehouse.findOne({ where: { id: head.toWarehouseId, employeeId: actor.employeeId } }) : null;
      if (!head || !mine) throw problems.notFound('stock transfer');
    } else {
      head = await this.visible(actor, id);
      // Receiving is the destination's business, cancelling the source's.
      const side = await Warehouse.findByPk(outcome === 'received' ? head.toWarehouseId : head.fromWarehouseId, { attributes: ['id', 'regionId'] });
      if (!side || !inRegionScope(actor.scope, side.regionId)) {
        throw problems.forbidden(
          `Only staff of the ${outcome === 'received' ? 'destination' : 'source'} warehouse's region can ${outcome === 'received' ? 'receive' : 'cancel'} this transfer.`,
        );
      }
    }
    const transfer = await withTransaction(this.sequelize, async (t) => {
      const tr = (await StockTransfer.findByPk(head.id, { lock: t.LOCK.UPDATE, transaction: t }))!;
      if (tr.status !== 'in_transit') {
        throw problems.conflict(`The transfer is ${tr.status}; only one in transit can be ${outcome}.`, 'transfer-status', { currentStatus: tr.status });
      }
      const items = await StockTransferItem.findAll({ where: { stockTransferId: tr.id }, transaction: t });
      const devices = [
        ...(
          await lockDeviceRows(
            t,
            items.flatMap((i) => (i.deviceId ? [i.deviceId] : [])),
          )
        ).values(),
      ];
      const target = outcome === 'received' ? tr.toWarehouseId : tr.fromWarehouseId;
      await StockTransferItem.update({ inTransitDeviceId: null }, { where: { stockTransferId: tr.id }, transaction: t });
      await this.moveDevices(t, devices, target, (d) => (d.status === 'in_repair' ? 'in_repair' : 'stored'), actor, outcome, tr);
      const movements: MovementInput[] = devices.map((d) => ({
        warehouseId: target,
        productId: d.productId,
        deviceId: d.id,
        quantity: 1,
        movementType: outcome === 'received' ? 'transfer_in' : 'return',
        referenceType: 'stockTransfers',
        referenceId: tr.id,
        note: outcome === 'cancelled' ? 'transfer cancelled' : null,
        createdBy: actor.employeeId,
      }));
      await applyMovements(t, movements);
      const before = { status: tr.status };
      await tr.update({ status: outcome, ...(outcome === 'received' ? { receivedAt: new Date(), receivedBy: actor.employeeId } : {}) }, { transaction: t });
      await audit.record(t, {
        actor,
        action: outcome === 'received' ? 'stockTransfer.receive' : 'stockTransfer.cancel',
        entity: 'stockTransfers',
        entityId: tr.id,
        before,
        after: { status: outcome, warehouseId: target, deviceIds: devices.map((d) => d.id) },
      });
      return tr;
    });
    return this.view(transfer);
  }

  private async moveDevices(
    t: Transaction,
    devices: DeviceRow[],
    warehouseId: number | null,
    status: string | ((d: DeviceRow) => string),
    actor: ScopedActor,
    eventType: string,
    tr: StockTransfer,
  ) {
    const now = new Date();
    for (const d of devices) {
      const next = typeof status === 'string' ? status : status(d);
      await Device.update({ warehouseId, status: next as Device['status'] }, { where: { id: d.id }, transaction: t });
    }
    await DeviceEvent.bulkCreate(
      devices.map((d) => ({
        deviceId: d.id,
        eventType: `transfer_${eventType}`,
        payload: { stockTransferId: tr.id, from: d.warehouseId, to: warehouseId },
        occurredAt: now,
        createdBy: actor.employeeId,
      })),
      { transaction: t },
    );
  }

  /** What an agent carries: their location, its units, and the transfers on their way to them. */
  async myStock(actor: ScopedActor) {
    const location = await Warehouse.findOne({ where: { employeeId: actor.employeeId } });
    if (!location) return { location: null, devices: [], incoming: [] };
    const [devices, incoming] = await Promise.all([
      Device.findAll({ where: { warehouseId: location.id }, order: [['id', 'ASC']] }),
      StockTransfer.findAll({ where: { toWarehouseId: location.id, status: 'in_transit' }, order: [['id', 'ASC']] }),
    ]);
    const items = await StockTransferItem.findAll({ where: { stockTransferId: { [Op.in]: incoming.map((i) => i.id) } }, order: [['id', 'ASC']] });
    return {
      location: { id: location.id, code: location.code, name: location.name, regionId: location.regionId },
      devices: devices.map((d) => ({ id: d.id, serialNumber: d.serialNumber, productId: d.productId, deviceModelId: d.deviceModelId, status: d.status })),
      incoming: incoming.map((tr) =>
        transferView(
          tr,
          items.filter((i) => i.stockTransferId === tr.id),
        ),
      ),
    };
  }
}
