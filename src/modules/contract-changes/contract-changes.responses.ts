import Joi from 'joi';
import { dateOut, idOut, instantOut, moneyOut, shape } from '../../platform/http/response-fields';
import { ACCOUNT_UPGRADE_STATUSES } from '../accounts/models';
import { postedPaymentKeys } from '../payments/payments.responses';
import { PAYOFF_QUOTE_STATUSES } from './models';

/** payoffQuoteView (payoff.service.ts). */
export const payoffQuoteSchema = shape({
  id: idOut(),
  accountId: idOut(),
  businessDate: dateOut().description('The business date the quote was given on'),
  payoffDate: dateOut().description('The date it settles the account on'),
  validUntil: dateOut().description('The last business date it may be paid on'),
  outstanding: moneyOut().description('What the open instalments and charges owe'),
  discount: moneyOut().description("The payplan's early-payoff discount"),
  creditApplied: moneyOut().description('The credit balance applied'),
  amount: moneyOut().description('What settles the account: outstanding - discount - creditApplied'),
  status: Joi.string().valid(...PAYOFF_QUOTE_STATUSES),
  paymentId: idOut().allow(null),
  journalEntryId: idOut().allow(null).description("The discount's journal entry (Dr 5500 / Cr 1200)"),
  paidAt: instantOut().allow(null),
  createdAt: instantOut(),
});

/** POST /accounts/:id/payoff: the paid quote, and the payment as POST /payments answers it. */
export const paidOffSchema = Joi.object({ ...postedPaymentKeys, journalEntryId: idOut().required(), quote: payoffQuoteSchema.required() });

/** upgradeView (upgrade.service.ts). */
export const upgradeSchema = shape({
  id: idOut(),
  accountId: idOut(),
  fromProductId: idOut(),
  toProductId: idOut(),
  deviceId: idOut().allow(null),
  price: moneyOut().allow(null),
  downPayment: moneyOut().allow(null).description('Owed at once: a line of the combined schedule due on the business date'),
  businessDate: dateOut().allow(null),
  status: Joi.string().valid(...ACCOUNT_UPGRADE_STATUSES),
  scheduleChangeId: idOut().allow(null),
  journalEntryId: idOut().allow(null).description('The added receivable: Dr 1200 / Cr 4100'),
  completedAt: instantOut().allow(null),
  balance: moneyOut().description('The account balance after the upgrade'),
  accountStatus: Joi.string(),
  tokens: Joi.array()
    .items(
      shape({
        deviceId: idOut(),
        serialNumber: Joi.string(),
        tokenType: Joi.string(),
        value: Joi.number().integer(),
        token: Joi.string(),
        tokenCount: Joi.number().integer(),
      }),
    )
    .description("The new device's first token: the account's remaining credit days (SET_TIME); empty when there are none"),
});
