import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import { employeeSchema } from '../access/employees.routes';
import type { EmployeeView } from '../access/employees.service';
import { PASSWORD_MAX_LENGTH } from './password-policy';
import { PasswordService } from './passwords.service';
import { RoleService, type RoleInput } from './roles.service';
import { StaffService, type EmployeeChange, type NewEmployee } from './staff.service';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });
const name = Joi.string().trim().min(1).max(100);
const email = Joi.string().trim().email({ tlds: false }).max(255);
const phone = Joi.string()
  .pattern(/^\+[1-9]\d{6,14}$/)
  .message('must be an E.164 phone number, e.g. +254712345678');
const cashLimit = Joi.string()
  .pattern(/^\d{1,12}(\.\d{1,2})?$/)
  .message('must be a decimal amount with up to 2 places, e.g. "50000.00"');
const regionIds = Joi.array().items(id).max(100).unique();
// A password is checked by the policy (422 naming the rule); the schema only bounds its size.
const password = Joi.string().min(1).max(PASSWORD_MAX_LENGTH);

const ifMatch = (required: boolean) =>
  Joi.object<{ 'if-match'?: string }, true>({
    'if-match': Joi.string()
      .max(200)
      .description(required ? 'Required: the ETag from GET (428 without it, 412 when stale).' : 'Optional: the ETag from GET; 412 when stale.'),
  });

const passwordResetSchema = Joi.object({
  token: Joi.string().required().description('Shown once; only its SHA-256 is stored. Consume with POST /auth/password-reset.'),
  expiresAt: Joi.string().isoDate().required(),
});

const reassignSchema = Joi.object({
  fromEmployeeId: Joi.number().integer().required(),
  toEmployeeId: Joi.number().integer().required(),
  customers: Joi.number().integer().required().description('Customers moved'),
  accounts: Joi.number().integer().required().description('Accounts moved (pending, active or suspended ones)'),
  regionIds: Joi.array().items(Joi.number().integer()).required().description('Regions of the records moved'),
});

const roleSchema = Joi.object({
  id: Joi.number().integer().required(),
  name: Joi.string().required(),
  description: Joi.string().allow(null).required(),
  builtIn: Joi.boolean().required().description('Defined by the permission catalog: read-only here'),
  permissions: Joi.array().items(Joi.string()).required(),
  employees: Joi.number().integer().required().description('Employees holding the role'),
});

const problem = (description: string) => ({ description, contentType: 'application/problem+json' });
const etag = (e: EmployeeView) => ({ ETag: `"${e.version}"` });

