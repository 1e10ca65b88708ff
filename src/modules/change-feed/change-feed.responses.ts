import Joi from 'joi';
import { dateOut, idOut, instantOut, moneyOut, shape } from '../../platform/http/response-fields';
import { CHANGE_ENTITY_TYPES } from './models';

const nullableId = () => idOut().allow(null);
const text = () => Joi.string().allow(null);

const installment = shape({
  installmentNumber: Joi.number().integer(),
  dueDate: dateOut(),
  amount: moneyOut(),
  paidAmount: moneyOut(),
  status: Joi.string(),
  paidDate: dateOut().allow(null),
});

const customer = shape({
  id: idOut(),
  firstName: Joi.string(),
  lastName: Joi.string(),
  phone: Joi.string(),
  email: text(),
  kycStatus: Joi.string(),
  regionId: idOut(),
  agentId: nullableId(),
  preferredLanguage: Joi.string(),
  version: Joi.number().integer().description('The version an edit sends as If-Match (ifMatch in a push)'),
  updatedAt: instantOut(),
  addresses: Joi.array().items(
    shape({
      id: idOut(),
      addressType: Joi.string(),
      addressLine: Joi.string(),
      landmark: text(),
      city: text(),
      district: text(),
      areaId: nullableId(),
      latitude: Joi.string().allow(null).description('Decimal degrees as a string'),
      longitude: Joi.string().allow(null).description('Decimal degrees as a string'),
      isPrimary: Joi.boolean(),
    }),
  ),
  nextOfKin: Joi.array().items(
    shape({ id: idOut(), name: Joi.string(), relationship: Joi.string(), phone: Joi.string(), address: text(), version: Joi.number().integer() }),
  ),
  contacts: Joi.array().items(
    shape({ id: idOut(), contactType: Joi.string(), value: Joi.string(), label: text(), isPrimary: Joi.boolean(), isVerified: Joi.boolean() }),
  ),
  documents: Joi.array()
    .items(shape({ id: idOut(), documentType: Joi.string(), mimeType: Joi.string(), sizeBytes: Joi.number().integer(), createdAt: instantOut() }))
    .description('What documents there are (download them through /customers/{id}/documents)'),
});

const account = shape({
  id: idOut(),
  accountNumber: Joi.string(),
  customerId: idOut(),
  productId: idOut(),
  payplanId: idOut(),
  regionId: idOut(),
  agentId: nullableId(),
  status: Joi.string(),
  activationDate: dateOut().allow(null),
  expiryDate: dateOut().allow(null),
  totalPrice: moneyOut(),
  downPaymentAmount: moneyOut(),
  financedAmount: moneyOut(),
  balance: moneyOut(),
  creditBalance: moneyOut(),
  daysPastDue: Joi.number().integer(),
  parBucket: Joi.string(),
  creditExpiresAt: instantOut().allow(null),
  closedAt: instantOut().allow(null),
  updatedAt: instantOut(),
  schedule: Joi.array().items(installment),
});

const payment = shape({
  id: idOut(),
  accountId: idOut(),
  amount: moneyOut(),
  currency: Joi.string(),
  channel: Joi.string(),
  paymentDate: instantOut(),
  businessDate: dateOut(),
  status: Joi.string(),
  completedAt: instantOut().allow(null),
  receiptNumber: text(),
  regionId: idOut(),
});

const token = shape({
  id: idOut(),
  accountId: idOut(),
  deviceId: idOut(),
  tokenType: Joi.string(),
  value: Joi.number().integer(),
  token: Joi.string(),
  tokenCount: Joi.number().integer(),
  paymentId: nullableId(),
  source: Joi.string(),
  createdAt: instantOut(),
});

const collectionCase = shape({
  id: idOut(),
  accountId: idOut(),
  assignedTo: nullableId(),
  status: Joi.string(),
  priority: Joi.string(),
  openedOn: dateOut(),
  closedOn: dateOut().allow(null),
  daysPastDue: Joi.number().integer(),
  amountAtRisk: moneyOut(),
  lastContactAt: instantOut().allow(null),
  brokenPromises: Joi.number().integer(),
  priorityScore: Joi.number().integer(),
  updatedAt: instantOut(),
});

const repossession = shape({
  id: idOut(),
  accountId: idOut(),
  deviceId: nullableId(),
  assignedTo: nullableId(),
  status: Joi.string(),
  reason: text(),
  scheduledFor: dateOut(),
  repossessedAt: instantOut().allow(null),
  failureReason: text(),
  updatedAt: instantOut(),
});

/** ChangesPage (change-feed.service.ts). */
export const changesPageSchema = shape({
  customers: Joi.array().items(customer),
  accounts: Joi.array().items(account).description('Each with its schedule and balance'),
  payments: Joi.array().items(payment),
  tokens: Joi.array().items(token),
  collectionCases: Joi.array().items(collectionCase).description('Assigned to the caller'),
  repossessions: Joi.array().items(repossession).description('Assigned to the caller'),
  deleted: Joi.array()
    .items(shape({ entityType: Joi.string().valid(...CHANGE_ENTITY_TYPES), id: idOut() }))
    .description("No longer the caller's: deleted, retired, moved to another region, or a task assigned to someone else"),
  next: Joi.string().description('Opaque cursor: pass it as `since` next time (when hasMore is false too: incremental syncs start there)'),
  hasMore: Joi.boolean().description('true: ask again at once with `next`'),
  full: Joi.boolean().description('true while a first sync (no `since`) pages through the working set'),
});
