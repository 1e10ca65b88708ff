import Joi from 'joi';
import { dateOut, idOut, instantOut, moneyOut, shape } from '../../platform/http/response-fields';
import { ACCOUNT_STATUSES, INSTALLMENT_STATUSES, PAR_BUCKETS, SCHEDULE_CHANGE_STATUSES, SCHEDULE_CHANGE_TYPES } from './models';

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
  restructuredAt: dateOut().allow(null).description('Business date of the last restructure (reported apart in PAR); null: never restructured'),
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

/** installmentLineView (schedule-changes.routes.ts): one line of GET /accounts/:id/schedule. */
export const installmentLineSchema = shape({
  id: idOut(),
  installmentNumber: Joi.number().integer().min(0),
  dueDate: dateOut(),
  amount: moneyOut(),
  paidAmount: moneyOut().description('Stays on a superseded line, with the allocations that paid it'),
  status: Joi.string().valid(...INSTALLMENT_STATUSES),
  paidDate: dateOut().allow(null),
  superseded: Joi.boolean().description('Replaced by a schedule change: owes nothing'),
  supersededAt: instantOut().allow(null),
  supersededByChangeId: idOut().allow(null),
  scheduleChangeId: idOut().allow(null).description('The change that issued the line; null for the opening schedule'),
});

/** scheduleChangeView (schedule-changes.service.ts). */
export const scheduleChangeSchema = shape({
  id: idOut(),
  accountId: idOut(),
  changeType: Joi.string().valid(...SCHEDULE_CHANGE_TYPES),
  status: Joi.string().valid(...SCHEDULE_CHANGE_STATUSES),
  businessDate: dateOut(),
  parameters: Joi.object().unknown(true).description('holiday: days, grantCreditDays; restructure: frequency, fromDate, term or installmentAmount, fee'),
  reason: Joi.string(),
  replacedAmount: moneyOut().allow(null).description('What the superseded lines owed (the new lines carry it, plus any fee)'),
  requestedBy: idOut().allow(null),
  approvedBy: idOut().allow(null),
  decidedAt: instantOut().allow(null),
  rejectionReason: Joi.string().allow(null),
  appliedAt: instantOut().allow(null),
  createdAt: instantOut(),
});
