import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Where uploaded files (KYC documents, later photos) live: never in the database, which keeps only
 * the key, the checksum and the type. One small interface so a bucket can take the filesystem's
 * place by configuration.
 */
export interface BlobStore {
  /** Stores `bytes` under `key` (all or nothing: a reader never sees half a file). */
  put(key: string, bytes: Buffer): Promise<void>;
  /** The bytes under `key`; throws BlobNotFound when there are none. */
  get(key: string): Promise<Buffer>;
  delete(key: string): Promise<void>;
}

export class BlobNotFound extends Error {
  constructor(key: string) {
    super(`no blob under ${key}`);
    this.name = 'BlobNotFound';
  }
}

/** Keys are ours (e.g. customers/12/documents/<uuid>): segments of letters, digits, '.', '_', '-'. */
const KEY = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_.-]+)*$/;

/** The store could not be reached or refused the request (a bucket down, wrong credentials): not the caller's fault. */
export class BlobStoreUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlobStoreUnavailable';
  }
}

export function checkKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((s) => s === '.' || s === '..')) throw new RangeError(`invalid blob key: ${key}`);
}

/** A directory on the filesystem (the default; data/documents in the demo). */
export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private file(key: string): string {
    checkKey(key);
    return path.join(path.resolve(this.root), ...key.split('/'));
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const file = this.file(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Written beside, then renamed into place: a crash mid-write leaves no half file under the key.
    const tmp = `${file}.${randomUUID()}.tmp`;
    await fs.writeFile(tmp, bytes, { mode: 0o600 });
    await fs.rename(tmp, file);
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFound(key);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
  }
}
