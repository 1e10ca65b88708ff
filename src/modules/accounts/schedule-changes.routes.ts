import Joi from 'joi';
import { decisionListQuery, decisionRoutes } from '../../platform/approvals/kit';
import type { AppContext } from '../../platform/context';
import { pagedResponseSchema } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { dateOnlyField, idField, paymentAmountField } from '../../platform/http/schemas';
import type { MoneyString } from '../../platform/money';
import { SCHEDULE_CHANGE_STATUSES, SCHEDULE_CHANGE_TYPES, type InstallmentSchedule, type ScheduleChangeStatus, type ScheduleChangeType } from './models';
import type { Frequency } from './schedule';
import { installmentLineSchema, scheduleChangeSchema } from './accounts.responses';
import { MAX_RESTRUCTURE_LINES, ScheduleChangeService, scheduleChangeView, type HolidayInput, type RestructureInput } from './schedule-changes.service';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });

export function installmentLineView(i: InstallmentSchedule) {
  return {
    id: i.id,
    installmentNumber: i.installmentNumber,
    dueDate: i.dueDate,
    amount: i.amount,
    paidAmount: i.paidAmount,
    status: i.status,
    paidDate: i.paidDate,
    superseded: i.status === 'superseded',
    supersededAt: i.supersededAt ? i.supersededAt.toISOString() : null,
    supersededByChangeId: i.supersededByChangeId,
    scheduleChangeId: i.scheduleChangeId,
  };
}

const decided = {
  200: { description: 'Decided', schema: scheduleChangeSchema },
  403: { description: 'Missing permission, or the caller requested it (maker-checker)' },
  404: { description: "No such schedule change in the caller's regions" },
  409: { description: 'Already decided, or the account can no longer be rescheduled (closed, written off, nothing owed)' },
};

