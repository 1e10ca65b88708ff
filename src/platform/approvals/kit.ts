import Joi from 'joi';
import { DatabaseError, Op, type Model, type ModelStatic, type Order, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import type { EmployeeActor } from '../auth/actor';
import { regionWhere } from '../auth/principal';
import { withTransaction } from '../db/transaction';
import { decodeIdCursor, paginationQuery } from '../http/pagination';
import { idField } from '../http/schemas';
import { problems } from '../http/problem';
import { defineRoute, type ApiRequest, type ResponseSpec, type RouteSpec } from '../http/route';

/**
 * One definition of a maker-checker workflow. One employee requests (a refund, a write-off, a
 * reversal, a remittance, a commission payment), another decides it. A domain describes its kind
 * once (an ApprovalKind) and gets from here:
 *  - the approve/reject routes (`decisionRoutes`), with the permission the kind declares;
 *  - the four-eyes guard (`refuseOwnRequest`), checked before the database's own four-eyes
 *    triggers (`<table>_four_eyes_insert/update`: createFourEyes in migrations/lib/guards.js, and
 *    commissionPayments' own) would refuse the row;
 *  - its pending items in the one approvals inbox (GET /api/v1/approvals);
 *  - the rejection itself (`rejectPending`), for kinds whose rejection keeps a reason.
 * The kit knows no domain: domains hand it their kinds (`registerApprovalKind`, done by
 * `decisionRoutes`), so dependencies point from the domains to here.
 */

/** Whoever decides: an employee, with their region scope and what their role grants. */
export type Decider = Pick<EmployeeActor, 'employeeId' | 'scope' | 'permissions'>;

/**
 * Maker-checker: whoever decides a request must not be whoever made it (403 four-eyes). Checked
 * before the database's four-eyes trigger would refuse the row.
 */
export function refuseOwnRequest(requestedBy: number | null, actor: { employeeId: number | null }, what: string, message?: string): void {
  if (requestedBy !== null && requestedBy === actor.employeeId) {
    throw problems.forbidden(message ?? `You requested this ${what}; another employee must approve or reject it (maker-checker).`, 'four-eyes');
  }
}

/** The four-eyes triggers' refusals: createFourEyes ('must be a different employee from') and commissionPayments' ('must differ'). */
const FOUR_EYES_TRIGGER = /(must be a different employee from|approvedBy must differ)/;

/**
 * The database guard's refusal of a row the service's own check let through (it cannot, unless
 * the two disagree) as the same 403; anything else is rethrown. For `.catch()` on the decision's write.
 */
export function fourEyesRefusal(message: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof DatabaseError && FOUR_EYES_TRIGGER.test(err.message)) throw problems.forbidden(message, 'four-eyes');
    throw err;
  };
}

/** A request a kind decides: the columns every decided table has (status, approvedBy, decidedAt, rejectionReason). */
type DecidedRow = Model & { id: number; status: string };

/**
 * The audit trail's writer (the audit module's `audit`, which the kit may not import: it sits
 * below the domains), as rejectPending uses it.
 */
export interface DecisionAudit {
  record(
    t: Transaction,
    event: {
      actor: { employeeId: number | null };
      action: string;
      entity: string;
      entityId: number;
      before: Record<string, unknown>;
      after: Record<string, unknown>;
    },
  ): Promise<void>;
}

export interface RejectPending<R extends DecidedRow> {
  /** The request's table; also the audit row's entity. */
  model: ModelStatic<R>;
  id: number;
  /** What the messages call it: 'refund' → "This refund is already approved." */
  what: string;
  /** Who requested it, read before the transaction (the four-eyes check comes first). */
  requestedBy: number | null;
  actor: { employeeId: number };
  reason: string;
  /** The audit action, e.g. 'refund.reject'. */
  action: string;
  /** Locks taken before the request's own row, in the domain's order (the account, for money requests). */
  lockFirst?: (t: Transaction) => Promise<unknown>;
}

/**
 * Rejects a pending request, the one way every kind with a rejection reason does it: the
 * four-eyes check, then in one transaction the domain's locks, the request locked and still
 * pending (else 409 already-decided), marked rejected with who, when and why, and audited.
 */
