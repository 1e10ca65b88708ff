import { createHash } from 'node:crypto';
import Joi from 'joi';
import { clientIdField } from '../../platform/http/client-id';
import { storeAnswer } from '../../platform/http/idempotency';
import type { AppContext } from '../../platform/context';
import { dataCrypto } from '../../platform/crypto';
import { readMultipart } from '../../platform/http/multipart';
import { cursorPaginationQuery, pagedResponseSchema } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import { validateInput } from '../../platform/http/validate';
import { createBlobStore } from '../../platform/storage';
import { CustomerService } from './customer.service';
import { DocumentService, type DocumentQuery } from './documents.service';
import { DOCUMENT_TYPES, type CustomerDocument, type DocumentType } from './models';

const id = idField();
const tags = ['customers'];

const documentSchema = Joi.object({
  id: Joi.number().integer().required(),
  customerId: Joi.number().integer().required(),
  documentType: Joi.string()
    .valid(...DOCUMENT_TYPES)
    .required(),
  mimeType: Joi.string().required(),
  sizeBytes: Joi.number().integer().required(),
  checksum: Joi.string().description('SHA-256 of the file, hex').required(),
  uploadedBy: Joi.number().integer().required(),
  createdAt: Joi.string().isoDate().required(),
});

/** The multipart form's fields besides the file. */
const uploadFields = Joi.object<{ documentType: DocumentType; clientId?: string }, true>({
  documentType: Joi.string()
    .valid(...DOCUMENT_TYPES)
    .required(),
  clientId: clientIdField(),
});

export function documentServices(ctx: AppContext): DocumentService {
  const customers = new CustomerService(ctx.sequelize, dataCrypto(ctx.config.dataEncryptionKey));
  return new DocumentService(ctx.sequelize, customers, createBlobStore(ctx.config.documents));
}

export function documentRoutes(ctx: AppContext): RouteSpec[] {
  const documents = documentServices(ctx);
  return [
    defineRoute({
      method: 'post',
      path: '/customers/:id/documents',
      summary: 'Upload a KYC document of a customer (multipart/form-data: documentType, file)',
      description:
        'The form has a `documentType` field and one `file`. The type is read from the content (JPEG, PNG, WebP, PDF), never from the name: ' +
        'photos of the person or the ID must be images; papers may be PDF. Files over DOCUMENT_MAX_BYTES are refused (413). The SHA-256 is stored.',
      tags,
      access: { permission: 'customers:write' },
      params: Joi.object<{ id: number }, true>({ id: id.required() }),
      consumes: ['multipart/form-data'],
      // The form's optional clientId: a retried upload answers the first document (same type and file), never a second copy.
      idempotent: 'clientId',
      responses: {
        201: { description: 'The document stored', schema: documentSchema },
        400: { description: 'documentType missing or wrong, no file, or a malformed form' },
        404: { description: 'No such customer in your regions' },
        413: { description: 'The file is too large' },
        415: { description: 'The file is not of a type this document may be' },
        503: { description: 'The document store (directory or bucket) is unavailable; nothing was written' },
      },
      handler: async (req) => {
        const actor = employeeOf(req);
        const form = await readMultipart(req, { maxFileBytes: ctx.config.documents.maxBytes });
        const fields = validateInput<{ documentType: DocumentType; clientId?: string }>(uploadFields, form.fields, 'body');
        const file = form.files.find((f) => f.field === 'file');
        if (!file) throw problems.validation([{ field: 'file', in: 'body', message: 'a file is required' }]);
        if (fields.clientId) {
          const sha256 = createHash('sha256').update(file.bytes).digest('hex');
          await req.claimClientId!(fields.clientId, { documentType: fields.documentType, sha256 });
        }
        const doc = await documents.upload(
          actor,
          req.valid.params.id,
          fields.documentType,
          file.bytes,
          storeAnswer(req.idempotency, 201, (d: CustomerDocument) => documents.view(d)),
        );
        return { status: 201, body: documents.view(doc) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/customers/:id/documents',
      summary: "A customer's documents, newest first",
      tags,
      access: { permission: 'customers:read' },
      params: Joi.object<{ id: number }, true>({ id: id.required() }),
      query: Joi.object<DocumentQuery, true>(cursorPaginationQuery),
      responses: { 200: { description: 'The documents (metadata; the file at .../content)', schema: pagedResponseSchema(documentSchema) } },
      handler: async (req) => {
        const actor = employeeOf(req);
        const page = await documents.list(actor, req.valid.params.id, req.valid.query);
        return { body: { ...page, data: page.data.map((d) => documents.view(d)) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/customers/:id/documents/:documentId/content',
      summary: 'Download a document (by those who may see the customer)',
      tags,
      access: { permission: 'customers:read' },
      params: Joi.object<{ id: number; documentId: number }, true>({ id: id.required(), documentId: id.required() }),
      responses: {
        200: {
          description: 'The file, with its stored type (image/jpeg, image/png, image/webp or application/pdf)',
          contentType: 'application/octet-stream',
          schema: Joi.binary(),
        },
        404: { description: 'No such customer in your regions, or no such document of theirs' },
        409: { description: 'The stored file no longer matches its checksum' },
        410: { description: 'The file is no longer in storage' },
        503: { description: 'The document store (directory or bucket) is unavailable' },
      },
      handler: async (req, res) => {
        const actor = employeeOf(req);
        const { doc, bytes } = await documents.download(actor, req.valid.params.id, req.valid.params.documentId);
        res.status(200);
        res.setHeader('Content-Type', doc.mimeType);
        res.setHeader('Content-Length', String(bytes.length));
        res.setHeader('Content-Disposition', `attachment; filename="document-${doc.id}"`);
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Cache-Control', 'private, no-store');
        res.setHeader('Digest', `sha-256=${Buffer.from(doc.checksum, 'hex').toString('base64')}`);
        res.end(bytes);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/kyc/queue',
      summary: 'Customers waiting for a KYC decision, oldest first, each with its documents',
      tags,
      access: { permission: 'customers:kyc' },
      query: Joi.object<DocumentQuery, true>(cursorPaginationQuery),
      responses: {
        200: {
          description: 'The queue',
          schema: pagedResponseSchema(
            Joi.object({
              customerId: Joi.number().integer().required(),
              firstName: Joi.string().required(),
              lastName: Joi.string().required(),
              regionId: Joi.number().integer().required(),
              agentId: Joi.number().integer().allow(null).required(),
              createdAt: Joi.string().isoDate().required(),
              documents: Joi.array().items(documentSchema).required(),
            }),
          ),
        },
      },
      handler: async (req) => {
        const actor = employeeOf(req);
        const page = await documents.kycQueue(actor, req.valid.query);
        return {
          body: {
            ...page,
            data: page.data.map(({ customer, documents: docs }) => ({
              customerId: customer.id,
              firstName: customer.firstName,
              lastName: customer.lastName,
              regionId: customer.regionId,
              agentId: customer.agentId,
              createdAt: customer.createdAt.toISOString(),
              documents: docs.map((d) => documents.view(d)),
            })),
          },
        };
      },
    }),
  ];
}
