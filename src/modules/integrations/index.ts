import type { AppModule } from '../../platform/context';
import { syncJobs } from './drain.jobs';
import { integrationRoutes } from './integrations.routes';
import { associateIntegrationsModels, initIntegrationsModels } from './models';

export const integrationsModule: AppModule = {
  name: 'integrations',
  initModels: initIntegrationsModels,
  associate: associateIntegrationsModels,
  routes: integrationRoutes,
  jobs: syncJobs,
};
