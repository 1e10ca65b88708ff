import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { paginationQuery, pagedResponseSchema } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import { creditNoteSchema } from './credit-note.routes';
import { InvoiceService, invoiceView } from './invoice.service';
import { INVOICE_LINE_TYPES, INVOICE_STATUSES } from './models';

const id = idField();

const lineSchema = Joi.object({
  id: Joi.number().integer(),
  lineType: Joi.string().valid(...INVOICE_LINE_TYPES),
  description: Joi.string(),
  quantity: Joi.number().integer(),
  unitAmount: Joi.string(),
  amount: Joi.string().description('Negative for payments received and write-offs'),
  installmentScheduleId: Joi.number().integer().allow(null),
  accountChargeId: Joi.number().integer().allow(null),
  paymentId: Joi.number().integer().allow(null),
});

export const invoiceSchema = Joi.object({
  id: Joi.number().integer(),
  accountId: Joi.number().integer(),
  invoiceNumber: Joi.string(),
  currency: Joi.string(),
  periodStart: Joi.string().allow(null),
  periodEnd: Joi.string().allow(null),
  openingBalance: Joi.string().description('Receivable before the first day of the period'),
  amount: Joi.string().description('Sum of the lines'),
  tax: Joi.string(),
  totalAmount: Joi.string(),
  closingBalance: Joi.string().description('Receivable at the end of the last day of the period'),
  dueDate: Joi.string(),
  status: Joi.string().valid(...INVOICE_STATUSES),
  createdAt: Joi.string(),
  lines: Joi.array().items(lineSchema),
  creditNotes: Joi.array().items(creditNoteSchema).description('Billing corrections issued against it (GET /invoices/:id)'),
});

export function invoiceRoutes(ctx: AppContext): RouteSpec[] {
  const invoices = new InvoiceService(ctx.sequelize);
  const tags = ['billing'];
  return [
    defineRoute({
      method: 'post',
      path: '/accounts/:id/invoices',
      summary: 'Generate the monthly statement of an account (once per month: asking again returns it)',
      description:
        'Lines: instalments due in the month, fees and penalties raised, payments received (negative), reversals (positive) and write-offs (negative) in it. ' +
        'amount = totalAmount = sum of the lines; opening and closing balance from the receivable ledger. No ledger effect. ' +
        '201 when created, 200 with the same statement when it already exists; 422 for a month not started yet.',
      tags,
      access: { permission: 'accounts:write' },
      params: Joi.object<{ id: number }, true>({ id: id.required() }),
      body: Joi.object<{ period: string }, true>({
        period: Joi.string()
          .pattern(/^\d{4}-(0[1-9]|1[0-2])$/)
          .message('must be a month YYYY-MM')
          .required(),
      }),
      responses: {
        201: { description: 'The new statement', schema: invoiceSchema },
        200: { description: 'The statement already generated for this month', schema: invoiceSchema },
        404: { description: "No such account in the caller's regions" },
        422: { description: 'The month has not started' },
      },
      handler: async (req) => {
        const { invoice, created } = await invoices.generate(employeeOf(req), req.valid.params.id, req.valid.body.period);
        return { status: created ? 201 : 200, body: invoiceView(invoice), headers: { Location: `/api/v1/invoices/${invoice.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/accounts/:id/invoices',
      summary: 'Statements of an account, newest first',
      tags,
      access: { permission: 'accounts:read' },
      params: Joi.object<{ id: number }, true>({ id: id.required() }),
      query: Joi.object<{ limit: number; cursor?: string }, true>({ limit: paginationQuery.limit, cursor: paginationQuery.cursor }),
      responses: {
        200: { description: 'A page of statements (without lines)', schema: pagedResponseSchema(invoiceSchema) },
        404: { description: 'Not found' },
      },
      handler: async (req) => {
        const page = await invoices.list(employeeOf(req), req.valid.params.id, req.valid.query);
        return { body: { data: page.data.map(invoiceView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/invoices/:id',
      summary: 'One statement with its lines',
      tags,
      access: { permission: 'accounts:read' },
      params: Joi.object<{ id: number }, true>({ id: id.required() }),
      responses: { 200: { description: 'The statement', schema: invoiceSchema }, 404: { description: 'Not found' } },
      handler: async (req) => ({ body: invoiceView(await invoices.get(employeeOf(req), req.valid.params.id)) }),
    }),
  ];
}
