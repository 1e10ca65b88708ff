import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import supertest from 'supertest';
import { SystemLog } from '../../src/modules/audit/models';
import { CustomerDocument } from '../../src/modules/customers/models';
import { loadConfig } from '../../src/platform/config';
import { createApp, createRuntime, type Runtime } from '../../src/runtime';
import { FakeS3 } from '../fakes/s3';
import { api, closeTestRuntime, loginAs, uniquePhone } from '../support/app';
import { TEST_DOCUMENT_MAX_BYTES, TEST_DOCUMENTS_DIR, testEnv } from '../support/env';
import { createMarket, type Market } from '../support/lending';

const uniqueId = () => `ID ${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('a small jpeg body')]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('png body')]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\n');

/** The app under test and where it keeps the files: the suite runs once per document store. */
interface StoreUnderTest {
  client(): Promise<ReturnType<typeof supertest>>;
  /** The bytes stored under a document's key, read from the store itself (not through the API). */
  stored(key: string): Buffer | undefined;
  /** Makes the store fail its next requests, or stops failing (S3 only). */
  failNext?(times: number): void;
  clearFaults?(): void;
}

/** The suite's default runtime: DOCUMENT_STORE=fs, files under TEST_DOCUMENTS_DIR. */
const fsStore: StoreUnderTest = {
  client: api,
  stored: (key) => {
    const file = path.join(TEST_DOCUMENTS_DIR, ...key.split('/'));
    return fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  },
};

/** A runtime of its own with DOCUMENT_STORE=s3, pointed at the local S3-compatible fake (test/fakes/s3.ts). */
function s3Store(): StoreUnderTest & { start(): Promise<void>; stop(): Promise<void> } {
  const credentials = { accessKeyId: 'AKIATESTDOCUMENTS', secretAccessKey: 'test-secret-access-key-0123456789' };
  const fake = new FakeS3(credentials, ['amt-documents'], 'eu-west-1');
  let runtime: Runtime | undefined;
  let app: ReturnType<typeof createApp> | undefined;
  return {
    async start() {
      const endpoint = await fake.start();
      const env = testEnv({
        DOCUMENT_STORE: 's3',
        S3_ENDPOINT: endpoint,
        S3_BUCKET: 'amt-documents',
        S3_REGION: 'eu-west-1',
        S3_ACCESS_KEY_ID: credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        S3_FORCE_PATH_STYLE: 'true',
      });
      runtime = await createRuntime(loadConfig(env), { role: 'test' });
      app = createApp(runtime);
    },
    async stop() {
      await runtime?.close();
      // A runtime binds the models to its own pool: the suite's runtime is made afresh (and binds them again) for the files after this one.
      await closeTestRuntime();
      await fake.stop();
    },
    client: async () => supertest(app!),
    stored: (key) => fake.object('amt-documents', key)?.bytes,
    failNext: (times) => fake.failNext(times),
    clearFaults: () => fake.clearFaults(),
  };
}

describe('customers: KYC documents in a directory (DOCUMENT_STORE=fs)', () => documentSuite(fsStore));

describe('customers: KYC documents in an S3-compatible bucket (DOCUMENT_STORE=s3, the local fake)', () => {
  const store = s3Store();
  before(() => store.start());
  after(() => store.stop());
  documentSuite(store);

  it('a bucket that fails for good answers 503 and writes no row; a passing fault is retried by the client and the upload succeeds', async () => {
    const customerId = await onboardWith(store);
    store.failNext!(1);
    expect((await uploadWith(store, customerId, 'id_front')).status).to.equal(201);
    store.failNext!(10);
    const down = await uploadWith(store, customerId, 'id_back');
    expect(down.status, JSON.stringify(down.body)).to.equal(503);
    expect(down.body.detail).to.not.match(/secret|AKIA/i);
    store.clearFaults!();
    expect(await CustomerDocument.count({ where: { customerId } })).to.equal(1);
  });
});

// Set by the suite's before(): the helpers below are shared by both stores' runs.
let onboardAgent: string;
let onboardRegion: number;

async function onboardWith(store: StoreUnderTest): Promise<number> {
  const res = await (
    await store.client()
  )
    .post('/api/v1/customers')
    .set('Authorization', `Bearer ${onboardAgent}`)
    .send({ firstName: 'Akinyi', lastName: 'Otieno', phone: uniquePhone(), nationalId: uniqueId(), regionId: onboardRegion });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body.id as number;
}

async function uploadWith(store: StoreUnderTest, customerId: number, documentType: string) {
  return (await store.client())
    .post(`/api/v1/customers/${customerId}/documents`)
    .set('Authorization', `Bearer ${onboardAgent}`)
    .field('documentType', documentType)
    .attach('file', JPEG, { filename: 'a.jpg', contentType: 'image/jpeg' });
}

function documentSuite(store: StoreUnderTest): void {
  let market: Market;
  let elsewhere: Market;
  let agent: { token: string; employeeId: number };
  let otherAgent: string;
  let backOffice: { token: string; employeeId: number };
  let secondBackOffice: string;
  let finance: string;

  before(async () => {
    market = await createMarket();
    elsewhere = await createMarket();
    const a = await loginAs('agent', { regionIds: [market.region.id] });
    agent = { token: a.token, employeeId: a.user.employee.id };
    ({ token: otherAgent } = await loginAs('agent', { regionIds: [elsewhere.region.id] }));
    const b = await loginAs('back_office');
    backOffice = { token: b.token, employeeId: b.user.employee.id };
    ({ token: secondBackOffice } = await loginAs('back_office'));
    ({ token: finance } = await loginAs('finance'));
    onboardAgent = agent.token;
    onboardRegion = market.region.id;
  });

  async function call(method: 'get' | 'post', url: string, token: string | undefined, body?: object) {
    let req = (await store.client())[method](`/api/v1${url}`);
    if (token) req = req.set('Authorization', `Bearer ${token}`);
    return body === undefined ? req : req.send(body);
  }

  async function onboard(): Promise<number> {
    const res = await call('post', '/customers', agent.token, {
      firstName: 'Wanjiru',
      lastName: 'Kamau',
      phone: uniquePhone(),
      nationalId: uniqueId(),
      regionId: market.region.id,
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.id as number;
  }

  async function upload(token: string, customerId: number, documentType: string | undefined, file?: { bytes: Buffer; name: string; type?: string }) {
    let req = (await store.client()).post(`/api/v1/customers/${customerId}/documents`).set('Authorization', `Bearer ${token}`);
    if (documentType !== undefined) req = req.field('documentType', documentType);
    if (file) req = req.attach('file', file.bytes, { filename: file.name, contentType: file.type ?? 'application/octet-stream' });
    return req;
  }

  it('an agent uploads the ID front: the type is sniffed, the SHA-256 kept, the file stored outside the database, audited; list and download give it back', async () => {
    const customerId = await onboard();
    const res = await upload(agent.token, customerId, 'id_front', { bytes: JPEG, name: 'whatever.pdf', type: 'application/pdf' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const sha = createHash('sha256').update(JPEG).digest('hex');
    expect(res.body).to.include({
      customerId,
      documentType: 'id_front',
      mimeType: 'image/jpeg',
      sizeBytes: JPEG.length,
      checksum: sha,
      uploadedBy: agent.employeeId,
    });

    const row = (await CustomerDocument.findByPk(res.body.id))!;
    expect(row.storageKey).to.match(new RegExp(`^customers/${customerId}/documents/[0-9a-f-]{36}$`));
    expect(store.stored(row.storageKey)?.equals(JPEG)).to.equal(true);
    const log = await SystemLog.findOne({ where: { entity: 'customerDocuments', entityId: row.id, action: 'customer.document_uploaded' } });
    expect(log?.userId).to.equal(agent.employeeId);

    const list = await call('get', `/customers/${customerId}/documents`, backOffice.token);
    expect(list.status).to.equal(200);
    expect(list.body.data.map((d: { id: number }) => d.id)).to.deep.equal([row.id]);

    const download = await (
      await store.client()
    )
      .get(`/api/v1/customers/${customerId}/documents/${row.id}/content`)
      .set('Authorization', `Bearer ${agent.token}`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(download.status).to.equal(200);
    expect(download.headers['content-type']).to.equal('image/jpeg');
    expect(download.headers['x-content-type-options']).to.equal('nosniff');
    expect((download.body as Buffer).equals(JPEG)).to.equal(true);
  });

  it('papers may be PDF, photos may not; a file that is no image or PDF is refused whatever its name (415 naming file); nothing is written', async () => {
    const customerId = await onboard();
    expect((await upload(agent.token, customerId, 'proof_of_address', { bytes: PDF, name: 'bill.pdf' })).status).to.equal(201);
    expect((await upload(agent.token, customerId, 'selfie', { bytes: PNG, name: 'me.png' })).status).to.equal(201);
    const before = await CustomerDocument.count({ where: { customerId } });

    const pdfSelfie = await upload(agent.token, customerId, 'selfie', { bytes: PDF, name: 'me.jpg', type: 'image/jpeg' });
    expect(pdfSelfie.status).to.equal(415);
    expect(pdfSelfie.body.errors[0]).to.include({ field: 'file' });
    const script = await upload(agent.token, customerId, 'signed_contract', { bytes: Buffer.from('<script>alert(1)</script>'), name: 'contract.pdf' });
    expect(script.status).to.equal(415);
    expect(script.body.status).to.equal(415);
    expect(await CustomerDocument.count({ where: { customerId } })).to.equal(before);
  });

  it('413 for a file over DOCUMENT_MAX_BYTES, 400 naming documentType or file, 415 for a JSON body; nothing is written', async () => {
    const customerId = await onboard();
    const big = Buffer.concat([JPEG, Buffer.alloc(TEST_DOCUMENT_MAX_BYTES)]);
    const tooLarge = await upload(agent.token, customerId, 'id_back', { bytes: big, name: 'big.jpg' });
    expect(tooLarge.status).to.equal(413);
    expect(tooLarge.body.errors[0]).to.include({ field: 'file' });

    const noType = await upload(agent.token, customerId, undefined, { bytes: JPEG, name: 'a.jpg' });
    expect(noType.status).to.equal(400);
    expect(noType.body.errors.map((e: { field: string }) => e.field)).to.include('documentType');
    const badType = await upload(agent.token, customerId, 'birth_certificate', { bytes: JPEG, name: 'a.jpg' });
    expect(badType.status).to.equal(400);
    const noFile = await upload(agent.token, customerId, 'id_back');
    expect(noFile.status).to.equal(400);
    expect(noFile.body.errors[0]).to.include({ field: 'file' });
    const json = await call('post', `/customers/${customerId}/documents`, agent.token, { documentType: 'id_back' });
    expect(json.status).to.equal(415);
    expect(await CustomerDocument.count({ where: { customerId } })).to.equal(0);
  });

  it('another region is 404 (upload, list, download); no permission is 403; no token 401', async () => {
    const customerId = await onboard();
    const doc = await upload(agent.token, customerId, 'id_front', { bytes: JPEG, name: 'a.jpg' });
    expect((await upload(otherAgent, customerId, 'id_front', { bytes: JPEG, name: 'a.jpg' })).status).to.equal(404);
    expect((await call('get', `/customers/${customerId}/documents`, otherAgent)).status).to.equal(404);
    expect((await call('get', `/customers/${customerId}/documents/${doc.body.id}/content`, otherAgent)).status).to.equal(404);
    const other = await onboard();
    expect((await call('get', `/customers/${other}/documents/${doc.body.id}/content`, agent.token)).status, "another customer's document").to.equal(404);
    expect((await upload(finance, customerId, 'id_front', { bytes: JPEG, name: 'a.jpg' })).status).to.equal(403);
    expect((await call('get', `/customers/${customerId}/documents`, undefined)).status).to.equal(401);
    expect(await CustomerDocument.count({ where: { customerId } })).to.equal(1);
  });

  it('the KYC queue shows pending customers with their documents; whoever uploaded them may not decide the KYC (four eyes)', async () => {
    const customerId = await onboard();
    const byBackOffice = await upload(backOffice.token, customerId, 'id_front', { bytes: JPEG, name: 'a.jpg' });
    expect(byBackOffice.status).to.equal(201);

    let found: { customerId: number; documents: { id: number }[] } | undefined;
    let cursor: string | null = null;
    do {
      const page = await call('get', `/kyc/queue?limit=200${cursor ? `&cursor=${cursor}` : ''}`, secondBackOffice);
      expect(page.status).to.equal(200);
      found ??= page.body.data.find((c: { customerId: number }) => c.customerId === customerId);
      cursor = page.body.page.nextCursor;
    } while (!found && cursor);
    expect(found?.documents.map((d) => d.id)).to.deep.equal([byBackOffice.body.id]);
    expect((await call('get', '/kyc/queue', agent.token)).status, 'agents have no customers:kyc').to.equal(403);

    const own = await call('post', `/customers/${customerId}/kyc`, backOffice.token, { decision: 'verified' });
    expect(own.status).to.equal(403);
    expect(own.body.type).to.match(/four-eyes/);
    const other = await call('post', `/customers/${customerId}/kyc`, secondBackOffice, { decision: 'verified' });
    expect(other.status, JSON.stringify(other.body)).to.equal(200);
    expect(other.body.kycStatus).to.equal('verified');
  });
}
