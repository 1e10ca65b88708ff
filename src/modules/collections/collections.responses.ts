import Joi from 'joi';
import { dateOut, idOut, instantOut, moneyOut, shape } from '../../platform/http/response-fields';
import { COLLECTION_ACTIVITY_TYPES, COLLECTION_CASE_STATUSES, FIELD_VISIT_PURPOSES, PRIORITIES, PROMISE_STATUSES } from './models';

/** caseView (collections.service.ts). */
const caseFields = {
  id: idOut(),
  accountId: idOut(),
  status: Joi.string().valid(...COLLECTION_CASE_STATUSES),
  priority: Joi.string().valid(...PRIORITIES),
  priorityScore: Joi.number().integer().min(0).description('Higher first on the worklist; see docs/collections.md'),
  assignedTo: idOut().allow(null),
  openedOn: dateOut(),
  closedOn: dateOut().allow(null),
  daysPastDueAtOpen: Joi.number().integer().min(0),
  daysPastDue: Joi.number().integer().min(0).description('As of the last nightly close'),
  amountAtRisk: moneyOut().description("The account's outstanding balance as of the last nightly close"),
  lastContactAt: instantOut().allow(null),
  brokenPromises: Joi.number().integer().min(0),
  escalatedOn: dateOut().allow(null),
  escalationReason: Joi.string().allow(null),
  resolution: Joi.string().allow(null),
  account: shape({
    accountNumber: Joi.string(),
    regionId: idOut(),
    status: Joi.string(),
    balance: moneyOut(),
    customerName: Joi.string().allow(null),
    customerPhone: Joi.string().allow(null),
  }).allow(null),
};
export const caseSchema = shape(caseFields);

export const activitySchema = shape({
  id: idOut(),
  collectionCaseId: idOut(),
  activityType: Joi.string().valid(...COLLECTION_ACTIVITY_TYPES),
  outcome: Joi.string().allow(null),
  notes: Joi.string().allow(null, ''),
  performedBy: idOut(),
  performedAt: instantOut(),
  fieldVisitId: idOut().allow(null).description('The fieldVisit a visit wrote'),
});

export const promiseSchema = shape({
  id: idOut(),
  collectionCaseId: idOut().allow(null),
  accountId: idOut(),
  promisedAmount: moneyOut(),
  promisedDate: dateOut(),
  promisedOn: dateOut().allow(null),
  status: Joi.string().valid(...PROMISE_STATUSES),
  paidAmount: moneyOut().description('Paid from promisedOn to promisedDate, as judged by the nightly close'),
  paymentId: idOut().allow(null).description('The payment that kept it'),
  resolvedOn: dateOut().allow(null),
  collectionActivityId: idOut().allow(null),
  createdBy: idOut().allow(null),
});

const fieldVisitSchema = shape({
  id: idOut(),
  employeeId: idOut(),
  purpose: Joi.string().valid(...FIELD_VISIT_PURPOSES),
  scheduledFor: dateOut(),
  visitedAt: instantOut().allow(null),
  latitude: Joi.string().allow(null),
  longitude: Joi.string().allow(null),
  outcome: Joi.string().allow(null),
});

export const caseDetailSchema = shape({
  ...caseFields,
  activities: Joi.array().items(activitySchema),
  promises: Joi.array().items(promiseSchema),
  fieldVisits: Joi.array().items(fieldVisitSchema),
});

const performance = {
  cases: Joi.number().integer().min(0).description('Cases open at some point of the period'),
  casesOpened: Joi.number().integer().min(0),
  casesClosed: Joi.number().integer().min(0),
  contacts: Joi.number().integer().min(0).description('Calls, SMS and visits in the period'),
  visits: Joi.number().integer().min(0),
  promisesMade: Joi.number().integer().min(0),
  promisesKept: Joi.number().integer().min(0),
  promisesPartlyKept: Joi.number().integer().min(0),
  promisesBroken: Joi.number().integer().min(0),
  amountRecovered: moneyOut().description('Completed payments in the period on accounts while their case was open'),
};

/** collectionsReport (report.service.ts). */
export const collectionsReportSchema = shape({
  from: dateOut(),
  to: dateOut(),
  collectors: Joi.array().items(
    shape({ employeeId: idOut().allow(null).description('Null: unassigned cases'), employeeName: Joi.string().allow(null), ...performance }),
  ),
  regions: Joi.array().items(shape({ regionId: idOut(), regionName: Joi.string(), ...performance })),
});
