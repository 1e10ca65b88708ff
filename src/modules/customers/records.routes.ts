import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { clientIdField, withoutClientId, type WithClientId } from '../../platform/http/client-id';
import { etagOf, ifMatchHeaders } from '../../platform/http/etag';
import { storeAnswer } from '../../platform/http/idempotency';
import { dataCrypto } from '../../platform/crypto';
import { cursorPaginationQuery, pagedResponseSchema } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import { CustomerService } from './customer.service';
import { CONSENT_METHODS, CONSENT_TYPES, CONTACT_TYPES, type ConsentMethod, type ConsentType } from './models';
import { CustomerRecordsService, type ContactInput, type NextOfKinInput } from './records.service';

const id = idField();
const tags = ['customers'];
const customerParams = Joi.object<{ id: number }, true>({ id: id.required() });
const phone = Joi.string()
  .pattern(/^\+[1-9]\d{6,14}$/)
  .message('must be an E.164 phone number, e.g. +254712345678');
const text = (max: number) => Joi.string().trim().min(1).max(max);
const notFound = { 404: { description: 'No such customer in your regions (or no such record of theirs)' } };

const kinSchema = Joi.object({
  id: Joi.number().integer().required(),
  customerId: Joi.number().integer().required(),
  name: Joi.string().required(),
  relationship: Joi.string().required(),
  phone: Joi.string().required(),
  address: Joi.string().allow(null).required(),
  version: Joi.number().integer().required().description('The record version, also its ETag (If-Match on PATCH)'),
  createdAt: Joi.string().isoDate().required(),
});
const contactSchema = Joi.object({
  id: Joi.number().integer().required(),
  customerId: Joi.number().integer().required(),
  contactType: Joi.string()
    .valid(...CONTACT_TYPES)
    .required(),
  value: Joi.string().required(),
  label: Joi.string().allow(null).required(),
  isPrimary: Joi.boolean().required(),
  isVerified: Joi.boolean().required(),
  createdAt: Joi.string().isoDate().required(),
});
const consentSchema = Joi.object({
  consentType: Joi.string().required(),
  granted: Joi.boolean().required(),
  grantedAt: Joi.string().isoDate().allow(null).required(),
  revokedAt: Joi.string().isoDate().allow(null).required(),
  recordedBy: Joi.number().integer().allow(null).required(),
  method: Joi.string().allow(null).required(),
  updatedAt: Joi.string().isoDate().required(),
});
const noteSchema = Joi.object({
  id: Joi.number().integer().required(),
  customerId: Joi.number().integer().required(),
  note: Joi.string().required(),
  createdBy: Joi.number().integer().required(),
  createdAt: Joi.string().isoDate().required(),
});

