import type { AppModule } from '../../platform/context';
import { associateAuditModels, initAuditModels } from './models';

export const auditModule: AppModule = {
  name: 'audit',
  initModels: initAuditModels,
  associate: associateAuditModels,
};
