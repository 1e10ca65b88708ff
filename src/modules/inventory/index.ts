import type { AppModule } from '../../platform/context';
import { inventoryRoutes } from './inventory.routes';
import { associateInventoryModels, initInventoryModels } from './models';

/** Purchase orders, stock levels and movements, transfers (warehouses and agents' own stock), valuation at cost. */
export const inventoryModule: AppModule = {
  name: 'inventory',
  initModels: initInventoryModels,
  associate: associateInventoryModels,
  routes: (ctx) => inventoryRoutes(ctx),
};
