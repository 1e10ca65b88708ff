import { expect } from 'chai';
import Joi from 'joi';
import passport from 'passport';
import supertest from 'supertest';
import { UniqueConstraintError } from 'sequelize';
import { createHttpApp } from '../../src/platform/http/app';
import { problems } from '../../src/platform/http/problem';
import type { RouteSpec } from '../../src/platform/http/route';
import { createLogger } from '../../src/platform/logging/logger';

/** An app with routes that fail in every way the error model knows, built from the real platform. */
function errorApp() {
  const pub = { public: true as const, why: 'test' };
  const routes: RouteSpec[] = [
    {
      method: 'post',
      path: '/things',
      summary: 'validated',
      access: pub,
      body: Joi.object({ name: Joi.string().required(), count: Joi.number().integer().min(1) }),
      handler: (req) => ({ status: 201, body: req.valid.body }),
    },
    {
      method: 'get',
      path: '/conflict',
      summary: 'unique violation',
      access: pub,
      handler: () => {
        throw new UniqueConstraintError({ errors: [] });
      },
    },
    {
      method: 'get',
      path: '/unprocessable',
      summary: '422',
      access: pub,
      handler: () => {
        throw problems.unprocessable('Amount exceeds the balance.');
      },
    },
    {
      method: 'get',
      path: '/limited',
      summary: '429',
      access: pub,
      handler: () => {
        throw problems.tooManyRequests(30);
      },
    },
    {
      method: 'get',
      path: '/boom',
      summary: 'unexpected',
      access: pub,
      handler: () => {
        throw new Error("ER_PARSE_ERROR: You have an error in your SQL syntax near 'SELECT * FROM customers'");
      },
    },
    { method: 'get', path: '/undeclared', summary: 'no access declared', handler: () => ({ body: { secret: true } }) },
  ];
  return createHttpApp({
    config: { bodyLimit: '1kb', trustProxy: false },
    logger: createLogger('silent'),
    passport: new passport.Passport() as unknown as passport.PassportStatic,
    routes,
    readiness: [],
    knownPermissions: new Set(),
  });
}

function expectProblem(res: supertest.Response, status: number) {
  expect(res.status).to.equal(status);
  expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
  expect(res.body).to.include({ status });
  expect(res.body.type).to.be.a('string');
  expect(res.body.title).to.be.a('string');
}

describe('problem+json error model', () => {
  const app = errorApp();

  it('400 names every failing field and the handler does not run', async () => {
    const res = await supertest(app).post('/api/v1/things').send({ count: 'three', extra: 1 });
    expectProblem(res, 400);
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).to.have.members(['name', 'count', 'extra']);
  });

  it('400 for a malformed JSON body', async () => {
    const res = await supertest(app).post('/api/v1/things').set('Content-Type', 'application/json').send('{"name": ');
    expectProblem(res, 400);
    expect(res.body.detail).to.match(/not valid JSON/);
  });

  it('404 for an unknown route, as problem+json', async () => {
    expectProblem(await supertest(app).get('/api/v1/nowhere'), 404);
  });

  it('403 for a route that declares no access: deny by default', async () => {
    const res = await supertest(app).get('/api/v1/undeclared');
    expectProblem(res, 403);
    expect(res.body).not.to.have.property('secret');
  });

  it('409 for a unique-constraint violation', async () => {
    expectProblem(await supertest(app).get('/api/v1/conflict'), 409);
  });

  it('413 for a body over the limit', async () => {
    const res = await supertest(app)
      .post('/api/v1/things')
      .send({ name: 'x'.repeat(5000) });
    expectProblem(res, 413);
  });

  it('415 for a body that is not JSON', async () => {
    const res = await supertest(app).post('/api/v1/things').set('Content-Type', 'text/plain').send('name=x');
    expectProblem(res, 415);
  });

  it('422 and 429 (with Retry-After) as thrown by services', async () => {
    expectProblem(await supertest(app).get('/api/v1/unprocessable'), 422);
    const limited = await supertest(app).get('/api/v1/limited');
    expectProblem(limited, 429);
    expect(limited.headers['retry-after']).to.equal('30');
  });

  it('500 carries a request id but no stack trace or SQL', async () => {
    const res = await supertest(app).get('/api/v1/boom').set('X-Request-Id', 'req-abcdef123456');
    expectProblem(res, 500);
    expect(res.body.requestId).to.equal('req-abcdef123456');
    expect(res.headers['x-request-id']).to.equal('req-abcdef123456');
    expect(res.text).not.to.match(/SQL|SELECT|ER_PARSE|at .*\.ts/);
  });

  it('every response carries a request id', async () => {
    const res = await supertest(app).get('/api/v1/nowhere');
    expect(res.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  });
});
