import type { AppModule } from '../../platform/context';
import { associateBillingModels, initBillingModels } from './models';

export const billingModule: AppModule = {
  name: 'billing',
  initModels: initBillingModels,
  associate: associateBillingModels,
};
