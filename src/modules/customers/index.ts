import type { AppModule } from '../../platform/context';
import { associateCustomersModels, initCustomersModels } from './models';

export const customersModule: AppModule = {
  name: 'customers',
  initModels: initCustomersModels,
  associate: associateCustomersModels,
};
