import type { AppModule } from '../../platform/context';
import { associateStaffModels, initStaffModels } from './models';
import { staffRoutes } from './staff.routes';

/**
 * Staff administration: employees created, changed, deactivated and reactivated; an agent's
 * portfolio reassigned; password resets and changes with a policy; custom roles. The access module
 * keeps authentication and the employee reads.
 */
export const staffModule: AppModule = {
  name: 'staff',
  initModels: initStaffModels,
  associate: associateStaffModels,
  routes: (ctx) => staffRoutes(ctx),
};
