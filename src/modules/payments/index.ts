import type { AppModule } from '../../platform/context';
import { paymentRoutes } from './payments.routes';
import { associatePaymentsModels, initPaymentsModels } from './models';
import { reversalRoutes } from './reversal.routes';

export const paymentsModule: AppModule = {
  name: 'payments',
  initModels: initPaymentsModels,
  routes: (ctx) => [...paymentRoutes(ctx), ...reversalRoutes(ctx)],
  associate: associatePaymentsModels,
};
