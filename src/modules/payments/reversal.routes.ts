import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { pagedResponseSchema } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import { PAYMENT_REVERSAL_STATUSES, type PaymentReversalStatus } from './models';
import { decisionListQuery, decisionRoutes } from '../../platform/approvals/kit';
import { ReversalService, reversalView } from './reversal.service';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });

export const reversalSchema = Joi.object({
  id: Joi.number().integer(),
  paymentId: Joi.number().integer(),
  amount: Joi.string(),
  reason: Joi.string(),
  status: Joi.string().valid(...PAYMENT_REVERSAL_STATUSES),
  requestedBy: Joi.number().integer(),
  approvedBy: Joi.number().integer().allow(null).description('Who approved or rejected it'),
  decidedAt: Joi.string().allow(null),
  journalEntryId: Joi.number().integer().allow(null).description('The reversing journal entry'),
  createdAt: Joi.string(),
});

const decided = {
  200: { description: 'Decided (on approval, with what other domains took back, e.g. credit days)', schema: reversalSchema.unknown(true) },
  403: { description: 'Missing permission, or the caller requested it (maker-checker)' },
  404: { description: "No such reversal in the caller's regions" },
  409: { description: 'Already decided, or the payment can no longer be reversed' },
};

export function reversalRoutes(ctx: AppContext): RouteSpec[] {
  const reversals = new ReversalService(ctx.sequelize);
  const tags = ['payments'];
  return [
    defineRoute({
      method: 'post',
      path: '/payments/:id/reversal',
      summary: 'Request the reversal of a payment (another employee approves it)',
      description: 'Creates a pending reversal. 409 if the payment is not completed, is (being) refunded, or already has a pending reversal.',
      tags,
      access: { permission: 'payments:reverse' },
      params: idParams,
      body: Joi.object<{ reason: string }, true>({ reason: Joi.string().trim().min(3).max(2000).required() }),
      responses: {
        201: { description: 'The pending reversal', schema: reversalSchema },
        404: { description: "No such payment in the caller's regions" },
        409: { description: 'Not reversible now' },
      },
      handler: async (req) => {
        const r = await reversals.request(employeeOf(req), req.valid.params.id, req.valid.body.reason);
        return { status: 201, body: reversalView(r), headers: { Location: `/api/v1/payment-reversals/${r.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/payment-reversals',
      summary: 'Payment reversals, newest first (e.g. ?status=pending: the approval queue)',
      tags,
      access: { permission: 'payments:read' },
      query: Joi.object<{ status?: PaymentReversalStatus; requestedBy?: number; paymentId?: number; limit: number; cursor?: string }, true>({
        status: Joi.string().valid(...PAYMENT_REVERSAL_STATUSES),
        paymentId: id,
        ...decisionListQuery,
      }),
      responses: { 200: { description: 'A page of reversals', schema: pagedResponseSchema(reversalSchema) } },
      handler: async (req) => {
        const page = await reversals.list(employeeOf(req), req.valid.query);
        return { body: { data: page.data.map(reversalView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/payment-reversals/:id',
      summary: 'One payment reversal',
      tags,
      access: { permission: 'payments:read' },
      params: idParams,
      responses: { 200: { description: 'The reversal', schema: reversalSchema }, 404: { description: 'Not found' } },
      handler: async (req) => ({ body: reversalView(await reversals.get(employeeOf(req), req.valid.params.id)) }),
    }),
    ...decisionRoutes({
      kind: 'reversal',
      basePath: '/payment-reversals',
      tags,
      decidePermission: 'payments:reverse:approve',
      approveSummary: 'Approve a reversal: undoes the payment and posts the reversing journal entry',
      approveDescription:
        'In one transaction with the account locked: allocations taken back (instalments and charges restored), the overpayment taken back from the ' +
        'credit balance (409 if it was used or refunded), balance, DPD, PAR and status recomputed (a closed account re-opens), the payment marked reversed, ' +
        'and its journal entry reversed. The approver must not be the requester (403).',
      rejectSummary: 'Reject a reversal; nothing else changes',
      rejectReason: 'optional',
      decided,
      actorOf: employeeOf,
      approve: async (actor, id) => {
        const { reversal, effects } = await reversals.approve(actor, id);
        return { ...reversalView(reversal), ...effects };
      },
      reject: async (actor, id, reason) => reversalView(await reversals.reject(actor, id, reason)),
      pending: (decider, after, limit) => reversals.pending(decider, after, limit),
    }),
  ];
}
