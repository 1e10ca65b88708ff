import type { AppModule } from '../../platform/context';
import { setDeviceStockKeeper } from '../devices/stock-keeper';
import { inventoryRoutes } from './inventory.routes';
import { associateInventoryModels, initInventoryModels, StockTransferItem } from './models';
import { applyMovements } from './stock';

/** Purchase orders, stock levels and movements, transfers (warehouses and agents' own stock), valuation at cost. */
export const inventoryModule: AppModule = {
  name: 'inventory',
  initModels: initInventoryModels,
  associate: associateInventoryModels,
  routes: (ctx) => inventoryRoutes(ctx),
  // Devices book their custody changes (registered, handed over, taken back) in stock through this keeper.
  register(ctx) {
    setDeviceStockKeeper(ctx.sequelize, {
      inTransit: async (t, deviceId) =>
        (await StockTransferItem.findOne({ where: { inTransitDeviceId: deviceId }, attributes: ['stockTransferId'], transaction: t }))?.stockTransferId ?? null,
      move: applyMovements,
    });
  },
};
