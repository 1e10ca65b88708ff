import type { AppModule } from '../../platform/context';
import { authRoutes } from './auth.routes';
import { employeeRoutes } from './employees.routes';
import { idempotencyJobs } from './idempotency';
import { associateAccessModels, initAccessModels } from './models';

export const accessModule: AppModule = {
  name: 'access',
  initModels: initAccessModels,
  associate: associateAccessModels,
  routes: (ctx) => [...authRoutes(ctx), ...employeeRoutes()],
  // Purges Idempotency-Keys past their retention.
  jobs: () => idempotencyJobs(),
};
