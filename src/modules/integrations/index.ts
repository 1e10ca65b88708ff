import type { AppModule } from '../../platform/context';
import { associateIntegrationsModels, initIntegrationsModels } from './models';

export const integrationsModule: AppModule = {
  name: 'integrations',
  initModels: initIntegrationsModels,
  associate: associateIntegrationsModels,
};
