import Joi from 'joi';
import { dateOut, idOut, instantOut, moneyOut, shape } from '../../platform/http/response-fields';
import { accountSchema } from '../accounts/accounts.responses';
import { ALLOCATION_TYPES, PAYMENT_CHANNELS, PAYMENT_STATUSES } from './models';

/** paymentView (views.ts). */
export const paymentSchema = shape({
  id: idOut(),
  accountId: idOut(),
  amount: moneyOut(),
  currency: Joi.string().length(3),
  channel: Joi.string().valid(...PAYMENT_CHANNELS),
  transactionRef: Joi.string(),
  paymentDate: instantOut(),
  businessDate: dateOut(),
  status: Joi.string().valid(...PAYMENT_STATUSES),
  receiptNumber: Joi.string().allow(null),
});

/** Where a posted payment went (PostedPayment.allocations). */
export const allocationSchema = shape({
  kind: Joi.string().valid(...ALLOCATION_TYPES),
  id: idOut().allow(null).description('The instalment or charge settled; null for credit balance'),
  amount: moneyOut(),
});

/**
 * The devices module's DEVICE_TOKEN_TYPES (devices/models.ts), written out here because devices sit
 * above payments (they listen to its events); test/devices/token-types.test.ts keeps the two equal.
 */
export const POSTED_TOKEN_TYPES = ['ADD_TIME', 'SET_TIME', 'DISABLE_PAYG', 'COUNTER_SYNC'] as const;

/**
 * What the devices module reports for a posted payment (CreditEffects in devices/credit.service.ts),
 * merged into the answer: the credit days bought and the token(s) minted.
 */
export const creditEffectKeys = {
  creditDays: Joi.number().integer().description('Days this payment bought'),
  creditExpiresAt: instantOut().allow(null),
  token: Joi.string().allow(null).description("The token for the customer's device; with several devices, the first; null: none minted"),
  tokens: Joi.array().items(
    shape({
      deviceId: idOut(),
      serialNumber: Joi.string(),
      tokenType: Joi.string().valid(...POSTED_TOKEN_TYPES),
      value: Joi.number().integer(),
      token: Joi.string(),
      tokenCount: Joi.number().integer(),
    }),
  ),
  tokenErrors: Joi.array()
    .items(shape({ deviceId: idOut(), code: Joi.string(), message: Joi.string() }))
    .description('Devices that could not get a token; the payment stands regardless'),
};

/** The keys of a posted payment's answer (POST /payments, unmatched payment matched). */
export const postedPaymentKeys = {
  payment: paymentSchema.required(),
  allocations: Joi.array().items(allocationSchema).required(),
  account: accountSchema.required().description('The account after the payment'),
  ...Object.fromEntries(Object.entries(creditEffectKeys).map(([k, s]) => [k, s.optional()])),
};

/** POST /payments: the payment, where it went, the account after it, the journal entry and the device effects. */
export const postedPaymentSchema = Joi.object({ ...postedPaymentKeys, journalEntryId: idOut().required() });

/** GET /payments/:id: the payment with all its allocations, reversed ones included. */
export const paymentDetailSchema = paymentSchema.keys({
  allocations: Joi.array()
    .items(
      shape({
        kind: Joi.string().valid(...ALLOCATION_TYPES),
        installmentScheduleId: idOut().allow(null),
        accountChargeId: idOut().allow(null),
        amount: moneyOut(),
        reversedAt: instantOut().allow(null),
      }),
    )
    .required(),
});
