import type { AppModule } from '../../platform/context';
import { associateBillingModels, initBillingModels } from './models';
import { invoiceRoutes } from './invoice.routes';
import { refundRoutes } from './refund.routes';
import { writeoffRoutes } from './writeoff.routes';

export const billingModule: AppModule = {
  name: 'billing',
  initModels: initBillingModels,
  routes: (ctx) => [...refundRoutes(ctx), ...writeoffRoutes(ctx), ...invoiceRoutes(ctx)],
  associate: associateBillingModels,
};
