import Joi from 'joi';
import { regionScope } from '../../platform/auth/principal';
import { pagedResponseSchema, paginationQuery } from '../../platform/http/pagination';
import { defineRoute, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import { EmployeeService, type EmployeeQuery } from './employees.service';

export const employeeSchema = Joi.object({
  id: Joi.number().integer(),
  employeeCode: Joi.string(),
  firstName: Joi.string(),
  lastName: Joi.string(),
  email: Joi.string().allow(null),
  phone: Joi.string().allow(null),
  isActive: Joi.boolean(),
  role: Joi.object({ id: Joi.number().integer(), name: Joi.string() }),
  departmentId: Joi.number().integer().allow(null),
  supervisorId: Joi.number().integer().allow(null),
  cashLimit: Joi.string()
    .pattern(/^\d+\.\d{2}$/)
    .allow(null)
    .description('Most cash the employee may carry; null = the system default'),
  version: Joi.number().integer().description('The record version, also sent as the ETag'),
  regions: Joi.array().items(Joi.object({ id: Joi.number().integer(), code: Joi.string(), name: Joi.string() })),
});

export function employeeRoutes(): RouteSpec[] {
  const service = new EmployeeService();
  const tags = ['employees'];
  return [
    defineRoute({
      method: 'get',
      path: '/employees',
      summary: 'List employees (field staff see only those in their regions)',
      tags,
      access: { permission: 'employees:read' },
      query: Joi.object<EmployeeQuery, true>({
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
        roleId: idField(),
        isActive: Joi.boolean(),
        regionId: idField().description('Employees covering this region'),
        departmentId: idField(),
        supervisorId: idField(),
        q: Joi.string()
          .trim()
          .min(1)
          .max(100)
          .pattern(/^[\p{L}\p{N} @.+'-]+$/u)
          .message("may hold letters, digits, spaces and @ . + ' - only")
          .description('Search in name, e-mail, phone and employee code'),
      }),
      responses: { 200: { description: 'A page of employees', schema: pagedResponseSchema(employeeSchema) } },
      handler: async (req) => ({ body: await service.list(regionScope(req.principal), req.valid.query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/employees/:id',
      summary: 'One employee, with its version as ETag (If-Match for PATCH)',
      tags,
      access: { permission: 'employees:read' },
      params: Joi.object<{ id: number }, true>({ id: idField().required() }),
      responses: { 200: { description: 'The employee', schema: employeeSchema } },
      handler: async (req) => {
        const body = await service.get(regionScope(req.principal), req.valid.params.id);
        return { body, headers: { ETag: `"${body.version}"` } };
      },
    }),
  ];
}
