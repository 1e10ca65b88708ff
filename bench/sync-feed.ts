/**
 * bench:sync-feed: the offline agents' change feed (GET /api/v1/sync/changes, docs/offline-sync.md)
 * at portfolio size.
 *
 *  1. A bench database is migrated, seeded and filled by the volume generator (scripts/generate.ts)
 *     with --accounts accounts (the change-log triggers fire on every generated row, as they would).
 *  2. The portfolio is cut into --agents regions, one agent each (about accounts/agents accounts,
 *     their customers and payments per agent): accounts by id, customers and payments follow.
 *  3. The real API runs in its own process (src/server.ts). Every agent makes a first full sync
 *     (every page, --limit entities a page), timed end to end through HTTP, and the same
 *     statements run directly through mysql2 in this process (the feed's service handed a mysql2
 *     pool: no HTTP, no Sequelize, no auth), timed likewise; the API first for even agents, the
 *     direct statements first for odd ones (the first reads from disk what the second finds cached).
 *  4. Every agent catches up (untimed), --payments payments are posted through POST /payments on
 *     random accounts, and every agent makes an incremental sync, timed the same two ways. Each
 *     payment must reach exactly one agent's feed (its region's).
 *  5. The last line is JSON: agents, fullP50Ms, fullP99Ms, incrementalP50Ms, incrementalP99Ms,
 *     fullRatio and incrementalRatio (the API's total time over the direct statements' total).
 *
 *   npm run bench:sync-feed -- [--accounts 100000] [--agents 500] [--payments 5000] [--limit 1000] [--concurrency 2] [--seed 7] [--reuse] [--smoke]
 * (--reuse: time again on the database an earlier run left: no generation, same agents)
 * (--smoke: 300 accounts, 3 agents, 30 payments, pages of 50, on amt_bench_smoke_sync_feed)
 *
 * BENCH_SYNC_FEED_DATABASE_URL (default mysql://root@127.0.0.1:3306/amt_bench_sync_feed) is dropped
 * and recreated; BENCH_REDIS_URL (default redis://127.0.0.1:6379/11) is the API's Redis.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { Sequelize } from 'sequelize';
import { Agent, request } from 'undici';
import { freePort, startApi } from './lib/api-process';
import { freshBenchDatabase } from './lib/database';
import { paymentsClient } from './lib/payments-client';
import { SMOKE, sizeArg } from './lib/smoke';
import { percentile, round } from './lib/stats';
import { loadConfig } from '../src/platform/config';
import { signAccessToken } from '../src/platform/auth/jwt';
import type { EmployeeActor } from '../src/platform/auth/actor';
import { ChangeFeedService, SETTLE_SECONDS, type ChangesPage } from '../src/modules/change-feed/change-feed.service';

const ACCOUNTS = sizeArg('accounts', 100_000, 300);
const AGENTS = sizeArg('agents', 500, 3);
const PAYMENTS = sizeArg('payments', 5000, 30);
const LIMIT = sizeArg('limit', 1000, 50);
const CONCURRENCY = sizeArg('concurrency', 2, 2);
const SEED = sizeArg('seed', 7, 7);
/** --reuse: time again on the database (and agents) an earlier full run left, without generating. */
const REUSE = process.argv.includes('--reuse');
const URL_DB = process.env.BENCH_SYNC_FEED_DATABASE_URL ?? `mysql://root@127.0.0.1:3306/${SMOKE ? 'amt_bench_smoke_sync_feed' : 'amt_bench_sync_feed'}`;
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/11';

const log = (s: string) => process.stdout.write(`${s}\n`);

