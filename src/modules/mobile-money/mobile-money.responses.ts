import Joi from 'joi';
import { idOut, instantOut, moneyOut, shape } from '../../platform/http/response-fields';
import { MOBILE_MONEY_STATUSES } from '../payments/models';

/** transactionView (ingestion.service.ts): a provider transaction as stored. */
export const mobileMoneyTransactionSchema = shape({
  id: idOut(),
  provider: Joi.string(),
  transactionId: Joi.string(),
  transactionType: Joi.string().allow(null),
  amount: moneyOut(),
  currency: Joi.string().allow(null),
  billRefNumber: Joi.string().allow(null).description('The account reference the payer typed'),
  msisdn: Joi.string().allow(null),
  payerName: Joi.string().allow(null),
  transTime: instantOut().allow(null),
  status: Joi.string().valid(...MOBILE_MONEY_STATUSES),
  accountId: idOut().allow(null),
  paymentId: idOut().allow(null),
  note: Joi.string().allow(null).description('Why it is unmatched, or the review mark reconciliation set'),
  createdAt: instantOut(),
});

const status = Joi.string().valid(...MOBILE_MONEY_STATUSES);

/** ReconciliationReport (reconciliation.service.ts). */
export const reconciliationReportSchema = shape({
  importId: idOut(),
  provider: Joi.string(),
  reupload: Joi.boolean().description('This exact file was uploaded before; its effects are not repeated'),
  period: shape({ from: instantOut(), to: instantOut() }),
  statementLines: Joi.number().integer().min(0),
  summary: shape({
    matched: Joi.number().integer().min(0),
    missingInAmt: Joi.number().integer().min(0),
    missingInStatement: Joi.number().integer().min(0),
    amountMismatches: Joi.number().integer().min(0),
  }),
  missingInAmt: Joi.array().items(
    shape({
      line: Joi.number().integer(),
      transactionId: Joi.string(),
      amount: moneyOut(),
      status,
      paymentId: idOut().allow(null),
      accountId: idOut().allow(null),
    }),
  ),
  missingInStatement: Joi.array().items(
    shape({ transactionId: Joi.string(), amount: moneyOut(), transTime: instantOut().allow(null), status, paymentId: idOut().allow(null) }),
  ),
  amountMismatches: Joi.array().items(
    shape({
      line: Joi.number().integer(),
      transactionId: Joi.string(),
      statementAmount: moneyOut(),
      amtAmount: moneyOut(),
      status,
      paymentId: idOut().allow(null),
    }),
  ),
});
