import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { cursorPaginationQuery, pagedResponseSchema } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import { deadRowSchema, retriedRowSchema, syncStatusSchema } from './integrations.responses';
import { SYNC_TARGETS, type SyncTargetName } from './registry';
import { SyncOpsService } from './sync-ops.service';

interface DeadQuery {
  target?: SyncTargetName;
  limit: number;
  cursor?: string;
}

export function integrationRoutes(ctx: AppContext): RouteSpec[] {
  const ops = new SyncOpsService(ctx);
  const tags = ['integrations'];
  return [
    defineRoute({
      method: 'get',
      path: '/integrations/status',
      summary: 'The NetSuite and Salesforce sync, per target: backlog, oldest pending age, dead rows, last success and error, paused',
      tags,
      access: { permission: 'integrations:read' },
      responses: { 200: { description: 'One entry per target', schema: syncStatusSchema } },
      handler: async () => ({ status: 200, body: { targets: await ops.status() } }),
    }),
    defineRoute({
      method: 'get',
      path: '/integrations/dead',
      summary: 'Outbox rows that failed for good (dead), oldest first, with their last error',
      tags,
      access: { permission: 'integrations:read' },
      query: Joi.object<DeadQuery, true>({ target: Joi.string().valid(...SYNC_TARGETS), ...cursorPaginationQuery }),
      responses: { 200: { description: 'A page of dead rows', schema: pagedResponseSchema(deadRowSchema) } },
      handler: async (req) => ({ status: 200, body: await ops.dead(req.valid.query) }),
    }),
    defineRoute({
      method: 'post',
      path: '/integrations/dead/:id/retry',
      summary: 'Put a dead outbox row back to pending (attempts from zero); the drain takes it on its next round',
      tags,
      access: { permission: 'integrations:write' },
      params: Joi.object<{ id: number }, true>({ id: idField().required() }),
      responses: {
        202: { description: 'Pending again', schema: retriedRowSchema },
        404: { description: 'No such outbox row' },
        409: { description: 'The row is not dead' },
      },
      handler: async (req) => {
        const [id] = await ops.retry(employeeOf(req), { id: req.valid.params.id });
        return { status: 202, body: { id: id!, status: 'pending' } };
      },
    }),
  ];
}
