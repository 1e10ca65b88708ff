import Joi from 'joi';
import { Op, type WhereOptions } from 'sequelize';
import type { AppContext } from '../../platform/context';
import { decodeIdCursor, encodeCursor, pagedResponseSchema, paginationQuery } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField, instantField } from '../../platform/http/schemas';
import { accountView } from '../accounts/account.service';
import {
  MOBILE_MONEY_STATUSES,
  MobileMoneyTransaction,
  UNMATCHED_PAYMENT_STATUSES,
  type MobileMoneyStatus,
  type UnmatchedPaymentStatus,
} from '../payments/models';
import { paymentView } from '../payments/views';
import { transactionView } from './ingestion.service';
import { PROVIDER_CODES, providerOf, type ProviderCode } from './providers';
import { ReconciliationService, REVIEW_MARK } from './reconciliation.service';
import { UnmatchedService, unmatchedView } from './unmatched.service';
import { mobileMoneyTransactionSchema, reconciliationReportSchema } from './mobile-money.responses';
import { postedPaymentKeys } from '../payments/payments.responses';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });

const unmatchedSchema = Joi.object({
  id: Joi.number().integer(),
  amount: Joi.string(),
  currency: Joi.string().allow(null),
  provider: Joi.string().allow(null),
  transactionId: Joi.string().allow(null),
  transTime: Joi.string().allow(null),
  reference: Joi.string().allow(null),
  msisdn: Joi.string().allow(null),
  payerName: Joi.string().allow(null),
  reason: Joi.string(),
  status: Joi.string().valid(...UNMATCHED_PAYMENT_STATUSES),
  accountId: Joi.number().integer().allow(null),
  paymentId: Joi.number().integer().allow(null),
  resolvedBy: Joi.number().integer().allow(null),
  resolvedAt: Joi.string().allow(null),
  resolutionNote: Joi.string().allow(null),
  createdAt: Joi.string(),
});

