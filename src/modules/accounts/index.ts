import type { AppModule } from '../../platform/context';
import { associateAccountsModels, initAccountsModels } from './models';

export const accountsModule: AppModule = {
  name: 'accounts',
  initModels: initAccountsModels,
  associate: associateAccountsModels,
};
