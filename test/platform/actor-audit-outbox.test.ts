import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Express } from 'express';
import Joi from 'joi';
import { Op } from 'sequelize';
import supertest from 'supertest';
import { PERMISSION_CODES } from '../../src/modules/access/permissions';
import { createPrincipalLoader } from '../../src/modules/access/principal-loader';
import { audit } from '../../src/modules/audit/audit';
import { SystemLog } from '../../src/modules/audit/models';
import { SyncOutbox } from '../../src/modules/integrations/models';
import { integrations } from '../../src/modules/integrations/outbox';
import { OUTBOX_ROUTES, STATE_TRANSFER, type OutboxEvent } from '../../src/modules/integrations/targets';
import { FiscalPeriod } from '../../src/modules/ledger/models';
import { createPassport } from '../../src/platform/auth/jwt';
import { withTransaction } from '../../src/platform/db/transaction';
import { createHttpApp } from '../../src/platform/http/app';
import { problems } from '../../src/platform/http/problem';
import { currentRequest } from '../../src/platform/http/request-context';
import { defineRoute, employeeOf } from '../../src/platform/http/route';
import { createRegion, freshIp, loginAs, testRuntime } from '../support/app';
import { createMarket } from '../support/lending';
import { call } from '../lending/support';

const MACHINE_SCOPE = 'mobile-money:callback';

/** An app of the real router and middleware with routes that show what they were handed. */
async function probeApp(): Promise<Express> {
  const rt = await testRuntime();
  return createHttpApp({
    config: rt.config,
    logger: rt.logger,
    passport: createPassport(rt.config.jwt, createPrincipalLoader()),
    knownPermissions: PERMISSION_CODES,
    readiness: [],
    // A machine that proves itself by a header (the real authenticator is tested in mobile-money).
    clients: {
      verify: async (req) => {
        if (req.get('x-machine') !== 'yes') throw problems.unauthenticated('no machine');
        return { id: 77, clientId: 'probe', name: 'Probe', scopes: new Set([MACHINE_SCOPE]) };
      },
    },
    routes: [
      defineRoute({
        method: 'get',
        path: '/probe/employee',
        summary: 'who acts',
        access: { authenticated: true },
        handler: (req) => ({ body: { actor: { ...req.actor, permissions: [...req.actor!.permissions] }, employee: employeeOf(req).employeeId } }),
      }),
      defineRoute({
        method: 'get',
        path: '/probe/machine',
        summary: 'which machine acts',
        access: { client: MACHINE_SCOPE },
        handler: (req) => ({ body: { actor: { ...req.actor, permissions: [...req.actor!.permissions] } } }),
      }),
      defineRoute({
        method: 'get',
        path: '/probe/machine-as-employee',
        summary: 'a handler wanting an employee on a client route',
        access: { client: MACHINE_SCOPE },
        handler: (req) => ({ body: { employee: employeeOf(req).employeeId } }),
      }),
      defineRoute({
        method: 'post',
        path: '/probe/audit',
        summary: 'records an audit row after reading a body',
        access: { authenticated: true },
        body: Joi.object<{ note: string }, true>({ note: Joi.string().required() }),
        handler: async (req) => {
          const entityId = Math.floor(Math.random() * 1e9);
          await withTransaction(rt.sequelize, (t) =>
            audit.record(t, { actor: req.actor!, action: 'probe.audit', entity: 'probes', entityId, after: { note: req.valid.body.note } }),
          );
          return { body: { entityId, context: currentRequest() ?? null } };
        },
      }),
    ],
  });
}

