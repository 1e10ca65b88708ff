import type { AppModule } from '../../platform/context';
import { raiseLateFees } from '../accounts/late-fees';
import { netsuiteLedgerDayStep } from '../integrations/netsuite/ledger-day';
import { arrearsSyncStep } from '../integrations/close-step';
import { closeDayJobs } from './close-day.jobs';
import { closeSteps } from './close-steps';
import { associateOperationsModels, initOperationsModels } from './models';
import { opsRoutes } from './ops.routes';

export const operationsModule: AppModule = {
  name: 'operations',
  initModels: initOperationsModels,
  associate: associateOperationsModels,
  routes: opsRoutes,
  jobs: (ctx) => closeDayJobs(ctx),
  register: (ctx) => {
    // Late fees of the payplans that define one, on the business date the close opens (accounts/late-fees.ts).
    closeSteps(ctx.sequelize).addCountryStep({
      name: 'lateFees',
      run: ({ countryId, businessDate }, t) => raiseLateFees(ctx.sequelize, { countryId, businessDate }, t),
    });
    // The closed day's journal goes to NetSuite (a 'ledgerDay' outbox row): registered after the
    // modules listed before operations (commissions), so it runs after their steps.
    closeSteps(ctx.sequelize).addCountryStep(netsuiteLedgerDayStep);
    // Salesforce hears of the accounts whose DPD, bucket or status the close changed (integrations/close-step.ts).
    closeSteps(ctx.sequelize).addChunkStep(arrearsSyncStep);
  },
};

export { boardMount } from './board';
