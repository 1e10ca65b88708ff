import type { AppModule } from '../../platform/context';
import { associateOperationsModels, initOperationsModels } from './models';

export const operationsModule: AppModule = {
  name: 'operations',
  initModels: initOperationsModels,
  associate: associateOperationsModels,
};
