import Joi from 'joi';
import { dateOut, idOut, instantOut, moneyOut, shape } from '../../platform/http/response-fields';
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
