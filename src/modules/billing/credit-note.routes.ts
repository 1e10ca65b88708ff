import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField, paymentAmountField } from '../../platform/http/schemas';
import { accountView } from '../accounts/account.service';
import { accountSchema } from '../accounts/accounts.routes';
import { CreditNoteService, creditNoteView, type CreditNoteInput } from './credit-note.service';

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
  issuedBy: Joi.number().integer().allow(null),
  issuedAt: Joi.string(),
});

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
        '(netted by the payoff quote, paid out by a refund of the credit balance). The credit notes of an invoice never exceed its total (409). ' +
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
  ];
}
