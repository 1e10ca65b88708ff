import type { AppModule } from '../../platform/context';
import { registerCreditListeners } from './credit.service';
import { deviceRoutes } from './devices.routes';
import { associateDevicesModels, initDevicesModels } from './models';

/** Devices, credit days and OpenPAYGO tokens. */
export const devicesModule: AppModule = {
  name: 'devices',
  initModels: initDevicesModels,
  associate: associateDevicesModels,
  routes: (ctx) => deviceRoutes(ctx),
  // Payments buy days and tokens; reversals and refunds take them back (in the payment's transaction).
  register: (ctx) => registerCreditListeners(ctx),
};
