import Joi from 'joi';
import { idOut, instantOut, shape } from '../../platform/http/response-fields';
import { ACCOUNT_TRANSFER_STATUSES } from '../accounts/models';

/** transferView (transfer.service.ts). */
export const accountTransferSchema = shape({
  id: idOut(),
  accountId: idOut(),
  fromCustomerId: idOut().description('The owner when requested'),
  toCustomerId: idOut().description('The new owner (KYC-verified)'),
  reason: Joi.string().allow(null),
  status: Joi.string().valid(...ACCOUNT_TRANSFER_STATUSES),
  requestedBy: idOut(),
  approvedBy: idOut().allow(null).description('Who decided (approved or rejected)'),
  decidedAt: instantOut().allow(null),
  rejectionReason: Joi.string().allow(null),
  transferredAt: instantOut().allow(null).description('When the account moved to the new owner (approval)'),
  createdAt: instantOut(),
});
