import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { pagedResponseSchema, paginationQuery } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField, photoReferencesField } from '../../platform/http/schemas';
import { REPOSSESSION_STATUSES, type RepossessionStatus } from '../accounts/models';
import { repossessionSchema } from './repossession.responses';
import { ASSIGN, CONDITION_GRADES, RECORD, RepossessionService, repossessionView, type RecoverInput } from './repossession.service';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });
const latitude = Joi.number().min(-90).max(90);
const longitude = Joi.number().min(-180).max(180);
const tags = ['repossessions'];

interface RepossessionListQuery {
  status?: RepossessionStatus;
  assignedTo?: number;
  accountId?: number;
  limit: number;
  cursor?: string;
}

interface AssignBody {
  employeeId: number;
  notes?: string;
}

interface FailBody {
  reason: string;
  latitude?: number;
  longitude?: number;
}

/** /repossessions: list, get, assign, recover, fail (docs/repossession.md). */
export function repossessionRoutes(ctx: AppContext): RouteSpec[] {
  const service = new RepossessionService(ctx);
  const stepErrors = {
    403: { description: 'Missing permission, or the repossession is assigned to another agent' },
    404: { description: "No such repossession in the caller's regions" },
    409: { description: 'Not allowed in its status (e.g. recovered already, not assigned yet) or the account state' },
  };
  return [
    defineRoute({
      method: 'get',
      path: '/repossessions',
      summary: "Repossessions of the caller's regions, newest first",
      tags,
      access: { permission: 'repossessions:read' },
      query: Joi.object<RepossessionListQuery, true>({
        status: Joi.string().valid(...REPOSSESSION_STATUSES),
        assignedTo: id,
        accountId: id,
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      responses: { 200: { description: 'A page of repossessions', schema: pagedResponseSchema(repossessionSchema) } },
      handler: async (req) => {
        const page = await service.list(employeeOf(req), req.valid.query);
        return { body: { data: page.data.map(repossessionView), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/repossessions/:id',
      summary: 'One repossession',
      tags,
      access: { permission: 'repossessions:read' },
      params: idParams,
      responses: { 200: { description: 'The repossession', schema: repossessionSchema }, 404: { description: "No such repossession in the caller's regions" } },
      handler: async (req) => ({ body: repossessionView(await service.get(employeeOf(req), req.valid.params.id)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/repossessions/:id/assign',
      summary: 'Assign (or reassign) a repossession to a field agent',
      description: `The agent must be active, hold ${RECORD} and cover the account's region (else 422). Audited.`,
      tags,
      access: { permission: ASSIGN },
      params: idParams,
      body: Joi.object<AssignBody, true>({ employeeId: id.required(), notes: Joi.string().trim().max(2000) }),
      responses: {
        200: { description: 'The assigned repossession', schema: repossessionSchema },
        ...stepErrors,
        422: { description: 'The employee cannot carry out repossessions in this region' },
      },
      handler: async (req) => ({ body: repossessionView(await service.assign(employeeOf(req), req.valid.params.id, req.valid.body)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/repossessions/:id/recover',
      summary: 'Record the unit as recovered: device locked and back in stock, account repossessed, value booked, the rest to a write-off',
      description:
        'By the assigned agent (or someone who may assign). In one transaction, the account locked first: a SET_TIME 0 token locks the device out and it is ' +
        'detached; the unit goes into the warehouse (stored if good, in_repair otherwise; a repossession stock movement); the account becomes repossessed; ' +
        "Dr 1300 inventory / Cr 1200 receivable for the unit's value (its cost times the grade's share, at most what the instalments owe); what remains " +
        'owed is requested as a write-off (approved by another employee). GPS and photo references go on a field visit. See docs/repossession.md.',
      tags,
      access: { permission: RECORD },
      params: idParams,
      body: Joi.object<RecoverInput, true>({
        condition: Joi.string()
          .valid(...CONDITION_GRADES)
          .required(),
        warehouseId: id.required(),
        latitude: latitude.required(),
        longitude: longitude.required(),
        photos: photoReferencesField().required(),
        notes: Joi.string().trim().max(2000),
      }),
      responses: {
        200: { description: 'The completed repossession', schema: repossessionSchema },
        400: { description: "Invalid fields, or no active warehouse with this id in the account's region" },
        ...stepErrors,
      },
      handler: async (req) => ({ body: repossessionView(await service.recover(employeeOf(req), req.valid.params.id, req.valid.body)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/repossessions/:id/fail',
      summary: 'Record that the unit could not be recovered, with a reason',
      tags,
      access: { permission: RECORD },
      params: idParams,
      body: Joi.object<FailBody, true>({ reason: Joi.string().trim().min(3).max(2000).required(), latitude, longitude }).and('latitude', 'longitude'),
      responses: { 200: { description: 'The failed repossession', schema: repossessionSchema }, ...stepErrors },
      handler: async (req) => ({ body: repossessionView(await service.fail(employeeOf(req), req.valid.params.id, req.valid.body)) }),
    }),
  ];
}
