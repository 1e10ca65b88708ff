import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { Op, QueryTypes, type Sequelize } from 'sequelize';
import { SystemLog } from '../../src/modules/audit/models';
import { OutboxDrain } from '../../src/modules/integrations/drain';
import { SyncOutbox } from '../../src/modules/integrations/models';
import { setSyncTargetForTests } from '../../src/modules/integrations/registry';
import type { SyncTarget } from '../../src/modules/integrations/sync-target';
import { JobRun } from '../../src/modules/operations/models';
import { createLogger } from '../../src/platform/logging/logger';
import { loginAs, testRuntime } from '../support/app';
import { testEnv } from '../support/env';
import { call } from '../lending/support';
import { createCustomer, createMarket } from '../support/lending';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'amt.cjs');

function runAmt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 120_000, env: testEnv() }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function insertRow(sequelize: Sequelize, row: { target: string; status: string; aggregateId: number; lastError?: string | null; minutesAgo?: number }) {
  const at = new Date(Date.now() - (row.minutesAgo ?? 0) * 60_000);
  const created = await SyncOutbox.create({
    aggregateType: 'customer',
    aggregateId: row.aggregateId,
    eventType: 'customer.updated',
    payload: {},
    target: row.target as 'netsuite',
    status: row.status as 'pending',
    attempts: row.status === 'failed' ? 10 : 0,
    availableAt: at,
    lastError: row.lastError ?? null,
    processedAt: row.status === 'done' ? at : null,
  });
  // Sequelize stamps the timestamps itself on create: set them as of `at`.
  const utc = at.toISOString().slice(0, 19).replace('T', ' ');
  await sequelize.query('UPDATE syncOutbox SET createdAt = ?, updatedAt = ? WHERE id = ?', { replacements: [utc, utc, created.id] });
  return created.reload();
}

