import Joi from 'joi';
import { dateOut, idOut, instantOut, moneyOut, shape } from '../../platform/http/response-fields';
import { REPOSSESSION_STATUSES } from '../accounts/models';
import { CONDITION_GRADES } from './repossession.service';

/** repossessionView (repossession.service.ts). */
export const repossessionSchema = shape({
  id: idOut(),
  accountId: idOut(),
  deviceId: idOut().allow(null).description('The unit to recover (the account device when marked; the one taken back once recovered)'),
  reason: Joi.string().allow(null),
  status: Joi.string().valid(...REPOSSESSION_STATUSES),
  scheduledFor: dateOut(),
  assignedTo: idOut().allow(null).description('The field agent'),
  assignedBy: idOut().allow(null),
  assignedAt: instantOut().allow(null),
  repossessedAt: instantOut().allow(null),
  performedBy: idOut().allow(null).description('Who recorded the outcome'),
  condition: Joi.string()
    .valid(...CONDITION_GRADES)
    .allow(null),
  warehouseId: idOut().allow(null).description('Where the recovered unit was taken'),
  fieldVisitId: idOut().allow(null).description('The visit (GPS, photos) that recorded the outcome'),
  failureReason: Joi.string().allow(null),
  recoveredValue: moneyOut().allow(null).description('Booked Dr 1300 inventory / Cr 1200 receivable'),
  journalEntryId: idOut().allow(null),
  writeoffId: idOut().allow(null).description('The write-off requested for what remained owed (pending until another employee approves it)'),
  deviceTokenId: idOut().allow(null).description('The SET_TIME 0 token that locks the device (null: the device takes no tokens)'),
  createdAt: instantOut(),
});
