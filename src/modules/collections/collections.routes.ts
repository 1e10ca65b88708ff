import Joi from 'joi';
import { storeAnswer } from '../../platform/http/idempotency';
import { clientIdField, withoutClientId, type WithClientId } from '../../platform/http/client-id';
import type { AppContext } from '../../platform/context';
import { localDate } from '../../platform/dates';
import { pagedResponseSchema, paginationQuery } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { dateOnlyField, idField, pastInstantField, paymentAmountField } from '../../platform/http/schemas';
import { activitySchema, caseDetailSchema, caseSchema, collectionsReportSchema, promiseSchema } from './collections.responses';
import { collectionsReport, MAX_REPORT_DAYS, type CollectionsReportQuery } from './report.service';
import {
  ACTIVITY_OUTCOMES,
  CollectionsService,
  OPEN_CASE_STATUSES,
  PROMISE_MAX_DAYS,
  SUPERVISE,
  activityView,
  caseView,
  promiseView,
  type ActivityInput,
  type PromiseInput,
  type WorklistQuery,
} from './collections.service';
import { COLLECTION_ACTIVITY_TYPES, PRIORITIES } from './models';
import { ASSIGNMENT_RULE } from './nightly';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });
const latitude = Joi.string()
  .pattern(/^-?\d{1,2}(\.\d{1,7})?$/)
  .message('must be a latitude with up to 7 decimals');
const longitude = Joi.string()
  .pattern(/^-?\d{1,3}(\.\d{1,7})?$/)
  .message('must be a longitude with up to 7 decimals');
const reason = Joi.string().trim().min(3).max(1000);

const notFound = { description: "No such case in the caller's regions" };
const closed = { description: 'The case is closed' };