describe('platform: one actor, one audit write, one outbox write', () => {
  let app: Express;
  before(async () => {
    app = await probeApp();
  });

  describe('req.actor', () => {
    it('is the employee, with their regions and permissions, on an employee route', async () => {
      const region = await createRegion();
      const { user, token } = await loginAs('agent', { regionIds: [region.id] });
      const r = await supertest(app).get('/api/v1/probe/employee').set('Authorization', `Bearer ${token}`);
      expect(r.status).to.equal(200);
      expect(r.body.actor).to.include({ kind: 'employee', employeeId: user.employee.id });
      expect(r.body.employee).to.equal(user.employee.id);
      expect(r.body.actor.permissions).to.include('customers:write').and.not.include('customers:kyc');
      expect(r.body.actor.scope).to.deep.equal({ all: false, regionIds: [region.id] });
      const { token: head } = await loginAs('back_office');
      const all = await supertest(app).get('/api/v1/probe/employee').set('Authorization', `Bearer ${head}`);
      expect(all.body.actor.scope).to.deep.equal({ all: true });
    });

    it('is the API client on a client route: no employee, no region', async () => {
      const r = await supertest(app).get('/api/v1/probe/machine').set('x-machine', 'yes');
      expect(r.status).to.equal(200);
      expect(r.body.actor).to.deep.equal({
        kind: 'client',
        employeeId: null,
        clientId: 77,
        scope: { all: false, regionIds: [] },
        permissions: [MACHINE_SCOPE],
      });
    });

    it('employeeOf on a route an API client called is a 401, not a guess; no token is a 401 before any handler', async () => {
      const machine = await supertest(app).get('/api/v1/probe/machine-as-employee').set('x-machine', 'yes');
      expect(machine.status).to.equal(401);
      expect(machine.body.status).to.equal(401);
      const anonymous = await supertest(app).get('/api/v1/probe/employee');
      expect(anonymous.status).to.equal(401);
    });
  });

  describe('audit.record', () => {
    it('takes the IP, user agent and request id of the real request (after its body was read), and the actor as userId', async () => {
      const { user, token } = await loginAs('back_office');
      const ip = freshIp();
      const requestId = `probe-${randomUUID()}`;
      const r = await supertest(app)
        .post('/api/v1/probe/audit')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Forwarded-For', ip)
        .set('User-Agent', 'p1-probe/1.0')
        .set('X-Request-Id', requestId)
        .send({ note: 'hello' });
      expect(r.status).to.equal(200);
      expect(r.body.context).to.deep.equal({ ip, userAgent: 'p1-probe/1.0', requestId });
      const row = await SystemLog.findOne({ where: { entity: 'probes', entityId: r.body.entityId } });
      expect(row).to.not.equal(null);
      expect(row!.get({ plain: true })).to.include({ userId: user.employee.id, action: 'probe.audit', ipAddress: ip, userAgent: 'p1-probe/1.0', requestId });
      expect(row!.newValues).to.deep.equal({ note: 'hello' });
      expect(row!.oldValues).to.equal(null);
    });

    it('concurrent requests each keep their own context', async () => {
      const { token } = await loginAs('back_office');
      const ids = Array.from({ length: 8 }, () => `probe-${randomUUID()}`);
      const answers = await Promise.all(
        ids.map((id, i) =>
          supertest(app)
            .post('/api/v1/probe/audit')
            .set('Authorization', `Bearer ${token}`)
            .set('X-Request-Id', id)
            .set('User-Agent', `ua-${i}`)
            .send({ note: `n${i}` }),
        ),
      );
      const rows = await SystemLog.findAll({ where: { entity: 'probes', entityId: { [Op.in]: answers.map((a) => a.body.entityId) } } });
      expect(rows).to.have.length(8);
      for (const [i, a] of answers.entries()) {
        const row = rows.find((x) => x.entityId === a.body.entityId)!;
        expect([row.requestId, row.userAgent, row.newValues]).to.deep.equal([ids[i], `ua-${i}`, { note: `n${i}` }]);
      }
    });

    it('an existing workflow (closing a fiscal period) records the caller, IP, user agent and request id', async () => {
      const market = await createMarket({ businessDate: '2026-11-20' });
      const period = await FiscalPeriod.create({
        name: `${market.country.code} 2026-11`,
        startDate: '2026-11-01',
        endDate: '2026-11-30',
        countryId: market.country.id,
      });
      const { user, token } = await loginAs('finance');
      const ip = freshIp();
      const requestId = `close-${randomUUID()}`;
      const closed = await call('post', `/fiscal-periods/${period.id}/close`, token, undefined, {
        'X-Forwarded-For': ip,
        'User-Agent': 'finance-ui/2',
        'X-Request-Id': requestId,
      });
      expect(closed.status).to.equal(200);
      const row = await SystemLog.findOne({ where: { entity: 'fiscalPeriods', entityId: period.id, action: 'fiscalPeriod.close' } });
      expect(row!.get({ plain: true })).to.include({ userId: user.employee.id, ipAddress: ip, userAgent: 'finance-ui/2', requestId });
    });

    it('outside a request (a job, the CLI) the request fields are null; a null actor is the system', async () => {
      const rt = await testRuntime();
      const entityId = Math.floor(Math.random() * 1e9);
      await withTransaction(rt.sequelize, (t) =>
        audit.record(t, { actor: null, action: 'probe.job', entity: 'probes', entityId, before: { a: 1 }, after: { a: 2 } }),
      );
      const row = await SystemLog.findOne({ where: { entity: 'probes', entityId } });
      expect(row!.get({ plain: true })).to.include({ userId: null, action: 'probe.job', ipAddress: null, userAgent: null, requestId: null });
      expect([row!.oldValues, row!.newValues]).to.deep.equal([{ a: 1 }, { a: 2 }]);
    });

    it('is written in the caller transaction: a rollback leaves no row', async () => {
      const rt = await testRuntime();
      const entityId = Math.floor(Math.random() * 1e9);
      const failed = await withTransaction(rt.sequelize, async (t) => {
        await audit.record(t, { actor: null, action: 'probe.rollback', entity: 'probes', entityId });
        throw new Error('the change failed');
      }).catch((err: Error) => err.message);
      expect(failed).to.equal('the change failed');
      expect(await SystemLog.count({ where: { entity: 'probes', entityId } })).to.equal(0);
    });
  });

  describe('integrations.enqueue', () => {
    it('writes one pending row per target the configuration names for the event, never a caller-chosen one', async () => {
      const rt = await testRuntime();
      const events = Object.keys(OUTBOX_ROUTES) as OutboxEvent[];
      const id = Math.floor(Math.random() * 1e9);
      // accountId: the targets that keep an account's state file money events under the account (targets.ts STATE_TRANSFER).
      const accountId = id + 7;
      await withTransaction(rt.sequelize, async (t) => {
        for (const event of events) await integrations.enqueue(t, { aggregate: 'probe', id, event, payload: { event, amount: '10.50', accountId } });
      });
      const rows = await SyncOutbox.findAll({
        where: {
          [Op.or]: [
            { aggregateType: 'probe', aggregateId: id },
            { aggregateType: 'account', aggregateId: accountId },
          ],
        },
        order: [['id', 'ASC']],
      });
      expect(rows.map((r) => [r.eventType, r.target])).to.deep.equal(events.flatMap((e) => OUTBOX_ROUTES[e].map((target) => [e, target])));
      expect(rows.find((r) => r.eventType === 'account.opened')!.target).to.equal('salesforce');
      expect(rows.find((r) => r.eventType === 'payment.completed')!.target).to.equal('netsuite');
      for (const r of rows) {
        const filedUnder = STATE_TRANSFER[r.target]?.[r.eventType as OutboxEvent];
        expect([r.aggregateType, r.aggregateId]).to.deep.equal(filedUnder ? [filedUnder, accountId] : ['probe', id]);
        expect(r.get({ plain: true })).to.include({ status: 'pending', attempts: 0, lastError: null, processedAt: null });
        expect(r.payload).to.deep.equal({ event: r.eventType, amount: '10.50', accountId });
        expect(r.availableAt).to.be.instanceOf(Date);
      }
    });

    it('a payload left out is an empty object; a rollback leaves no row', async () => {
      const rt = await testRuntime();
      const id = Math.floor(Math.random() * 1e9);
      await withTransaction(rt.sequelize, (t) => integrations.enqueue(t, { aggregate: 'probe', id, event: 'customer.created' }));
      const [row] = await SyncOutbox.findAll({ where: { aggregateType: 'probe', aggregateId: id } });
      expect(row!.payload).to.deep.equal({});
      const gone = id + 1;
      await withTransaction(rt.sequelize, async (t) => {
        await integrations.enqueue(t, { aggregate: 'probe', id: gone, event: 'customer.updated', payload: {} });
        throw new Error('rolled back');
      }).catch(() => undefined);
      expect(await SyncOutbox.count({ where: { aggregateType: 'probe', aggregateId: gone } })).to.equal(0);
    });

    it('a money event for a state-transfer target without the accountId it is filed under is a programming error, and writes nothing', async () => {
      const rt = await testRuntime();
      const id = Math.floor(Math.random() * 1e9);
      const err = await withTransaction(rt.sequelize, (t) =>
        integrations.enqueue(t, { aggregate: 'probe', id, event: 'payment.completed', payload: {} }),
      ).catch((e: Error) => e.message);
      expect(err).to.equal('outbox event payment.completed for salesforce needs payload.accountId (it is filed under the account)');
      expect(await SyncOutbox.count({ where: { aggregateType: 'probe', aggregateId: id } })).to.equal(0);
    });
  });
});
