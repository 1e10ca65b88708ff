import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { changesPageSchema } from './change-feed.responses';
import { ChangeFeedService, type ChangesQuery } from './change-feed.service';

export const SYNC_READ = 'sync:read';

/** GET /sync/changes: the offline-first agent's change feed (docs/offline-sync.md). */
export function changeFeedRoutes(ctx: AppContext): RouteSpec[] {
  const service = new ChangeFeedService(ctx.sequelize);
  return [
    defineRoute({
      method: 'get',
      path: '/sync/changes',
      summary: "What changed in the caller's regions since a cursor (no cursor: the whole working set)",
      description:
        'Customers (with their records), accounts (with schedule and balance), payments, tokens, and the collection cases and repossessions ' +
        'assigned to the caller, scoped to their regions. Without `since`: a first sync, the whole working set page by page (`full: true`), ' +
        'ending with the cursor for incremental syncs. With `since`: what changed after it, from the change log. Follow `next` while ' +
        '`hasMore`; keep the last `next` for the next sync. A change is handed out once it is settled (about a second after its commit). ' +
        'A cursor older than the kept log (CHANGE_LOG_RETENTION_DAYS) is a 410: do a full sync again.',
      tags: ['sync'],
      access: { permission: SYNC_READ },
      query: Joi.object<ChangesQuery, true>({
        since: Joi.string().max(512).description('The `next` of the previous answer; omit for a first sync'),
        limit: Joi.number().integer().min(1).max(1000).default(200).description('Entities per page'),
      }),
      responses: {
        200: { description: 'A page of changes', schema: changesPageSchema },
        400: { description: 'A malformed `since` or `limit`' },
        410: { description: 'The `since` cursor is older than the change log kept (CHANGE_LOG_RETENTION_DAYS): do a full sync (no `since`)' },
      },
      handler: async (req) => ({ body: await service.changes(employeeOf(req), req.valid.query) }),
    }),
  ];
}
