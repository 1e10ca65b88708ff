import type { AppModule } from '../../platform/context';
import { associateReportingModels, initReportingModels } from './models';

export const reportingModule: AppModule = {
  name: 'reporting',
  initModels: initReportingModels,
  associate: associateReportingModels,
};
