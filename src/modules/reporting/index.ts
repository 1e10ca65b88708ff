import type { AppModule } from '../../platform/context';
import { associateReportingModels, initReportingModels } from './models';
import { reportRoutes } from './reports.routes';

export const reportingModule: AppModule = {
  name: 'reporting',
  initModels: initReportingModels,
  associate: associateReportingModels,
  routes: reportRoutes,
};
