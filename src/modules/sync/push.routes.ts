import Joi from 'joi';
import { clientIdField } from '../../platform/http/client-id';
import type { IdempotencyStore } from '../../platform/http/idempotency';
import { defineRoute, type RouteSpec } from '../../platform/http/route';
import type { Logger } from '../../platform/logging/logger';
import { MAX_PUSH_ACTIONS, SyncPushService, type PushAction } from './push.service';
import { pushResultSchema } from './push.responses';

interface PushBody {
  actions: PushAction[];
}

/**
 * POST /sync/push, built by the composition root (src/runtime.ts) from every other route: the
 * action types are the routes that declare `syncAction`.
 */
export function syncPushRoutes(routes: RouteSpec[], deps: { idempotency?: IdempotencyStore; logger: Logger }): RouteSpec[] {
  const push = new SyncPushService(routes, deps);
  const types = push.types();
  const edits = push.ifMatchTypes();
  return [
    defineRoute({
      method: 'post',
      path: '/sync/push',
      summary: "Apply a phone's queued actions in order, each answered on its own (done, duplicate, rejected)",
      description:
        `Up to ${MAX_PUSH_ACTIONS} actions of types ${types.join(', ')}. Each runs through the route that does the same thing alone, in its own ` +
        'transaction, with that route\'s permission and region checks, and is idempotent on its clientId: a replayed push answers "duplicate" with ' +
        'the first result. A rejected action (problem+json) fails only itself and the actions that depend on it (dependsOn, or a payload value ' +
        "equal to its clientId, which an applied action's id replaces), which are rejected with 424 dependency-failed. " +
        `Edits (${edits.join(', ')}) carry ifMatch, the version the phone read (the ETag "3" or the number 3), which is their route's If-Match: ` +
        'a record changed since is a 412 for that action only, and nothing of it is applied. See docs/offline-sync.md.',
      tags: ['sync'],
      access: { permission: 'sync:push' },
      body: Joi.object<PushBody, true>({
        actions: Joi.array()
          .items(
            Joi.object<PushAction, true>({
              clientId: clientIdField().required(),
              type: Joi.string()
                .valid(...types)
                .required(),
              payload: Joi.object().unknown(true).required().description("The body the action's own route takes; path ids by name (e.g. customerId)"),
              dependsOn: Joi.array().items(clientIdField()).max(MAX_PUSH_ACTIONS).unique(),
              ifMatch: Joi.alternatives(Joi.string().max(200), Joi.number().integer().min(0))
                .when('type', { is: Joi.valid(...edits), otherwise: Joi.forbidden() })
                .description(`Edits only (${edits.join(', ')}): the version the phone read, as an ETag ("3") or a number; sent as the route's If-Match`),
            }),
          )
          .min(1)
          .max(MAX_PUSH_ACTIONS)
          .unique('clientId')
          .required(),
      }),
      responses: { 200: { description: 'One answer per action, in order', schema: pushResultSchema } },
      handler: async (req, res) => ({ body: { results: await push.push(req, res, req.valid.body.actions) } }),
    }),
  ];
}
