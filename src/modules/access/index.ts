import type { AppModule } from '../../platform/context';
import { authRoutes } from './auth.routes';
import { associateAccessModels, initAccessModels } from './models';

export const accessModule: AppModule = {
  name: 'access',
  initModels: initAccessModels,
  associate: associateAccessModels,
  routes: authRoutes,
};
