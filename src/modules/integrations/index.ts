import type { AppModule } from '../../platform/context';
import { syncJobs } from './drain.jobs';
import { integrationRoutes } from './integrations.routes';
import { associateIntegrationsModels, initIntegrationsModels } from './models';
import { initNetsuiteModels } from './netsuite/models';

export const integrationsModule: AppModule = {
  name: 'integrations',
  initModels: (sequelize) => {
    initIntegrationsModels(sequelize);
    initNetsuiteModels(sequelize);
  },
  associate: associateIntegrationsModels,
  routes: integrationRoutes,
  jobs: syncJobs,
};
