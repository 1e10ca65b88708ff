/**
 * bench:payments: how close the full payment path comes to the database's own ceiling.
 *
 *  (a) raw ceiling: mysql2 directly, 32 connections; per payment: BEGIN, lock the account row,
 *      insert the payment, update the balance, insert a journal entry with two lines, COMMIT.
 *  (a') the same database statements the API path runs for one payment, in the same 6 round trips (multi-statement queries), mysql2
 *      directly: no HTTP, no application code. Printed for diagnosis: it bounds (b) on this machine.
 *  (b) the real API in its own process (as deployed): 32 concurrent HTTP clients, authenticated,
 *      each POST /api/v1/payments with an Idempotency-Key, doing allocation, ledger, receipt and
 *      outbox. appRatio = (b) / (a'): what the application keeps of its own statements' ceiling.
 *  (c) open loop: --rate new payments a second for --seconds (default 100/s for 30 s) against the same
 *      API, started on schedule whatever the answers; p50/p99 from each one's scheduled start.
 *  (d) round trips: a second API process reaches the database through a proxy that counts the
 *      commands it sends (bench/lib/command-counter.ts); --round-trip-payments payments one by one.
 * All run on the same freshly migrated database (accounts split in two identical sets) and the
 * last line is one JSON object with the figures. The accounts are sold on a zero-down plan through
 * AccountService.open, so they open active (no instalment 0): the bench exercises that path.
 *
 *   npm run bench:payments -- [--payments 4000] [--accounts 1000] [--concurrency 32] [--rate 100] [--seconds 30] [--round-trip-payments 100] [--smoke]
 * (--smoke: 20 payments over 4 accounts, 4 concurrent, open loop 20/s for 1 s, 5 counted payments, on
 * amt_bench_smoke_payments; fails on any error)
 */
import { randomUUID } from 'node:crypto';
import { Op, QueryTypes } from 'sequelize';
import { benchCatalogue } from './lib/catalogue';
import { freshBenchDatabase } from './lib/database';
import { SMOKE, sizeArg } from './lib/smoke';
import { round, runClosedLoop, runOpenLoop } from './lib/stats';
import { CommandCounter } from './lib/command-counter';
import { paymentsClient } from './lib/payments-client';
import { freePort, processCpuMs, startApi } from './lib/api-process';
import { rawCeiling } from './lib/raw-ceiling';
import { statementCeiling } from './lib/statement-ceiling';
import { loadConfig } from '../src/platform/config';
import { createRuntime } from '../src/runtime';
import { AccountService } from '../src/modules/accounts/account.service';
import { Account } from '../src/modules/accounts/models';
import { Customer } from '../src/modules/customers/models';

const PAYMENTS = sizeArg('payments', 4000, 20);
const ACCOUNTS = sizeArg('accounts', 1000, 4);
const CONCURRENCY = sizeArg('concurrency', 32, 4);
const WARM_UP = Math.min(SMOKE ? 4 : 300, PAYMENTS);
const OPEN_RATE = sizeArg('rate', 100, 20);
const OPEN_SECONDS = sizeArg('seconds', 30, 1);
const ROUND_TRIP_PAYMENTS = sizeArg('round-trip-payments', 100, 5);
const BASE = process.env.BENCH_DATABASE_URL ?? `mysql://root@127.0.0.1:3306/${SMOKE ? 'amt_bench_smoke_payments' : 'amt_bench'}`;
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/11';
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';

const log = (s: string) => process.stdout.write(`${s}\n`);

/** Seeds a market, a zero-down plan and 2 x ACCOUNTS accounts through the real services (active from their opening). */
async function seedAccounts(): Promise<{ raw: number[]; api: number[]; adminEmail: string }> {
  const rt = await createRuntime(loadConfig({ ...process.env, NODE_ENV: 'test', DATABASE_URL: BASE, LOG_LEVEL: 'silent', REDIS_URL: undefined }), {
    role: 'bench',
  });
  const { region, product, payplan } = await benchCatalogue();
  const service = new AccountService(rt.sequelize);
  const ids: number[] = [];
  for (let i = 0; i < ACCOUNTS * 2; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, ACCOUNTS * 2 - i) }, async () => {
        const c = await Customer.create({ firstName: 'Bench', lastName: 'Customer', phone: '+254700000000', regionId: region.id });
        return (await service.open({ customerId: c.id, productId: product.id, payplanId: payplan.id }, { all: true }, null)).id;
      }),
    );
    ids.push(...batch);
    if (ids.length % 500 === 0 || ids.length === ACCOUNTS * 2) log(`seeding accounts ${ids.length}/${ACCOUNTS * 2}`);
  }
  const notActive = await Account.count({ where: { id: ids, status: { [Op.ne]: 'active' } } });
  if (notActive > 0) throw new Error(`${notActive} zero-down accounts did not open active`);
  await rt.close();
  return { raw: ids.filter((_, i) => i % 2 === 0), api: ids.filter((_, i) => i % 2 === 1), adminEmail: 'admin@amt.local' };
}

