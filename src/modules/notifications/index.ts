import type { AppModule } from '../../platform/context';
import { notificationJobs } from './jobs';
import { associateNotificationsModels, initNotificationsModels } from './models';

export const notificationsModule: AppModule = {
  name: 'notifications',
  initModels: initNotificationsModels,
  associate: associateNotificationsModels,
  jobs: notificationJobs,
};
