import type { AppModule } from '../../platform/context';
import { paymentRoutes } from './payments.routes';
import { associatePaymentsModels, initPaymentsModels } from './models';

export const paymentsModule: AppModule = {
  name: 'payments',
  initModels: initPaymentsModels,
  routes: paymentRoutes,
  associate: associatePaymentsModels,
};
