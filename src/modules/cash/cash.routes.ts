import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField, pastInstantField, paymentAmountField } from '../../platform/http/schemas';
import { problems } from '../../platform/http/problem';
import { decisionRoutes } from '../../platform/approvals/kit';
import { paginationQuery, pagedResponseSchema } from '../../platform/http/pagination';
import { AGENT_REMITTANCE_STATUSES, type AgentRemittanceStatus } from './models';
import { CashService, REMITTANCE_METHODS, remittanceView, type RemittanceMethod } from './cash.service';
import { cashCollectionResultSchema, cashPositionKeys } from './cash.responses';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });

const remittanceSchema = Joi.object({
  id: Joi.number().integer(),
  agentId: Joi.number().integer(),
  amount: Joi.string(),
  method: Joi.string(),
  reference: Joi.string().allow(null),
  remittedAt: Joi.string(),
  status: Joi.string().valid(...AGENT_REMITTANCE_STATUSES),
  confirmedBy: Joi.number().integer().allow(null),
  confirmedAt: Joi.string().allow(null),
  notes: Joi.string().allow(null),
  collectionIds: Joi.array().items(Joi.number().integer()),
  createdAt: Joi.string(),
});

const limitProblem = { description: 'Missing permission, or the agent carries cash at or above the limit (type .../cash-limit-exceeded: remit first)' };

interface CollectBody {
  clientCollectionId: string;
  accountId: number;
  amount: string;
  collectedAt: string;
  latitude?: number;
  longitude?: number;
}

interface RemitBody {
  amount: string;
  method: RemittanceMethod;
  reference?: string;
  remittedAt?: string;
  notes?: string;
  collectionIds?: number[];
}