export function staffRoutes(ctx: AppContext): RouteSpec[] {
  const staff = new StaffService(ctx.sequelize);
  const passwords = new PasswordService(ctx.sequelize);
  const roles = new RoleService(ctx.sequelize);
  const tags = ['employees'];
  return [
    defineRoute({
      method: 'post',
      path: '/employees',
      summary: 'Create an employee, with a one-time password reset token to set their password',
      description:
        'The employee has no password until they use the reset token (POST /auth/password-reset). A role granting permissions the caller does ' +
        'not hold is a 403; a caller limited to regions may only assign their own. A taken e-mail, phone or code is a 409 naming the field.',
      tags,
      access: { permission: 'employees:write' },
      body: Joi.object<NewEmployee, true>({
        firstName: name.required(),
        lastName: name.required(),
        email,
        phone,
        roleId: id.required(),
        departmentId: id.allow(null),
        supervisorId: id.allow(null),
        regionIds: regionIds.required(),
        cashLimit: cashLimit.allow(null),
        employeeCode: Joi.string()
          .trim()
          .pattern(/^[A-Za-z0-9-]{2,50}$/)
          .message('must be 2 to 50 letters, digits or dashes'),
      }).or('email', 'phone'),
      responses: {
        201: { description: 'The new employee; ETag and Location headers', schema: employeeSchema.keys({ passwordReset: passwordResetSchema.required() }) },
        403: problem('The role grants more than the caller holds, or a region is not the caller’s'),
        409: problem('E-mail, phone or employee code taken'),
        422: problem('Unknown role, region, department or supervisor'),
      },
      handler: async (req) => {
        const { employee, passwordReset } = await staff.create(employeeOf(req), req.valid.body);
        return { status: 201, body: { ...employee, passwordReset }, headers: { ...etag(employee), Location: `/api/v1/employees/${employee.id}` } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/employees/:id',
      summary: 'Change an employee (If-Match: their ETag)',
      description: 'Send only the fields to change; regionIds replaces the list. Role and region changes apply from the employee’s next request.',
      tags,
      access: { permission: 'employees:write' },
      params: idParams,
      headers: ifMatch(true),
      body: Joi.object<EmployeeChange, true>({
        firstName: name,
        lastName: name,
        email: email.allow(null),
        phone: phone.allow(null),
        roleId: id,
        departmentId: id.allow(null),
        supervisorId: id.allow(null),
        regionIds,
        cashLimit: cashLimit.allow(null),
      }).min(1),
      responses: {
        200: { description: 'The changed employee, with its new ETag', schema: employeeSchema },
        404: problem('No such employee in the caller’s regions'),
        409: problem('E-mail or phone taken'),
        412: problem('If-Match does not name the current version'),
        428: problem('If-Match is missing'),
      },
      handler: async (req) => {
        const e = await staff.update(employeeOf(req), req.valid.params.id, req.valid.headers['if-match'], req.valid.body);
        return { body: e, headers: etag(e) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/employees/:id/deactivate',
      summary: 'Deactivate an employee: no more logins, every session ended at once (idempotent)',
      description: 'Refresh tokens are revoked and access tokens refused from the next request. Their customers and accounts stay: reassign them.',
      tags,
      access: { permission: 'employees:write' },
      params: idParams,
      headers: ifMatch(false),
      body: Joi.object<{ reason?: string }, true>({ reason: Joi.string().trim().max(500) }),
      responses: { 200: { description: 'The deactivated employee', schema: employeeSchema }, 412: problem('Stale If-Match') },
      handler: async (req) => {
        const e = await staff.deactivate(employeeOf(req), req.valid.params.id, req.valid.headers['if-match'], req.valid.body?.reason);
        return { body: e, headers: etag(e) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/employees/:id/reactivate',
      summary: 'Reactivate an employee (idempotent); they log in again',
      tags,
      access: { permission: 'employees:write' },
      params: idParams,
      headers: ifMatch(false),
      responses: { 200: { description: 'The reactivated employee', schema: employeeSchema }, 412: problem('Stale If-Match') },
      handler: async (req) => {
        const e = await staff.reactivate(employeeOf(req), req.valid.params.id, req.valid.headers['if-match']);
        return { body: e, headers: etag(e) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/employees/:id/password-reset',
      summary: 'Issue a one-time password reset token (60 minutes; earlier ones stop working)',
      description: 'Hand the token to the employee out of band; they set a new password with POST /auth/password-reset.',
      tags,
      access: { permission: 'employees:write' },
      params: idParams,
      responses: { 201: { description: 'The token, shown once', schema: passwordResetSchema }, 422: problem('The employee is deactivated') },
      handler: async (req) => ({ status: 201, body: await staff.issueReset(employeeOf(req), req.valid.params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/employees/:id/reassign',
      summary: 'Move an agent’s customers and open accounts to another agent, in one transaction',
      description:
        'Only records in the caller’s regions (and in regionId when given) move; the receiving agent must cover every region moved (422 ' +
        'region-not-covered naming them). Accounts closed, written off or repossessed keep their agent. Commissions already earned stay with ' +
        'the earner; what accrues from now goes to the new agent. Audited as employee.reassign_portfolio.',
      tags,
      access: { permission: 'employees:reassign' },
      idempotent: true,
      params: idParams,
      body: Joi.object<{ toEmployeeId: number; regionId?: number }, true>({ toEmployeeId: id.required(), regionId: id }),
      responses: {
        200: { description: 'What moved', schema: reassignSchema },
        404: problem('No such employee in the caller’s regions'),
        422: problem('Region not covered'),
      },
      handler: async (req) => ({
        body: await staff.reassign(employeeOf(req), req.valid.params.id, req.valid.body, (result, t) => req.idempotency!.complete(200, result, t)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/password-reset',
      summary: 'Set a new password with a one-time reset token (ends every session)',
      description: 'An unknown, used or expired token is a 400 (which one is not said); a password breaking the policy a 422 (the token stays usable).',
      tags: ['auth'],
      access: { public: true, why: 'the one-time reset token is the credential' },
      body: Joi.object<{ token: string; newPassword: string }, true>({ token: Joi.string().min(20).max(200).required(), newPassword: password.required() }),
      responses: { 204: { description: 'Password set' }, 422: problem('The password breaks the policy') },
      handler: async (req) => {
        await passwords.consumeReset(req.valid.body.token, req.valid.body.newPassword);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/password',
      summary: 'Change your own password (ends every session, this one included)',
      tags: ['auth'],
      access: { authenticated: true },
      body: Joi.object<{ currentPassword: string; newPassword: string }, true>({ currentPassword: password.required(), newPassword: password.required() }),
      responses: { 204: { description: 'Password changed; log in again' }, 422: problem('The password breaks the policy') },
      handler: async (req) => {
        await passwords.changeOwn(employeeOf(req).employeeId, req.valid.body.currentPassword, req.valid.body.newPassword);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/roles',
      summary: 'Roles, with what each grants',
      tags: ['roles'],
      access: { permission: 'roles:read' },
      responses: { 200: { description: 'Every role', schema: Joi.object({ data: Joi.array().items(roleSchema).required() }) } },
      handler: async () => ({ body: { data: await roles.list() } }),
    }),
    defineRoute({
      method: 'get',
      path: '/roles/:id',
      summary: 'One role, with what it grants',
      tags: ['roles'],
      access: { permission: 'roles:read' },
      params: idParams,
      responses: { 200: { description: 'The role', schema: roleSchema } },
      handler: async (req) => ({ body: await roles.get(req.valid.params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/roles',
      summary: 'Create a custom role from permission catalog codes',
      description: 'Codes must be in the catalog (422 naming unknown ones) and held by the caller (403).',
      tags: ['roles'],
      access: { permission: 'roles:write' },
      body: Joi.object<RoleInput, true>({
        name: Joi.string()
          .trim()
          .pattern(/^[a-z][a-z0-9_]{1,49}$/)
          .message('must be 2 to 50 lower-case letters, digits or underscores, starting with a letter')
          .required(),
        description: Joi.string().trim().max(500).allow(null),
        permissions: Joi.array().items(Joi.string().max(100)).max(200).required(),
      }),
      responses: { 201: { description: 'The new role', schema: roleSchema }, 409: problem('Name taken'), 422: problem('Unknown permission code') },
      handler: async (req) => {
        const role = await roles.create(employeeOf(req), req.valid.body);
        return { status: 201, body: role, headers: { Location: `/api/v1/roles/${role.id}` } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/roles/:id',
      summary: 'Change a custom role’s description or grants (built-in roles are read-only: 409)',
      tags: ['roles'],
      access: { permission: 'roles:write' },
      params: idParams,
      body: Joi.object<Partial<Omit<RoleInput, 'name'>>, true>({
        description: Joi.string().trim().max(500).allow(null),
        permissions: Joi.array().items(Joi.string().max(100)).max(200),
      }).min(1),
      responses: { 200: { description: 'The changed role', schema: roleSchema }, 409: problem('A built-in role') },
      handler: async (req) => ({ body: await roles.update(employeeOf(req), req.valid.params.id, req.valid.body) }),
    }),
  ];
}
