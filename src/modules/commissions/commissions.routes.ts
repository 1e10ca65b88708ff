import Joi from 'joi';
import { decisionListQuery, decisionRoutes } from '../../platform/approvals/kit';
import type { AppContext } from '../../platform/context';
import { paginationQuery, pagedResponseSchema } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import {
  COMMISSION_ENTRY_STATUSES,
  COMMISSION_EVENTS,
  COMMISSION_PAYMENT_STATUSES,
  type CommissionEntryStatus,
  type CommissionEvent,
  type CommissionPaymentStatus,
} from './models';
import { commissionPaymentView, CommissionPayoutService, entryView } from './payout.service';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });
const period = Joi.string()
  .pattern(/^\d{4}-(0[1-9]|1[0-2])$/)
  .messages({ 'string.pattern.base': '{#label} must be a month, YYYY-MM' });

export const commissionEntrySchema = Joi.object({
  id: Joi.number().integer(),
  employeeId: Joi.number().integer(),
  accountId: Joi.number().integer().allow(null),
  commissionRuleId: Joi.number().integer().allow(null),
  eventType: Joi.string().valid(...COMMISSION_EVENTS),
  sourceType: Joi.string().description("'account' (sale) or 'payment' (down payment, collection)"),
  sourceId: Joi.number().integer(),
  stage: Joi.number().integer().description("Index into the rule's stages"),
  amount: Joi.string(),
  earnedOn: Joi.string().description('When the stage is earned (event date + afterMonths)'),
  status: Joi.string().valid(...COMMISSION_ENTRY_STATUSES),
  commissionPaymentId: Joi.number().integer().allow(null),
  createdAt: Joi.string(),
});

export const commissionPaymentSchema = Joi.object({
  id: Joi.number().integer(),
  employeeId: Joi.number().integer(),
  period: Joi.string(),
  amount: Joi.string().description('Entries less clawbacks deducted'),
  status: Joi.string().valid(...COMMISSION_PAYMENT_STATUSES),
  requestedBy: Joi.number().integer().allow(null),
  approvedBy: Joi.number().integer().allow(null).description('Who approved or rejected it'),
  approvedAt: Joi.string().allow(null),
  rejectionReason: Joi.string().allow(null),
  paidDate: Joi.string().allow(null),
  paidBy: Joi.number().integer().allow(null),
  paymentReference: Joi.string().allow(null),
  journalEntryId: Joi.number().integer().allow(null).description('The latest journal entry: the accrual on approval, the payout once paid'),
  createdAt: Joi.string(),
});

const decided = {
  200: { description: 'Decided', schema: commissionPaymentSchema },
  403: { description: 'Missing permission, or the caller is the payee or requested it (maker-checker)' },
  404: { description: 'No such commission payment visible to the caller' },
  409: { description: 'Not in the state this needs (e.g. already decided, or not approved yet)' },
};

const actor = employeeOf;

/** GET /commissions/entries: the filters. */
interface EntryQuery {
  employeeId?: number;
  accountId?: number;
  status?: CommissionEntryStatus;
  eventType?: CommissionEvent;
  paymentId?: number;
  limit: number;
  cursor?: string;
}

/**
 * Commissions. Reading needs commissions:read (agents see their own, supervisors their regions'
 * employees, head office everyone's); the monthly close, which requests the payments, needs
 * commissions:pay; approving or rejecting needs commissions:approve and another employee than
 * the requester and the payee; paying needs commissions:pay.
 */
