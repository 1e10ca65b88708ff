import Joi from 'joi';
import { dateOut, idOut, instantOut, moneyOut, shape } from '../../platform/http/response-fields';
import { ACCOUNT_STATUSES, INSTALLMENT_STATUSES, PAR_BUCKETS } from './models';

/** accountView (account.service.ts). */
export const accountSchema = shape({
  id: idOut(),
  accountNumber: Joi.string(),
  customerId: idOut(),
  productId: idOut(),
  payplanId: idOut(),
  regionId: idOut(),
  agentId: idOut().allow(null),
  status: Joi.string().valid(...ACCOUNT_STATUSES),
  activationDate: dateOut().allow(null),
  expiryDate: dateOut().allow(null),
  totalPrice: moneyOut(),
  downPaymentAmount: moneyOut(),
  financedAmount: moneyOut(),
  balance: moneyOut().description('Outstanding instalments and charges'),
  creditBalance: moneyOut().description('Overpayment held for the customer'),
  daysPastDue: Joi.number().integer().min(0),
  parBucket: Joi.string().valid(...PAR_BUCKETS),
  creditExpiresAt: instantOut().allow(null),
});

/** AccountService.detail: the account, its schedule (instalment 0 is the down payment) and status history. */
export const accountDetailSchema = accountSchema.keys({
  schedule: Joi.array()
    .items(
      shape({
        id: idOut(),
        installmentNumber: Joi.number().integer().min(0),
        dueDate: dateOut(),
        amount: moneyOut(),
        paidAmount: moneyOut(),
        status: Joi.string().valid(...INSTALLMENT_STATUSES),
        paidDate: dateOut().allow(null),
      }),
    )
    .required(),
  history: Joi.array()
    .items(
      shape({
        from: Joi.string().allow(null).description('An account status; null for the first entry'),
        to: Joi.string(),
        reason: Joi.string().allow(null),
        changedBy: idOut().allow(null),
        changedAt: instantOut(),
        businessDate: dateOut().allow(null),
      }),
    )
    .required(),
});

/** AccountService.ledger: one journal entry of the account with its lines. */
export const accountLedgerEntrySchema = shape({
  id: idOut(),
  entryNumber: Joi.string(),
  businessDate: dateOut(),
  description: Joi.string(),
  sourceType: Joi.string(),
  sourceId: idOut().allow(null),
  reversalOfId: idOut().allow(null),
  lines: Joi.array().items(
    shape({
      ledger: Joi.string().description('Ledger account code, e.g. 1200'),
      ledgerName: Joi.string(),
      debit: moneyOut(),
      credit: moneyOut(),
      accountId: idOut().allow(null),
    }),
  ),
});
