import Joi from 'joi';
import { decisionListQuery, decisionRoutes } from '../../platform/approvals/kit';
import type { AppContext } from '../../platform/context';
import { pagedResponseSchema } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import { ACCOUNT_TRANSFER_STATUSES, type AccountTransferStatus } from '../accounts/models';
import { accountTransferSchema } from './transfer.responses';
import { AccountTransferService, transferView, type TransferRequest } from './transfer.service';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });

const decided = {
  200: { description: 'Decided', schema: accountTransferSchema },
  403: { description: 'Missing permission, or the caller requested it (maker-checker)' },
  404: { description: "No such transfer in the caller's regions, or the new owner is not in them" },
  409: { description: 'Already decided; the account cannot change owner any more; the new owner is no longer KYC-verified' },
};

export function accountTransferRoutes(ctx: AppContext): RouteSpec[] {
  const transfers = new AccountTransferService(ctx.sequelize, ctx.logger);
  const tags = ['accounts'];
  return [
    defineRoute({
      method: 'post',
      path: '/accounts/:id/transfer',
      summary: 'Request the transfer of an account to another customer (another employee approves it)',
      description:
        "The new owner must be KYC-verified (409) and in the caller's regions (404). 409 for a closed, written-off or repossessed account, the same owner, or a transfer already pending.",
      tags,
      access: { permission: 'transfers:request' },
      params: idParams,
      body: Joi.object<TransferRequest, true>({
        toCustomerId: id.required(),
        reason: Joi.string().trim().min(3).max(2000).required(),
      }),
      responses: {
        201: { description: 'The pending transfer', schema: accountTransferSchema },
        404: { description: "No such account or customer in the caller's regions" },
        409: { description: 'Not transferable, same owner, new owner not KYC-verified, or a transfer already pending' },
      },
      handler: async (req) => {
        const x = await transfers.request(employeeOf(req), req.valid.params.id, req.valid.body);
        return { status: 201, body: transferView(x), headers: { Location: `/api/v1/account-transfers/${x.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/accounts/:id/transfers',
      summary: 'The ownership transfers of an account, oldest first',
      tags,
      access: { permission: 'accounts:read' },
      params: idParams,
      responses: {
        200: { description: 'The transfers', schema: Joi.object({ data: Joi.array().items(accountTransferSchema) }) },
        404: { description: "No such account in the caller's regions" },
      },
      handler: async (req) => ({ body: { data: (await transfers.listOfAccount(employeeOf(req), req.valid.params.id)).map(transferView) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/account-transfers',
      summary: 'Ownership transfers, newest first (e.g. ?status=pending: the approval queue)',
      tags,
      access: { permission: 'accounts:read' },
      query: Joi.object<{ status?: AccountTransferStatus; requestedBy?: number; limit: number; cursor?: string }, true>({
        status: Joi.string().valid(...ACCOUNT_TRANSFER_STATUSES),
        ...decisionListQuery,
      }),
      responses: { 200: { description: 'A page of transfers', schema: pagedResponseSchema(accountTransferSchema) } },
      handler: async (req) => {
        const page = await transfers.list(employeeOf(req), req.valid.query);
        return { body: { data: page.data.map(transferView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/account-transfers/:id',
      summary: 'One ownership transfer',
      tags,
      access: { permission: 'accounts:read' },
      params: idParams,
      responses: { 200: { description: 'The transfer', schema: accountTransferSchema }, 404: { description: 'Not found' } },
      handler: async (req) => ({ body: transferView(await transfers.get(employeeOf(req), req.valid.params.id)) }),
    }),
    ...decisionRoutes({
      kind: 'account_transfer',
      basePath: '/account-transfers',
      tags,
      decidePermission: 'transfers:approve',
      approveSummary: 'Approve an ownership transfer: the account moves to the new owner, who gets an SMS',
      approveDescription:
        'The account keeps its number, schedule, payments, charges, devices and ledger; only its customer changes (audited, outbox account.transferred). The approver must not be the requester (403).',
      rejectSummary: 'Reject an ownership transfer; nothing else changes',
      decided,
      actorOf: employeeOf,
      approve: async (actor, id) => transferView(await transfers.approve(actor, id)),
      reject: async (actor, id, reason) => transferView(await transfers.reject(actor, id, reason!)),
      pending: (decider, after, limit) => transfers.pending(decider, after, limit),
    }),
  ];
}
