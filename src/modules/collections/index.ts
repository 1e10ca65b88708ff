import type { AppModule } from '../../platform/context';
import { closeSteps } from '../operations/close-steps';
import { collectionsRoutes } from './collections.routes';
import { associateCollectionsModels, initCollectionsModels } from './models';
import { runCollectionsNightly } from './nightly';
import { statusActionRoutes } from './status-actions.routes';

export const collectionsModule: AppModule = {
  name: 'collections',
  initModels: initCollectionsModels,
  associate: associateCollectionsModels,
  routes: (ctx) => [...collectionsRoutes(ctx), ...statusActionRoutes(ctx)],
  register: (ctx) => {
    // After the accounts' step, with their DPD, status and balance as of the business date the
    // close opens: promises judged, cases opened, closed, assigned, escalated and prioritised.
    // Idempotent (nightly.ts).
    closeSteps(ctx.sequelize).addCountryStep({
      name: 'collections',
      run: ({ countryId, businessDate }, transaction) => runCollectionsNightly(ctx.sequelize, { countryId, businessDate }, transaction),
    });
  },
};
