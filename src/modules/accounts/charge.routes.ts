import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { dateOnlyField, idField, paymentAmountField } from '../../platform/http/schemas';
import { accountView } from './account.service';
import { accountSchema } from './accounts.routes';
import { ChargeService, chargeView, type RaiseChargeInput } from './charge.service';
import { ACCOUNT_CHARGE_STATUSES, ACCOUNT_CHARGE_TYPES } from './models';

const id = idField();
const calendarDate = dateOnlyField();

export const chargeSchema = Joi.object({
  id: Joi.number().integer(),
  accountId: Joi.number().integer(),
  chargeType: Joi.string().valid(...ACCOUNT_CHARGE_TYPES),
  description: Joi.string(),
  amount: Joi.string(),
  paidAmount: Joi.string(),
  status: Joi.string().valid(...ACCOUNT_CHARGE_STATUSES),
  dueDate: Joi.string(),
  businessDate: Joi.string().allow(null),
  createdBy: Joi.number().integer().allow(null),
});

const chargeResult = Joi.object({ charge: chargeSchema, account: accountSchema });

export function chargeRoutes(ctx: AppContext): RouteSpec[] {
  const charges = new ChargeService(ctx.sequelize);
  const tags = ['accounts'];
  return [
    defineRoute({
      method: 'get',
      path: '/accounts/:id/charges',
      summary: 'Fees and penalties of an account',
      tags,
      access: { permission: 'accounts:read' },
      params: Joi.object<{ id: number }, true>({ id: id.required() }),
      responses: {
        200: { description: 'The charges, oldest first', schema: Joi.object({ data: Joi.array().items(chargeSchema) }) },
        404: { description: "No such account in the caller's regions" },
      },
      handler: async (req) => ({ body: { data: (await charges.list(employeeOf(req), req.valid.params.id)).map(chargeView) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/accounts/:id/charges',
      summary: 'Raise a fee or penalty on an account (Idempotency-Key required)',
      description:
        'Books Dr 1200 loans receivable / Cr 4300 fee income or 4400 penalty income and raises the balance; payments settle charges first. ' +
        '409 on a closed or written-off account.',
      tags,
      access: { permission: 'charges:write' },
      idempotent: true,
      params: Joi.object<{ id: number }, true>({ id: id.required() }),
      body: Joi.object<RaiseChargeInput, true>({
        chargeType: Joi.string()
          .valid(...ACCOUNT_CHARGE_TYPES)
          .required(),
        amount: paymentAmountField().required(),
        description: Joi.string().trim().min(1).max(255).required(),
        dueDate: calendarDate.description('Defaults to the business date'),
      }),
      responses: {
        201: { description: 'The charge and the account after it', schema: chargeResult },
        404: { description: "No such account in the caller's regions" },
        409: { description: 'The account takes no charges in its status, or the fiscal period is closed' },
      },
      handler: async (req) => {
        const view = (r: { charge: Parameters<typeof chargeView>[0]; account: Parameters<typeof accountView>[0] }) => ({
          charge: chargeView(r.charge),
          account: accountView(r.account),
        });
        const result = await charges.raise(employeeOf(req), req.valid.params.id, req.valid.body, {
          beforeCommit: (r, t) => req.idempotency!.complete(201, view(r), t),
        });
        return { status: 201, body: view(result), headers: { Location: `/api/v1/accounts/${req.valid.params.id}/charges` } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/accounts/:id/charges/:chargeId/waive',
      summary: 'Waive what is still unpaid of a charge',
      description:
        'Books Dr 4300/4400 / Cr 1200 for the unpaid part and lowers the balance (the account closes if nothing is owed). 409 if the charge is paid or waived.',
      tags,
      access: { permission: 'charges:write' },
      params: Joi.object<{ id: number; chargeId: number }, true>({ id: id.required(), chargeId: id.required() }),
      body: Joi.object<{ reason?: string }, true>({ reason: Joi.string().trim().max(255) }),
      responses: {
        200: { description: 'The waived charge and the account after it', schema: chargeResult },
        404: { description: 'No such account or charge' },
        409: { description: 'The charge is not open' },
      },
      handler: async (req) => {
        const r = await charges.waive(employeeOf(req), req.valid.params.id, req.valid.params.chargeId, req.valid.body.reason);
        return { body: { charge: chargeView(r.charge), account: accountView(r.account) } };
      },
    }),
  ];
}
