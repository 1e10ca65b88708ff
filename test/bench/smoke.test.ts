import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/env';

/**
 * Every bench at its --smoke size, as a child process, the three side by side: it must exit 0
 * and end with its JSON line, with the figures of a run that worked. A bench broken by a change
 * elsewhere (bench:payments was, by the CHECK installmentSchedules_unpaid_owes) fails the suite.
 * Each bench builds its own databases (migrated and seeded by sequelize-cli, most of a smoke run's
 * time); here they are named after the test database (<test db>_bench_smoke_*), so they never
 * meet a real bench's amt_bench* databases nor another test run's.
 */
const ROOT = path.resolve(__dirname, '..', '..');

function databaseUrl(name: string): string {
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}
const testDb = new URL(TEST_DATABASE_URL).pathname.slice(1);
const DATABASES = {
  payments: `${testDb}_bench_smoke_payments`,
  callbacks: `${testDb}_bench_smoke_callbacks`,
  overdue: `${testDb}_bench_smoke_overdue`,
  sync: `${testDb}_bench_smoke_sync`,
  syncFeed: `${testDb}_bench_smoke_sync_feed`,
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

function runBench(script: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', script, '--smoke'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, TZ: process.env.TZ, BENCH_REDIS_URL: TEST_REDIS_URL, BENCH_LOG_LEVEL: 'error', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(last) as Record<string, unknown>;
      } catch {
        /* asserted below */
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

const explain = (name: string, r: Run) => `${name} exited ${r.code}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;

describe('benchmarks: every bench runs at its --smoke size', function () {
  // Three sequelize-cli migrations side by side on a shared server: tens of seconds.
  // bench:sync's drain and NetSuite phases added a few seconds; under a load average of ~20 on two
  // cores the four benches together passed 300 s.
  this.timeout(600_000);
  const runs: Partial<Record<keyof typeof DATABASES, Run>> = {};

  before(async () => {
    const [payments, callbacks, overdue] = await Promise.all([
      runBench('bench/payments.ts', { BENCH_DATABASE_URL: databaseUrl(DATABASES.payments) }),
      runBench('bench/callbacks.ts', { BENCH_DATABASE_URL: databaseUrl(DATABASES.callbacks) }),
      runBench('bench/overdue.ts', { BENCH_OVERDUE_DATABASE_URL: databaseUrl(DATABASES.overdue) }),
    ]);
    // After the others, not beside them: a fourth migration and generator at once slowed the API start of bench:payments past its limit on a busy machine.
    const sync = await runBench('bench/sync.ts', { BENCH_SYNC_DATABASE_URL: databaseUrl(DATABASES.sync) });
    const syncFeed = await runBench('bench/sync-feed.ts', { BENCH_SYNC_FEED_DATABASE_URL: databaseUrl(DATABASES.syncFeed) });
    Object.assign(runs, { payments, callbacks, overdue, sync, syncFeed });
  });

  after(async () => {
    const u = new URL(TEST_DATABASE_URL);
    const conn = await mysql.createConnection({
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
    });
    try {
      for (const name of [...Object.values(DATABASES), `${DATABASES.overdue}_copy`]) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await conn.end();
    }
  });

  it('bench:payments: zero-down accounts, every phase, every payment posted once, books balanced', () => {
    const r = runs.payments!;
    expect(r.code, explain('bench:payments', r)).to.equal(0);
    expect(r.json, explain('bench:payments', r)).to.include.all.keys(
      'payments',
      'rawTps',
      'apiTps',
      'ratio',
      'apiP50Ms',
      'apiP99Ms',
      'warmUp',
      'apiPosted',
      'unbalanced',
      'statementTps',
      'appRatio',
      'roundTrips',
      'openLoopRate',
      'openLoopP50Ms',
      'openLoopP99Ms',
    );
    const j = r.json as Record<string, number>;
    expect({
      rawErrors: j.rawErrors,
      statementErrors: j.statementErrors,
      apiErrors: j.apiErrors,
      openLoopErrors: j.openLoopErrors,
      unbalanced: j.unbalanced,
    }).to.deep.equal({
      rawErrors: 0,
      statementErrors: 0,
      apiErrors: 0,
      openLoopErrors: 0,
      unbalanced: 0,
    });
    // The counting proxy saw at least BEGIN, the lock, one write and COMMIT per payment.
    expect(j.roundTrips).to.be.a('number').and.at.least(4);
    expect(j.payments).to.be.greaterThan(0);
    expect(j.apiPosted, 'every payment of every phase (warm-up, measured, open loop, counted), each once').to.equal(j.apiExpected);
    expect(j.apiExpected).to.be.greaterThan(j.payments + j.warmUp);
    for (const k of ['rawTps', 'statementTps', 'apiTps', 'ratio', 'appRatio', 'apiP50Ms', 'apiP99Ms', 'openLoopP50Ms', 'openLoopP99Ms'] as const)
      expect(j[k], k).to.be.a('number').and.greaterThan(0);
  });

  it('bench:callbacks: every confirmation stored, posted and tokened once', () => {
    const r = runs.callbacks!;
    expect(r.code, explain('bench:callbacks', r)).to.equal(0);
    expect(r.json, explain('bench:callbacks', r)).to.include.all.keys(
      'callbacks',
      'rawTps',
      'callbacksPerSec',
      'ratio',
      'p99Ms',
      'stored',
      'posted',
      'payments',
      'tokens',
      'paymentsApiTps',
      'callbackRatio',
      'openLoopRate',
      'openLoopP50Ms',
      'openLoopP99Ms',
      'minted',
    );
    const j = r.json as Record<string, number>;
    expect(j.callbacks).to.be.greaterThan(0);
    expect({
      errors: j.errors,
      rawErrors: j.rawErrors,
      paymentsErrors: j.paymentsErrors,
      openLoopErrors: j.openLoopErrors,
      stored: j.stored,
      posted: j.posted,
      payments: j.payments,
      tokens: j.tokens,
    }).to.deep.equal({
      errors: 0,
      rawErrors: 0,
      paymentsErrors: 0,
      openLoopErrors: 0,
      stored: j.callbacks,
      posted: j.callbacks,
      payments: j.callbacks,
      tokens: j.callbacks,
    });
    expect(j.minted).to.equal(j.tokens);
    for (const k of ['rawTps', 'paymentsApiTps', 'callbacksPerSec', 'ratio', 'callbackRatio', 'p99Ms', 'openLoopP99Ms'] as const)
      expect(j[k], k).to.be.a('number').and.greaterThan(0);
  });

  it('bench:overdue: generates, copies, restores, closes, and the close agrees with the raw statements', () => {
    const r = runs.overdue!;
    expect(r.code, explain('bench:overdue', r)).to.equal(0);
    expect(r.json, explain('bench:overdue', r)).to.include.all.keys(
      'accounts',
      'installments',
      'closedAccounts',
      'rawSeconds',
      'jobSeconds',
      'ratio',
      'peakRssMb',
      'mismatch',
      'collectionsSeconds',
      'collectionsShare',
    );
    const j = r.json as Record<string, number | boolean>;
    expect(j.mismatch).to.equal(false);
    expect(j.collectionsSeconds, 'the collections step ran').to.be.a('number').and.greaterThan(0);
    expect(j.collectionsShare).to.be.a('number').and.greaterThan(0).and.lessThan(1);
    expect(r.stdout).to.match(/open collection cases/);
    expect(j.accounts).to.be.a('number').and.greaterThan(0);
    expect(j.closedAccounts, 'the close reached every account').to.equal(j.accounts);
    expect(j.installments as number).to.be.greaterThan((j.accounts as number) * 2);
    expect(r.stdout).to.match(/0 instalment statuses and 0 DPD\/bucket values differ/);
  });

  it('bench:sync: every customer and PAYG account upserted into the Salesforce fake once against a measured ceiling; payments drained; NetSuite under its concurrency limit', () => {
    const r = runs.sync!;
    expect(r.code, explain('bench:sync', r)).to.equal(0);
    expect(r.json, explain('bench:sync', r)).to.include.all.keys(
      'records',
      'seconds',
      'recordsPerSec',
      'ceilingRecordsPerSec',
      'ratio',
      'requests',
      'recordsPerRequest',
      'peakRssMb',
      'netsuiteMaxConcurrency',
    );
    const j = r.json as Record<string, number>;
    expect(j.records).to.be.greaterThan(0);
    for (const k of ['recordsPerSec', 'ceilingRecordsPerSec', 'ratio', 'requests', 'recordsPerRequest', 'peakRssMb'] as const) {
      expect(j[k], k).to.be.a('number').and.greaterThan(0);
    }
    // The drain phase: every payment's two rows done (the bench fails otherwise), coalesced per account.
    const drain = r.json.drain as Record<string, number>;
    expect(drain.rows).to.equal(drain.payments * 2);
    expect(drain.salesforceItems).to.be.greaterThan(0).and.at.most(drain.payments);
    expect(drain.ratio).to.be.a('number').and.greaterThan(0);
    // The NetSuite phase: every customer upserted, never more requests at once than the limit.
    const netsuite = r.json.netsuite as Record<string, number>;
    expect(netsuite.customers).to.be.greaterThan(0);
    expect(j.netsuiteMaxConcurrency).to.be.a('number').and.greaterThan(0).and.at.most(netsuite.concurrencyLimit);
    expect(r.stdout).to.match(/^drain: \d+ outbox rows of \d+ payments/m);
  });

  it("bench:sync-feed: every agent's full and incremental sync through the API and directly, each payment in one agent's feed", () => {
    const r = runs.syncFeed!;
    expect(r.code, explain('bench:sync-feed', r)).to.equal(0);
    expect(r.json, explain('bench:sync-feed', r)).to.have.all.keys(
      'agents',
      'fullP50Ms',
      'fullP99Ms',
      'incrementalP50Ms',
      'incrementalP99Ms',
      'fullRatio',
      'incrementalRatio',
    );
    const j = r.json as Record<string, number>;
    expect(j.agents).to.be.greaterThan(1);
    for (const k of ['fullP50Ms', 'fullP99Ms', 'incrementalP50Ms', 'incrementalP99Ms', 'fullRatio', 'incrementalRatio'] as const)
      expect(j[k], k).to.be.a('number').and.greaterThan(0);
    expect(r.stdout).to.match(/every payment in exactly one agent's feed/);
  });
});
