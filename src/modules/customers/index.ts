import type { AppModule } from '../../platform/context';
import { customerRoutes } from './customers.routes';
import { documentRoutes } from './documents.routes';
import { customerRecordRoutes } from './records.routes';
import { associateCustomersModels, initCustomersModels } from './models';

export const customersModule: AppModule = {
  name: 'customers',
  initModels: initCustomersModels,
  routes: (ctx) => [...customerRoutes(ctx), ...documentRoutes(ctx), ...customerRecordRoutes(ctx)],
  associate: associateCustomersModels,
};
