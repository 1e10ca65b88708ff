import type { AppModule } from '../../platform/context';
import { associateCommissionsModels, initCommissionsModels } from './models';

export const commissionsModule: AppModule = {
  name: 'commissions',
  initModels: initCommissionsModels,
  associate: associateCommissionsModels,
};
