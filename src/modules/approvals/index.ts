import type { AppModule } from '../../platform/context';
import { approvalRoutes } from './approvals.routes';

/** The approvals inbox; the kinds it lists are registered by their domains (platform/approvals/kit.ts). */
export const approvalsModule: AppModule = {
  name: 'approvals',
  routes: () => approvalRoutes(),
};
