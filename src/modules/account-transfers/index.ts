import type { AppModule } from '../../platform/context';
import { accountTransferRoutes } from './transfer.routes';

/**
 * Ownership transfers of accounts, maker-checker (docs/contract-changes.md, "Ownership transfer").
 * A module of its own above accounts, customers and notifications (the new owner's SMS); nothing
 * imports it.
 */
export const accountTransfersModule: AppModule = {
  name: 'account-transfers',
  routes: (ctx) => accountTransferRoutes(ctx),
};
