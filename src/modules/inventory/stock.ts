import { QueryTypes, type Transaction } from 'sequelize';
import { dialect } from '../../platform/db/dialect';
import { problems } from '../../platform/http/problem';
import { StockItem, StockMovement, type StockMovementType } from './models';

/**
 * Stock bookkeeping every custody change shares: the level of a product in a warehouse
 * (stockItems, one row per warehouse and product) and the movement that changed it
 * (stockMovements, signed: + into the warehouse, - out of it). An agent's own stock location is a
 * warehouse row too (warehouses.employeeId), so the same two tables keep it.
 *
 * Locks: a custody change locks its devices first (ascending ids), then the stock levels it
 * touches (ascending warehouse, product), so two changes never wait on each other in a cycle.
 */

export interface MovementInput {
  warehouseId: number;
  productId: number;
  deviceId?: number | null;
  /** Signed: positive into the warehouse, negative out of it. */
  quantity: number;
  movementType: StockMovementType;
  referenceType?: string | null;
  referenceId?: number | null;
  note?: string | null;
  createdBy?: number | null;
}

/** The stock level row of a product in a warehouse, created at 0 when missing, locked for the transaction. */
export async function lockStockLevel(t: Transaction, warehouseId: number, productId: number): Promise<StockItem> {
  const sequelize = StockItem.sequelize!;
  const d = dialect(sequelize);
  const now = new Date();
  // INSERT IGNORE: two first receipts of a product race on the unique key (warehouseId, productId), not on a missing row.
  await sequelize.query(`${d.insertIgnore} stockItems (warehouseId, productId, quantity, reservedQuantity, createdAt, updatedAt) VALUES (?, ?, 0, 0, ?, ?)`, {
    replacements: [warehouseId, productId, now, now],
    transaction: t,
  });
  const row = await StockItem.findOne({ where: { warehouseId, productId }, lock: t.LOCK.UPDATE, transaction: t });
  return row!;
}

/** The note of an adjustment for serialised units found in a warehouse whose level never counted them. */
export const UNCOUNTED_NOTE = 'units recorded in this warehouse (devices.warehouseId) but missing from its stock level';

/**
 * Applies movements (grouped per warehouse and product, locked in a fixed order): each level moves
 * by the sum of its movements and every movement is a stockMovements row. A level that would go
 * below zero is a 409 and nothing is written, except when only serialised units leave: the device
 * rows say where a unit is, so units that were never counted (devices written before levels were
 * kept, or by a bulk loader) are first counted in by an adjustment movement, never refused.
 */
export async function applyMovements(t: Transaction, movements: MovementInput[]): Promise<void> {
  if (!movements.length) return;
  const totals = new Map<string, { warehouseId: number; productId: number; delta: number; serialised: boolean }>();
  for (const m of movements) {
    const key = `${m.warehouseId}:${m.productId}`;
    const cur = totals.get(key) ?? { warehouseId: m.warehouseId, productId: m.productId, delta: 0, serialised: true };
    cur.delta += m.quantity;
    cur.serialised &&= !!m.deviceId;
    totals.set(key, cur);
  }
  const ordered = [...totals.values()].sort((a, b) => a.warehouseId - b.warehouseId || a.productId - b.productId);
  const adjustments: MovementInput[] = [];
  for (const level of ordered) {
    const row = await lockStockLevel(t, level.warehouseId, level.productId);
    let next = row.quantity + level.delta;
    if (next < 0 && level.serialised) {
      adjustments.push({ warehouseId: level.warehouseId, productId: level.productId, quantity: -next, movementType: 'adjustment', note: UNCOUNTED_NOTE });
      next = 0;
    }
    if (next < 0) {
      throw problems.conflict(
        `Warehouse ${level.warehouseId} holds ${row.quantity} of product ${level.productId}; ${-level.delta} cannot leave it.`,
        'insufficient-stock',
        {
          warehouseId: level.warehouseId,
          productId: level.productId,
          onHand: row.quantity,
        },
      );
    }
    await StockItem.update({ quantity: next }, { where: { id: row.id }, transaction: t });
  }
  await StockMovement.bulkCreate(
    [...adjustments, ...movements].map((m) => ({
      warehouseId: m.warehouseId,
      productId: m.productId,
      deviceId: m.deviceId ?? null,
      quantity: m.quantity,
      movementType: m.movementType,
      referenceType: m.referenceType ?? null,
      referenceId: m.referenceId ?? null,
      note: m.note ?? null,
      createdBy: m.createdBy ?? null,
    })),
    { transaction: t },
  );
}

/** Devices locked FOR UPDATE in ascending id order (the first reads of a custody change). */
export async function lockDeviceRows(t: Transaction, deviceIds: number[]): Promise<Map<number, DeviceRow>> {
  const sequelize = StockItem.sequelize!;
  const ids = [...new Set(deviceIds)].sort((a, b) => a - b);
  if (!ids.length) return new Map();
  const rows = await sequelize.query<DeviceRow>(
    `SELECT id, serialNumber, productId, warehouseId, status, purchaseOrderItemId FROM devices WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY id${dialect(sequelize).forUpdate}`,
    { replacements: ids, type: QueryTypes.SELECT, transaction: t },
  );
  return new Map(rows.map((r) => [Number(r.id), { ...r, id: Number(r.id) }]));
}

export interface DeviceRow {
  id: number;
  serialNumber: string;
  productId: number;
  warehouseId: number | null;
  status: string;
  purchaseOrderItemId: number | null;
}