async function apiPath(accountIds: number[], port: number, total = PAYMENTS) {
  const client = await paymentsClient(port, CONCURRENCY, `API-${randomUUID().slice(0, 8)}`);
  const result = await runClosedLoop(CONCURRENCY, total, (i) => client.post(i, accountIds[i % accountIds.length]!));
  await client.close();
  return result;
}

/** Fixed arrivals (OPEN_RATE a second for OPEN_SECONDS), whatever the answers: latency under a realistic load. */
async function openLoop(accountIds: number[], port: number) {
  const client = await paymentsClient(port, 256, `API-OPEN-${randomUUID().slice(0, 8)}`);
  const result = await runOpenLoop(OPEN_RATE, OPEN_SECONDS, (i) => client.post(i, accountIds[i % accountIds.length]!));
  await client.close();
  return result;
}

/**
 * Database round trips per payment (BEGIN and COMMIT included): a second API process, pointed at the
 * database through a counting proxy, posts ROUND_TRIP_PAYMENTS payments one after another (after a
 * few to warm its caches); the commands it sent, over the payments.
 */
async function roundTrips(accountIds: number[]): Promise<{ roundTrips: number; posted: number }> {
  const counter = await new CommandCounter({ host: new URL(BASE).hostname, port: Number(new URL(BASE).port || 3306) }).start();
  const port = await freePort();
  const api = await startApi(port, { ...apiEnv(), DATABASE_URL: counter.url(BASE), DB_POOL_MAX: '4' });
  try {
    const client = await paymentsClient(port, 1, `API-RT-${randomUUID().slice(0, 8)}`);
    const warm = 5;
    for (let i = 0; i < warm; i++) await client.post(i, accountIds[i % accountIds.length]!);
    const before = counter.commands;
    for (let i = warm; i < warm + ROUND_TRIP_PAYMENTS; i++) await client.post(i, accountIds[i % accountIds.length]!);
    const commands = counter.commands - before;
    await client.close();
    return { roundTrips: commands / ROUND_TRIP_PAYMENTS, posted: warm + ROUND_TRIP_PAYMENTS };
  } finally {
    api.kill('SIGTERM');
    await counter.close();
  }
}

/** Payments the API path left in the database (transactionRef API-<run>-*), and unbalanced journal entries. */
async function apiOutcome(): Promise<{ posted: number; unbalanced: number }> {
  const rt = await createRuntime(loadConfig({ ...process.env, NODE_ENV: 'test', DATABASE_URL: BASE, LOG_LEVEL: 'silent', REDIS_URL: undefined }), {
    role: 'bench',
  });
  const [row] = await rt.sequelize.query<{ posted: number; unbalanced: number }>(
    `SELECT (SELECT COUNT(*) FROM payments WHERE transactionRef LIKE 'API-%' AND status = 'completed') AS posted,
            (SELECT COUNT(*) FROM (SELECT l.journalEntryId FROM journalLines l GROUP BY l.journalEntryId HAVING SUM(l.debit) <> SUM(l.credit)) u) AS unbalanced`,
    { type: QueryTypes.SELECT },
  );
  await rt.close();
  return { posted: Number(row!.posted), unbalanced: Number(row!.unbalanced) };
}

/** The API process's environment, as deployed. */
function apiEnv(): Record<string, string> {
  return { NODE_ENV: 'development', DATABASE_URL: BASE, REDIS_URL: REDIS, LOG_LEVEL, DB_POOL_MAX: '32', QUEUE_PREFIX: SMOKE ? 'amt-bench-smoke' : 'amt-bench' };
}

