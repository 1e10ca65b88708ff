import type { AppModule } from '../../platform/context';
import { closeSteps } from '../operations/close-steps';
import { changeFeedRoutes } from './change-feed.routes';
import { initChangeFeedModels } from './models';
import { pruneChangeLog } from './prune';

/** The offline-first agents' change feed: changeLog (written by triggers) and GET /sync/changes (docs/offline-sync.md). */
export const changeFeedModule: AppModule = {
  name: 'change-feed',
  initModels: initChangeFeedModels,
  routes: (ctx) => changeFeedRoutes(ctx),
  register: (ctx) => {
    // The log is pruned after each country's close: rows older than CHANGE_LOG_RETENTION_DAYS, for
    // every region at once (the log has one horizon), so the first close of the night does the
    // work and the others find little or nothing. Batches commit on their own (prune.ts).
    closeSteps(ctx.sequelize).addCountryStep({
      name: 'changeLogPrune',
      run: async (_day, transaction) => {
        const r = await pruneChangeLog(ctx.sequelize, { retentionDays: ctx.config.changeLog.retentionDays, transaction });
        return { deleted: r.deleted, batches: r.batches };
      },
    });
  },
};
