import type { AppModule } from '../../platform/context';
import { closeSteps } from '../operations/close-steps';
import { registerCommissionListeners } from './accrual.service';
import { commissionRoutes } from './commissions.routes';
import { associateCommissionsModels, initCommissionsModels } from './models';
import { runCommissionNightly } from './nightly';

export { runCommissionNightly } from './nightly';
export type { CommissionNightlyResult } from './nightly';

export const commissionsModule: AppModule = {
  name: 'commissions',
  initModels: initCommissionsModels,
  associate: associateCommissionsModels,
  routes: commissionRoutes,
  register: (ctx) => {
    // Accrual listens to zero-down sales (accounts/events.ts) and to posted and reversed payments (in their transactions).
    registerCommissionListeners(ctx);
    // After the accounts' step, on the business date the close opens (the date their DPD and
    // statuses are as of): stages earned by then become payable, defaulted ones are cancelled,
    // early write-offs clawed back. Idempotent (nightly.ts).
    closeSteps(ctx.sequelize).addCountryStep({
      name: 'commissions',
      run: async ({ countryId, businessDate }, transaction) => {
        const r = await runCommissionNightly(countryId, businessDate, { transaction });
        return { clawedBack: r.clawedBack, cancelled: r.cancelled, payable: r.payable };
      },
    });
  },
};
