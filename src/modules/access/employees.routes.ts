import Joi from 'joi';
import { regionScope } from '../../platform/auth/principal';
import { pagedResponseSchema, paginationQuery } from '../../platform/http/pagination';
import { defineRoute, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import { EmployeeService } from './employees.service';

const employee = Joi.object({
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
      query: Joi.object<{ limit: number; cursor?: string; roleId?: number; isActive?: boolean }, true>({
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
        roleId: idField(),
        isActive: Joi.boolean(),
      }),
      responses: { 200: { description: 'A page of employees', schema: pagedResponseSchema(employee) } },
      handler: async (req) => ({ body: await service.list(regionScope(req.principal), req.valid.query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/employees/:id',
      summary: 'One employee',
      tags,
      access: { permission: 'employees:read' },
      params: Joi.object<{ id: number }, true>({ id: idField().required() }),
      responses: { 200: { description: 'The employee', schema: employee } },
      handler: async (req) => ({ body: await service.get(regionScope(req.principal), req.valid.params.id) }),
    }),
  ];
}
