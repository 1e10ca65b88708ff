import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { pagedResponseSchema } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import { decisionListQuery, decisionRoutes } from '../../platform/approvals/kit';
import { WRITEOFF_STATUSES, type WriteoffStatus } from './models';
import { WriteoffService, writeoffView } from './writeoff.service';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });

export const writeoffSchema = Joi.object({
  id: Joi.number().integer(),
  accountId: Joi.number().integer(),
  amount: Joi.string().description('Balance when requested; the balance written off once approved'),
  reason: Joi.string(),
  status: Joi.string().valid(...WRITEOFF_STATUSES),
  requestedBy: Joi.number().integer(),
  approvedBy: Joi.number().integer().allow(null),
  decidedAt: Joi.string().allow(null),
  rejectionReason: Joi.string().allow(null),
  writeoffDate: Joi.string().allow(null),
  journalEntryId: Joi.number().integer().allow(null),
  createdAt: Joi.string(),
});

const decided = {
  200: { description: 'Decided', schema: writeoffSchema },
  403: { description: 'Missing permission, or the caller requested it (maker-checker)' },
  404: { description: "No such write-off in the caller's regions" },
  409: { description: 'Already decided, or the account cannot be written off (e.g. closed)' },
};

export function writeoffRoutes(ctx: AppContext): RouteSpec[] {
  const writeoffs = new WriteoffService(ctx.sequelize);
  const tags = ['billing'];
  return [
    defineRoute({
      method: 'post',
      path: '/accounts/:id/writeoff',
      summary: "Request the write-off of an account's outstanding balance (another employee approves it)",
      tags,
      access: { permission: 'writeoffs:request' },
      params: idParams,
      body: Joi.object<{ reason: string }, true>({ reason: Joi.string().trim().min(3).max(2000).required() }),
      responses: {
        201: { description: 'The pending write-off', schema: writeoffSchema },
        404: { description: "No such account in the caller's regions" },
        409: { description: 'Closed, already written off, nothing owed, or a write-off already pending' },
      },
      handler: async (req) => {
        const w = await writeoffs.request(employeeOf(req), req.valid.params.id, req.valid.body.reason);
        return { status: 201, body: writeoffView(w), headers: { Location: `/api/v1/writeoffs/${w.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/writeoffs',
      summary: 'Write-offs, newest first (e.g. ?status=pending: the approval queue)',
      tags,
      access: { permission: 'accounts:read' },
      query: Joi.object<{ status?: WriteoffStatus; requestedBy?: number; accountId?: number; limit: number; cursor?: string }, true>({
        status: Joi.string().valid(...WRITEOFF_STATUSES),
        accountId: id,
        ...decisionListQuery,
      }),
      responses: { 200: { description: 'A page of write-offs', schema: pagedResponseSchema(writeoffSchema) } },
      handler: async (req) => {
        const page = await writeoffs.list(employeeOf(req), req.valid.query);
        return { body: { data: page.data.map(writeoffView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/writeoffs/:id',
      summary: 'One write-off',
      tags,
      access: { permission: 'accounts:read' },
      params: idParams,
      responses: { 200: { description: 'The write-off', schema: writeoffSchema }, 404: { description: 'Not found' } },
      handler: async (req) => ({ body: writeoffView(await writeoffs.get(employeeOf(req), req.valid.params.id)) }),
    }),
    ...decisionRoutes({
      kind: 'writeoff',
      basePath: '/writeoffs',
      tags,
      decidePermission: 'writeoffs:approve',
      approveSummary: 'Approve a write-off: Dr 5200 bad-debt expense / Cr 1200 for the whole balance; the account becomes written_off',
      approveDescription:
        'Open instalments and charges become waived and the balance 0. Later payments post as recoveries (Cr 4500). The approver must not be the requester (403).',
      rejectSummary: 'Reject a write-off; nothing else changes',
      decided,
      actorOf: employeeOf,
      approve: async (actor, id) => writeoffView(await writeoffs.approve(actor, id)),
      reject: async (actor, id, reason) => writeoffView(await writeoffs.reject(actor, id, reason!)),
      pending: (decider, after, limit) => writeoffs.pending(decider, after, limit),
    }),
  ];
}
