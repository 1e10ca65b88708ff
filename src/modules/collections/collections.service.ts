import { Op, QueryTypes, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import type { EmployeeActor, ScopedActor } from '../../platform/auth/actor';
import { inRegionScope, regionWhere } from '../../platform/auth/principal';
import { addDays, type CalendarDate } from '../../platform/dates';
import { dialect } from '../../platform/db/dialect';
import { withTransaction } from '../../platform/db/transaction';
import { decodeCursor, pageOf, type Paged } from '../../platform/http/pagination';
import { MAX_ID } from '../../platform/http/schemas';
import { problems } from '../../platform/http/problem';
import type { StoreAnswer } from '../../platform/http/idempotency';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { Employee, EmployeeRegion } from '../access/models';
import { Account } from '../accounts/models';
import { audit } from '../audit/audit';
import { Customer } from '../customers/models';
import { calendarOfRegion } from '../organisation/business-date';
import { CollectionActivity, CollectionCase, FieldVisit, PromiseToPay, type CollectionActivityType, type CollectionCaseStatus, type Priority } from './models';
import { PRIORITY_BAND_SQL, priorityScoreSql } from './nightly';

/** Statuses of an open case (closed ones have openAccountId null and status closed). */
export const OPEN_CASE_STATUSES = ['open', 'in_progress', 'promise', 'repossession_review'] as const satisfies readonly CollectionCaseStatus[];

/** The fixed outcomes of an activity. */
export const ACTIVITY_OUTCOMES = [
  'reached',
  'no_answer',
  'switched_off',
  'wrong_number',
  'promised',
  'refused',
  'paid',
  'dispute',
  'not_home',
  'device_fault',
  'sms_sent',
  'other',
] as const;
export type ActivityOutcome = (typeof ACTIVITY_OUTCOMES)[number];

/** A promise may be dated at most this many days after the business date. */
export const PROMISE_MAX_DAYS = 60;

/** Holders of this see every collector's worklist and reassign cases. */
export const SUPERVISE = 'collections:supervise';
/** What an employee needs to be assigned a case. */
export const WORK = 'collections:write';

export interface WorklistQuery {
  limit: number;
  cursor?: string;
  assignedTo?: number;
  unassigned?: boolean;
  status?: (typeof OPEN_CASE_STATUSES)[number];
  priority?: Priority;
  minDaysPastDue?: number;
  regionId?: number;
}

export interface ActivityInput {
  activityType: CollectionActivityType;
  outcome: ActivityOutcome;
  notes?: string;
  performedAt?: string;
  latitude?: string;
  longitude?: string;
}

export interface PromiseInput {
  amount: string;
  date: CalendarDate;
  collectionActivityId?: number;
}

const accountInclude = (scope: ScopedActor['scope'], where: WhereOptions = {}) => ({
  model: Account,
  as: 'account' as const,
  attributes: ['id', 'accountNumber', 'regionId', 'status', 'balance', 'daysPastDue', 'customerId', 'agentId'],
  where: { ...regionWhere(scope), ...where },
  include: [{ model: Customer, as: 'customer' as const, attributes: ['id', 'firstName', 'lastName', 'phone'] }],
});

export function caseView(c: CollectionCase) {
  const a = c.account;
  return {
    id: c.id,
    accountId: c.accountId,
    status: c.status,
    priority: c.priority,
    priorityScore: c.priorityScore,
    assignedTo: c.assignedTo ?? null,
    openedOn: c.openedOn,
    closedOn: c.closedOn ?? null,
    daysPastDueAtOpen: c.daysPastDueAtOpen,
    daysPastDue: c.daysPastDue,
    amountAtRisk: toMoneyString(c.amountAtRisk),
    lastContactAt: c.lastContactAt ? new Date(c.lastContactAt).toISOString() : null,
    brokenPromises: c.brokenPromises,
    escalatedOn: c.escalatedOn ?? null,
    escalationReason: c.escalationReason ?? null,
    resolution: c.resolution ?? null,
    account: a
      ? {
          accountNumber: a.accountNumber,
          regionId: a.regionId,
          status: a.status,
          balance: toMoneyString(a.balance),
          customerName: a.customer ? `${a.customer.firstName} ${a.customer.lastName}` : null,
          customerPhone: a.customer?.phone ?? null,
        }
      : null,
  };
}

export function activityView(x: CollectionActivity) {
  return {
    id: x.id,
    collectionCaseId: x.collectionCaseId,
    activityType: x.activityType,
    outcome: x.outcome ?? null,
    notes: x.notes ?? null,
    performedBy: x.performedBy,
    performedAt: new Date(x.performedAt).toISOString(),
    fieldVisitId: x.fieldVisitId ?? null,
  };
}

export function promiseView(p: PromiseToPay) {
  return {
    id: p.id,
    collectionCaseId: p.collectionCaseId ?? null,
    accountId: p.accountId,
    promisedAmount: toMoneyString(p.promisedAmount),
    promisedDate: p.promisedDate,
    promisedOn: p.promisedOn ?? null,
    status: p.status,
    paidAmount: toMoneyString(p.paidAmount ?? '0'),
    paymentId: p.paymentId ?? null,
    resolvedOn: p.resolvedOn ?? null,
    collectionActivityId: p.collectionActivityId ?? null,
    createdBy: p.createdBy ?? null,
  };
}

export function fieldVisitView(v: FieldVisit) {
  return {
    id: v.id,
    employeeId: v.employeeId,
    purpose: v.purpose,
    scheduledFor: v.scheduledFor,
    visitedAt: v.visitedAt ? new Date(v.visitedAt).toISOString() : null,
    latitude: v.latitude ?? null,
    longitude: v.longitude ?? null,
    outcome: v.outcome ?? null,
  };
}

export class CollectionsService {
  constructor(private readonly sequelize: Sequelize) {}

  /** The caller's open cases (a supervisor: anyone's, or the unassigned), highest priority first. */
  async worklist(actor: EmployeeActor, q: WorklistQuery): Promise<Paged<CollectionCase>> {
    const supervises = actor.permissions.has(SUPERVISE);
    if (!supervises && ((q.assignedTo !== undefined && q.assignedTo !== actor.employeeId) || q.unassigned)) {
      throw problems.forbidden(`Another collector's worklist needs ${SUPERVISE}.`);
    }
    const where: WhereOptions[] = [{ openAccountId: { [Op.ne]: null } }];
    if (q.unassigned) where.push({ assignedTo: null });
    else where.push({ assignedTo: q.assignedTo ?? actor.employeeId });
    if (q.status) where.push({ status: q.status });
    if (q.priority) where.push({ priority: q.priority });
    if (q.minDaysPastDue !== undefined) where.push({ daysPastDue: { [Op.gte]: q.minDaysPastDue } });
    if (q.cursor) {
      const [score, id] = worklistCursor(q.cursor);
      where.push({ [Op.or]: [{ priorityScore: { [Op.lt]: score } }, { priorityScore: score, id: { [Op.gt]: id } }] });
    }
    const rows = await CollectionCase.findAll({
      where: { [Op.and]: where },
      include: [accountInclude(actor.scope, q.regionId !== undefined ? { regionId: q.regionId } : {})],
      order: [
        ['priorityScore', 'DESC'],
        ['id', 'ASC'],
      ],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (c) => [c.priorityScore, c.id]);
  }

  /** One case in the caller's regions (404 otherwise), with its activities, promises and visits. */
  async get(actor: ScopedActor, id: number) {
    const c = await this.find(actor, id);
    const [activities, promises, visits] = await Promise.all([
      CollectionActivity.findAll({
        where: { collectionCaseId: id },
        order: [
          ['performedAt', 'DESC'],
          ['id', 'DESC'],
        ],
      }),
      PromiseToPay.findAll({ where: { collectionCaseId: id }, order: [['id', 'DESC']] }),
      FieldVisit.findAll({ where: { collectionCaseId: id }, order: [['id', 'DESC']] }),
    ]);
    return { ...caseView(c), activities: activities.map(activityView), promises: promises.map(promiseView), fieldVisits: visits.map(fieldVisitView) };
  }

  private async find(actor: ScopedActor, id: number, t?: Transaction): Promise<CollectionCase> {
    const c = await CollectionCase.findByPk(id, { include: [accountInclude({ all: true })], transaction: t });
    if (!c || !inRegionScope(actor.scope, c.account?.regionId)) throw problems.notFound('collection case');
    return c;
  }

  /** The case, locked, in scope and still open (409 once closed). */
  private async lockOpen(actor: ScopedActor, id: number, t: Transaction): Promise<CollectionCase> {
    await CollectionCase.findByPk(id, { attributes: ['id'], lock: t.LOCK.UPDATE, transaction: t });
    const c = await this.find(actor, id, t);
    if (c.openAccountId === null || c.openAccountId === undefined) {
      throw problems.conflict(`Collection case ${id} is closed (${c.resolution ?? 'closed'}).`, 'case-closed', { status: c.status });
    }
    return c;
  }

  /** Recomputes the case's priority score and band as of the business date (the nightly close's formula). */
  private async reprioritise(id: number, businessDate: CalendarDate, t: Transaction): Promise<void> {
    const d = dialect(this.sequelize);
    await this.sequelize.query(`UPDATE collectionCases SET priorityScore = ${priorityScoreSql(d)}, priority = ${PRIORITY_BAND_SQL} WHERE id = :id`, {
      replacements: { id, bd: businessDate },
      type: QueryTypes.UPDATE,
      transaction: t,
    });
  }

  async reassign(actor: EmployeeActor, id: number, input: { employeeId: number; reason: string }) {
    return withTransaction(this.sequelize, async (t) => {
      const c = await this.lockOpen(actor, id, t);
      const regionId = c.account!.regionId;
      await this.assertMayWork(input.employeeId, regionId, t);
      const before = { assignedTo: c.assignedTo ?? null };
      c.assignedTo = input.employeeId;
      await c.save({ transaction: t });
      await audit.record(t, {
        actor,
        action: 'collectionCase.reassign',
        entity: 'collectionCases',
        entityId: c.id,
        before,
        after: { assignedTo: input.employeeId, reason: input.reason },
      });
      return c;
    });
  }

  /** 422 unless the employee is active, holds collections:write and covers the region (or every region). */
  private async assertMayWork(employeeId: number, regionId: number, t: Transaction): Promise<void> {
    const rows = await this.sequelize.query<{ code: string }>(
      `SELECT pm.code FROM employees e JOIN rolePermissions rp ON rp.roleId = e.roleId JOIN permissions pm ON pm.id = rp.permissionId
        WHERE e.id = ? AND e.isActive = ? AND e.deletedAt IS NULL AND pm.code IN ('collections:write', 'regions:all')`,
      { replacements: [employeeId, true], type: QueryTypes.SELECT, transaction: t },
    );
    const codes = new Set(rows.map((r) => r.code));
    const covers = codes.has('regions:all') || (await EmployeeRegion.count({ where: { employeeId, regionId }, transaction: t })) > 0;
    if (!codes.has(WORK) || !covers) {
      const exists = (await Employee.count({ where: { id: employeeId }, transaction: t })) > 0;
      throw problems.unprocessable(
        exists ? `Employee ${employeeId} cannot work this case (active, ${WORK}, the account's region).` : `No employee ${employeeId}.`,
        'cannot-work-case',
        { errors: [{ field: 'employeeId', in: 'body', message: exists ? 'cannot work collection cases in this region' : 'no such employee' }] },
      );
    }
  }

  /** A call, SMS, visit (with GPS: a fieldVisit) or note on an open case; the case's last contact and priority follow. */
  /** `answer` (a clientId create): the API's answer, stored as the transaction's last statement. */
  async recordActivity(actor: EmployeeActor, id: number, input: ActivityInput, answer?: StoreAnswer<CollectionActivity>) {
    return withTransaction(this.sequelize, async (t) => {
      const c = await this.lockOpen(actor, id, t);
      const account = c.account!;
      const calendar = await calendarOfRegion(account.regionId, t);
      const performedAt = input.performedAt ? new Date(input.performedAt) : new Date();
      let fieldVisitId: number | null = null;
      if (input.activityType === 'visit') {
        const visit = await FieldVisit.create(
          {
            employeeId: actor.employeeId,
            customerId: account.customerId,
            accountId: account.id,
            collectionCaseId: c.id,
            purpose: 'collection',
            scheduledFor: calendar.businessDate,
            visitedAt: performedAt,
            latitude: input.latitude!,
            longitude: input.longitude!,
            outcome: input.outcome,
            notes: input.notes ?? null,
          },
          { transaction: t },
        );
        fieldVisitId = visit.id;
      }
      const activity = await CollectionActivity.create(
        {
          collectionCaseId: c.id,
          activityType: input.activityType,
          outcome: input.outcome,
          notes: input.notes ?? null,
          performedBy: actor.employeeId,
          performedAt,
          fieldVisitId,
        },
        { transaction: t },
      );
      if (input.activityType !== 'note' && (!c.lastContactAt || new Date(c.lastContactAt) < performedAt)) c.lastContactAt = performedAt;
      if (c.status === 'open') c.status = 'in_progress';
      await c.save({ transaction: t });
      await this.reprioritise(c.id, calendar.businessDate, t);
      await audit.record(t, {
        actor,
        action: 'collectionCase.activity',
        entity: 'collectionActivities',
        entityId: activity.id,
        after: { collectionCaseId: c.id, activityType: input.activityType, outcome: input.outcome, fieldVisitId },
      });
      await answer?.(activity, t);
      return activity;
    });
  }

  /** A promise to pay on an open case: dated from the business date to PROMISE_MAX_DAYS after it (422 otherwise). */
  async promise(actor: EmployeeActor, id: number, input: PromiseInput, answer?: StoreAnswer<PromiseToPay>) {
    if (new Decimal(input.amount).lessThanOrEqualTo(0)) {
      throw problems.validation([{ field: 'amount', in: 'body', message: 'amount must be more than 0' }]);
    }
    return withTransaction(this.sequelize, async (t) => {
      const c = await this.lockOpen(actor, id, t);
      const calendar = await calendarOfRegion(c.account!.regionId, t);
      const latest = addDays(calendar.businessDate, PROMISE_MAX_DAYS);
      if (input.date < calendar.businessDate || input.date > latest) {
        throw problems.unprocessable(
          input.date < calendar.businessDate
            ? `A promise cannot be dated in the past (the business date is ${calendar.businessDate}).`
            : `A promise is dated at most ${PROMISE_MAX_DAYS} days ahead (${latest}).`,
          'promise-date',
          { errors: [{ field: 'date', in: 'body', message: `must be from ${calendar.businessDate} to ${latest}` }] },
        );
      }
      if (input.collectionActivityId !== undefined) {
        const activity = await CollectionActivity.findOne({ where: { id: input.collectionActivityId, collectionCaseId: c.id }, transaction: t });
        if (!activity) {
          throw problems.unprocessable('The activity is not one of this case.', 'activity-mismatch', {
            errors: [{ field: 'collectionActivityId', in: 'body', message: 'must be an activity of this case' }],
          });
        }
      }
      const amount: MoneyString = toMoneyString(new Decimal(input.amount));
      const p = await PromiseToPay.create(
        {
          collectionCaseId: c.id,
          accountId: c.accountId,
          promisedAmount: amount,
          promisedDate: input.date,
          promisedOn: calendar.businessDate,
          createdBy: actor.employeeId,
          collectionActivityId: input.collectionActivityId ?? null,
        },
        { transaction: t },
      );
      if (c.status !== 'repossession_review') c.status = 'promise';
      await c.save({ transaction: t });
      await this.reprioritise(c.id, calendar.businessDate, t);
      await audit.record(t, {
        actor,
        action: 'collectionCase.promise',
        entity: 'promisesToPay',
        entityId: p.id,
        after: { collectionCaseId: c.id, promisedAmount: amount, promisedDate: input.date },
      });
      await answer?.(p, t);
      return p;
    });
  }

  /** The case as the API shows it (fresh, with its account). */
  async view(actor: ScopedActor, id: number) {
    return caseView(await this.find(actor, id));
  }
}

/** The (priority score, id) a worklist cursor carries; a forged one is a 400, never NaN in SQL. */
function worklistCursor(cursor: string): [number, number] {
  const [score, id] = decodeCursor(cursor, 2);
  const s = typeof score === 'number' || typeof score === 'string' ? Number(score) : NaN;
  if (Number.isSafeInteger(s) && typeof id === 'number' && Number.isSafeInteger(id) && id > 0 && id <= MAX_ID) return [s, id];
  throw problems.validation([{ field: 'cursor', in: 'query', message: 'cursor is not valid for this list' }]);
}
