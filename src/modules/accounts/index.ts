import type { AppModule } from '../../platform/context';
import { accountRoutes } from './accounts.routes';
import { associateAccountsModels, initAccountsModels } from './models';
import { chargeRoutes } from './charge.routes';
import { accountNoteRoutes } from './notes';
import { scheduleChangeRoutes } from './schedule-changes.routes';

export const accountsModule: AppModule = {
  name: 'accounts',
  initModels: initAccountsModels,
  routes: (ctx) => [...accountRoutes(ctx), ...chargeRoutes(ctx), ...accountNoteRoutes(ctx), ...scheduleChangeRoutes(ctx)],
  associate: associateAccountsModels,
};
