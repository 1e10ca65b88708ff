import type { AppModule } from '../../platform/context';
import { syncJobs } from './drain.jobs';
import { associateIntegrationsModels, initIntegrationsModels } from './models';

export const integrationsModule: AppModule = {
  name: 'integrations',
  initModels: initIntegrationsModels,
  associate: associateIntegrationsModels,
  jobs: syncJobs,
};
