import Joi from 'joi';
import { dateOut, idOut, instantOut, moneyOut, shape } from '../../platform/http/response-fields';
import { DEVICE_TOKEN_TYPES } from '../devices/models';
import { DEVICE_SWAP_KINDS, TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES, WARRANTY_CLAIM_STATUSES } from './models';

/** ticketView (tickets.service.ts). */
export const ticketSchema = shape({
  id: idOut(),
  ticketNumber: Joi.string(),
  customerId: idOut(),
  accountId: idOut().allow(null),
  deviceId: idOut().allow(null),
  category: Joi.string(),
  subject: Joi.string(),
  description: Joi.string().allow(null),
  status: Joi.string().valid(...TICKET_STATUSES),
  priority: Joi.string().valid(...TICKET_PRIORITIES),
  channel: Joi.string().valid(...TICKET_CHANNELS),
  assignedTo: idOut().allow(null),
  assignedAt: instantOut().allow(null),
  openedBy: idOut().allow(null),
  slaDueAt: instantOut().allow(null).description("When the category's SLA runs out (systemSettings support.sla, else the documented defaults)"),
  overdue: Joi.boolean().description('Still worked (open, in_progress, pending) and past slaDueAt'),
  resolution: Joi.string().allow(null),
  resolvedAt: instantOut().allow(null),
  closedAt: instantOut().allow(null),
  createdAt: instantOut(),
  updatedAt: instantOut(),
});

/** commentView (tickets.service.ts). */
export const commentSchema = shape({
  id: idOut(),
  supportTicketId: idOut(),
  authorId: idOut().allow(null),
  body: Joi.string(),
  isInternal: Joi.boolean().description('Never shown to callers without support:internal'),
  createdAt: instantOut(),
});

/** deviceSwapView (swap.service.ts). */
export const deviceSwapSchema = shape({
  id: idOut(),
  accountId: idOut(),
  kind: Joi.string().valid(...DEVICE_SWAP_KINDS),
  oldDeviceId: idOut(),
  newDeviceId: idOut(),
  fromWarehouseId: idOut().description('The stock location the new unit left'),
  returnWarehouseId: idOut().description('Where the old unit went back (in_repair): the same location'),
  reason: Joi.string(),
  creditDays: Joi.number().integer().min(0).description("The account's remaining credit days, carried by the new unit's token"),
  deviceTokenId: idOut().allow(null),
  fee: moneyOut().allow(null),
  accountChargeId: idOut().allow(null).description("The fee's account charge (Dr 1200 / Cr 4300)"),
  createdBy: idOut().allow(null),
  createdAt: instantOut(),
  token: shape({
    tokenType: Joi.string().valid(...DEVICE_TOKEN_TYPES),
    value: Joi.number().integer(),
    token: Joi.string(),
    tokenCount: Joi.number().integer(),
  })
    .allow(null)
    .description('The SET_TIME token for the new unit (null: the unit takes no tokens)'),
});

/** claimView (warranty.service.ts). */
export const warrantyClaimSchema = shape({
  id: idOut(),
  accountId: idOut(),
  deviceId: idOut(),
  warrantyPolicyId: idOut().allow(null),
  supportTicketId: idOut().allow(null),
  issue: Joi.string(),
  status: Joi.string().valid(...WARRANTY_CLAIM_STATUSES),
  submittedBy: idOut().allow(null),
  decidedBy: idOut().allow(null),
  decidedAt: instantOut().allow(null),
  resolution: Joi.string().allow(null),
  replacementDeviceId: idOut().allow(null),
  deviceSwapId: idOut().allow(null),
  warrantyExpiry: dateOut().allow(null).description('The last day covered (on submission)'),
  createdAt: instantOut(),
});

export const approvedClaimSchema = shape({ claim: warrantyClaimSchema, swap: deviceSwapSchema });
