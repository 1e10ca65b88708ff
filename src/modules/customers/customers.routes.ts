import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { dataCrypto } from '../../platform/crypto';
import { pagedResponseSchema, paginationQuery } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { dateOnlyField, idField } from '../../platform/http/schemas';
import { CustomerService, type CustomerPatch, type CustomerQuery, type OnboardInput } from './customer.service';
import { GENDERS, KYC_DECISIONS, KYC_STATUSES, type Customer, type KycDecision } from './models';
import { clientIdField, withoutClientId, type WithClientId } from '../../platform/http/client-id';
import { etagOf, ifMatchHeaders } from '../../platform/http/etag';
import { storeAnswer } from '../../platform/http/idempotency';

/** POST /customers: the customer, and the phone's own id for this create. */
interface OnboardBody extends OnboardInput {
  clientId?: string;
}

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });
const phone = Joi.string()
  .pattern(/^\+[1-9]\d{6,14}$/)
  .message('must be an E.164 phone number, e.g. +254712345678');
const nationalId = Joi.string()
  .trim()
  .min(4)
  .max(40)
  .pattern(/^[A-Za-z0-9 -]+$/)
  .message('must be letters, digits, spaces or dashes');
const calendarDate = dateOnlyField();
/** What a PATCH may change: at least one of them (a clientId alone changes nothing). */
const CUSTOMER_PATCH_FIELDS = ['firstName', 'lastName', 'phone', 'email', 'nationalId', 'dateOfBirth', 'gender', 'preferredLanguage', 'agentId'];
const language = Joi.string().valid('en', 'sw', 'fr');

const customerSchema = Joi.object({
  id: Joi.number().integer(),
  firstName: Joi.string(),
  lastName: Joi.string(),
  phone: Joi.string(),
  email: Joi.string().allow(null),
  nationalId: Joi.string().allow(null).description('In full for holders of customers:kyc; otherwise masked but for its last 4 characters'),
  dateOfBirth: Joi.string().allow(null),
  gender: Joi.string().allow(null),
  kycStatus: Joi.string().valid(...KYC_STATUSES),
  regionId: Joi.number().integer(),
  agentId: Joi.number().integer().allow(null),
  referredBy: Joi.number().integer().allow(null),
  preferredLanguage: Joi.string(),
  version: Joi.number().integer().description('The record version, also its ETag (If-Match on PATCH)'),
  createdAt: Joi.string(),
});

