import type { AppModule } from '../../platform/context';
import { accountRoutes } from './accounts.routes';
import { associateAccountsModels, initAccountsModels } from './models';

export const accountsModule: AppModule = {
  name: 'accounts',
  initModels: initAccountsModels,
  routes: accountRoutes,
  associate: associateAccountsModels,
};
