import Joi from 'joi';
import { regionScope } from '../../platform/auth/principal';
import type { AppContext } from '../../platform/context';
import { clientIdField } from '../../platform/http/client-id';
import { storeAnswer } from '../../platform/http/idempotency';
import { defineRoute, type RouteSpec } from '../../platform/http/route';
import { dateOnlyField, idField } from '../../platform/http/schemas';
import { cursorPaginationQuery, pagedResponseSchema, paginationQuery } from '../../platform/http/pagination';
import { AccountService, accountView, type AccountPageQuery, type AccountQuery } from './account.service';
import { accountEvents } from './events';
import { ACCOUNT_STATUSES, PAR_BUCKETS } from './models';
import { accountDetailSchema, accountLedgerEntrySchema, accountSchema } from './accounts.responses';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });
const calendarDate = dateOnlyField();

export { accountSchema };

/** POST /accounts: what a sale on credit names. */
interface OpenAccountBody {
  customerId: number;
  productId: number;
  payplanId: number;
  regionId?: number;
  agentId?: number;
  startDate?: string;
  clientId?: string;
}

export function accountRoutes(ctx: AppContext): RouteSpec[] {
  const accounts = new AccountService(ctx.sequelize);
  const tags = ['accounts'];
  return [
    defineRoute({
      method: 'post',
      path: '/accounts',
      summary: 'Open an account (sale on credit): prices it and builds its schedule',
      tags,
      syncAction: { type: 'account.create' },
      access: { permission: 'accounts:write' },
      idempotent: 'clientId',
      body: Joi.object<OpenAccountBody, true>({
        clientId: clientIdField(),
        customerId: id.required(),
        productId: id.required(),
        payplanId: id.required(),
        regionId: id,
        agentId: id,
        startDate: calendarDate,
      }),
      responses: {
        201: { description: 'The new account: pending its down payment, or active at once on a zero-down plan', schema: accountSchema },
        422: { description: "No pricing for this product on this payplan, or a regionId other than the customer's" },
      },
      handler: async (req) => {
        // The sale guards first (cash: an agent holding more cash than their limit sells nothing until they remit).
        await accountEvents.checkSale(ctx.sequelize, { sellerId: req.principal!.employeeId });
        const { clientId: _clientId, ...input } = req.valid.body;
        const account = await accounts.open(input, regionScope(req.principal), req.principal!.employeeId, storeAnswer(req.idempotency, 201, accountView));
        return { status: 201, body: accountView(account), headers: { Location: `/api/v1/accounts/${account.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/accounts',
      summary: "Accounts in the caller's regions, newest first; filter by status, PAR bucket, DPD, customer or agent",
      tags,
      access: { permission: 'accounts:read' },
      query: Joi.object<AccountQuery, true>({
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
        status: Joi.string().valid(...ACCOUNT_STATUSES),
        parBucket: Joi.string().valid(...PAR_BUCKETS),
        minDaysPastDue: Joi.number().integer().min(0),
        regionId: id,
        customerId: id,
        agentId: id,
      }),
      responses: { 200: { description: 'A page of accounts', schema: pagedResponseSchema(accountSchema) } },
      handler: async (req) => {
        const page = await accounts.list(regionScope(req.principal), req.valid.query);
        return { body: { data: page.data.map(accountView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/accounts/:id',
      summary: 'An account with its schedule, balance, DPD and status history',
      tags,
      access: { permission: 'accounts:read' },
      params: idParams,
      responses: {
        200: { description: 'The account with its schedule and status history', schema: accountDetailSchema },
        404: { description: "No such account in the caller's regions" },
      },
      handler: async (req) => ({ body: await accounts.detail(regionScope(req.principal), req.valid.params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/accounts/:id/ledger',
      responses: {
        200: { description: "A page of the account's journal entries", schema: pagedResponseSchema(accountLedgerEntrySchema) },
        404: { description: "No such account in the caller's regions" },
      },
      summary: 'Journal entries of an account, with their lines, oldest first, a page at a time',
      tags,
      access: { permission: 'ledger:read' },
      params: idParams,
      query: Joi.object<AccountPageQuery, true>(cursorPaginationQuery),
      handler: async (req) => ({ body: await accounts.ledger(regionScope(req.principal), req.valid.params.id, req.valid.query) }),
    }),
  ];
}
