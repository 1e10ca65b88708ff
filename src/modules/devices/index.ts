import type { AppModule } from '../../platform/context';
import { registerCreditListeners } from './credit.service';
import { deviceRoutes } from './devices.routes';
import { associateDevicesModels, initDevicesModels } from './models';

/**
 * Devices, credit days and OpenPAYGO tokens. The credit listeners (payments buy days and tokens;
 * reversals take them back) join the payment events when the module is started with its context:
 * from `jobs` (every runtime: API, worker, tests) and from `routes`; registering is idempotent.
 */
export const devicesModule: AppModule = {
  name: 'devices',
  initModels: initDevicesModels,
  associate: associateDevicesModels,
  routes: (ctx) => {
    registerCreditListeners(ctx);
    return deviceRoutes(ctx);
  },
  jobs: (ctx) => {
    registerCreditListeners(ctx);
    return [];
  },
};
