import Joi from 'joi';
import { idOut, instantOut, moneyOut, shape } from '../../platform/http/response-fields';
import { DEVICE_TOKEN_TYPES } from '../devices/models';
import { allocationSchema, paymentSchema } from '../payments/payments.responses';
import { CASH_COLLECTION_STATUSES } from './models';

/** collectionFields (cash.service.ts). */
export const cashCollectionSchema = shape({
  id: idOut(),
  clientCollectionId: Joi.string().description('The UUID the phone made for this collection'),
  agentId: idOut(),
  accountId: idOut(),
  customerId: idOut(),
  amount: moneyOut(),
  collectedAt: instantOut(),
  status: Joi.string().valid(...CASH_COLLECTION_STATUSES),
  paymentId: idOut().allow(null),
  agentRemittanceId: idOut().allow(null),
  latitude: Joi.string().allow(null),
  longitude: Joi.string().allow(null),
  createdAt: instantOut(),
});

/** CashService.collectionView: the collection, its payment and receipt, where the money went and the tokens. */
export const cashCollectionResultSchema = shape({
  collection: cashCollectionSchema,
  payment: paymentSchema.allow(null),
  receipt: shape({ receiptNumber: Joi.string(), amount: moneyOut(), issuedAt: instantOut() }).allow(null),
  allocations: Joi.array().items(allocationSchema),
  tokens: Joi.array().items(
    shape({ deviceId: idOut(), tokenType: Joi.string().valid(...DEVICE_TOKEN_TYPES), value: Joi.number().integer(), token: Joi.string() }),
  ),
});

/** CashPosition (cash-limit.ts) and the agent's open collections; the route adds pendingRemittances. */
export const cashPositionKeys = {
  agentId: idOut().required(),
  balance: moneyOut().required().description('Cash collected and posted, not yet in a confirmed remittance'),
  limit: moneyOut().required(),
  limitSource: Joi.string().valid('employee', 'system', 'default').required(),
  blocked: Joi.boolean().required().description('At or above the limit: no collections or sales until the agent remits'),
  openCollections: Joi.array().items(cashCollectionSchema).required().description('Posted collections not yet remitted (at most 500, newest first)'),
};