export function customerRecordRoutes(ctx: AppContext): RouteSpec[] {
  const records = new CustomerRecordsService(ctx.sequelize, new CustomerService(ctx.sequelize, dataCrypto(ctx.config.dataEncryptionKey)));
  const read = { permission: 'customers:read' };
  const write = { permission: 'customers:write' };
  return [
    defineRoute({
      method: 'get',
      path: '/customers/:id/next-of-kin',
      summary: "A customer's next of kin",
      tags,
      access: read,
      params: customerParams,
      responses: { 200: { description: 'Next of kin, oldest first', schema: Joi.object({ data: Joi.array().items(kinSchema).required() }) }, ...notFound },
      handler: async (req) => ({ body: { data: (await records.listKin(employeeOf(req), req.valid.params.id)).map(records.kinView) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/customers/:id/next-of-kin',
      summary: 'Add a next of kin',
      tags,
      syncAction: { type: 'next-of-kin.create', params: { id: 'customerId' } },
      access: write,
      params: customerParams,
      idempotent: 'clientId',
      body: Joi.object<WithClientId<NextOfKinInput>, true>({
        clientId: clientIdField(),
        name: text(255).required(),
        relationship: text(50).required(),
        phone: phone.required(),
        address: text(2000).allow(null),
      }),
      responses: { 201: { description: 'Added', schema: kinSchema }, ...notFound },
      handler: async (req) => ({
        status: 201,
        body: records.kinView(
          await records.addKin(employeeOf(req), req.valid.params.id, withoutClientId(req.valid.body), storeAnswer(req.idempotency, 201, records.kinView)),
        ),
      }),
    }),
    defineRoute({
      method: 'patch',
      path: '/customers/:id/next-of-kin/:kinId',
      summary: 'Change a next of kin',
      description:
        'With If-Match (the ETag or version the caller read) a stale version is a 412 and nothing changes. With a clientId (a UUID v4 the phone makes ' +
        'for this edit) a retry answers the first result; POST /sync/push runs it as action next-of-kin.update.',
      tags,
      syncAction: { type: 'next-of-kin.update', params: { id: 'customerId', kinId: 'kinId' } },
      access: write,
      params: Joi.object<{ id: number; kinId: number }, true>({ id: id.required(), kinId: id.required() }),
      headers: ifMatchHeaders(),
      idempotent: 'clientId',
      body: Joi.object<WithClientId<Partial<NextOfKinInput>>, true>({
        clientId: clientIdField(),
        name: text(255),
        relationship: text(50),
        phone,
        address: text(2000).allow(null),
      }).or('name', 'relationship', 'phone', 'address'),
      responses: {
        200: { description: 'Changed, with its new ETag', schema: kinSchema },
        ...notFound,
        412: { description: 'If-Match names a version the record is no longer at' },
      },
      handler: async (req) => {
        const { id: customerId, kinId } = req.valid.params;
        const answer = storeAnswer(req.idempotency, 200, records.kinView);
        const kin = await records.changeKin(employeeOf(req), customerId, kinId, withoutClientId(req.valid.body), req.valid.headers['if-match'], answer);
        return { body: records.kinView(kin), headers: { ETag: etagOf(kin.version) } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/customers/:id/next-of-kin/:kinId',
      summary: 'Remove a next of kin',
      tags,
      access: write,
      params: Joi.object<{ id: number; kinId: number }, true>({ id: id.required(), kinId: id.required() }),
      responses: { 204: { description: 'Removed' }, ...notFound },
      handler: async (req) => {
        await records.removeKin(employeeOf(req), req.valid.params.id, req.valid.params.kinId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/customers/:id/contacts',
      summary: "A customer's additional contacts",
      tags,
      access: read,
      params: customerParams,
      responses: { 200: { description: 'Contacts, oldest first', schema: Joi.object({ data: Joi.array().items(contactSchema).required() }) }, ...notFound },
      handler: async (req) => ({ body: { data: (await records.listContacts(employeeOf(req), req.valid.params.id)).map(records.contactView) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/customers/:id/contacts',
      summary: 'Add a contact (a primary one takes the place of the previous primary of its type)',
      tags,
      syncAction: { type: 'contact.create', params: { id: 'customerId' } },
      access: write,
      params: customerParams,
      idempotent: 'clientId',
      body: Joi.object<WithClientId<ContactInput>, true>({
        clientId: clientIdField(),
        contactType: Joi.string()
          .valid(...CONTACT_TYPES)
          .required(),
        value: Joi.string()
          .when('contactType', { is: 'email', then: Joi.string().email().max(255), otherwise: phone })
          .required(),
        label: text(100).allow(null),
        isPrimary: Joi.boolean(),
      }),
      responses: { 201: { description: 'Added', schema: contactSchema }, ...notFound },
      handler: async (req) => ({
        status: 201,
        body: records.contactView(
          await records.addContact(
            employeeOf(req),
            req.valid.params.id,
            withoutClientId(req.valid.body),
            storeAnswer(req.idempotency, 201, records.contactView),
          ),
        ),
      }),
    }),
    defineRoute({
      method: 'delete',
      path: '/customers/:id/contacts/:contactId',
      summary: 'Remove a contact',
      tags,
      access: write,
      params: Joi.object<{ id: number; contactId: number }, true>({ id: id.required(), contactId: id.required() }),
      responses: { 204: { description: 'Removed' }, ...notFound },
      handler: async (req) => {
        await records.removeContact(employeeOf(req), req.valid.params.id, req.valid.params.contactId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/customers/:id/consents',
      summary: "A customer's consents: given or withdrawn, when, by whom recorded, how",
      tags,
      access: read,
      params: customerParams,
      responses: {
        200: { description: 'One per consent type recorded', schema: Joi.object({ data: Joi.array().items(consentSchema).required() }) },
        ...notFound,
      },
      handler: async (req) => ({ body: { data: (await records.listConsents(employeeOf(req), req.valid.params.id)).map(records.consentView) } }),
    }),
    defineRoute({
      method: 'put',
      path: '/customers/:id/consents/:consentType',
      summary: 'Record that the customer gave (granted: true) or withdrew (false) a consent, and how',
      tags,
      access: write,
      params: Joi.object<{ id: number; consentType: ConsentType }, true>({
        id: id.required(),
        consentType: Joi.string()
          .valid(...CONSENT_TYPES)
          .required(),
      }),
      body: Joi.object<{ granted: boolean; method: ConsentMethod }, true>({
        granted: Joi.boolean().strict().required(),
        method: Joi.string()
          .valid(...CONSENT_METHODS)
          .required(),
      }),
      responses: { 200: { description: 'The consent as recorded', schema: consentSchema }, ...notFound },
      handler: async (req) => {
        const { id: customerId, consentType } = req.valid.params;
        return { body: records.consentView(await records.setConsent(employeeOf(req), customerId, consentType, req.valid.body.granted, req.valid.body.method)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/customers/:id/notes',
      summary: 'Notes on a customer, newest first',
      tags,
      access: read,
      params: customerParams,
      query: Joi.object<{ limit: number; cursor?: string }, true>(cursorPaginationQuery),
      responses: { 200: { description: 'Notes', schema: pagedResponseSchema(noteSchema) }, ...notFound },
      handler: async (req) => {
        const page = await records.listNotes(employeeOf(req), req.valid.params.id, req.valid.query);
        return { body: { ...page, data: page.data.map(records.noteView) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/customers/:id/notes',
      summary: 'Add a note on a customer (notes are never edited: a correction is another note)',
      tags,
      syncAction: { type: 'customer-note.create', params: { id: 'customerId' } },
      access: read,
      params: customerParams,
      idempotent: 'clientId',
      body: Joi.object<WithClientId<{ note: string }>, true>({
        clientId: clientIdField(),
        note: text(5000).required(),
      }),
      responses: { 201: { description: 'Added', schema: noteSchema }, ...notFound },
      handler: async (req) => ({
        status: 201,
        body: records.noteView(
          await records.addNote(employeeOf(req), req.valid.params.id, req.valid.body.note, storeAnswer(req.idempotency, 201, records.noteView)),
        ),
      }),
    }),
  ];
}
