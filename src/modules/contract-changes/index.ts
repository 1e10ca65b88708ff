import type { AppModule } from '../../platform/context';
import { associateContractChangesModels, initContractChangesModels } from './models';
import { payoffRoutes } from './payoff.routes';
import { upgradeRoutes } from './upgrade.routes';

/** Contract changes on a live account: early payoff quotes, upgrades (docs/contract-changes.md). */
export const contractChangesModule: AppModule = {
  name: 'contract-changes',
  initModels: initContractChangesModels,
  associate: associateContractChangesModels,
  routes: (ctx) => [...payoffRoutes(ctx), ...upgradeRoutes(ctx)],
};