export function cashRoutes(ctx: AppContext): RouteSpec[] {
  const cash = new CashService(ctx.sequelize);
  const tags = ['cash'];
  const decided = {
    200: { description: 'Decided', schema: remittanceSchema },
    403: { description: "Missing permission, or it is the caller's own remittance (four eyes)" },
    404: { description: "No such remittance of an agent in the caller's regions" },
    409: { description: 'Already decided' },
  };
  return [
    defineRoute({
      method: 'post',
      path: '/cash-collections',
      summary: 'Record cash an agent took from a customer (posted at once; the receipt and token come back)',
      description:
        'clientCollectionId is a UUID the phone makes once per collection: a retry with it (after a lost answer, or days later from an offline phone) ' +
        'answers the first result (200, Idempotent-Replayed: true) and never posts twice; used for another account or amount it is a 422. The payment ' +
        'is CASH on the account (Dr 1120 agent cash in transit), transactionRef = clientCollectionId. An agent whose cash balance is at or above their ' +
        'limit is refused (403 cash-limit-exceeded) until a remittance is confirmed.',
      tags,
      syncAction: { type: 'cash-collection.create', clientIdField: 'clientCollectionId' },
      access: { permission: 'cash:collect' },
      body: Joi.object<CollectBody, true>({
        clientCollectionId: Joi.string().guid().required(),
        accountId: id.required(),
        amount: paymentAmountField().required(),
        collectedAt: pastInstantField().required(),
        latitude: Joi.number().min(-90).max(90),
        longitude: Joi.number().min(-180).max(180),
      }).and('latitude', 'longitude'),
      responses: {
        201: { description: 'Collected and posted: the collection, payment, receipt, allocations and device tokens', schema: cashCollectionResultSchema },
        200: { description: 'A retry: the first result (Idempotent-Replayed: true)', schema: cashCollectionResultSchema },
        403: limitProblem,
        404: { description: "No such account in the agent's regions" },
        409: { description: 'clientCollectionId belongs to another agent' },
        422: { description: 'clientCollectionId already used for another account or amount' },
      },
      handler: async (req) => {
        const b = req.valid.body;
        const collectedAt = new Date(b.collectedAt);
        if (collectedAt.getTime() > Date.now() + 5 * 60_000) {
          throw problems.validation([{ field: 'collectedAt', in: 'body', message: 'collectedAt is in the future' }]);
        }
        const { replayed, body } = await cash.collect(employeeOf(req), {
          clientCollectionId: b.clientCollectionId.toLowerCase(),
          accountId: b.accountId,
          amount: b.amount,
          collectedAt,
          latitude: b.latitude === undefined ? null : b.latitude.toFixed(7),
          longitude: b.longitude === undefined ? null : b.longitude.toFixed(7),
        });
        return {
          status: replayed ? 200 : 201,
          body,
          headers: { Location: `/api/v1/cash-collections/${body.collection.id}`, ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/cash-collections/:id',
      summary: "One cash collection with its receipt (the agent's own, or any in a supervisor's regions)",
      tags,
      access: { permission: 'cash:collect' },
      params: idParams,
      responses: {
        200: { description: 'The collection, payment and receipt', schema: cashCollectionResultSchema },
        404: { description: 'Not found (or not visible)' },
      },
      handler: async (req) => ({ body: await cash.getCollection(employeeOf(req), req.valid.params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/agents/:id/cash',
      summary: "An agent's cash: balance (collected, not yet in a confirmed remittance), limit, open collections, pending remittances",
      description:
        'The agent may see their own; employees with cash:remit:confirm may see agents who share one of their regions (all with regions:all); anyone else gets 404.',
      tags,
      access: { authenticated: true },
      params: idParams,
      responses: {
        200: {
          description: "The agent's cash position, open collections and pending remittances",
          schema: Joi.object({ ...cashPositionKeys, pendingRemittances: Joi.array().items(remittanceSchema).required() }),
        },
        404: { description: 'No such agent visible to the caller' },
      },
      handler: async (req) => ({ body: await cash.agentCash(employeeOf(req), req.valid.params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/agent-remittances',
      summary: 'Hand in collected cash (Idempotency-Key required); someone else confirms it',
      description:
        'Takes the collections given in collectionIds, or by default every collection the agent holds outside a pending remittance; their sum must ' +
        "equal amount (422 remittance-amount-mismatch, with the expected amount). They stay in the agent's balance until the remittance is confirmed.",
      tags,
      access: { permission: 'cash:collect' },
      idempotent: true,
      body: Joi.object<RemitBody, true>({
        amount: paymentAmountField().required(),
        method: Joi.string()
          .valid(...REMITTANCE_METHODS)
          .required(),
        reference: Joi.string().trim().max(100),
        remittedAt: pastInstantField(),
        notes: Joi.string().trim().max(2000),
        collectionIds: Joi.array().items(id).min(1).max(1000).unique(),
      }),
      responses: {
        201: { description: 'The pending remittance', schema: remittanceSchema },
        422: { description: 'Nothing to remit, or the amount does not add up' },
      },
      handler: async (req) => {
        const b = req.valid.body;
        const r = await cash.remit(
          employeeOf(req),
          { ...b, remittedAt: b.remittedAt ? new Date(b.remittedAt) : undefined },
          { beforeCommit: (made, t) => req.idempotency!.complete(201, remittanceView(made), t) },
        );
        return { status: 201, body: remittanceView(r), headers: { Location: `/api/v1/agent-remittances/${r.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/agent-remittances',
      summary: 'Remittances, newest first (e.g. ?status=pending: the queue to confirm)',
      description:
        'An agent sees their own; employees with cash:remit:confirm those of agents who share one of their regions (all with regions:all). Another agentId is a 404.',
      tags,
      access: { authenticated: true },
      query: Joi.object<{ status?: AgentRemittanceStatus; agentId?: number; limit: number; cursor?: string }, true>({
        status: Joi.string().valid(...AGENT_REMITTANCE_STATUSES),
        agentId: id,
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      responses: {
        200: { description: 'A page of remittances', schema: pagedResponseSchema(remittanceSchema) },
        404: { description: 'The agent is not visible to the caller' },
      },
      handler: async (req) => {
        const page = await cash.listRemittances(employeeOf(req), req.valid.query);
        return { body: { data: page.data.map(remittanceView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/agent-remittances/:id',
      summary: "One remittance (the agent's own, or an agent in the caller's regions with cash:remit:confirm)",
      tags,
      access: { authenticated: true },
      params: idParams,
      responses: { 200: { description: 'The remittance', schema: remittanceSchema }, 404: { description: 'Not found (or not visible)' } },
      handler: async (req) => ({ body: remittanceView(await cash.getRemittance(employeeOf(req), req.valid.params.id)) }),
    }),
    ...decisionRoutes({
      kind: 'remittance',
      basePath: '/agent-remittances',
      tags,
      decidePermission: 'cash:remit:confirm',
      approveVerb: 'confirm',
      approveSummary: 'Confirm the cash arrived: Dr 1110 cash on hand (1130 bank deposit, 1100 mobile money) / Cr 1120; the collections are remitted',
      rejectSummary: 'Reject a remittance (the cash did not arrive as declared); the collections count against the agent again',
      decided,
      actorOf: employeeOf,
      approve: async (actor, id) => remittanceView(await cash.confirm(actor, id)),
      reject: async (actor, id, reason) => remittanceView(await cash.reject(actor, id, reason!)),
      pending: (decider, after, limit) => cash.pendingRemittances(decider, after, limit),
    }),
  ];
}
