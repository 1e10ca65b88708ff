import type { AppModule } from '../../platform/context';
import { associatePaymentsModels, initPaymentsModels } from './models';

export const paymentsModule: AppModule = {
  name: 'payments',
  initModels: initPaymentsModels,
  associate: associatePaymentsModels,
};
