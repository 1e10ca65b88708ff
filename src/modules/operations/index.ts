import type { AppModule } from '../../platform/context';
import { runCommissionNightly } from '../commissions/nightly';
import { closeDayJobs } from './close-day.jobs';
import { registerCountryCloseStep } from './close-steps';
import { associateOperationsModels, initOperationsModels } from './models';
import { opsRoutes } from './ops.routes';

// The commissions step runs after the accounts' step, on the business date the close opens (the
// date their DPD and statuses are as of): stages earned by then become payable, defaulted ones are
// cancelled, early write-offs clawed back. Idempotent (src/modules/commissions/nightly.ts).
registerCountryCloseStep({
  name: 'commissions',
  run: async ({ countryId, businessDate }, transaction) => {
    const r = await runCommissionNightly(countryId, businessDate, { transaction });
    return { clawedBack: r.clawedBack, cancelled: r.cancelled, payable: r.payable };
  },
});

export const operationsModule: AppModule = {
  name: 'operations',
  initModels: initOperationsModels,
  associate: associateOperationsModels,
  routes: opsRoutes,
  jobs: (ctx) => closeDayJobs(ctx),
};

export { boardMount } from './board';