interface BenchAgent {
  employeeId: number;
  regionId: number;
  token: string;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args[0]} exited with ${code}`))));
  });
}

/** Each of `items` through `fn`, `concurrency` at a time, in order of start. */
async function each<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i]!, i);
    }),
  );
}

/** Regions and agents: one region and one agent per slice of the portfolio. */
async function cutPortfolio(db: mysql.Pool, jwt: ReturnType<typeof loadConfig>['jwt']): Promise<BenchAgent[]> {
  const now = new Date();
  const [[country]] = await db.query<mysql.RowDataPacket[]>("SELECT id FROM countries WHERE code = 'KE'");
  const [[role]] = await db.query<mysql.RowDataPacket[]>("SELECT id FROM roles WHERE name = 'agent'");
  const tag = randomUUID().slice(0, 6);
  const regionRows = Array.from({ length: AGENTS }, (_, i) => [`Feed region ${i + 1}`, country!.id, `FEED-${tag}-${i + 1}`, true, 0, now, now]);
  const [regions] = await db.query<mysql.ResultSetHeader>(
    'INSERT INTO companyRegions (name, countryId, code, isActive, version, createdAt, updatedAt) VALUES ?',
    [regionRows],
  );
  const firstRegion = regions.insertId;
  const t0 = Date.now();
  await db.query('UPDATE accounts SET regionId = ? + MOD(id, ?)', [firstRegion, AGENTS]);
  await db.query('UPDATE customers SET regionId = ? + MOD(id, ?)', [firstRegion, AGENTS]);
  await db.query('UPDATE customers c JOIN accounts a ON a.customerId = c.id SET c.regionId = a.regionId');
  await db.query('UPDATE payments p JOIN accounts a ON a.id = p.accountId SET p.regionId = a.regionId');
  log(`cut the portfolio into ${AGENTS} regions in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const employeeRows = Array.from({ length: AGENTS }, (_, i) => [
    `FEED-${tag}-${i + 1}`,
    'Feed',
    `Agent ${i + 1}`,
    `feed.${tag}.${i + 1}@agents.amt.example`,
    role!.id,
    true,
    now,
    now,
  ]);
  const [employees] = await db.query<mysql.ResultSetHeader>(
    'INSERT INTO employees (employeeCode, firstName, lastName, email, roleId, isActive, createdAt, updatedAt) VALUES ?',
    [employeeRows],
  );
  const agents = Array.from({ length: AGENTS }, (_, i) => ({ employeeId: employees.insertId + i, regionId: firstRegion + i }));
  await db.query('INSERT INTO employeeRegions (employeeId, regionId, createdAt, updatedAt) VALUES ?', [
    agents.map((a) => [a.employeeId, a.regionId, now, now]),
  ]);
  return agents.map((a) => ({ ...a, token: signAccessToken(jwt, a.employeeId, Number(role!.id)) }));
}

type Named = Set<string>;
function named(page: ChangesPage, into: Named): void {
  for (const [type, list] of Object.entries({
    customer: page.customers,
    account: page.accounts,
    payment: page.payments,
    token: page.tokens,
    collectionCase: page.collectionCases,
    repossession: page.repossessions,
  }))
    for (const e of list) into.add(`${type}:${String(e.id)}`);
  for (const d of page.deleted) into.add(`deleted ${d.entityType}:${d.id}`);
}

/**
 * Every page from `since` (none: a first sync) until hasMore is false, by `fetchPage`. Timed from
 * each request to its answer received: a page function may report client-side work (parsing the
 * body in this process, which shares the machine with the API) as `clientMs`, left out.
 */
async function drain(
  fetchPage: (since?: string) => Promise<ChangesPage & { clientMs?: number }>,
  since?: string,
): Promise<{ next: string; named: Named; ms: number; pages: number }> {
  const seen: Named = new Set();
  let cursor = since;
  let pages = 0;
  let ms = 0;
  for (;;) {
    const t0 = performance.now();
    const page = await fetchPage(cursor);
    ms += performance.now() - t0 - (page.clientMs ?? 0);
    pages++;
    named(page, seen);
    cursor = page.next;
    if (!page.hasMore) return { next: cursor, named: seen, ms, pages };
  }
}

