import Joi from 'joi';
import { clientIdField, withoutClientId, type WithClientId } from '../../platform/http/client-id';
import type { AppContext } from '../../platform/context';
import { pagedResponseSchema, paginationQuery } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { dateOnlyField, idField, photoReferencesField } from '../../platform/http/schemas';
import { DeviceService, type DeviceListQuery, type InstallInput, type RegisterDeviceInput, type ReturnInput } from './device.service';
import { DEVICE_STATUSES, DEVICE_TOKEN_TYPES, type DeviceTokenType } from './models';
import { MAX_EXTENDED_VALUE, MAX_STARTING_CODE } from './openpaygo/token';
import { deviceAttachedSchema, deviceSchema, deviceTokenSchema, mintedTokensSchema, tokenResendSchema } from './devices.responses';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });
const calendarDate = dateOnlyField();
/** POST /devices/:id/tokens: a token minted by hand. */
interface ManualTokenBody {
  type: DeviceTokenType;
  value?: number;
  reason: string;
}

/** POST /accounts/:id/devices: the device by id or by serial number. */
interface AttachDeviceBody {
  deviceId?: number;
  serialNumber?: string;
  installationDate?: string;
}

const reason = Joi.string().trim().min(3).max(500).required().description('Why: kept in the system log');

export function deviceRoutes(ctx: AppContext): RouteSpec[] {
  const devices = new DeviceService(ctx);
  const tags = ['devices'];
  return [
    defineRoute({
      method: 'post',
      path: '/devices',
      summary: 'Register a device with its OpenPAYGO secret key (stored encrypted, never shown again)',
      tags,
      access: { permission: 'devices:write' },
      body: Joi.object<RegisterDeviceInput, true>({
        serialNumber: Joi.string().trim().min(1).max(100).required(),
        deviceModelId: id.required(),
        productId: id.required(),
        openpaygoSecretKey: Joi.string().hex().length(32).description('16-byte key as 32 hexadecimal characters; required for OpenPAYGO models'),
        startingCode: Joi.number().integer().min(0).max(MAX_STARTING_CODE).description('9-digit OpenPAYGO starting code; omit to derive it from the key'),
        warehouseId: id,
        firmwareVersion: Joi.string().max(50),
        status: Joi.string().valid('stored', 'shipped'),
      }),
      responses: { 201: { description: 'Registered', schema: deviceSchema }, 409: { description: 'Serial number taken' } },
      handler: async (req) => {
        const device = await devices.register(employeeOf(req), req.valid.body);
        return { status: 201, body: device, headers: { Location: `/api/v1/devices/${device.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/devices',
      summary: "Devices (newest first), within the caller's regions",
      responses: { 200: { description: 'A page of devices', schema: pagedResponseSchema(deviceSchema) } },
      tags,
      access: { permission: 'devices:read' },
      query: Joi.object<DeviceListQuery, true>({
        status: Joi.string().valid(...DEVICE_STATUSES),
        serialNumber: Joi.string().max(100),
        accountId: id,
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      handler: async (req) => ({ body: await devices.list(employeeOf(req), req.valid.query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/devices/:id',
      summary: 'A device and the account it is attached to',
      tags,
      access: { permission: 'devices:read' },
      params: idParams,
      responses: { 200: { description: 'The device', schema: deviceSchema } },
      handler: async (req) => ({ body: await devices.get(employeeOf(req), req.valid.params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/devices/:id/tokens',
      summary: 'Tokens minted for a device (latest count first)',
      responses: {
        200: { description: "A page of the device's tokens", schema: pagedResponseSchema(deviceTokenSchema) },
        404: { description: "No such device in the caller's regions" },
      },
      tags,
      access: { permission: 'devices:read' },
      params: idParams,
      query: Joi.object<{ limit: number; cursor?: string }, true>({ limit: paginationQuery.limit, cursor: paginationQuery.cursor }),
      handler: async (req) => ({ body: await devices.tokens(employeeOf(req), req.valid.params.id, req.valid.query) }),
    }),
    defineRoute({
      method: 'post',
      path: '/devices/:id/tokens',
      summary: 'Mint a token by hand (support: add or set days, unlock for good, resynchronise the counter)',
      description:
        "ADD_TIME and SET_TIME take `value` (days; up to 995 on standard devices, more become several tokens) and move the account's credit; " +
        'DISABLE_PAYG and COUNTER_SYNC take no value. Minted under the device lock from its stored count; recorded in the system log with the reason.',
      tags,
      access: { permission: 'tokens:manual' },
      params: idParams,
      body: Joi.object<ManualTokenBody, true>({
        type: Joi.string()
          .valid(...DEVICE_TOKEN_TYPES)
          .required(),
        value: Joi.number().when('type', {
          is: Joi.valid('ADD_TIME', 'SET_TIME'),
          then: Joi.number().integer().min(0).max(MAX_EXTENDED_VALUE).required(),
          otherwise: Joi.forbidden(),
        }),
        reason,
      }),
      responses: {
        201: { description: 'The token(s) minted', schema: mintedTokensSchema },
        404: { description: "No such device in the caller's regions" },
        422: { description: 'The device takes no tokens' },
      },
      handler: async (req) => ({ status: 201, body: await devices.mintManual(employeeOf(req), req.valid.params.id, req.valid.body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/devices/:id/tokens/resend',
      summary: "Send the device's last token to the customer again by SMS (no new token)",
      tags,
      access: { permission: 'tokens:manual' },
      params: idParams,
      body: Joi.object<{ reason: string }, true>({ reason }),
      responses: {
        202: { description: 'SMS queued', schema: tokenResendSchema },
        404: { description: "No such device in the caller's regions" },
        422: { description: 'Not attached, no token yet, or no phone' },
      },
      handler: async (req) => ({ status: 202, body: await devices.resend(employeeOf(req), req.valid.params.id, req.valid.body.reason) }),
    }),
    defineRoute({
      method: 'post',
      path: '/accounts/:id/devices',
      summary: 'Hand a device to the customer of an account (the device must be stored or shipped, and on no other account)',
      description: 'Credit the account already has (e.g. from its down payment) is put on the device at once with a SET_TIME token.',
      tags,
      access: { permission: 'devices:write' },
      params: idParams,
      body: Joi.object<AttachDeviceBody, true>({ deviceId: id, serialNumber: Joi.string().max(100), installationDate: calendarDate }).xor(
        'deviceId',
        'serialNumber',
      ),
      responses: {
        201: { description: 'Attached: the link, the device and its first token', schema: deviceAttachedSchema },
        409: { description: 'Device not available or in use; account finished' },
        422: { description: 'Device of another product' },
      },
      handler: async (req) => ({ status: 201, body: await devices.attach(employeeOf(req), req.valid.params.id, req.valid.body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/accounts/:id/installation',
      summary: 'Install a device the calling agent carries on an account they sold: attach, first token, field visit with GPS and photos',
      description:
        "For field agents (devices:install): the account must be in the agent's regions (else 404) and sold by them (another agent's sale: 403); " +
        "the unit must be in the agent's own stock (else 409). The device is attached as by POST /accounts/{id}/devices (credit the account has goes onto it " +
        "as its first token), leaves the agent's stock, and the visit is recorded with its GPS fix and photo references (where the phone stored each photo; " +
        'the bytes are not sent here).',
      tags,
      syncAction: { type: 'installation.create', params: { id: 'accountId' } },
      access: { permission: 'devices:install' },
      params: idParams,
      idempotent: 'clientId',
      body: Joi.object<WithClientId<InstallInput>, true>({
        clientId: clientIdField(),
        deviceId: id,
        serialNumber: Joi.string().max(100),
        installationDate: calendarDate,
        latitude: Joi.number().min(-90).max(90).required(),
        longitude: Joi.number().min(-180).max(180).required(),
        photos: photoReferencesField().required(),
        notes: Joi.string().max(2000),
      }).xor('deviceId', 'serialNumber'),
      responses: {
        201: { description: 'Installed: the link, the device, its first token and the visit', schema: deviceAttachedSchema },
        403: { description: "The account is another agent's sale" },
        404: { description: "No such account in the caller's regions" },
        409: { description: "The unit is not in the caller's stock, in use or not available; the account is finished" },
        422: { description: 'Device of another product' },
      },
      handler: async (req) => ({ status: 201, body: await devices.install(employeeOf(req), req.valid.params.id, withoutClientId(req.valid.body)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/devices/:id/return',
      summary: 'Take a unit back from the field into a warehouse (detached from its account; faulty: in_repair)',
      tags,
      access: { permission: 'devices:write' },
      params: idParams,
      body: Joi.object<ReturnInput, true>({ warehouseId: id.required(), faulty: Joi.boolean().required(), reason }),
      responses: {
        200: { description: 'Back in stock', schema: deviceSchema },
        404: { description: "No such device in the caller's regions" },
        409: { description: 'Already in stock or in transit' },
      },
      handler: async (req) => ({ body: await devices.returnToStock(employeeOf(req), req.valid.params.id, req.valid.body) }),
    }),
  ];
}