export function collectionsRoutes(ctx: AppContext): RouteSpec[] {
  const cases = new CollectionsService(ctx.sequelize);
  const tags = ['collections'];
  return [
    defineRoute({
      method: 'get',
      path: '/collections/worklist',
      summary: "The caller's open collection cases, highest priority first",
      description:
        'Open cases assigned to the caller, ordered by priorityScore (DPD, amount at risk, days since the last contact, broken promises, ' +
        `repossession review; docs/collections.md), in the caller's regions. With ${SUPERVISE}: assignedTo=<employee> or unassigned=true ` +
        `(403 without it). Cases are opened, closed and assigned by the nightly close: ${ASSIGNMENT_RULE}`,
      tags,
      access: { permission: 'collections:read' },
      query: Joi.object<WorklistQuery, true>({
        ...paginationQuery,
        assignedTo: id,
        unassigned: Joi.boolean(),
        status: Joi.string().valid(...OPEN_CASE_STATUSES),
        priority: Joi.string().valid(...PRIORITIES),
        minDaysPastDue: Joi.number().integer().min(0).max(100000),
        regionId: id,
      }).oxor('assignedTo', 'unassigned'),
      responses: { 200: { description: 'A page of open cases', schema: pagedResponseSchema(caseSchema) }, 403: { description: `Needs ${SUPERVISE}` } },
      handler: async (req) => {
        const page = await cases.worklist(employeeOf(req), req.valid.query);
        return { body: { data: page.data.map(caseView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/collections/cases/:id',
      summary: 'One collection case with its activities, promises to pay and field visits',
      tags,
      access: { permission: 'collections:read' },
      params: idParams,
      responses: { 200: { description: 'The case', schema: caseDetailSchema }, 404: notFound },
      handler: async (req) => ({ body: await cases.get(employeeOf(req), req.valid.params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/collections/cases/:id/reassign',
      summary: 'Reassign an open case to another collector (audited)',
      description: `The new assignee must be active, hold collections:write and cover the account's region (422 otherwise).`,
      tags,
      access: { permission: SUPERVISE },
      params: idParams,
      body: Joi.object<{ employeeId: number; reason: string }, true>({ employeeId: id.required(), reason: reason.required() }),
      responses: {
        200: { description: 'The case', schema: caseSchema },
        404: notFound,
        409: closed,
        422: { description: 'The employee cannot work this case' },
      },
      handler: async (req) => {
        const employee = employeeOf(req);
        await cases.reassign(employee, req.valid.params.id, req.valid.body);
        return { body: await cases.view(employee, req.valid.params.id) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/collections/cases/:id/activities',
      summary: 'Record a call, SMS, visit (with GPS: a field visit) or note on an open case',
      description: `The outcome is one of ${ACTIVITY_OUTCOMES.join(', ')}. A call, SMS or visit is a contact: the case's last contact and priority follow.`,
      tags,
      syncAction: { type: 'collection-activity.create', params: { id: 'caseId' } },
      access: { permission: 'collections:write' },
      params: idParams,
      idempotent: 'clientId',
      body: Joi.object<WithClientId<ActivityInput>, true>({
        clientId: clientIdField(),
        activityType: Joi.string()
          .valid(...COLLECTION_ACTIVITY_TYPES)
          .required(),
        outcome: Joi.string()
          .valid(...ACTIVITY_OUTCOMES)
          .required(),
        notes: Joi.string().trim().max(2000),
        performedAt: pastInstantField().description('Default now'),
        latitude: latitude.when('activityType', { is: 'visit', then: Joi.required(), otherwise: Joi.forbidden() }),
        longitude: longitude.when('activityType', { is: 'visit', then: Joi.required(), otherwise: Joi.forbidden() }),
      }),
      responses: { 201: { description: 'The activity', schema: activitySchema }, 404: notFound, 409: closed },
      handler: async (req) => ({
        status: 201,
        body: activityView(
          await cases.recordActivity(employeeOf(req), req.valid.params.id, withoutClientId(req.valid.body), storeAnswer(req.idempotency, 201, activityView)),
        ),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/collections/cases/:id/promises',
      summary: 'Record a promise to pay (amount, date) on an open case',
      description:
        `The date runs from the business date to ${PROMISE_MAX_DAYS} days after it (422 otherwise). The nightly close after the date judges it from ` +
        'the payments from the business date it was made to its date: kept (the payment that completed it linked), partly kept or broken.',
      tags,
      syncAction: { type: 'promise-to-pay.create', params: { id: 'caseId' } },
      access: { permission: 'collections:write' },
      params: idParams,
      idempotent: 'clientId',
      body: Joi.object<WithClientId<PromiseInput>, true>({
        clientId: clientIdField(),
        amount: paymentAmountField().required(),
        date: dateOnlyField().required(),
        collectionActivityId: id.description('The activity the promise was made in'),
      }),
      responses: {
        201: { description: 'The promise', schema: promiseSchema },
        404: notFound,
        409: closed,
        422: { description: 'Dated in the past or too far ahead, or the activity is not of this case' },
      },
      handler: async (req) => ({
        status: 201,
        body: promiseView(
          await cases.promise(employeeOf(req), req.valid.params.id, withoutClientId(req.valid.body), storeAnswer(req.idempotency, 201, promiseView)),
        ),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/reports/collections',
      summary: 'Collections performance per collector and per region: cases, contacts, promises made and kept, amount recovered',
      description:
        "Over [from, to] (business dates; default the month to date, UTC), in the caller's regions (another region is a 404), at most " +
        `${MAX_REPORT_DAYS} days. amountRecovered: completed payments on an account while its case was open, credited to the case's assignee. ` +
        'Promises kept, partly kept and broken: judged by the nightly close in the period, credited to who recorded them. See docs/collections.md.',
      tags: ['reports'],
      access: { permission: 'reports:read' },
      query: Joi.object<CollectionsReportQuery, true>({ from: dateOnlyField(), to: dateOnlyField(), regionId: id }),
      responses: {
        200: { description: 'Per collector (employeeId null: unassigned cases) and per region', schema: collectionsReportSchema },
        404: { description: 'Region out of scope' },
        422: { description: 'from after to, or a period too long' },
      },
      handler: async (req) => ({ body: await collectionsReport(ctx.sequelize, employeeOf(req).scope, req.valid.query, localDate(new Date(), 'UTC')) }),
    }),
  ];
}