export function customerRoutes(ctx: AppContext): RouteSpec[] {
  const customers = new CustomerService(ctx.sequelize, dataCrypto(ctx.config.dataEncryptionKey));
  const tags = ['customers'];
  return [
    defineRoute({
      method: 'post',
      path: '/customers',
      summary: 'Onboard a customer (KYC pending until back office decides)',
      description:
        'The national ID is stored encrypted (AES-GCM) with a keyed blind index for search; a national ID already on file is a 409 naming the ' +
        'customer, a blacklisted phone or national ID a 422. The agent defaults to the caller.',
      tags,
      syncAction: { type: 'customer.create' },
      access: { permission: 'customers:write' },
      idempotent: 'clientId',
      body: Joi.object<OnboardBody, true>({
        clientId: clientIdField(),
        firstName: Joi.string().trim().min(1).max(100).required(),
        lastName: Joi.string().trim().min(1).max(100).required(),
        phone: phone.required(),
        email: Joi.string().email().max(255),
        nationalId,
        dateOfBirth: calendarDate,
        gender: Joi.string().valid(...GENDERS),
        regionId: id.required(),
        agentId: id,
        referredBy: id,
        preferredLanguage: language,
        address: Joi.object<NonNullable<OnboardInput['address']>, true>({
          addressLine: Joi.string().trim().min(1).max(255).required(),
          landmark: Joi.string().max(255),
          city: Joi.string().max(100),
          district: Joi.string().max(100),
          latitude: Joi.string()
            .pattern(/^-?\d{1,2}(\.\d{1,7})?$/)
            .message('must be a latitude with up to 7 decimals'),
          longitude: Joi.string()
            .pattern(/^-?\d{1,3}(\.\d{1,7})?$/)
            .message('must be a longitude with up to 7 decimals'),
        }),
      }),
      responses: {
        201: { description: 'The new customer', schema: customerSchema },
        409: { description: 'A customer with this national ID (or e-mail) is already on file' },
        422: { description: 'Blacklisted phone or national ID' },
      },
      handler: async (req) => {
        const actor = employeeOf(req);
        const { clientId: _clientId, ...input } = req.valid.body;
        const customer = await customers.onboard(
          actor,
          input,
          storeAnswer(req.idempotency, 201, (c: Customer) => customers.view(c, actor)),
        );
        return {
          status: 201,
          body: customers.view(customer, actor),
          headers: { Location: `/api/v1/customers/${customer.id}`, ETag: etagOf(customer.version) },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/customers',
      summary: "Customers in the caller's regions, newest first; find one by phone or national ID",
      tags,
      access: { permission: 'customers:read' },
      query: Joi.object<CustomerQuery, true>({
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
        phone,
        nationalId,
        kycStatus: Joi.string().valid(...KYC_STATUSES),
        regionId: id,
        q: Joi.string().trim().min(2).max(100).description('First or last name starting with this'),
      }),
      responses: { 200: { description: 'A page of customers', schema: pagedResponseSchema(customerSchema) } },
      handler: async (req) => {
        const actor = employeeOf(req);
        const page = await customers.list(actor, req.valid.query);
        return { body: { data: page.data.map((c) => customers.view(c, actor)), page: page.page } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/customers/:id',
      summary: 'One customer',
      tags,
      access: { permission: 'customers:read' },
      params: idParams,
      responses: { 200: { description: 'The customer', schema: customerSchema }, 404: { description: "No such customer in the caller's regions" } },
      handler: async (req) => {
        const actor = employeeOf(req);
        const customer = await customers.get(actor, req.valid.params.id);
        return { body: customers.view(customer, actor), headers: { ETag: etagOf(customer.version) } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/customers/:id',
      summary: "Correct a customer's details (a new national ID sends KYC back to pending)",
      description:
        'With If-Match (the ETag or version the caller read) a stale version is a 412 and nothing changes. With a clientId (a UUID v4 the phone makes ' +
        'for this edit) a retry answers the first result; POST /sync/push runs it as action customer.update.',
      tags,
      syncAction: { type: 'customer.update', params: { id: 'customerId' } },
      access: { permission: 'customers:write' },
      params: idParams,
      idempotent: 'clientId',
      body: Joi.object<WithClientId<CustomerPatch>, true>({
        clientId: clientIdField(),
        firstName: Joi.string().trim().min(1).max(100),
        lastName: Joi.string().trim().min(1).max(100),
        phone,
        email: Joi.string().email().max(255),
        nationalId,
        dateOfBirth: calendarDate,
        gender: Joi.string().valid(...GENDERS),
        preferredLanguage: language,
        agentId: id,
      }).or(...CUSTOMER_PATCH_FIELDS),
      headers: ifMatchHeaders(),
      responses: {
        200: { description: 'The customer, with its new ETag', schema: customerSchema },
        412: { description: 'If-Match names a version the customer is no longer at: reload it and apply the change again' },
      },
      handler: async (req) => {
        const actor = employeeOf(req);
        const answer = storeAnswer(req.idempotency, 200, (c: Customer) => customers.view(c, actor));
        const customer = await customers.update(actor, req.valid.params.id, withoutClientId(req.valid.body), req.valid.headers['if-match'], answer);
        return { body: customers.view(customer, actor), headers: { ETag: etagOf(customer.version) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/customers/:id/kyc',
      summary: "Verify or reject a customer's KYC (not by the customer's own agent)",
      tags,
      access: { permission: 'customers:kyc' },
      params: idParams,
      body: Joi.object<{ decision: KycDecision; reason?: string }, true>({
        decision: Joi.string()
          .valid(...KYC_DECISIONS)
          .required(),
        reason: Joi.string().trim().min(3).max(2000),
      }),
      responses: {
        200: {
          description: 'The customer with its new KYC status, and the check recorded',
          schema: customerSchema.keys({
            kycCheck: Joi.object({
              id: Joi.number().integer().required(),
              decision: Joi.string()
                .valid(...KYC_DECISIONS)
                .required(),
              reason: Joi.string().allow(null).required(),
              checkedBy: Joi.number().integer().required(),
              checkedAt: Joi.string().isoDate().required(),
            }).required(),
          }),
        },
        403: { description: "Missing permission, or the caller is the customer's agent (maker-checker)" },
        422: { description: 'Verifying a customer without a national ID' },
      },
      handler: async (req) => {
        const actor = employeeOf(req);
        const { customer, check } = await customers.decideKyc(actor, req.valid.params.id, req.valid.body.decision, req.valid.body.reason);
        return {
          body: {
            ...customers.view(customer, actor),
            kycCheck: { id: check.id, decision: check.decision, reason: check.reason, checkedBy: check.checkedBy, checkedAt: check.checkedAt.toISOString() },
          },
        };
      },
    }),
  ];
}
