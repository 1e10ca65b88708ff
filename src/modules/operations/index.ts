import type { AppModule } from '../../platform/context';
import { arrearsSyncStep } from '../integrations/close-step';
import { closeSteps } from './close-steps';
import { closeDayJobs } from './close-day.jobs';
import { associateOperationsModels, initOperationsModels } from './models';
import { opsRoutes } from './ops.routes';

export const operationsModule: AppModule = {
  name: 'operations',
  initModels: initOperationsModels,
  associate: associateOperationsModels,
  routes: opsRoutes,
  jobs: (ctx) => closeDayJobs(ctx),
  register: (ctx) => {
    // Salesforce hears of the accounts whose DPD, bucket or status the close changed (integrations/close-step.ts).
    closeSteps(ctx.sequelize).addChunkStep(arrearsSyncStep);
  },
};

export { boardMount } from './board';
