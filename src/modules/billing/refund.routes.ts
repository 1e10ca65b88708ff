import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { pagedResponseSchema } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField, paymentAmountField } from '../../platform/http/schemas';
import { decisionListQuery, decisionRoutes } from '../../platform/approvals/kit';
import { REFUND_METHODS, REFUND_STATUSES, type RefundStatus } from './models';
import { RefundService, refundView, type RefundRequest } from './refund.service';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });

export const refundSchema = Joi.object({
  id: Joi.number().integer(),
  paymentId: Joi.number().integer().allow(null),
  accountId: Joi.number().integer().allow(null),
  amount: Joi.string(),
  currency: Joi.string(),
  reason: Joi.string(),
  method: Joi.string().valid(...REFUND_METHODS),
  destination: Joi.string().allow(null),
  status: Joi.string().valid(...REFUND_STATUSES),
  requestedBy: Joi.number().integer(),
  approvedBy: Joi.number().integer().allow(null),
  decidedAt: Joi.string().allow(null),
  rejectionReason: Joi.string().allow(null),
  refundDate: Joi.string().allow(null),
  payoutReference: Joi.string().allow(null),
  journalEntryId: Joi.number().integer().allow(null).description('The approval entry (Dr 2100/1200, Cr 2400)'),
  createdAt: Joi.string(),
});

const decided = {
  200: { description: 'Decided', schema: refundSchema },
  403: { description: 'Missing permission, or the caller requested it (maker-checker)' },
  404: { description: "No such refund in the caller's regions" },
  409: { description: 'Already decided, or the payment can no longer be refunded' },
};

export function refundRoutes(ctx: AppContext): RouteSpec[] {
  const refunds = new RefundService(ctx.sequelize);
  const tags = ['billing'];
  return [
    defineRoute({
      method: 'post',
      path: '/refunds',
      summary: 'Request a refund of (part of) a payment (another employee approves it)',
      description:
        '422 if the amount exceeds the payment less what is already refunded or being refunded; 409 if the payment is not completed or a reversal is pending.',
      tags,
      access: { permission: 'refunds:request' },
      body: Joi.object<RefundRequest, true>({
        paymentId: id.required(),
        amount: paymentAmountField().required(),
        reason: Joi.string().trim().min(3).max(2000).required(),
        method: Joi.string()
          .valid(...REFUND_METHODS)
          .required(),
        destination: Joi.string().trim().max(100).description('Phone number or bank account the money goes to'),
      }),
      responses: {
        201: { description: 'The pending refund', schema: refundSchema },
        404: { description: "No such payment in the caller's regions" },
        409: { description: 'The payment cannot be refunded now' },
        422: { description: 'More than the payment can give back' },
      },
      handler: async (req) => {
        const r = await refunds.request(employeeOf(req), req.valid.body);
        return { status: 201, body: refundView(r), headers: { Location: `/api/v1/refunds/${r.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/refunds',
      summary: 'Refunds, newest first (e.g. ?status=pending: the approval queue)',
      tags,
      access: { permission: 'payments:read' },
      query: Joi.object<{ status?: RefundStatus; requestedBy?: number; paymentId?: number; accountId?: number; limit: number; cursor?: string }, true>({
        status: Joi.string().valid(...REFUND_STATUSES),
        paymentId: id,
        accountId: id,
        ...decisionListQuery,
      }),
      responses: { 200: { description: 'A page of refunds', schema: pagedResponseSchema(refundSchema) } },
      handler: async (req) => {
        const page = await refunds.list(employeeOf(req), req.valid.query);
        return { body: { data: page.data.map(refundView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/refunds/:id',
      summary: 'One refund',
      tags,
      access: { permission: 'payments:read' },
      params: idParams,
      responses: { 200: { description: 'The refund', schema: refundSchema }, 404: { description: 'Not found' } },
      handler: async (req) => ({ body: refundView(await refunds.get(employeeOf(req), req.valid.params.id)) }),
    }),
    ...decisionRoutes({
      kind: 'refund',
      basePath: '/refunds',
      tags,
      decidePermission: 'refunds:approve',
      approveSummary: 'Approve a refund: Dr 2100 customer credit (first) and Dr 1200 for allocations taken back / Cr 2400 refunds payable',
      approveDescription:
        "In one transaction with the account locked: the amount comes first from the account's credit balance, the rest by taking back the payment's " +
        'instalment and charge allocations newest first (the customer owes that again; a closed account re-opens). For a recovery on a written-off ' +
        'account the rest reduces recoveries (Dr 4500). Credit days the refunded money had bought are taken back, with a SET_TIME token for each ' +
        'device (creditDays, tokens in the answer). The approver must not be the requester (403).',
      rejectSummary: 'Reject a refund; nothing else changes',
      decided,
      actorOf: employeeOf,
      approve: async (actor, id) => {
        const { refund, effects } = await refunds.approve(actor, id);
        return { ...refundView(refund), ...effects };
      },
      reject: async (actor, id, reason) => refundView(await refunds.reject(actor, id, reason!)),
      pending: (decider, after, limit) => refunds.pending(decider, after, limit),
    }),
    defineRoute({
      method: 'post',
      path: '/refunds/:id/complete',
      summary: 'Record that an approved refund was paid out: Dr 2400 refunds payable / Cr 1100, 1130 or 1110 by method',
      tags,
      access: { permission: 'refunds:approve' },
      params: idParams,
      body: Joi.object<{ payoutReference: string }, true>({ payoutReference: Joi.string().trim().min(1).max(100).required() }),
      responses: {
        200: { description: 'Completed', schema: refundSchema },
        404: { description: 'Not found' },
        409: { description: 'Not approved (pending, rejected or already completed)' },
      },
      handler: async (req) => ({ body: refundView(await refunds.complete(employeeOf(req), req.valid.params.id, req.valid.body.payoutReference)) }),
    }),
  ];
}