export async function rejectPending<R extends DecidedRow>(sequelize: Sequelize, audit: DecisionAudit, r: RejectPending<R>): Promise<R> {
  refuseOwnRequest(r.requestedBy, r.actor, r.what);
  return withTransaction(sequelize, async (t) => {
    await r.lockFirst?.(t);
    const row = await r.model.findByPk(r.id, { lock: t.LOCK.UPDATE, transaction: t });
    if (!row) throw problems.notFound(r.what);
    if (row.status !== 'pending') throw problems.conflict(`This ${r.what} is already ${row.status}.`, 'already-decided', { currentStatus: row.status });
    await (row as Model)
      .update({ status: 'rejected', approvedBy: r.actor.employeeId, decidedAt: new Date(), rejectionReason: r.reason }, { transaction: t })
      .catch(fourEyesRefusal(`You requested this ${r.what}; another employee must reject it (maker-checker).`));
    await audit.record(t, {
      actor: r.actor,
      action: r.action,
      entity: r.model.tableName,
      entityId: row.id,
      before: { status: 'pending' },
      after: { status: 'rejected', reason: r.reason },
    });
    return row;
  });
}

/** One pending item of a kind, as the inbox shows it. */
export interface PendingItem {
  id: number;
  amount: string;
  requestedBy: number | null;
  requestedAt: Date;
  /** The region the item belongs to (an account's or a payment's); null for an employee's item. */
  regionId: number | null;
  accountId: number | null;
  /** The employee the item is about (the remitting agent, the commission payee), if any. */
  employeeId: number | null;
}

/**
 * Where the inbox resumes within one kind: items requested after `at`, or at `at` with an id
 * above `afterId` (absent: every item at `at` is included, or none when `strict`).
 */
export interface InboxAfter {
  at: Date;
  afterId?: number;
  /** Items requested exactly at `at` are all excluded (this kind sorts before the cursor's). */
  strict?: boolean;
}

/** The order every kind's pending() reads in: the keyset pendingAfterWhere pages over (oldest first). */
export const PENDING_ORDER: Order = [
  ['createdAt', 'ASC'],
  ['id', 'ASC'],
];

/** The where-clause of a keyset page over (createdAt, id) ascending from `after`. */
export function pendingAfterWhere(after: InboxAfter | undefined, createdAt = 'createdAt', id = 'id'): WhereOptions {
  if (!after) return {};
  if (after.afterId !== undefined) {
    return { [Op.or]: [{ [createdAt]: { [Op.gt]: after.at } }, { [createdAt]: after.at, [id]: { [Op.gt]: after.afterId } }] };
  }
  return { [createdAt]: { [after.strict ? Op.gt : Op.gte]: after.at } };
}

/** The record a kind's requests hang off that carries their region (an account, a payment), as an include. */
export interface RegionalParent {
  model: ModelStatic<Model>;
  as: string;
  attributes: string[];
}

/**
 * The pending requests of a kind the decider may decide, for its pending(): in their regions (by
 * the parent record's region), not requested by them, oldest first from `after`. `where` adds the
 * kind's own conditions.
 */
export function pendingInScope<R extends Model>(
  model: ModelStatic<R>,
  parent: RegionalParent,
  decider: Decider,
  after: InboxAfter | undefined,
  limit: number,
  where: WhereOptions = {},
): Promise<R[]> {
  return model.findAll({
    where: { [Op.and]: [{ status: 'pending', requestedBy: { [Op.ne]: decider.employeeId } }, where, pendingAfterWhere(after)] },
    include: [{ ...parent, where: regionWhere(decider.scope) }],
    order: PENDING_ORDER,
    limit,
  });
}

/** What every list of a kind takes besides its own filters (status, kind-specific ids): the requester and the page. */
export const decisionListQuery = { requestedBy: idField(), limit: paginationQuery.limit, cursor: paginationQuery.cursor };

export interface DecisionListFilter<S extends string> {
  status?: S;
  requestedBy?: number;
  cursor?: string;
}

