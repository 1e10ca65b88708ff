import { createHash, randomUUID } from 'node:crypto';
import { Op, type Sequelize } from 'sequelize';
import type { EmployeeActor } from '../../platform/auth/actor';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, pageOf, type Paged } from '../../platform/http/pagination';
import type { StoreAnswer } from '../../platform/http/idempotency';
import { HttpProblem, problems } from '../../platform/http/problem';
import { BlobNotFound, BlobStoreUnavailable, type BlobStore } from '../../platform/storage/blob-store';
import { audit } from '../audit/audit';
import type { CustomerService } from './customer.service';
import { Customer, CustomerDocument, type DocumentType } from './models';

export type DocumentMime = 'image/jpeg' | 'image/png' | 'image/webp' | 'application/pdf';

const IMAGES: readonly DocumentMime[] = ['image/jpeg', 'image/png', 'image/webp'];
const IMAGE_OR_PDF: readonly DocumentMime[] = [...IMAGES, 'application/pdf'];

/** What each document may be: photos of the person or the ID are images; papers may be scanned to PDF. */
export const DOCUMENT_FORMATS: Record<DocumentType, readonly DocumentMime[]> = {
  id_front: IMAGES,
  id_back: IMAGES,
  selfie: IMAGES,
  photo: IMAGES,
  national_id: IMAGES,
  passport: IMAGES,
  signature: IMAGES,
  proof_of_address: IMAGE_OR_PDF,
  contract: IMAGE_OR_PDF,
  signed_contract: IMAGE_OR_PDF,
  other: IMAGE_OR_PDF,
};

/** The file's type from its first bytes (magic numbers), never from its name or the client's header. */
export function sniffMime(bytes: Buffer): DocumentMime | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  if (bytes.length >= 5 && bytes.toString('latin1', 0, 5) === '%PDF-') return 'application/pdf';
  return undefined;
}

export interface DocumentQuery {
  limit: number;
  cursor?: string;
}

export class DocumentService {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly customers: CustomerService,
    private readonly store: BlobStore,
  ) {}

  view(d: CustomerDocument) {
    return {
      id: d.id,
      customerId: d.customerId,
      documentType: d.documentType,
      mimeType: d.mimeType,
      sizeBytes: d.sizeBytes,
      checksum: d.checksum,
      uploadedBy: d.uploadedBy,
      createdAt: d.createdAt.toISOString(),
    };
  }

  /**
   * Stores a document of a customer the caller may see. The type is sniffed from the content; the
   * file goes to the store first and the row (with its audit) after, so a row never names a
   * missing file; a file whose row could not be written is removed again.
   */
  /** `answer` (a clientId upload): the API's answer, stored as the transaction's last statement. */
  async upload(
    actor: EmployeeActor,
    customerId: number,
    documentType: DocumentType,
    bytes: Buffer,
    answer?: StoreAnswer<CustomerDocument>,
  ): Promise<CustomerDocument> {
    await this.customers.get(actor, customerId);
    if (bytes.length === 0) throw problems.validation([{ field: 'file', in: 'body', message: 'the file is empty' }]);
    const mime = sniffMime(bytes);
    const allowed = DOCUMENT_FORMATS[documentType];
    if (!mime || !allowed.includes(mime)) {
      throw new HttpProblem(415, `A ${documentType} document must be ${allowed.join(' or ')}; the file is ${mime ?? 'of an unrecognised type'}.`, {
        extensions: { errors: [{ field: 'file', in: 'body', message: `must be ${allowed.join(' or ')}` }] },
      });
    }
    const key = `customers/${customerId}/documents/${randomUUID()}`;
    await this.store.put(key, bytes).catch(storeDown);
    try {
      return await withTransaction(this.sequelize, async (t) => {
        const doc = await CustomerDocument.create(
          {
            customerId,
            documentType,
            storageKey: key,
            checksum: createHash('sha256').update(bytes).digest('hex'),
            mimeType: mime,
            sizeBytes: bytes.length,
            uploadedBy: actor.employeeId,
          },
          { transaction: t },
        );
        await audit.record(t, { actor, action: 'customer.document_uploaded', entity: 'customerDocuments', entityId: doc.id, after: this.view(doc) });
        await answer?.(doc, t);
        return doc;
      });
    } catch (err) {
      await this.store.delete(key).catch(() => undefined);
      throw err;
    }
  }

  async list(actor: EmployeeActor, customerId: number, q: DocumentQuery): Promise<Paged<CustomerDocument>> {
    await this.customers.get(actor, customerId);
    const rows = await CustomerDocument.findAll({
      where: { customerId, ...(q.cursor ? { id: { [Op.lt]: decodeIdCursor(q.cursor) } } : {}) },
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  /** The document and its bytes, checked against the stored checksum (a changed file is never served). */
  async download(actor: EmployeeActor, customerId: number, documentId: number): Promise<{ doc: CustomerDocument; bytes: Buffer }> {
    await this.customers.get(actor, customerId);
    const doc = await CustomerDocument.findOne({ where: { id: documentId, customerId } });
    if (!doc) throw problems.notFound('document');
    let bytes: Buffer;
    try {
      bytes = await this.store.get(doc.storageKey);
    } catch (err) {
      if (err instanceof BlobNotFound) throw new HttpProblem(410, 'The file of this document is no longer in storage.');
      return storeDown(err);
    }
    if (createHash('sha256').update(bytes).digest('hex') !== doc.checksum) {
      throw new HttpProblem(409, 'The stored file does not match its checksum; it is not served.', { type: 'document-checksum-mismatch' });
    }
    return { doc, bytes };
  }

  /** Customers waiting for a KYC decision that the caller may decide, oldest first, with their documents. */
  async kycQueue(actor: EmployeeActor, q: DocumentQuery): Promise<Paged<{ customer: Customer; documents: CustomerDocument[] }>> {
    const rows = await Customer.findAll({
      where: {
        kycStatus: 'pending',
        ...(actor.scope.all ? {} : { regionId: { [Op.in]: [...actor.scope.regionIds] } }),
        ...(q.cursor ? { id: { [Op.gt]: decodeIdCursor(q.cursor) } } : {}),
      },
      order: [['id', 'ASC']],
      limit: q.limit + 1,
    });
    const page = pageOf(rows, q.limit, (last) => [last.id]);
    const docs = page.data.length ? await CustomerDocument.findAll({ where: { customerId: page.data.map((c) => c.id) }, order: [['id', 'ASC']] }) : [];
    return { ...page, data: page.data.map((customer) => ({ customer, documents: docs.filter((d) => d.customerId === customer.id) })) };
  }
}

/** A store that cannot be reached is an outage, not a bug: 503, and the client retries (nothing was written). */
function storeDown(err: unknown): never {
  if (err instanceof BlobStoreUnavailable) throw problems.unavailable('The document store is unavailable at the moment; retry shortly.');
  throw err;
}
