import { Op, QueryTypes, type Sequelize, type WhereOptions } from 'sequelize';
import type { ScopedActor } from '../../platform/auth/actor';
import type { AppContext } from '../../platform/context';
import { Decimal, toMoneyString } from '../../platform/money';
import { Warehouse } from '../organisation/reference.models';
import { decodeIdCursor, pageOf, type Paged } from '../../platform/http/pagination';
import { StockItem, StockMovement, type StockMovementType } from './models';

export interface ValuationQuery {
  warehouseId?: number;
}

export interface MovementListQuery {
  warehouseId?: number;
  deviceId?: number;
  productId?: number;
  movementType?: StockMovementType;
  limit: number;
  cursor?: string;
}

export function movementView(m: StockMovement) {
  return {
    id: m.id,
    warehouseId: m.warehouseId,
    productId: m.productId,
    deviceId: m.deviceId ?? null,
    quantity: m.quantity,
    movementType: m.movementType,
    referenceType: m.referenceType ?? null,
    referenceId: m.referenceId ?? null,
    note: m.note ?? null,
    createdBy: m.createdBy ?? null,
    createdAt: m.createdAt.toISOString(),
  };
}

/**
 * Stock at cost, per warehouse (agents' own stock locations included) and product. A serialised
 * unit is worth the unit cost of the purchase order line it was received on
 * (devices.purchaseOrderItemId); units registered by hand, outside any order, have no cost and are
 * counted as unpricedUnits. Units that are not serialised (the stock level beyond its devices) are
 * worth the weighted average cost of what was received of the product on lines without a device
 * model. Units in transit are in no warehouse and not counted.
 */
export class ValuationService {
  private readonly sequelize: Sequelize;

  constructor(ctx: Pick<AppContext, 'sequelize'>) {
    this.sequelize = ctx.sequelize;
  }

  /** Stock movements, newest first: a unit's custody trail (deviceId), or a warehouse's history; of warehouses in the caller's regions. */
  async movements(actor: ScopedActor, q: MovementListQuery): Promise<Paged<ReturnType<typeof movementView>>> {
    const where: WhereOptions[] = [];
    if (q.warehouseId) where.push({ warehouseId: q.warehouseId });
    if (q.deviceId) where.push({ deviceId: q.deviceId });
    if (q.productId) where.push({ productId: q.productId });
    if (q.movementType) where.push({ movementType: q.movementType });
    if (!actor.scope.all) {
      const ids = (await Warehouse.findAll({ where: { regionId: { [Op.in]: [...actor.scope.regionIds] } }, attributes: ['id'] })).map((w) => w.id);
      where.push({ warehouseId: { [Op.in]: ids } });
    }
    if (q.cursor) where.push({ id: { [Op.lt]: decodeIdCursor(q.cursor) } });
    const rows = await StockMovement.findAll({ where: { [Op.and]: where }, order: [['id', 'DESC']], limit: q.limit + 1 });
    const page = pageOf(rows, q.limit, (last) => [last.id]);
    return { data: page.data.map(movementView), page: page.page };
  }

  async valuation(actor: ScopedActor, q: ValuationQuery) {
    const where = {
      ...(q.warehouseId ? { id: q.warehouseId } : {}),
      ...(actor.scope.all ? {} : { regionId: { [Op.in]: [...actor.scope.regionIds] } }),
    };
    const warehouses = await Warehouse.findAll({ where, order: [['id', 'ASC']] });
    const ids = warehouses.map((w) => w.id);
    if (!ids.length) return { data: [], totalValue: '0.00' };
    const marks = ids.map(() => '?').join(', ');
    const [levels, devices, averages] = await Promise.all([
      StockItem.findAll({ where: { warehouseId: { [Op.in]: ids } }, attributes: ['warehouseId', 'productId', 'quantity'] }),
      this.sequelize.query<{ warehouseId: number; productId: number; units: number | string; value: string | null; unpriced: number | string }>(
        `SELECT d.warehouseId, d.productId, COUNT(*) AS units, SUM(poi.unitCost) AS value,
                SUM(CASE WHEN poi.id IS NULL THEN 1 ELSE 0 END) AS unpriced
           FROM devices d LEFT JOIN purchaseOrderItems poi ON poi.id = d.purchaseOrderItemId
          WHERE d.warehouseId IN (${marks})
          GROUP BY d.warehouseId, d.productId`,
        { replacements: ids, type: QueryTypes.SELECT },
      ),
      this.sequelize.query<{ productId: number; cost: string | null; units: number | string | null }>(
        `SELECT productId, SUM(receivedQuantity * unitCost) AS cost, SUM(receivedQuantity) AS units
           FROM purchaseOrderItems WHERE deviceModelId IS NULL AND receivedQuantity > 0 GROUP BY productId`,
        { type: QueryTypes.SELECT },
      ),
    ]);
    const avg = new Map(averages.map((a) => [Number(a.productId), Number(a.units) > 0 ? new Decimal(a.cost ?? 0).dividedBy(Number(a.units)) : null]));
    let grand = new Decimal(0);
    const data = warehouses.map((w) => {
      const products = new Map<number, { productId: number; quantity: number; serialisedUnits: number; unpricedUnits: number; value: Decimal }>();
      const entry = (productId: number) => {
        const e = products.get(productId) ?? { productId, quantity: 0, serialisedUnits: 0, unpricedUnits: 0, value: new Decimal(0) };
        products.set(productId, e);
        return e;
      };
      for (const l of levels.filter((l) => l.warehouseId === w.id)) entry(l.productId).quantity = l.quantity;
      for (const d of devices.filter((d) => Number(d.warehouseId) === w.id)) {
        const e = entry(Number(d.productId));
        e.serialisedUnits = Number(d.units);
        e.unpricedUnits = Number(d.unpriced);
        e.value = e.value.plus(d.value ?? 0);
      }
      let total = new Decimal(0);
      const rows = [...products.values()]
        .sort((a, b) => a.productId - b.productId)
        .map((e) => {
          const loose = Math.max(0, e.quantity - e.serialisedUnits);
          const unit = avg.get(e.productId);
          if (loose > 0) {
            if (unit) e.value = e.value.plus(unit.times(loose));
            else e.unpricedUnits += loose;
          }
          total = total.plus(e.value);
          return {
            productId: e.productId,
            quantity: e.quantity,
            serialisedUnits: e.serialisedUnits,
            unpricedUnits: e.unpricedUnits,
            value: toMoneyString(e.value),
          };
        });
      grand = grand.plus(total);
      return {
        warehouseId: w.id,
        code: w.code,
        name: w.name,
        regionId: w.regionId,
        agentEmployeeId: w.employeeId,
        products: rows,
        value: toMoneyString(total),
      };
    });
    return { data, totalValue: toMoneyString(grand) };
  }
}
