import type { AppModule } from '../../platform/context';
import { associateDevicesModels, initDevicesModels } from './models';

export const devicesModule: AppModule = {
  name: 'devices',
  initModels: initDevicesModels,
  associate: associateDevicesModels,
};