export function staffRoutes(ctx: AppContext): RouteSpec[] {
  const unmatched = new UnmatchedService(ctx.sequelize);
  const reconciliation = new ReconciliationService(ctx.sequelize, ctx.logger);
  const tags = ['mobile-money'];
  const resolved = {
    404: { description: "No such unmatched payment (or account in the caller's regions)" },
    409: { description: 'Already matched or refunded' },
  };
  return [
    defineRoute({
      method: 'get',
      path: '/unmatched-payments',
      summary: 'Money in suspense, newest first (default status open)',
      tags,
      access: { permission: 'unmatched:resolve' },
      query: Joi.object<{ status?: UnmatchedPaymentStatus; limit: number; cursor?: string }, true>({
        status: Joi.string().valid(...UNMATCHED_PAYMENT_STATUSES),
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      responses: { 200: { description: 'A page of unmatched payments', schema: pagedResponseSchema(unmatchedSchema) } },
      handler: async (req) => {
        const page = await unmatched.list(req.valid.query);
        return { body: { data: page.data.map(unmatchedView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/unmatched-payments/:id',
      summary: 'One unmatched payment',
      tags,
      access: { permission: 'unmatched:resolve' },
      params: idParams,
      responses: { 200: { description: 'The unmatched payment', schema: unmatchedSchema }, 404: { description: 'Not found' } },
      handler: async (req) => ({ body: unmatchedView(await unmatched.get(req.valid.params.id)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/unmatched-payments/:id/match',
      summary: 'Post an unmatched payment to the right account (it leaves suspense)',
      description:
        "Posts the money to the account as a payment of the provider's type (transactionRef = the provider transaction id), debiting suspense 2200: " +
        'allocation, receipt, credit days and token as for any payment. 422 if the account is in another currency.',
      tags,
      access: { permission: 'unmatched:resolve' },
      params: idParams,
      body: Joi.object<{ accountId: number; note?: string }, true>({ accountId: id.required(), note: Joi.string().trim().max(2000) }),
      responses: {
        200: {
          description: 'Matched: the unmatched payment, the payment, its allocations, the account and the device token(s)',
          schema: unmatchedSchema.keys(postedPaymentKeys),
        },
        ...resolved,
        422: { description: 'Currency differs' },
      },
      handler: async (req) => {
        const { unmatched: u, posted } = await unmatched.match(employeeOf(req), req.valid.params.id, req.valid.body.accountId, req.valid.body.note);
        return {
          body: {
            ...unmatchedView(u),
            payment: paymentView(posted.payment),
            allocations: posted.allocations,
            account: accountView(posted.account),
            ...posted.effects,
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/unmatched-payments/:id/refund',
      summary: 'Record that an unmatched payment went back to the payer (e.g. an M-Pesa reversal)',
      description: "Dr 2200 suspense / Cr 1100 mobile-money clearing; payoutReference is the provider's id of the reversal or payout.",
      tags,
      access: { permission: 'unmatched:resolve' },
      params: idParams,
      body: Joi.object<{ reason: string; payoutReference: string }, true>({
        reason: Joi.string().trim().min(3).max(2000).required(),
        payoutReference: Joi.string().trim().max(100).required(),
      }),
      responses: { 200: { description: 'Refunded', schema: unmatchedSchema }, ...resolved },
      handler: async (req) => ({ body: unmatchedView(await unmatched.refund(employeeOf(req), req.valid.params.id, req.valid.body)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/mobile-money/:provider/statements',
      summary: 'Reconcile a provider statement (CSV) against what AMT received',
      description:
        'Send the statement as text/csv. Columns (by header, case and punctuation ignored): transactionId ("Receipt No."), completedAt ("Completion Time"), ' +
        'amount ("Paid In"), accountReference ("A/C No."), msisdn ("Other Party Info"); optional status ("Transaction Status") and withdrawn ("Withdrawn"): ' +
        'rows not Completed or not money in are skipped; lines before the header are skipped. M-Pesa local times are East Africa Time; other providers ' +
        'need ISO 8601 with an offset. A malformed line is a 400 naming it, and nothing is reconciled. ' +
        'Answers the differences: missingInAmt (now ingested: posted or in suspense), missingInStatement (in AMT within from..to, default the ' +
        "statement's first and last times; marked for review), amountMismatches (marked for review). Re-uploading is safe (nothing happens twice). " +
        "country: where unmatched money is booked (default the provider's home country).",
      tags,
      access: { permission: 'mobile-money:reconcile' },
      consumes: ['text/csv'],
      params: Joi.object<{ provider: ProviderCode }, true>({
        provider: Joi.string()
          .valid(...PROVIDER_CODES)
          .required(),
      }),
      query: Joi.object<{ from?: string; to?: string; country?: string; fileName?: string }, true>({
        from: instantField(),
        to: instantField(),
        country: Joi.string().pattern(/^[A-Z0-9]{2,3}$/),
        fileName: Joi.string().max(255),
      }),
      body: Joi.string().min(1).required(),
      responses: { 200: { description: 'The reconciliation report', schema: reconciliationReportSchema } },
      handler: async (req) => {
        const q = req.valid.query;
        const report = await reconciliation.reconcile(providerOf(req.valid.params.provider), req.valid.body, {
          from: q.from ? new Date(q.from) : undefined,
          to: q.to ? new Date(q.to) : undefined,
          country: q.country,
          fileName: q.fileName,
          uploadedBy: req.principal!.employeeId,
        });
        return { body: report };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/mobile-money/transactions',
      summary: 'Stored provider transactions, newest first (review=true: those reconciliation marked for review)',
      tags,
      access: { permission: 'mobile-money:reconcile' },
      query: Joi.object<{ provider?: ProviderCode; status?: MobileMoneyStatus; review?: boolean; limit: number; cursor?: string }, true>({
        provider: Joi.string().valid(...PROVIDER_CODES),
        status: Joi.string().valid(...MOBILE_MONEY_STATUSES),
        review: Joi.boolean(),
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      responses: { 200: { description: 'A page of transactions', schema: pagedResponseSchema(mobileMoneyTransactionSchema) } },
      handler: async (req) => {
        const q = req.valid.query;
        const where: WhereOptions<MobileMoneyTransaction> = {};
        if (q.provider) Object.assign(where, { provider: q.provider });
        if (q.status) Object.assign(where, { status: q.status });
        if (q.review === true) Object.assign(where, { errorMessage: { [Op.like]: `${REVIEW_MARK}%` } });
        if (q.cursor) Object.assign(where, { id: { [Op.lt]: decodeIdCursor(q.cursor) } });
        const rows = await MobileMoneyTransaction.findAll({ where, order: [['id', 'DESC']], limit: q.limit + 1 });
        const data = rows.slice(0, q.limit);
        return {
          body: { data: data.map(transactionView), page: { limit: q.limit, nextCursor: rows.length > q.limit ? encodeCursor([data.at(-1)!.id]) : null } },
        };
      },
    }),
  ];
}
