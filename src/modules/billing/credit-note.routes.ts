import Joi from 'joi';
import { decisionRoutes } from '../../platform/approvals/kit';
import type { AppContext } from '../../platform/context';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField, paymentAmountField } from '../../platform/http/schemas';
import { accountView } from '../accounts/account.service';
import { accountSchema } from '../accounts/accounts.routes';
import { CreditNoteService, creditNoteView, type CreditNoteInput } from './credit-note.service';
import { CREDIT_NOTE_STATUSES } from './models';

const id = idField();

export const creditNoteSchema = Joi.object({
  id: Joi.number().integer(),
  accountId: Joi.number().integer(),
  invoiceId: Joi.number().integer().allow(null),
  creditNoteNumber: Joi.string(),
  amount: Joi.string(),
  currency: Joi.string(),
  reason: Joi.string(),
  journalEntryId: Joi.number().integer().allow(null).description('Dr 4100 sales revenue / Cr 2100 customer credit balances'),
  refundId: Joi.number().integer().allow(null),
  status: Joi.string()
    .valid(...CREDIT_NOTE_STATUSES)
    .description('issued (booked), pending (above the approval threshold: another employee decides), rejected'),
  issuedBy: Joi.number().integer().allow(null),
  issuedAt: Joi.string(),
  requestedBy: Joi.number().integer().allow(null).description('The maker of a note that needed approval'),
  approvedBy: Joi.number().integer().allow(null).description('Who decided it (approved or rejected)'),
  decidedAt: Joi.string().allow(null),
  rejectionReason: Joi.string().allow(null),
});

const decided = {
  200: { description: 'Decided', schema: creditNoteSchema },
  403: { description: 'Missing permission, or the caller requested it (maker-checker)' },
  404: { description: "No such credit note in the caller's regions" },
  409: { description: 'Already decided, or the account was written off since' },
};

const issued = Joi.object({ creditNote: creditNoteSchema, account: accountSchema });

export function creditNoteRoutes(ctx: AppContext): RouteSpec[] {
  const creditNotes = new CreditNoteService(ctx.sequelize);
  const tags = ['billing'];
  return [
    defineRoute({
      method: 'post',
      path: '/invoices/:id/credit-notes',
      summary: 'Issue a credit note against an invoice (billing correction; Idempotency-Key required)',
      description:
        "Credits the account: Dr 4100 sales revenue / Cr 2100 customer credit balances, and the account's credit balance rises by the amount " +
        '(a refund takes from the credit balance first). The credit notes of an invoice, issued or pending, never exceed its total (409). ' +
        'Above the approval threshold (systemSettings creditNotes.approvalThreshold, default 5000.00) the note is pending and nothing is booked until another employee approves it. ' +
        '409 on a written-off account.',
      tags,
      access: { permission: 'credit-notes:write' },
      idempotent: true,
      params: Joi.object<{ id: number }, true>({ id: id.required() }),
      body: Joi.object<CreditNoteInput, true>({
        amount: paymentAmountField().required(),
        reason: Joi.string().trim().min(3).max(2000).required(),
      }),
      responses: {
        201: { description: 'The credit note and the account after it', schema: issued },
        404: { description: "No such invoice in the caller's regions" },
        409: { description: 'More than the invoice total less earlier credit notes; a written-off account; a closed fiscal period' },
      },
      handler: async (req) => {
        const view = (r: { creditNote: Parameters<typeof creditNoteView>[0]; account: Parameters<typeof accountView>[0] }) => ({
          creditNote: creditNoteView(r.creditNote),
          account: accountView(r.account),
        });
        const result = await creditNotes.issue(employeeOf(req), req.valid.params.id, req.valid.body, {
          beforeCommit: (r, t) => req.idempotency!.complete(201, view(r), t),
        });
        return { status: 201, body: view(result), headers: { Location: `/api/v1/invoices/${req.valid.params.id}/credit-notes` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/invoices/:id/credit-notes',
      summary: 'The credit notes of an invoice, oldest first',
      tags,
      access: { permission: 'accounts:read' },
      params: Joi.object<{ id: number }, true>({ id: id.required() }),
      responses: {
        200: { description: 'The credit notes', schema: Joi.object({ data: Joi.array().items(creditNoteSchema) }) },
        404: { description: "No such invoice in the caller's regions" },
      },
      handler: async (req) => ({ body: { data: (await creditNotes.list(employeeOf(req), req.valid.params.id)).map(creditNoteView) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/credit-notes/:id',
      summary: 'One credit note',
      tags,
      access: { permission: 'accounts:read' },
      params: Joi.object<{ id: number }, true>({ id: id.required() }),
      responses: { 200: { description: 'The credit note', schema: creditNoteSchema }, 404: { description: 'Not found' } },
      handler: async (req) => ({ body: creditNoteView(await creditNotes.get(employeeOf(req), req.valid.params.id)) }),
    }),
    ...decisionRoutes({
      kind: 'credit_note',
      basePath: '/credit-notes',
      tags,
      decidePermission: 'credit-notes:approve',
      approveSummary: 'Approve a credit note above the threshold: Dr 4100 / Cr 2100, the credit balance rises',
      approveDescription: 'The approver must not be the requester (403).',
      rejectSummary: 'Reject a credit note; nothing is booked and its part of the invoice is free again',
      decided,
      actorOf: employeeOf,
      approve: async (actor, id) => creditNoteView(await creditNotes.approve(actor, id)),
      reject: async (actor, id, reason) => creditNoteView(await creditNotes.reject(actor, id, reason!)),
      pending: (decider, after, limit) => creditNotes.pending(decider, after, limit),
    }),
  ];
}
