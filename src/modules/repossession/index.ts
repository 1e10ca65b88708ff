import type { AppModule } from '../../platform/context';
import { repossessionRoutes } from './repossession.routes';

/** Repossession and recovery: assign, recover (device, stock, books, write-off), fail (docs/repossession.md). */
export const repossessionModule: AppModule = {
  name: 'repossession',
  routes: (ctx) => repossessionRoutes(ctx),
};
