import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Joi from 'joi';
import type { Response } from 'supertest';
import { apiRoutes } from '../../src/modules';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import { IDEMPOTENCY_KEY_PATTERN, operationIdOf } from '../../src/platform/http/openapi';
import type { RouteSpec } from '../../src/platform/http/route';
import { lintOpenApi } from '../../scripts/openapi';
import { api, createEmployee, loginAs, testRuntime } from '../support/app';
import { lateAccount } from '../collections/support';
import { createMarket, openAccount, type Market } from '../support/lending';
import { createDeviceModel } from '../devices/support';

type Operation = {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: { pattern?: string; minLength?: number; maxLength?: number } }[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};
type Document = { paths: Record<string, Record<string, Operation>> };

const ROOT = path.resolve(__dirname, '..', '..');

/** The document `npm run lint:openapi` lints: scripts/openapi.ts in a process of its own. */
function generatedDocument(dir: string): { file: string; doc: Document } {
  const file = path.join(dir, 'openapi.json');
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/openapi.ts', file], { cwd: ROOT, stdio: 'pipe' });
  return { file, doc: JSON.parse(fs.readFileSync(file, 'utf8')) as Document };
}

function operations(doc: Document): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => [`${m.toUpperCase()} ${p}`, op] as [string, Operation]));
}

async function routeSpecs(): Promise<RouteSpec[]> {
  const rt = await testRuntime();
  return apiRoutes(rt);
}

const problemBody = Joi.object({
  type: Joi.string().uri().required(),
  title: Joi.string().required(),
  status: Joi.number().integer().min(400).max(599).required(),
  detail: Joi.string(),
  instance: Joi.string(),
}).unknown(true);

/**
 * The answer must be what the document declares for its status: a declared status, the declared
 * media type, and a body the route's schema accepts as it is (no conversion, no unknown keys).
 */
function expectDeclared(doc: Document, spec: RouteSpec, res: Response): void {
  const op = doc.paths['/api/v1' + spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]![spec.method]!;
  expect(op.responses[String(res.status)], `${spec.method.toUpperCase()} ${spec.path} answered ${res.status}, which it does not declare`).to.exist;
  if (res.status >= 400) {
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(problemBody.validate(res.body).error?.message).to.equal(undefined);
    expect(res.body.status).to.equal(res.status);
    return;
  }
  const declared = spec.responses![res.status]!;
  const body = declared!.contentType?.startsWith('text/') ? res.text : res.body;
  expect(res.headers['content-type']).to.contain(declared!.contentType ?? 'application/json');
  const { error } = declared!.schema!.validate(body, { convert: false });
  expect(error?.message, `${spec.method.toUpperCase()} ${spec.path} ${res.status}: ${error?.message}`).to.equal(undefined);
}

