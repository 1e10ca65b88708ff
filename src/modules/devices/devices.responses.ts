import Joi from 'joi';
import { dateOut, idOut, instantOut, shape } from '../../platform/http/response-fields';
import { ACCOUNT_DEVICE_STATUSES } from '../accounts/models';
import { NOTIFICATION_STATUSES } from '../notifications/models';
import { DEVICE_MODEL_TOKEN_TYPES, DEVICE_STATUSES, DEVICE_TOKEN_SOURCES, DEVICE_TOKEN_TYPES } from './models';

/** deviceView (device.service.ts): never the key, never the starting code. */
export const deviceSchema = shape(
  {
    id: idOut(),
    serialNumber: Joi.string(),
    deviceModelId: idOut(),
    productId: idOut(),
    warehouseId: idOut().allow(null),
    status: Joi.string().valid(...DEVICE_STATUSES),
    openpaygo: Joi.boolean().description('Takes OpenPAYGO tokens (a key is stored; the key itself is never shown)'),
    tokenCount: Joi.number().integer().description('Count of the last token minted'),
    firmwareVersion: Joi.string().allow(null),
    activatedAt: instantOut().allow(null),
    paygDisabledAt: instantOut().allow(null),
    account: shape({ id: idOut(), accountNumber: Joi.string(), status: Joi.string() }).allow(null).description('The account the device is attached to'),
    createdAt: instantOut(),
    updatedAt: instantOut(),
  },
  {
    deviceModel: shape({
      id: idOut(),
      code: Joi.string(),
      name: Joi.string(),
      tokenType: Joi.string().valid(...DEVICE_MODEL_TOKEN_TYPES),
      restrictedDigitSet: Joi.boolean(),
    }).description('On a single device (GET /devices/{id}, registration), not in lists'),
  },
);

/** tokenView (tokens.ts). */
export const deviceTokenSchema = shape({
  id: idOut(),
  deviceId: idOut(),
  accountId: idOut().allow(null),
  tokenType: Joi.string().valid(...DEVICE_TOKEN_TYPES),
  value: Joi.number().integer(),
  token: Joi.string(),
  tokenCount: Joi.number().integer(),
  source: Joi.string().valid(...DEVICE_TOKEN_SOURCES),
  paymentId: idOut().allow(null),
  requestedBy: idOut().allow(null),
  reason: Joi.string().allow(null),
  createdAt: instantOut(),
});

/** DeviceService.mintManual. */
export const mintedTokensSchema = shape({ tokens: Joi.array().items(deviceTokenSchema) });

/** DeviceService.resend: the SMS queued with the device's last token. */
export const tokenResendSchema = shape({
  notificationId: idOut(),
  status: Joi.string().valid(...NOTIFICATION_STATUSES),
  tokenId: idOut(),
  tokenCount: Joi.number().integer(),
  recipient: Joi.string().description("The customer's phone number"),
});

/** fieldVisitView (device.service.ts): an installation visit with its GPS fix and photo references. */
export const fieldVisitSchema = shape({
  id: idOut(),
  purpose: Joi.string(),
  visitedAt: instantOut().allow(null),
  latitude: Joi.string().allow(null).description('Decimal degrees, 7 places'),
  longitude: Joi.string().allow(null).description('Decimal degrees, 7 places'),
  outcome: Joi.string().allow(null),
  notes: Joi.string().allow(null),
  photos: Joi.array().items(
    shape({
      id: idOut(),
      reference: Joi.string(),
      mimeType: Joi.string(),
      sizeBytes: Joi.number().integer().allow(null),
      sha256: Joi.string().allow(null),
      caption: Joi.string().allow(null),
      takenAt: instantOut().allow(null),
    }),
  ),
});

/** DeviceService.attach: the link, the device and the first token (null when none could be minted). */
export const deviceAttachedSchema = shape({
  accountDevice: shape({
    id: idOut(),
    accountId: idOut(),
    deviceId: idOut(),
    deviceSerial: Joi.string(),
    status: Joi.string().valid(...ACCOUNT_DEVICE_STATUSES),
    installationDate: dateOut().allow(null),
  }),
  device: deviceSchema,
  token: shape({
    tokenType: Joi.string().valid(...DEVICE_TOKEN_TYPES),
    value: Joi.number().integer(),
    token: Joi.string(),
    tokenCount: Joi.number().integer(),
  }).allow(null),
}).keys({ fieldVisit: fieldVisitSchema.optional().description('The installation visit (POST /accounts/{id}/installation)') });
