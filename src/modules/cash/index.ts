import type { AppModule } from '../../platform/context';
import { cashRoutes } from './cash.routes';

/**
 * Field agents' cash: collections (posted as cash payments at once), the agent's cash balance and
 * limit, remittances and their confirmation. Tables: cashCollections, agentRemittances (payments
 * module models). `assertCashBelowLimit` (cash-limit.ts) is also what sales must call.
 */
export const cashModule: AppModule = {
  name: 'cash',
  routes: (ctx) => cashRoutes(ctx),
};
