import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/platform/config';
import { BlobNotFound, BlobStoreUnavailable } from '../../src/platform/storage/blob-store';
import { S3BlobStore, type S3StoreConfig } from '../../src/platform/storage/s3-blob-store';
import { FakeS3 } from '../fakes/s3';

const credentials = { accessKeyId: 'AKIATESTBLOBSTORE', secretAccessKey: 'blob-store-secret-0123456789' };

describe('documents: the S3-compatible blob store (DOCUMENT_STORE=s3) against the local S3 fake', () => {
  const fake = new FakeS3(credentials, ['kyc'], 'af-south-1');
  let config: S3StoreConfig;
  const stores: S3BlobStore[] = [];
  const storeWith = (over: Partial<S3StoreConfig> = {}) => {
    const s = new S3BlobStore({ ...config, ...over });
    stores.push(s);
    return s;
  };

  before(async () => {
    const endpoint = await fake.start();
    config = { endpoint, bucket: 'kyc', region: 'af-south-1', ...credentials, forcePathStyle: true, timeoutMs: 5000 };
  });
  after(async () => {
    for (const s of stores) s.close();
    await fake.stop();
  });

  it('puts, gets and deletes an object by its key (path-style, signed with SigV4), byte for byte', async () => {
    const store = storeWith();
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    await store.put('customers/7/documents/a-b_c', bytes);
    expect(fake.object('kyc', 'customers/7/documents/a-b_c')?.bytes.equals(bytes)).to.equal(true);
    expect((await store.get('customers/7/documents/a-b_c')).equals(bytes)).to.equal(true);
    await store.delete('customers/7/documents/a-b_c');
    expect(fake.keys('kyc')).to.not.include('customers/7/documents/a-b_c');
    const put = fake.requests.find((r) => r.method === 'PUT' && r.path.startsWith('/kyc/customers/7/documents/a-b_c'));
    expect(put?.status).to.equal(200);
  });

  it('a missing key is BlobNotFound (404 NoSuchKey), deleting one is no error, HEAD answers 404 without a body', async () => {
    const store = storeWith();
    let err: unknown;
    await store.get('customers/7/documents/none').catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(BlobNotFound);
    expect(fake.requests.at(-1)).to.include({ status: 404, code: 'NoSuchKey' });
    await store.delete('customers/7/documents/none');
    expect(fake.requests.at(-1)).to.include({ method: 'DELETE', status: 204 });

    const client = new S3Client({ endpoint: config.endpoint, region: config.region, forcePathStyle: true, credentials });
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: 'kyc', Key: 'customers/7/documents/none' })).catch((e: Error) => e);
      expect(head).to.be.instanceOf(Error);
      expect((head as Error & { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).to.equal(404);
    } finally {
      client.destroy();
    }
  });

  it('a wrong secret is refused by the server (403 SignatureDoesNotMatch), an unknown key id too (InvalidAccessKeyId): BlobStoreUnavailable, nothing stored, no secret in the message', async () => {
    const wrongSecret = storeWith({ secretAccessKey: 'not-the-registered-secret' });
    let err: unknown;
    await wrongSecret.put('customers/8/documents/x', Buffer.from('x')).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(BlobStoreUnavailable);
    expect((err as Error).message)
      .to.contain('SignatureDoesNotMatch')
      .and.not.contain('not-the-registered-secret');
    expect(fake.requests.at(-1)).to.include({ status: 403, code: 'SignatureDoesNotMatch' });

    const unknownKey = storeWith({ accessKeyId: 'AKIAUNKNOWN' });
    err = undefined;
    await unknownKey.get('customers/8/documents/x').catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(BlobStoreUnavailable);
    expect(fake.requests.at(-1)).to.include({ status: 403, code: 'InvalidAccessKeyId' });
    expect(fake.object('kyc', 'customers/8/documents/x')).to.equal(undefined);
  });

  it('a 500 is retried by the client (the object is stored once); 500s that last are BlobStoreUnavailable', async () => {
    const store = storeWith();
    fake.failNext(1);
    const before = fake.requests.length;
    await store.put('customers/9/documents/r', Buffer.from('retried'));
    expect(fake.requests.slice(before).map((r) => r.status)).to.deep.equal([500, 200]);
    expect(fake.object('kyc', 'customers/9/documents/r')?.bytes.toString()).to.equal('retried');

    fake.failNext(50);
    let err: unknown;
    await store.get('customers/9/documents/r').catch((e: unknown) => (err = e));
    fake.clearFaults();
    expect(err).to.be.instanceOf(BlobStoreUnavailable);
    expect((err as Error).message).to.contain('InternalError');
  });

  it('keys outside the allowed shape are refused before any request', async () => {
    const store = storeWith();
    const before = fake.requests.length;
    let err: unknown;
    await store.put('../etc/passwd', Buffer.from('x')).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(RangeError);
    expect(fake.requests.length).to.equal(before);
  });
});

describe('documents: DOCUMENT_STORE configuration', () => {
  const complete = {
    DOCUMENT_STORE: 's3',
    S3_ENDPOINT: 'http://127.0.0.1:9000',
    S3_BUCKET: 'amt-documents',
    S3_REGION: 'eu-west-1',
    S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    S3_SECRET_ACCESS_KEY: 'a-secret-that-must-never-show',
    S3_FORCE_PATH_STYLE: 'true',
  };

  it('fs by default: no bucket', () => {
    expect(loadConfig({}).documents.s3).to.equal(undefined);
  });

  it('s3 with every variable: the bucket, region, endpoint and path style as given', () => {
    const { s3 } = loadConfig(complete).documents;
    expect(s3).to.include({
      bucket: 'amt-documents',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      accessKeyId: 'AKIAEXAMPLE',
    });
  });

  it('a half-configured S3 stops start-up naming each missing or malformed variable, never showing the secret', () => {
    let err: unknown;
    try {
      loadConfig({ ...complete, S3_BUCKET: undefined, S3_SECRET_ACCESS_KEY: undefined, S3_ENDPOINT: 'ftp://x' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).variables).to.have.members(['S3_BUCKET', 'S3_SECRET_ACCESS_KEY', 'S3_ENDPOINT']);

    try {
      loadConfig({ ...complete, S3_REGION: 'Not A Region', S3_SECRET_ACCESS_KEY: 'short' });
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).variables).to.have.members(['S3_REGION', 'S3_SECRET_ACCESS_KEY']);
    expect((err as ConfigError).message)
      .to.not.contain('short"')
      .and.not.contain('a-secret-that-must-never-show');
  });
});