async function main() {
  log(`bench:payments: ${PAYMENTS} payments per path, ${CONCURRENCY} concurrent, over ${ACCOUNTS} accounts each (API log level ${LOG_LEVEL})`);
  await freshBenchDatabase(BASE);
  const accounts = await seedAccounts();

  const raw = await rawCeiling({ url: BASE, concurrency: CONCURRENCY, total: PAYMENTS, accountIds: accounts.raw });
  log(`raw ceiling (mysql2): ${round(raw.tps)} payments/s, p50 ${round(raw.p50Ms, 2)} ms, p99 ${round(raw.p99Ms, 2)} ms, errors ${raw.errors}`);
  const statements = await statementCeiling({
    url: BASE,
    concurrency: CONCURRENCY,
    total: PAYMENTS,
    accountIds: accounts.raw,
    refPrefix: `STMT-${randomUUID().slice(0, 8)}`,
  });
  log(
    `the API path's statements in its 6 round trips, mysql2 directly (no HTTP, no app code): ${round(statements.tps)} payments/s, p50 ${round(statements.p50Ms, 2)} ms, p99 ${round(statements.p99Ms, 2)} ms, ` +
      `errors ${statements.errors} (${round((statements.tps / raw.tps) * 100, 1)}% of raw: the most the API can reach here)`,
  );

  const port = await freePort();
  const api = await startApi(port, apiEnv());
  try {
    // warm-up: JIT, pools, caches
    const warm = await apiPath(accounts.api, port, WARM_UP).catch(() => undefined);
    const cpuBefore = processCpuMs(api.pid);
    const full = await apiPath(accounts.api, port);
    const cpuAfter = processCpuMs(api.pid);
    // The API process's own CPU per payment: what every payment takes from the database's cores.
    const apiCpuMs = cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / (PAYMENTS - full.errors || 1);
    log(`full API path:         ${round(full.tps)} payments/s, p50 ${round(full.p50Ms, 2)} ms, p99 ${round(full.p99Ms, 2)} ms, errors ${full.errors}`);
    if (apiCpuMs !== undefined) log(`API process CPU per payment (user + system, closed loop): ${round(apiCpuMs, 2)} ms`);
    const open = await openLoop(accounts.api, port);
    log(
      `open loop at ${open.rate}/s for ${OPEN_SECONDS} s: p50 ${round(open.p50Ms, 2)} ms, p99 ${round(open.p99Ms, 2)} ms, errors ${open.errors} (target p99 < 100 ms)`,
    );
    api.kill('SIGTERM');
    const trips = await roundTrips(accounts.api);
    log(`database round trips per payment (BEGIN and COMMIT included): ${round(trips.roundTrips, 2)} (target <= 12)`);
    const ratio = full.tps / raw.tps;
    const appRatio = full.tps / statements.tps;
    log(`ratio API/raw: ${round(ratio * 100, 1)}%; API/its own statements (appRatio): ${round(appRatio * 100, 1)}% (target >= 60%)`);
    const done = await apiOutcome();
    const expected = PAYMENTS + WARM_UP - (warm?.errors ?? WARM_UP) - full.errors + open.offered - open.errors + trips.posted;
    log(`posted by the API path: ${done.posted} (expected ${expected}), unbalanced journal entries: ${done.unbalanced}`);
    log(
      JSON.stringify({
        payments: PAYMENTS,
        warmUp: WARM_UP,
        rawTps: round(raw.tps),
        statementTps: round(statements.tps),
        apiTps: round(full.tps),
        ratio: round(ratio, 3),
        appRatio: round(appRatio, 3),
        roundTrips: round(trips.roundTrips, 2),
        apiP50Ms: round(full.p50Ms, 2),
        apiP99Ms: round(full.p99Ms, 2),
        apiCpuMsPerPayment: apiCpuMs === undefined ? null : round(apiCpuMs, 2),
        openLoopRate: open.rate,
        openLoopP50Ms: round(open.p50Ms, 2),
        openLoopP99Ms: round(open.p99Ms, 2),
        rawErrors: raw.errors,
        statementErrors: statements.errors,
        apiErrors: full.errors,
        openLoopErrors: open.errors,
        apiPosted: done.posted,
        apiExpected: expected,
        unbalanced: done.unbalanced,
      }),
    );
    // A smoke run proves the bench still works: any failed payment or unbalanced entry fails it.
    if (SMOKE && (raw.errors || statements.errors || full.errors || open.errors || done.posted !== expected || done.unbalanced)) process.exitCode = 1;
  } finally {
    api.kill('SIGTERM');
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
