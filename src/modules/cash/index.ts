import type { AppModule } from '../../platform/context';
import { accountSubscriptions } from '../accounts/events';
import { assertCashBelowLimit } from './cash-limit';
import { cashRoutes } from './cash.routes';
import { associateCashModels, initCashModels } from './models';

/**
 * Field agents' cash: collections (posted as cash payments at once), the agent's cash balance and
 * limit, remittances and their confirmation. Tables: cashCollections, agentRemittances (models.ts). Sales are refused too when the seller is at their limit: `assertCashBelowLimit`
 * (cash-limit.ts) is registered as a sale guard of accounts (accounts/events.ts).
 */
export const cashModule: AppModule = {
  name: 'cash',
  initModels: initCashModels,
  associate: associateCashModels,
  routes: (ctx) => cashRoutes(ctx),
  // POST /accounts: an agent holding more cash than their limit sells nothing until they remit.
  register: (ctx) => accountSubscriptions(ctx.sequelize).beforeSale('cash.limit', (sale) => assertCashBelowLimit(ctx.sequelize, sale.sellerId)),
};
