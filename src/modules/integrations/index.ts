import type { AppModule } from '../../platform/context';
import { associateIntegrationsModels, initIntegrationsModels } from './models';
import { initNetsuiteModels } from './netsuite/models';

export const integrationsModule: AppModule = {
  name: 'integrations',
  initModels: (sequelize) => {
    initIntegrationsModels(sequelize);
    initNetsuiteModels(sequelize);
  },
  associate: associateIntegrationsModels,
};