describe('OpenAPI document', () => {
  let dir: string;
  let generated: { file: string; doc: Document };
  let served: Document;
  let specs: RouteSpec[];

  before(async function () {
    this.timeout(120_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amt-openapi-test-'));
    generated = generatedDocument(dir);
    served = (await (await api()).get('/openapi.json').expect(200)).body as Document;
    specs = await routeSpecs();
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('npm run lint:openapi lints the very document the app serves', () => {
    expect(generated.doc).to.deep.equal(served);
    const ops = operations(served);
    expect(ops.length).to.equal(specs.length);
  });

  it('Redocly reports no errors (and no warnings) on it', function () {
    this.timeout(120_000);
    const result = lintOpenApi(generated.file);
    const errors = result.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`);
    expect(errors).to.deep.equal([]);
    expect(result.errors).to.equal(0);
    expect(result.warnings).to.equal(0);
  });

  it('the linter is not a rubber stamp: a missing or duplicated operationId is an error', function () {
    this.timeout(120_000);
    const broken = JSON.parse(JSON.stringify(served)) as Document;
    const [first, second] = operations(broken);
    delete first![1].operationId;
    second![1].operationId = 'sameOperationId';
    operations(broken)[2]![1].operationId = 'sameOperationId';
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, JSON.stringify(broken));
    const rules = lintOpenApi(file)
      .problems.filter((p) => p.severity === 'error')
      .map((p) => p.ruleId);
    expect(rules).to.include('operation-operationId');
    expect(rules).to.include('operation-operationId-unique');
  });

  it('every operation has a unique operationId derived from its method and path', () => {
    const ids = operations(served).map(([, op]) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).to.equal(true);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(served.paths['/api/v1/accounts/{id}/ledger']!.get!.operationId).to.equal(operationIdOf('get', '/accounts/:id/ledger'));
    expect(operationIdOf('get', '/accounts/:id/ledger')).to.equal('getAccountsByIdLedger');
    expect(operationIdOf('post', '/ops/jobs/:queue/:id/retry')).to.equal('postOpsJobsByQueueByIdRetry');
    expect(operationIdOf('get', '/reports/portfolio.csv')).to.equal('getReportsPortfolioCsv');
  });

  it('every idempotent operation, and only those, requires the Idempotency-Key header with the pattern the router enforces', () => {
    // idempotent: 'clientId' routes are keyed by the body's clientId instead (no header).
    const idempotent = specs.filter((s) => s.idempotent === true);
    expect(idempotent.map((s) => `${s.method} ${s.path}`)).to.include('post /payments');
    for (const s of specs) {
      const op = served.paths['/api/v1' + s.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]![s.method]!;
      const header = (op.parameters ?? []).find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
      if (s.idempotent !== true) {
        expect(header, `${s.method} ${s.path}`).to.equal(undefined);
        continue;
      }
      expect(header, `${s.method} ${s.path}`).to.deep.include({ required: true });
      expect(header!.schema).to.deep.include({ pattern: IDEMPOTENCY_KEY_PATTERN, minLength: 8, maxLength: 255 });
      expect(Object.keys(op.responses)).to.include.members(['400', '409', '422']);
    }
    const pattern = new RegExp(IDEMPOTENCY_KEY_PATTERN);
    expect(['abcd1234', 'pay:2026-11-20.7_x-y', 'k'.repeat(255)].every((k) => pattern.test(k))).to.equal(true);
    expect(['short', 'has space1', 'k'.repeat(256), 'ümlaut123'].some((k) => pattern.test(k))).to.equal(false);
  });

  it('every success response with a body declares its schema; every error response is problem+json', () => {
    const missing: string[] = [];
    const notProblem: string[] = [];
    for (const [name, op] of operations(served)) {
      for (const [status, response] of Object.entries(op.responses)) {
        const media = Object.entries(response.content ?? {});
        if (status.startsWith('2') && status !== '204' && !media.some(([, m]) => m.schema)) missing.push(`${name} ${status}`);
        if (Number(status) >= 400 && !(response.content?.['application/problem+json'] && media.length === 1)) notProblem.push(`${name} ${status}`);
      }
    }
    expect(missing).to.deep.equal([]);
    expect(notProblem).to.deep.equal([]);
  });

  describe('real answers match their declared schemas', () => {
    let token: string;
    let accountId: number;
    let regionId: number;
    let countryId: number;
    let market: Market;
    const spec = (method: string, p: string) => specs.find((s) => s.method === method && s.path === p)!;
    const get = async (p: string, query: Record<string, unknown> = {}) =>
      (await api())
        .get('/api/v1' + p)
        .query(query)
        .set('Authorization', `Bearer ${token}`);

    before(async () => {
      market = await createMarket({ businessDate: '2026-11-20' });
      regionId = market.region.id;
      countryId = market.country.id;
      accountId = (await openAccount(market, { downPayment: '1000.00', price: '10000.00', duration: 10, startDate: '2026-11-20' })).id;
      ({ token } = await loginAs('admin'));
    });

    it('POST /payments (first answer and its replay), GET /payments/{id}', async () => {
      const key = `pay-${randomUUID()}`;
      const body = { accountId, amount: '1500.00', paymentType: 'MPESA', channel: 'mobile_money', transactionRef: `OA-${randomUUID().slice(0, 12)}` };
      const post = () => api().then((a) => a.post('/api/v1/payments').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send(body));
      const first = await post();
      expect(first.status).to.equal(201);
      expectDeclared(served, spec('post', '/payments'), first);
      expect(first.body.allocations.length).to.be.greaterThan(0);
      const replay = await post();
      expect(replay.status).to.equal(201);
      expect(replay.headers['idempotent-replayed']).to.equal('true');
      expectDeclared(served, spec('post', '/payments'), replay);

      const one = await get(`/payments/${first.body.payment.id}`);
      expect(one.status).to.equal(200);
      expectDeclared(served, spec('get', '/payments/:id'), one);
    });

    it('an idempotent route without the header is a 400 naming Idempotency-Key, as declared', async () => {
      const res = await (
        await api()
      )
        .post('/api/v1/payments')
        .set('Authorization', `Bearer ${token}`)
        .send({ accountId, amount: '10.00', paymentType: 'MPESA', channel: 'mobile_money', transactionRef: `OA-${randomUUID().slice(0, 12)}` });
      expect(res.status).to.equal(400);
      expectDeclared(served, spec('post', '/payments'), res);
      expect(JSON.stringify(res.body.errors)).to.contain('Idempotency-Key');
    });

    it('GET /accounts/{id}, its payments and its ledger', async () => {
      const detail = await get(`/accounts/${accountId}`);
      expect(detail.status).to.equal(200);
      expectDeclared(served, spec('get', '/accounts/:id'), detail);
      expect(detail.body.schedule.length).to.be.greaterThan(0);

      const payments = await get(`/accounts/${accountId}/payments`);
      expect(payments.status).to.equal(200);
      expectDeclared(served, spec('get', '/accounts/:id/payments'), payments);
      expect(payments.body.data).to.have.length(1);

      const ledger = await get(`/accounts/${accountId}/ledger`);
      expect(ledger.status).to.equal(200);
      expectDeclared(served, spec('get', '/accounts/:id/ledger'), ledger);
      expect(ledger.body.data.length).to.be.greaterThan(0);

      const missing = await get('/accounts/2147483647');
      expect(missing.status).to.equal(404);
      expectDeclared(served, spec('get', '/accounts/:id'), missing);
    });

    it('devices: register, attach, a payment that mints a token, the lists, a token by hand', async () => {
      const call = async (method: 'get' | 'post', p: string, body?: object, headers: Record<string, string> = {}) => {
        const client = await api();
        const req = client[method]('/api/v1' + p)
          .set('Authorization', `Bearer ${token}`)
          .set(headers);
        return body ? req.send(body) : req;
      };
      const account = await openAccount(market, { downPayment: '1000.00', price: '10000.00', duration: 10, startDate: '2026-11-20' });
      const model = await createDeviceModel();
      const registered = await call('post', '/devices', {
        serialNumber: `SN-${randomUUID().slice(0, 12)}`,
        deviceModelId: model.id,
        productId: account.productId,
        openpaygoSecretKey: 'ab'.repeat(16),
        startingCode: 123456789,
      });
      expect(registered.status, JSON.stringify(registered.body)).to.equal(201);
      expectDeclared(served, spec('post', '/devices'), registered);

      const attached = await call('post', `/accounts/${account.id}/devices`, { deviceId: registered.body.id });
      expect(attached.status, JSON.stringify(attached.body)).to.equal(201);
      expectDeclared(served, spec('post', '/accounts/:id/devices'), attached);

      const paid = await call(
        'post',
        '/payments',
        { accountId: account.id, amount: '1100.00', paymentType: 'MPESA', channel: 'mobile_money', transactionRef: `OA-${randomUUID().slice(0, 12)}` },
        { 'Idempotency-Key': randomUUID() },
      );
      expect(paid.status, JSON.stringify(paid.body)).to.equal(201);
      expectDeclared(served, spec('post', '/payments'), paid);
      expect(paid.body.tokens).to.have.length(1);

      const one = await call('get', `/devices/${registered.body.id}`);
      expectDeclared(served, spec('get', '/devices/:id'), one);
      const list = await call('get', '/devices');
      expect(list.status).to.equal(200);
      expectDeclared(served, spec('get', '/devices'), list);
      const minted = await call('post', `/devices/${registered.body.id}/tokens`, { type: 'ADD_TIME', value: 3, reason: 'schema check' });
      expect(minted.status, JSON.stringify(minted.body)).to.equal(201);
      expectDeclared(served, spec('post', '/devices/:id/tokens'), minted);
      const tokens = await call('get', `/devices/${registered.body.id}/tokens`);
      expect(tokens.status).to.equal(200);
      expectDeclared(served, spec('get', '/devices/:id/tokens'), tokens);
      expect(tokens.body.data).to.have.length(2);
    });

    it("cash: a collection, its read and the agent's position", async () => {
      const { user, token: agent } = await loginAs('agent', { regionIds: [regionId] });
      const account = await openAccount(market, { downPayment: '100.00', price: '1000.00', duration: 3, startDate: '2026-11-20' });
      const collected = await (await api()).post('/api/v1/cash-collections').set('Authorization', `Bearer ${agent}`).send({
        clientCollectionId: randomUUID(),
        accountId: account.id,
        amount: '100.00',
        collectedAt: new Date().toISOString(),
        latitude: -1.2921,
        longitude: 36.8219,
      });
      expect(collected.status, JSON.stringify(collected.body)).to.equal(201);
      expectDeclared(served, spec('post', '/cash-collections'), collected);
      const again = await (await api()).get(`/api/v1/cash-collections/${collected.body.collection.id}`).set('Authorization', `Bearer ${agent}`);
      expectDeclared(served, spec('get', '/cash-collections/:id'), again);
      const position = await (await api()).get(`/api/v1/agents/${user.employee.id}/cash`).set('Authorization', `Bearer ${agent}`);
      expect(position.status).to.equal(200);
      expectDeclared(served, spec('get', '/agents/:id/cash'), position);
      expect(position.body.openCollections).to.have.length(1);
    });

    it('operations and mobile money lists', async () => {
      const session = await get('/ops/board-session');
      expectDeclared(served, spec('get', '/ops/board-session'), session);
      const transactions = await get('/mobile-money/transactions', { limit: 5 });
      expect(transactions.status).to.equal(200);
      expectDeclared(served, spec('get', '/mobile-money/transactions'), transactions);
    });

    it('customers: onboarding by an agent, the read and a KYC decision by another employee', async () => {
      const { token: agent } = await loginAs('agent', { regionIds: [regionId] });
      const onboarded = await (
        await api()
      )
        .post('/api/v1/customers')
        .set('Authorization', `Bearer ${agent}`)
        .send({
          firstName: 'Amina',
          lastName: 'Schema',
          phone: '+254712345678',
          nationalId: `ID ${randomUUID().slice(0, 8)}`,
          dateOfBirth: '1990-02-28',
          regionId,
        });
      expect(onboarded.status, JSON.stringify(onboarded.body)).to.equal(201);
      expectDeclared(served, spec('post', '/customers'), onboarded);
      const read = await get(`/customers/${onboarded.body.id}`);
      expectDeclared(served, spec('get', '/customers/:id'), read);
      const decided = await (
        await api()
      )
        .post(`/api/v1/customers/${onboarded.body.id}/kyc`)
        .set('Authorization', `Bearer ${token}`)
        .send({ decision: 'verified' });
      expect(decided.status, JSON.stringify(decided.body)).to.equal(200);
      expectDeclared(served, spec('post', '/customers/:id/kyc'), decided);
      expect(decided.body.kycCheck.decision).to.equal('verified');
    });

    it('every list without path parameters answers what it declares', async () => {
      const lists = specs.filter((s) => s.method === 'get' && !s.path.includes(':') && !s.responses?.[200]?.contentType);
      expect(lists.length).to.be.greaterThan(20);
      for (const s of lists) {
        const res = await get(s.path);
        expect([200, 400], `${s.path} ${res.status} ${JSON.stringify(res.body)}`).to.include(res.status);
        expectDeclared(served, s, res);
      }
    });

    it('GET /reports/portfolio and its CSV after a nightly close', async () => {
      await closeDayInline(await testRuntime(), countryId, '2026-11-20');
      const report = await get('/reports/portfolio', { date: '2026-11-20', regionId });
      expect(report.status).to.equal(200);
      expectDeclared(served, spec('get', '/reports/portfolio'), report);
      expect(report.body.data).to.have.length(1);

      const csv = await get('/reports/portfolio.csv', { date: '2026-11-20', regionId });
      expect(csv.status).to.equal(200);
      expectDeclared(served, spec('get', '/reports/portfolio.csv'), csv);
    });

    it('collections: the worklist, a case, an activity, a promise and a reassignment', async () => {
      const own = await createMarket({ businessDate: '2026-11-20' });
      const account = await lateAccount(own, 12);
      await closeDayInline(await testRuntime(), own.country.id, '2026-11-20');
      const list = await get('/collections/worklist', { unassigned: true, regionId: own.region.id });
      expectDeclared(served, spec('get', '/collections/worklist'), list);
      const caseId = (list.body.data as { id: number; accountId: number }[]).find((c) => c.accountId === account.id)!.id;
      const send = async (p: string, body: object) =>
        (await api())
          .post('/api/v1' + p)
          .set('Authorization', `Bearer ${token}`)
          .send(body);
      const visit = await send(`/collections/cases/${caseId}/activities`, { activityType: 'visit', outcome: 'promised', latitude: '-1.5', longitude: '36.8' });
      expectDeclared(served, spec('post', '/collections/cases/:id/activities'), visit);
      const promise = await send(`/collections/cases/${caseId}/promises`, { amount: '50.00', date: '2026-11-25', collectionActivityId: visit.body.id });
      expectDeclared(served, spec('post', '/collections/cases/:id/promises'), promise);
      const staff = await createEmployee('collections', { regionIds: [own.region.id] });
      const moved = await send(`/collections/cases/${caseId}/reassign`, { employeeId: staff.employee.id, reason: 'by region' });
      expectDeclared(served, spec('post', '/collections/cases/:id/reassign'), moved);
      const detail = await get(`/collections/cases/${caseId}`);
      expectDeclared(served, spec('get', '/collections/cases/:id'), detail);
      expect(detail.body.promises).to.have.length(1);
    });
  });
});
