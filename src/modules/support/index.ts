import type { AppModule } from '../../platform/context';
import { associateSupportModels, initSupportModels } from './models';

export const supportModule: AppModule = {
  name: 'support',
  initModels: initSupportModels,
  associate: associateSupportModels,
};
