import type { AppModule } from '../../platform/context';
import { closeDayJobs } from './close-day.jobs';
import { associateOperationsModels, initOperationsModels } from './models';
import { opsRoutes } from './ops.routes';

export const operationsModule: AppModule = {
  name: 'operations',
  initModels: initOperationsModels,
  associate: associateOperationsModels,
  routes: opsRoutes,
  jobs: (ctx) => closeDayJobs(ctx),
};

export { boardMount } from './board';
