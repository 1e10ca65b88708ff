import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idOut, moneyOut, shape } from '../../platform/http/response-fields';
import { idField } from '../../platform/http/schemas';
import { ACCOUNT_STATUSES } from '../accounts/models';
import { MANUAL_STATUS_ACTIONS, type ManualStatusAction } from '../accounts/status';
import { ACTION_PERMISSIONS, applyStatusAction } from './status-actions';

const resultSchema = shape({
  accountId: idOut(),
  action: Joi.string().valid(...MANUAL_STATUS_ACTIONS),
  previousStatus: Joi.string().valid(...ACCOUNT_STATUSES),
  status: Joi.string().valid(...ACCOUNT_STATUSES),
  daysPastDue: Joi.number().integer().min(0),
  balance: moneyOut(),
  repossessionId: idOut().allow(null).description('The repossession scheduled by mark-for-repossession'),
});

const SUMMARIES: Record<ManualStatusAction, string> = {
  suspend: 'Suspend an active account by hand',
  reactivate: "Reactivate a suspended account whose DPD is within its plan's limit",
  'mark-for-repossession': 'Mark an account in arrears for repossession (schedules a repossession; an active account is suspended)',
  'close-settled': 'Close an account that owes nothing as settled',
};

/** POST /accounts/:id/{suspend,reactivate,mark-for-repossession,close-settled}: each with a reason and its own permission. */
export function statusActionRoutes(ctx: AppContext): RouteSpec[] {
  return MANUAL_STATUS_ACTIONS.map((action) =>
    defineRoute({
      method: 'post',
      path: `/accounts/:id/${action}`,
      summary: SUMMARIES[action],
      description:
        'Through the account lifecycle (accounts/status.ts manualStatusStep, lifecycle.ts): the account is brought to the business date first; ' +
        'a status change writes its history row with the reason; audited. A move the lifecycle does not allow is a 409. See docs/collections.md.',
      tags: ['accounts'],
      access: { permission: ACTION_PERMISSIONS[action] },
      params: Joi.object<{ id: number }, true>({ id: idField().required() }),
      body: Joi.object<{ reason: string }, true>({ reason: Joi.string().trim().min(3).max(1000).required() }),
      responses: {
        200: { description: 'The account after the action', schema: resultSchema },
        404: { description: "No such account in the caller's regions" },
        409: { description: 'Not allowed from the account status or arrears' },
      },
      handler: async (req) => ({ body: await applyStatusAction(ctx.sequelize, employeeOf(req), req.valid.params.id, action, req.valid.body.reason) }),
    }),
  );
}
