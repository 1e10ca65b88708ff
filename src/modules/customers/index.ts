import type { AppModule } from '../../platform/context';
import { customerRoutes } from './customers.routes';
import { associateCustomersModels, initCustomersModels } from './models';

export const customersModule: AppModule = {
  name: 'customers',
  initModels: initCustomersModels,
  routes: customerRoutes,
  associate: associateCustomersModels,
};
