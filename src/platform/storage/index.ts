import type { AppConfig } from '../config';
import { FsBlobStore, type BlobStore } from './blob-store';
import { S3BlobStore } from './s3-blob-store';

/** The document store the configuration names: DOCUMENT_STORE=fs (DOCUMENTS_DIR) or s3 (S3_*). */
export function createBlobStore(documents: AppConfig['documents']): BlobStore {
  return documents.s3 ? new S3BlobStore(documents.s3) : new FsBlobStore(documents.dir);
}
