import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { BlobNotFound, BlobStoreUnavailable, checkKey, type BlobStore } from './blob-store';

/** An S3-compatible bucket (AWS S3, MinIO, Ceph, R2...): DOCUMENT_STORE=s3 and the S3_* variables. */
export interface S3StoreConfig {
  /** Empty for AWS itself; the URL of an S3-compatible server otherwise. */
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  /** Never logged. */
  secretAccessKey: string;
  /** Addresses objects as <endpoint>/<bucket>/<key> (most S3-compatible servers) instead of <bucket>.<endpoint>/<key>. */
  forcePathStyle: boolean;
  /** Per-request time limit. */
  timeoutMs: number;
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;

  constructor(private readonly config: S3StoreConfig) {
    this.client = new S3Client({
      endpoint: config.endpoint || undefined,
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      // Checksums only where the API requires them: several S3-compatible servers refuse the
      // SDK's default trailing CRC32 (aws-chunked) uploads. PutObject still carries a signed SHA-256.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      requestHandler: { requestTimeout: config.timeoutMs, connectionTimeout: config.timeoutMs },
    });
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    checkKey(key);
    // An S3 PUT is atomic: a reader sees the whole new object or none.
    await this.send(() => this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key: key, Body: bytes, ContentLength: bytes.length })));
  }

  async get(key: string): Promise<Buffer> {
    checkKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key }));
      if (!res.Body) throw new BlobNotFound(key);
      return Buffer.from(await res.Body.transformToByteArray());
    } catch (err) {
      if (err instanceof BlobNotFound) throw err;
      if (err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404)) throw new BlobNotFound(key);
      throw unavailable(err);
    }
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.send(() => this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: key })));
  }

  /** Closes the client's sockets (the runtime's close, or a test's). */
  close(): void {
    this.client.destroy();
  }

  private async send(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (err) {
      throw unavailable(err);
    }
  }
}

/** The bucket's answer in a few words (code and status), never the request (its headers carry the signature). */
function unavailable(err: unknown): BlobStoreUnavailable {
  if (err instanceof S3ServiceException) return new BlobStoreUnavailable(`S3 ${err.name} (HTTP ${err.$metadata.httpStatusCode ?? '?'})`);
  return new BlobStoreUnavailable(`S3 request failed: ${err instanceof Error ? err.message : String(err)}`);
}