export function commissionRoutes(ctx: AppContext): RouteSpec[] {
  const payouts = new CommissionPayoutService(ctx.sequelize);
  const tags = ['commissions'];
  return [
    defineRoute({
      method: 'get',
      path: '/commissions/entries',
      summary: 'Commission entries, newest first (one per earning event and stage)',
      description: "Agents see only their own (another employee's is a 404); supervisors their regions' employees; head office everyone's.",
      tags,
      access: { permission: 'commissions:read' },
      query: Joi.object<EntryQuery, true>({
        employeeId: id,
        accountId: id,
        status: Joi.string().valid(...COMMISSION_ENTRY_STATUSES),
        eventType: Joi.string().valid(...COMMISSION_EVENTS),
        paymentId: id,
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      responses: {
        200: { description: 'A page of entries', schema: pagedResponseSchema(commissionEntrySchema) },
        404: { description: 'The employee is not visible to the caller' },
      },
      handler: async (req) => {
        const page = await payouts.listEntries(actor(req), req.valid.query);
        return { body: { data: page.data.map(entryView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/commissions/payments',
      summary: 'Commission payments, newest first (e.g. ?status=pending: the approval queue)',
      tags,
      access: { permission: 'commissions:read' },
      query: Joi.object<{ employeeId?: number; period?: string; status?: CommissionPaymentStatus; requestedBy?: number; limit: number; cursor?: string }, true>(
        { employeeId: id, period, status: Joi.string().valid(...COMMISSION_PAYMENT_STATUSES), ...decisionListQuery },
      ),
      responses: {
        200: { description: 'A page of payments', schema: pagedResponseSchema(commissionPaymentSchema) },
        404: { description: 'The employee is not visible to the caller' },
      },
      handler: async (req) => {
        const page = await payouts.listPayments(actor(req), req.valid.query);
        return { body: { data: page.data.map(commissionPaymentView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/commissions/payments/:id',
      summary: 'One commission payment, with its entries by event and the clawbacks deducted from it',
      tags,
      access: { permission: 'commissions:read' },
      params: idParams,
      responses: { 200: { description: 'The payment', schema: commissionPaymentSchema.unknown(true) }, 404: { description: 'Not found' } },
      handler: async (req) => ({ body: await payouts.getPayment(actor(req), req.valid.params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/commissions/payments/close',
      summary: "Monthly close: one pending commission payment per employee for the period's payable entries, less open clawbacks",
      description:
        'Gathers entries that are payable and earned up to the last day of the period into one pending payment per employee (entries become ' +
        "'included'), less clawbacks whose entry was in an approved or paid payment. Idempotent per period: an employee who already has a " +
        'payment for it gets no second one. Where clawbacks exceed earnings, nothing is created and both carry forward. Another employee ' +
        'approves each payment (maker-checker).',
      tags,
      access: { permission: 'commissions:pay' },
      body: Joi.object<{ period: string }, true>({ period: period.required() }),
      responses: {
        200: {
          description: 'The payments created by this run, and who carried forward',
          schema: Joi.object({
            period: Joi.string(),
            periodEnd: Joi.string(),
            payments: Joi.array().items(commissionPaymentSchema),
            carriedForward: Joi.array().items(Joi.object({ employeeId: Joi.number().integer(), payable: Joi.string(), clawbacks: Joi.string() })),
          }),
        },
        409: { description: 'Another close of the period ran at the same time' },
      },
      handler: async (req) => {
        const r = await payouts.close(actor(req), req.valid.body.period);
        return { body: { period: r.period, periodEnd: r.periodEnd, payments: r.payments.map(commissionPaymentView), carriedForward: r.carriedForward } };
      },
    }),
    ...decisionRoutes({
      kind: 'commission_payment',
      basePath: '/commissions/payments',
      tags,
      decidePermission: 'commissions:approve',
      approveSummary: 'Approve a commission payment: books Dr 5300 commission expense / Cr 2500 commission payable',
      approveDescription: 'The approver must be neither the payee nor the requester (403; the database refuses it too).',
      rejectSummary: 'Reject a commission payment: its entries are payable again (next close), its clawbacks open again',
      decided,
      actorOf: actor,
      approve: async (a, id) => commissionPaymentView(await payouts.approve(a, id)),
      reject: async (a, id, reason) => commissionPaymentView(await payouts.reject(a, id, reason!)),
      pending: (decider, after, limit) => payouts.pending(decider, after, limit),
    }),
    defineRoute({
      method: 'post',
      path: '/commissions/payments/:id/pay',
      summary: 'Mark an approved commission payment paid: Dr 2500 commission payable / Cr 1130 bank',
      description: 'Paid on the business date of the country the commission was earned in. The payee cannot pay themselves (403).',
      tags,
      access: { permission: 'commissions:pay' },
      params: idParams,
      body: Joi.object<{ paymentReference: string }, true>({ paymentReference: Joi.string().trim().min(1).max(100).required() }),
      responses: { ...decided, 200: { description: 'Paid', schema: commissionPaymentSchema } },
      handler: async (req) => ({ body: commissionPaymentView(await payouts.pay(actor(req), req.valid.params.id, req.valid.body.paymentReference)) }),
    }),
  ];
}