export function scheduleChangeRoutes(ctx: AppContext): RouteSpec[] {
  const changes = new ScheduleChangeService(ctx.sequelize);
  const tags = ['accounts'];
  const reason = Joi.string().trim().min(3).max(2000);
  return [
    defineRoute({
      method: 'get',
      path: '/accounts/:id/schedule',
      summary: "An account's schedule: every line, superseded ones marked, and the changes that replaced them",
      tags,
      access: { permission: 'accounts:read' },
      params: idParams,
      responses: {
        200: {
          description: 'Lines by installmentNumber; changes oldest first',
          schema: Joi.object({ lines: Joi.array().items(installmentLineSchema), changes: Joi.array().items(scheduleChangeSchema) }),
        },
        404: { description: "No such account in the caller's regions" },
      },
      handler: async (req) => {
        const s = await changes.schedule(employeeOf(req), req.valid.params.id);
        return { body: { lines: s.lines.map(installmentLineView), changes: s.changes.map(scheduleChangeView) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/accounts/:id/payment-holiday',
      summary: 'Grant a payment holiday: every unpaid instalment moves N days later (Idempotency-Key required)',
      description:
        'Open lines are superseded and re-issued N days later (overdue ones on the day the holiday ends), so no DPD accrues while it lasts. ' +
        "Limits per holiday and per rolling year come from the payplan (409 holiday-limit-exceeded). Above the payplan's approval threshold the holiday " +
        'waits for another employee (202, POST /schedule-changes/:id/approve); otherwise it applies at once (201). Credit days follow the payplan policy.',
      tags,
      access: { permission: 'accounts:reschedule' },
      idempotent: true,
      params: idParams,
      body: Joi.object<HolidayInput, true>({
        days: Joi.number().integer().min(1).max(365).required(),
        reason: reason.required(),
        grantCreditDays: Joi.boolean(),
      }),
      responses: {
        201: { description: 'The holiday, applied', schema: scheduleChangeSchema },
        202: { description: 'The holiday, waiting for approval', schema: scheduleChangeSchema },
        404: { description: "No such account in the caller's regions" },
        409: { description: 'Not active or suspended, nothing owed, a change already pending, or a holiday limit exceeded' },
      },
      handler: async (req) => {
        const status = (c: { status: string }) => (c.status === 'applied' ? 201 : 202);
        const change = await changes.holiday(employeeOf(req), req.valid.params.id, req.valid.body, {
          beforeCommit: (c, t) => req.idempotency!.complete(status(c), scheduleChangeView(c), t),
        });
        return { status: status(change), body: scheduleChangeView(change), headers: { Location: `/api/v1/schedule-changes/${change.id}` } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/accounts/:id/restructure',
      summary: 'Request a restructure: a new schedule for the outstanding amount, approved by another employee (Idempotency-Key required)',
      description:
        "Names the new term (number of instalments) or the instalment amount, optionally a frequency (default the payplan's) and a fee folded into " +
        'the new schedule (Dr 1200 / Cr 4300 when approved). On approval the open lines are superseded, the new ones start on fromDate (or the ' +
        'business date of approval if later), DPD is recomputed and the account is flagged restructured.',
      tags,
      access: { permission: 'accounts:reschedule' },
      idempotent: true,
      params: idParams,
      body: Joi.object<RestructureInput, true>({
        frequency: Joi.string().valid('daily', 'weekly', 'monthly'),
        installmentAmount: paymentAmountField(),
        term: Joi.number().integer().min(1).max(MAX_RESTRUCTURE_LINES),
        fee: paymentAmountField(),
        fromDate: dateOnlyField().required(),
        reason: reason.required(),
      }).xor('installmentAmount', 'term'),
      responses: {
        202: { description: 'The restructure, waiting for approval', schema: scheduleChangeSchema },
        404: { description: "No such account in the caller's regions" },
        409: { description: 'Not active or suspended, or a change already pending' },
      },
      handler: async (req) => {
        const body = req.valid.body as RestructureInput & { frequency?: Frequency; installmentAmount?: MoneyString };
        const change = await changes.requestRestructure(employeeOf(req), req.valid.params.id, body, {
          beforeCommit: (c, t) => req.idempotency!.complete(202, scheduleChangeView(c), t),
        });
        return { status: 202, body: scheduleChangeView(change), headers: { Location: `/api/v1/schedule-changes/${change.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/schedule-changes',
      summary: 'Schedule changes (holidays, restructures, upgrades), newest first (e.g. ?status=pending)',
      tags,
      access: { permission: 'accounts:read' },
      query: Joi.object<
        { status?: ScheduleChangeStatus; changeType?: ScheduleChangeType; requestedBy?: number; accountId?: number; limit: number; cursor?: string },
        true
      >({
        status: Joi.string().valid(...SCHEDULE_CHANGE_STATUSES),
        changeType: Joi.string().valid(...SCHEDULE_CHANGE_TYPES),
        accountId: id,
        ...decisionListQuery,
      }),
      responses: { 200: { description: 'A page of schedule changes', schema: pagedResponseSchema(scheduleChangeSchema) } },
      handler: async (req) => {
        const page = await changes.list(employeeOf(req), req.valid.query);
        return { body: { data: page.data.map(scheduleChangeView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/schedule-changes/:id',
      summary: 'One schedule change',
      tags,
      access: { permission: 'accounts:read' },
      params: idParams,
      responses: { 200: { description: 'The schedule change', schema: scheduleChangeSchema }, 404: { description: 'Not found' } },
      handler: async (req) => ({ body: scheduleChangeView(await changes.get(employeeOf(req), req.valid.params.id)) }),
    }),
    ...decisionRoutes({
      kind: 'schedule_change',
      basePath: '/schedule-changes',
      tags,
      decidePermission: 'accounts:reschedule:approve',
      approveSummary: 'Approve a payment holiday or a restructure: the open schedule is superseded by the new one',
      approveDescription: 'The approver must not be the requester (403). Applies on the business date of approval.',
      rejectSummary: 'Reject a schedule change; the schedule stays as it is',
      decided,
      actorOf: employeeOf,
      approve: async (actor, changeId) => scheduleChangeView(await changes.approve(actor, changeId)),
      reject: async (actor, changeId, why) => scheduleChangeView(await changes.reject(actor, changeId, why!)),
      pending: (decider, after, limit) => changes.pending(decider, after, limit),
    }),
  ];
}
