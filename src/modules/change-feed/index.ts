import type { AppModule } from '../../platform/context';
import { changeFeedRoutes } from './change-feed.routes';
import { initChangeFeedModels } from './models';

/** The offline-first agents' change feed: changeLog (written by triggers) and GET /sync/changes (docs/offline-sync.md). */
export const changeFeedModule: AppModule = {
  name: 'change-feed',
  initModels: initChangeFeedModels,
  routes: (ctx) => changeFeedRoutes(ctx),
};
