import type { AppModule } from '../../platform/context';
import { associateInventoryModels, initInventoryModels } from './models';

export const inventoryModule: AppModule = {
  name: 'inventory',
  initModels: initInventoryModels,
  associate: associateInventoryModels,
};
