import type { AppModule } from '../../platform/context';
import { associateSupportModels, initSupportModels } from './models';
import { supportRoutes } from './support.routes';

/** After-sales support: tickets, token help, warranty claims and device swaps (docs/support.md). */
export const supportModule: AppModule = {
  name: 'support',
  initModels: initSupportModels,
  associate: associateSupportModels,
  routes: (ctx) => supportRoutes(ctx),
};
