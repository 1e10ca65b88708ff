import Joi from 'joi';
import { approvalsInbox } from '../../platform/approvals/inbox';
import { cursorPaginationQuery, pagedResponseSchema } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';

export const inboxItemSchema = Joi.object({
  kind: Joi.string().description('refund, writeoff, reversal, remittance or commission_payment'),
  id: Joi.number().integer(),
  amount: Joi.string(),
  requestedBy: Joi.number().integer().allow(null).description('The maker (for a remittance, the agent who handed the cash in)'),
  requestedAt: Joi.string(),
  regionId: Joi.number().integer().allow(null).description("The account's or payment's region; null for an employee's item"),
  accountId: Joi.number().integer().allow(null),
  employeeId: Joi.number().integer().allow(null).description('The employee the item is about: the remitting agent, the commission payee'),
  url: Joi.string().description('The item'),
  approveUrl: Joi.string().description('POST here to approve (a remittance: confirm)'),
  rejectUrl: Joi.string().description('POST here to reject'),
});

/** The approvals inbox: one list of what the caller may decide, across every maker-checker kind. */
export function approvalRoutes(): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/approvals',
      summary: 'The approvals inbox: every pending request the caller may decide, across kinds, oldest first',
      description:
        'Refunds, write-offs, payment reversals, agent remittances and commission payments waiting for a decision, of the kinds whose approve ' +
        "permission the caller holds, in their regions (agents' items: agents sharing a region; commissions: employees they see). Requests the " +
        'caller made (or a remittance or commission of their own) are left out: another employee must decide them.',
      tags: ['approvals'],
      access: { permission: 'approvals:read' },
      query: Joi.object<{ limit: number; cursor?: string }, true>(cursorPaginationQuery),
      responses: { 200: { description: 'A page of pending items, oldest first', schema: pagedResponseSchema(inboxItemSchema) } },
      handler: async (req) => ({ body: await approvalsInbox(employeeOf(req), req.valid.query) }),
    }),
  ];
}