/** The shared part of a kind's list, newest first by id: status, requester and the id cursor. Region scope stays with the kind. */
export function decisionListWhere<S extends string>(q: DecisionListFilter<S>): WhereOptions[] {
  const where: WhereOptions[] = [];
  if (q.status) where.push({ status: q.status });
  if (q.requestedBy !== undefined) where.push({ requestedBy: q.requestedBy });
  if (q.cursor) where.push({ id: { [Op.lt]: decodeIdCursor(q.cursor) } });
  return where;
}

export interface ApprovalKind<A = unknown> {
  /** The kind's name in the inbox ('refund', 'writeoff', ...); also its sort rank among kinds. */
  kind: string;
  /** The collection path the decision routes hang off ('/refunds' → /refunds/:id/approve). */
  basePath: string;
  tags: string[];
  /** The permission both decisions need (and the inbox filters kinds by). */
  decidePermission: string;
  /** 'approve' for most kinds; remittances are confirmed. */
  approveVerb?: 'approve' | 'confirm';
  /** The reject body's reason: required (3..2000) for most, optional for reversals. */
  rejectReason?: 'required' | 'optional';
  approveSummary: string;
  approveDescription?: string;
  rejectSummary: string;
  /** The answers of both decisions (200 with the item, 403, 404, 409 ...). */
  decided: Record<number, ResponseSpec>;
  /** The approve route's 200, if it differs (e.g. with what other domains took back). */
  approved?: ResponseSpec;
  /** The kind's actor, from the request (each domain's services take their own). */
  actorOf(req: ApiRequest): A;
  approve(actor: A, id: number): Promise<unknown>;
  reject(actor: A, id: number, reason: string | undefined): Promise<unknown>;
  /**
   * The pending items the decider may decide, oldest first by (requestedAt, id), from `after`:
   * in the decider's scope, and never the decider's own (requested by them, or about them).
   */
  pending(decider: Decider, after: InboxAfter | undefined, limit: number): Promise<PendingItem[]>;
}

const registry = new Map<string, ApprovalKind<any>>();

/** Hands a kind to the inbox; a kind registered again (another app instance) replaces itself. */
export function registerApprovalKind(kind: ApprovalKind<any>): void {
  registry.set(kind.kind, kind);
}

/** Every registered kind, in a stable order (by name: the inbox's tie-break between kinds). */
export function approvalKinds(): ApprovalKind<any>[] {
  return [...registry.values()].sort((a, b) => a.kind.localeCompare(b.kind));
}

const idParams = Joi.object<{ id: number }, true>({ id: idField().required() });

/** The approve and reject routes of a kind, built once here; also registers the kind with the inbox. */
export function decisionRoutes<A>(kind: ApprovalKind<A>): RouteSpec[] {
  registerApprovalKind(kind);
  const reason = Joi.string().trim().max(2000);
  // Required or not, the reason is a string when sent: the handler reads `{ reason?: string }`.
  const rejectBody =
    kind.rejectReason === 'optional'
      ? Joi.object<{ reason?: string }, true>({ reason })
      : Joi.object<{ reason?: string }, true>({ reason: reason.min(3).required() });
  return [
    defineRoute({
      method: 'post',
      path: `${kind.basePath}/:id/${kind.approveVerb ?? 'approve'}`,
      summary: kind.approveSummary,
      description: kind.approveDescription,
      tags: kind.tags,
      access: { permission: kind.decidePermission },
      params: idParams,
      responses: kind.approved ? { ...kind.decided, 200: kind.approved } : kind.decided,
      handler: async (req) => ({ body: await kind.approve(kind.actorOf(req), req.valid.params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: `${kind.basePath}/:id/reject`,
      summary: kind.rejectSummary,
      tags: kind.tags,
      access: { permission: kind.decidePermission },
      params: idParams,
      body: rejectBody,
      responses: kind.decided,
      handler: async (req) => ({ body: await kind.reject(kind.actorOf(req), req.valid.params.id, req.valid.body.reason) }),
    }),
  ];
}
