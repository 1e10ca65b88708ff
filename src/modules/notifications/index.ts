import type { AppModule } from '../../platform/context';
import { associateNotificationsModels, initNotificationsModels } from './models';

export const notificationsModule: AppModule = {
  name: 'notifications',
  initModels: initNotificationsModels,
  associate: associateNotificationsModels,
};