/** Agents of an earlier run on the same database (--reuse): FEED-* employees and their region. */
async function earlierAgents(db: mysql.Pool, jwt: ReturnType<typeof loadConfig>['jwt']): Promise<BenchAgent[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    "SELECT e.id, e.roleId, MIN(r.regionId) AS regionId FROM employees e JOIN employeeRegions r ON r.employeeId = e.id WHERE e.employeeCode LIKE 'FEED-%' GROUP BY e.id, e.roleId ORDER BY e.id",
  );
  if (rows.length === 0) throw new Error('--reuse: no agents of an earlier run in this database');
  return rows.map((r) => ({ employeeId: Number(r.id), regionId: Number(r.regionId), token: signAccessToken(jwt, Number(r.id), Number(r.roleId)) }));
}

async function main(): Promise<void> {
  log(`bench:sync-feed ${SMOKE ? '--smoke ' : ''}accounts=${ACCOUNTS} agents=${AGENTS} payments=${PAYMENTS} limit=${LIMIT} concurrency=${CONCURRENCY}`);
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', DATABASE_URL: URL_DB, LOG_LEVEL: 'silent' };
  delete env.REDIS_URL;
  if (!REUSE) {
    await freshBenchDatabase(URL_DB, env);
    const started = Date.now();
    await run(['scripts/generate.ts', '--accounts', String(ACCOUNTS), '--seed', String(SEED), '--country', 'KE'], env);
    log(`generated ${ACCOUNTS} accounts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  const apiEnv = {
    NODE_ENV: 'development',
    DATABASE_URL: URL_DB,
    REDIS_URL: REDIS,
    LOG_LEVEL: 'warn',
    DB_POOL_MAX: '8',
    // A run on a busy machine outlasts the default 15 minutes: its tokens must not expire half way.
    ACCESS_TOKEN_TTL_SECONDS: '14400',
    QUEUE_PREFIX: SMOKE ? 'amt-bench-smoke-feed' : 'amt-bench-feed',
  };
  const config = loadConfig({ ...apiEnv });
  const db = mysql.createPool({ uri: URL_DB, connectionLimit: CONCURRENCY + 2, dateStrings: ['DATE'], timezone: 'Z' });
  const agents = REUSE ? await earlierAgents(db, config.jwt) : await cutPortfolio(db, config.jwt);
  const [[{ n: logRows }]] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM changeLog');
  log(`change log: ${String(logRows)} rows after generation`);

  // The same service the API runs, its statements through a mysql2 pool.
  const direct = new ChangeFeedService(new Sequelize(URL_DB, { dialect: 'mysql', logging: false }), async (sql, values) => {
    const [rows] = await db.query<mysql.RowDataPacket[]>(sql, values);
    return rows;
  });
  const actorOf = (a: BenchAgent): EmployeeActor => ({
    kind: 'employee',
    employeeId: a.employeeId,
    scope: { all: false, regionIds: [a.regionId] },
    permissions: new Set(['sync:read']),
  });
  const directPage = (a: BenchAgent) => (since?: string) => direct.changes(actorOf(a), { since, limit: LIMIT });

  const port = await freePort();
  const api = await startApi(port, apiEnv);
  const dispatcher = new Agent({ connections: CONCURRENCY * 2, keepAliveTimeout: 30_000 });
  const apiPage = (a: BenchAgent) => async (since?: string) => {
    const qs = new URLSearchParams({ limit: String(LIMIT), ...(since ? { since } : {}) });
    const res = await request(`http://127.0.0.1:${port}/api/v1/sync/changes?${qs.toString()}`, { dispatcher, headers: { authorization: `Bearer ${a.token}` } });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`agent ${a.employeeId}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    const t0 = performance.now();
    const page = JSON.parse(text) as ChangesPage;
    return { ...page, clientMs: performance.now() - t0 };
  };

  /** Every agent's sync through the API then directly; both must name the same entities. */
  const timeBoth = async (what: string, since: (a: BenchAgent, i: number) => string | undefined) => {
    const apiMs: number[] = [];
    const directMs: number[] = [];
    const nexts: string[] = [];
    const seen: Named[] = [];
    let pages = 0;
    await each(agents, CONCURRENCY, async (a, i) => {
      // Whichever goes first reads the agent's rows from disk (the portfolio is larger than a
      // small buffer pool), the second from memory: every other agent the direct statements go
      // first, so neither side is always the cold one.
      const apiFirst = i % 2 === 0;
      const first = await drain(apiFirst ? apiPage(a) : directPage(a), since(a, i));
      const second = await drain(apiFirst ? directPage(a) : apiPage(a), since(a, i));
      const [viaApi, viaDirect] = apiFirst ? [first, second] : [second, first];
      if ([...viaApi.named].sort().join() !== [...viaDirect.named].sort().join())
        throw new Error(`agent ${a.employeeId}: the API and the direct statements named different entities`);
      apiMs.push(viaApi.ms);
      directMs.push(viaDirect.ms);
      nexts[i] = viaApi.next;
      seen[i] = viaApi.named;
      pages += viaApi.pages;
      if (!SMOKE && (i + 1) % 50 === 0) log(`  ${what}: ${i + 1}/${agents.length} agents`);
    });
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    apiMs.sort((x, y) => x - y);
    directMs.sort((x, y) => x - y);
    const r = { p50: percentile(apiMs, 50), p99: percentile(apiMs, 99), ratio: sum(apiMs) / sum(directMs), nexts, seen };
    log(
      `${what}: ${agents.length} agents, ${pages} pages, API p50 ${round(r.p50, 1)} ms p99 ${round(r.p99, 1)} ms; ` +
        `direct p50 ${round(percentile(directMs, 50), 1)} ms p99 ${round(percentile(directMs, 99), 1)} ms; ratio ${round(r.ratio, 2)}`,
    );
    return r;
  };

  try {
    // Warm-up (JIT, pools, the principal cache): a few agents' first pages, untimed.
    await each(agents.slice(0, 4), 2, async (a) => void (await apiPage(a)()));

    const full = await timeBoth('full sync', () => undefined);
    const entities = full.seen.reduce((n, s) => n + s.size, 0);
    log(`full sync: ${entities} entities in all, ${Math.round(entities / agents.length)} an agent`);

    // Catch up (the first incremental after a full sync repeats its overlap), untimed.
    await sleep(SETTLE_SECONDS * 1000 + 200);
    const caughtUp: string[] = [];
    await each(agents, CONCURRENCY, async (a, i) => void (caughtUp[i] = (await drain(directPage(a), full.nexts[i])).next));

    const [accounts] = await db.query<mysql.RowDataPacket[]>("SELECT id FROM accounts WHERE status IN ('active', 'suspended') AND balance >= 100 ORDER BY id");
    const client = await paymentsClient(port, 8, `FEED-${randomUUID().slice(0, 8)}`);
    const t0 = Date.now();
    let posted = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < PAYMENTS; i = next++) {
          await client.post(i, Number(accounts[(i * 7919) % accounts.length]!.id));
          if (++posted % 1000 === 0) log(`  payments: ${posted}/${PAYMENTS}`);
        }
      }),
    );
    await client.close();
    log(`posted ${PAYMENTS} payments in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await sleep(SETTLE_SECONDS * 1000 + 200);

    const incremental = await timeBoth('incremental sync', (_a, i) => caughtUp[i]);
    const paymentsSeen = incremental.seen.reduce((n, s) => n + [...s].filter((k) => k.startsWith('payment:')).length, 0);
    if (paymentsSeen !== PAYMENTS) throw new Error(`the agents' incremental feeds named ${paymentsSeen} payments, ${PAYMENTS} were posted`);
    log(`incremental sync: every payment in exactly one agent's feed (${paymentsSeen})`);

    log(
      JSON.stringify({
        agents: agents.length,
        fullP50Ms: round(full.p50, 1),
        fullP99Ms: round(full.p99, 1),
        incrementalP50Ms: round(incremental.p50, 1),
        incrementalP99Ms: round(incremental.p99, 1),
        fullRatio: round(full.ratio, 2),
        incrementalRatio: round(incremental.ratio, 2),
      }),
    );
  } finally {
    await dispatcher.close();
    api.kill('SIGTERM');
    await db.end();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