describe('integrations: operations routes and the amt sync commands', function () {
  // Each amt command is a process of its own (tsx, a runtime): slow on a busy machine.
  this.timeout(600_000);
  let sequelize: Sequelize;
  let admin: string;
  let finance: string;
  let agent: string;
  let backOffice: string;

  before(async () => {
    sequelize = (await testRuntime()).sequelize;
    ({ token: admin } = await loginAs('admin'));
    ({ token: finance } = await loginAs('finance'));
    ({ token: agent } = await loginAs('agent'));
    ({ token: backOffice } = await loginAs('back_office'));
  });

  beforeEach(async () => {
    await sequelize.query('DELETE FROM syncOutbox', { type: QueryTypes.DELETE });
  });

  afterEach(async () => {
    setSyncTargetForTests(sequelize, 'salesforce', null);
  });

  it('GET /integrations/status: per target backlog, oldest age, dead, last success and error, paused, driver', async () => {
    await insertRow(sequelize, { target: 'netsuite', status: 'pending', aggregateId: 1, minutesAgo: 10 });
    await insertRow(sequelize, { target: 'netsuite', status: 'pending', aggregateId: 2, minutesAgo: 1, lastError: '503 from NetSuite' });
    await insertRow(sequelize, { target: 'netsuite', status: 'failed', aggregateId: 3, minutesAgo: 5, lastError: 'INVALID_FLD_VALUE' });
    await insertRow(sequelize, { target: 'netsuite', status: 'done', aggregateId: 4, minutesAgo: 2 });
    const paused: SyncTarget = {
      name: 'salesforce',
      batchSize: 200,
      push: async (items) => items.map(() => ({ status: 'done' as const })),
      pauseState: async () => ({ paused: true, reason: 'API usage 91% of the daily limit' }),
    };
    setSyncTargetForTests(sequelize, 'salesforce', paused);
    const res = await call('get', '/integrations/status', finance);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const [ns, sf] = res.body.targets;
    expect(ns).to.deep.include({ target: 'netsuite', driver: 'log', pending: 2, processing: 0, dead: 1, paused: false, pausedReason: null });
    expect(ns.oldestPendingAgeSeconds, JSON.stringify(res.body)).to.be.at.least(590);
    expect(ns.lastError).to.deep.include({ message: '503 from NetSuite' });
    expect(Date.parse(ns.lastSuccessAt)).to.be.below(Date.now() - 60_000);
    expect(sf).to.deep.include({
      target: 'salesforce',
      driver: 'salesforce',
      pending: 0,
      dead: 0,
      paused: true,
      pausedReason: 'API usage 91% of the daily limit',
    });
    expect(sf.oldestPendingAt).to.equal(null);
  });

  it('permissions (integrations:read / integrations:write, finance has both): agents and back office get 403, no token is a 401', async () => {
    const dead = await insertRow(sequelize, { target: 'netsuite', status: 'failed', aggregateId: 5, lastError: 'x' });
    for (const token of [agent, backOffice]) {
      expect((await call('get', '/integrations/status', token)).status).to.equal(403);
      expect((await call('get', '/integrations/dead', token)).status).to.equal(403);
      expect((await call('post', `/integrations/dead/${dead.id}/retry`, token)).status).to.equal(403);
    }
    expect((await call('get', '/integrations/status', undefined)).status).to.equal(401);
    expect((await call('post', `/integrations/dead/${dead.id}/retry`, undefined)).status).to.equal(401);
    expect((await dead.reload()).status).to.equal('failed');
    expect((await call('get', '/integrations/dead', finance)).status).to.equal(200);
    expect((await call('post', `/integrations/dead/${dead.id}/retry`, finance)).status).to.equal(202);
  });

  it('GET /integrations/dead pages by cursor and filters by target; bad input is a 400 naming the field', async () => {
    for (let i = 1; i <= 5; i++)
      await insertRow(sequelize, { target: i % 2 ? 'netsuite' : 'salesforce', status: 'failed', aggregateId: 10 + i, lastError: `e${i}` });
    await insertRow(sequelize, { target: 'netsuite', status: 'pending', aggregateId: 99 });
    const first = await call('get', '/integrations/dead?limit=2', admin);
    expect(first.status).to.equal(200);
    expect(first.body.data.map((r: { aggregateId: number }) => r.aggregateId)).to.deep.equal([11, 12]);
    const second = await call('get', `/integrations/dead?limit=2&cursor=${first.body.page.nextCursor}`, admin);
    expect(second.body.data.map((r: { aggregateId: number }) => r.aggregateId)).to.deep.equal([13, 14]);
    const ns = await call('get', '/integrations/dead?target=netsuite', admin);
    expect(ns.body.data.map((r: { aggregateId: number; lastError: string }) => [r.aggregateId, r.lastError])).to.deep.equal([
      [11, 'e1'],
      [13, 'e3'],
      [15, 'e5'],
    ]);
    expect(ns.body.page.nextCursor).to.equal(null);
    const bad = await call('get', '/integrations/dead?target=webhook', admin);
    expect(bad.status).to.equal(400);
    expect(JSON.stringify(bad.body)).to.contain('target');
    expect((await call('get', '/integrations/dead?cursor=nonsense', admin)).status).to.equal(400);
    expect((await call('get', '/integrations/dead?limit=0', admin)).status).to.equal(400);
  });

  it('POST /integrations/dead/:id/retry: back to pending with attempts 0 (audited); 404 unknown, 409 not dead, 400 bad id; then drained', async () => {
    const dead = await insertRow(sequelize, { target: 'netsuite', status: 'failed', aggregateId: 21, lastError: 'INVALID_FLD_VALUE' });
    const pending = await insertRow(sequelize, { target: 'netsuite', status: 'pending', aggregateId: 22 });
    const res = await call('post', `/integrations/dead/${dead.id}/retry`, admin);
    expect(res.status, JSON.stringify(res.body)).to.equal(202);
    expect(res.body).to.deep.equal({ id: dead.id, status: 'pending' });
    await dead.reload();
    expect(dead).to.deep.include({ status: 'pending', attempts: 0 });
    expect(await SystemLog.count({ where: { action: 'sync.retry', entity: 'syncOutbox', entityId: dead.id } })).to.equal(1);
    expect((await call('post', `/integrations/dead/${dead.id}/retry`, admin)).status).to.equal(409);
    expect((await call('post', `/integrations/dead/${pending.id}/retry`, admin)).status).to.equal(409);
    expect((await call('post', '/integrations/dead/2147483000/retry', admin)).status).to.equal(404);
    const bad = await call('post', '/integrations/dead/abc/retry', admin);
    expect(bad.status).to.equal(400);
    expect(JSON.stringify(bad.body)).to.contain('id');
    // The drain (log driver) takes the retried row.
    const rt = await testRuntime();
    const r = await new OutboxDrain({ sequelize, config: rt.config.sync, logger: createLogger('silent') }).drain({
      name: 'netsuite',
      batchSize: 10,
      push: async (items) => items.map(() => ({ status: 'done' as const })),
    });
    expect(r.done).to.equal(2);
  });

  it('amt sync status, retry (--id / --all-dead, wrong target refused), resend', async () => {
    const market = await createMarket();
    const customer = await createCustomer(market.region.id);
    const d1 = await insertRow(sequelize, { target: 'netsuite', status: 'failed', aggregateId: 31, lastError: 'bad email' });
    await insertRow(sequelize, { target: 'netsuite', status: 'failed', aggregateId: 32, lastError: 'bad phone' });
    const sfDead = await insertRow(sequelize, { target: 'salesforce', status: 'failed', aggregateId: 33, lastError: 'x' });

    const status = await runAmt(['sync', 'status', '--json']);
    expect(status.code, status.stderr).to.equal(0);
    const parsed = JSON.parse(status.stdout) as { targets: { target: string; dead: number }[] };
    expect(parsed.targets.map((t) => [t.target, t.dead])).to.deep.equal([
      ['netsuite', 2],
      ['salesforce', 1],
    ]);

    const wrong = await runAmt(['sync', 'retry', '--target', 'netsuite', '--id', String(sfDead.id)]);
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.contain(`outbox row ${sfDead.id} is for salesforce, not netsuite`);
    const neither = await runAmt(['sync', 'retry', '--target', 'netsuite']);
    expect(neither.code).to.equal(1);
    expect(neither.stderr).to.contain('give either --id <n> or --all-dead');
    const badTarget = await runAmt(['sync', 'retry', '--target', 'sap', '--all-dead']);
    expect(badTarget.code).to.equal(1);
    expect(badTarget.stderr).to.contain('expected one of netsuite, salesforce');

    const one = await runAmt(['sync', 'retry', '--target', 'netsuite', '--id', String(d1.id)]);
    expect(one.code, one.stderr).to.equal(0);
    expect(one.stdout).to.contain(`1 dead row(s) of netsuite back to pending: ${d1.id}`);
    const notDead = await runAmt(['sync', 'retry', '--target', 'netsuite', '--id', String(d1.id)]);
    expect(notDead.code).to.equal(1);
    expect(notDead.stderr).to.contain('not dead');
    const all = await runAmt(['sync', 'retry', '--target', 'netsuite', '--all-dead']);
    expect(all.stdout).to.contain('1 dead row(s) of netsuite back to pending');
    expect(await SyncOutbox.count({ where: { status: 'failed' } })).to.equal(1); // salesforce's

    const resend = await runAmt(['sync', 'resend', '--entity', `customer:${customer.id}`]);
    expect(resend.code, resend.stderr).to.equal(0);
    const rows = await SyncOutbox.findAll({
      where: { aggregateType: 'customer', aggregateId: customer.id, eventType: 'customer.updated' },
      order: [['id', 'ASC']],
    });
    expect(rows.map((r) => r.target)).to.deep.equal(['netsuite', 'salesforce']);
    const missing = await runAmt(['sync', 'resend', '--entity', 'customer:2147483000']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain('customer was not found');
    const malformed = await runAmt(['sync', 'resend', '--entity', 'customer']);
    expect(malformed.code).to.equal(1);
    expect(malformed.stderr).to.contain('expected <entity>:<id>');
    const noNetsuiteAccounts = await runAmt(['sync', 'resend', '--entity', 'account:1', '--target', 'netsuite']);
    expect(noNetsuiteAccounts.code).to.equal(1);
  });

  it('amt sync backfill files every record in keyset pages, resumes from its stored cursor, and --restart starts over', async () => {
    const market = await createMarket();
    for (let i = 0; i < 5; i++) await createCustomer(market.region.id);
    const total = (await sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM customers', { type: QueryTypes.SELECT }))[0]!.n;
    await JobRun.destroy({ where: { jobName: { [Op.like]: 'sync-backfill:%' } } });
    // A run that stopped part way: its cursor says where it got to.
    const [{ id: middle }] = await sequelize.query<{ id: number }>('SELECT id FROM customers ORDER BY id LIMIT 1 OFFSET 2', { type: QueryTypes.SELECT });
    await JobRun.create({ jobName: 'sync-backfill:salesforce:customer', status: 'failed', startedAt: new Date(), counts: { lastId: middle!, filed: 3 } });
    const resumed = await runAmt(['sync', 'backfill', '--target', 'salesforce', '--entity', 'customer', '--page-size', '2', '--no-progress']);
    expect(resumed.code, resumed.stderr).to.equal(0);
    const summary = JSON.parse(resumed.stdout.trim().split('\n').at(-1)!) as { filed: number; thisRun: number; resumedFrom: number };
    expect(summary).to.deep.include({ filed: Number(total), thisRun: Number(total) - 3, resumedFrom: middle });
    const filed = await SyncOutbox.findAll({ where: { target: 'salesforce', aggregateType: 'customer' }, order: [['aggregateId', 'ASC']] });
    expect(filed).to.have.length(Number(total) - 3);
    expect(filed.every((r) => r.aggregateId > middle! && r.eventType === 'customer.updated')).to.equal(true);
    expect((await JobRun.findOne({ where: { jobName: 'sync-backfill:salesforce:customer' }, order: [['id', 'DESC']] }))!.status).to.equal('succeeded');
    // Finished: a plain run starts a new pass; --restart too (both from the first record).
    const again = await runAmt(['sync', 'backfill', '--target', 'salesforce', '--entity', 'customer', '--restart', '--page-size', '1000']);
    expect(again.code, again.stderr).to.equal(0);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!)).to.deep.include({ thisRun: Number(total), resumedFrom: 0 });
    const refused = await runAmt(['sync', 'backfill', '--target', 'netsuite', '--entity', 'account']);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain('netsuite does not keep account records');
    const badPage = await runAmt(['sync', 'backfill', '--target', 'salesforce', '--entity', 'customer', '--page-size', '0']);
    expect(badPage.code).to.equal(1);
  });
});
