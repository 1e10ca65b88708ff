/**
 * bench:callbacks: M-Pesa confirmation callbacks end to end, against the database's own ceiling.
 *
 *  (a) raw ceiling: exactly bench:payments' (bench/lib/raw-ceiling.ts): mysql2, 32 connections,
 *      per payment BEGIN, lock the account, insert payment, update balance, journal entry with two
 *      lines, COMMIT.
 *  (b) the real API in its own process: 32 concurrent Daraja-shaped confirmations, each signed by
 *      an API client (HMAC-SHA256 of the body), each stored raw, matched to its account by
 *      BillRefNumber, posted (allocation, ledger, receipt, outbox) and, through the payment events,
 *      buying credit days and minting an OpenPAYGO token for the account's device.
 *  (c) the yardstick: POST /api/v1/payments on the same accounts through the same API, same
 *      concurrency (bench/lib/payments-client.ts); callbackRatio = (b) / (c).
 *  (d) open loop: --rate confirmations a second for --seconds (default 100/s for 30 s), started on
 *      schedule whatever the answers; p50/p90/p95/p99/max from each one's scheduled start and how
 *      many took over 100 ms. (b) also reports the API process's CPU ms per callback (robust to load).
 * All run on the same freshly migrated database (accounts split in two identical sets; the API
 * set has a device attached to every account). The last line is one JSON object.
 *
 *   npm run bench:callbacks -- [--callbacks 4000] [--accounts 1000] [--concurrency 32] [--rate 100] [--seconds 30] [--no-devices] [--smoke]
 * (--no-devices: accounts without devices, to see what token minting costs; --smoke: 20 callbacks
 * over 4 accounts, 4 concurrent, on amt_bench_smoke_callbacks, failing on any error or count off)
 */
import { randomBytes } from 'node:crypto';
import { Op, QueryTypes } from 'sequelize';
import { Agent, request } from 'undici';
import { benchCatalogue } from './lib/catalogue';
import { freshBenchDatabase } from './lib/database';
import { rawCeiling } from './lib/raw-ceiling';
import { SMOKE, sizeArg } from './lib/smoke';
import { freePort, processCpuMs, startApi } from './lib/api-process';
import { round, runClosedLoop, runOpenLoop } from './lib/stats';
import { paymentsClient } from './lib/payments-client';
import { createApiClient } from '../src/cli/clients.command';
import { loadConfig } from '../src/platform/config';
import { signBody } from '../src/platform/http/client-auth';
import { createRuntime } from '../src/runtime';
import { Employee } from '../src/modules/access/models';
import { AccountService } from '../src/modules/accounts/account.service';
import { Account } from '../src/modules/accounts/models';
import { Customer } from '../src/modules/customers/models';
import { DeviceService } from '../src/modules/devices/device.service';
import { DeviceModel } from '../src/modules/devices/models';

const args = process.argv.slice(2);
const CALLBACKS = sizeArg('callbacks', 4000, 20);
const ACCOUNTS = sizeArg('accounts', 1000, 4);
const CONCURRENCY = sizeArg('concurrency', 32, 4);
const WARM_UP = Math.min(SMOKE ? 4 : 300, CALLBACKS);
const BASE = process.env.BENCH_DATABASE_URL ?? `mysql://root@127.0.0.1:3306/${SMOKE ? 'amt_bench_smoke_callbacks' : 'amt_bench_callbacks'}`;
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/12';
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';
const DEVICES = !args.includes('--no-devices');
const OPEN_RATE = sizeArg('rate', 100, 20);
const OPEN_SECONDS = sizeArg('seconds', 30, 1);
const AMOUNT = '100.00'; // 2 days at the bench plan's 50.00 a day: every callback mints a token

const log = (s: string) => process.stdout.write(`${s}\n`);
const benchConfig = () => loadConfig({ ...process.env, NODE_ENV: 'test', DATABASE_URL: BASE, LOG_LEVEL: 'silent', REDIS_URL: undefined });

interface Seeded {
  raw: number[];
  api: { id: number; accountNumber: string }[];
  client: { clientId: string; secret: string };
}

/** A market, a plan, 2 x ACCOUNTS accounts through the real services; a device on each of the API half; an API client. */
async function seed(): Promise<Seeded> {
  const config = benchConfig();
  const rt = await createRuntime(config, { role: 'bench' });
  const { region, product, payplan } = await benchCatalogue();
  const model = await DeviceModel.create({ manufacturer: 'Bench', name: 'Bench lamp', code: 'BENCH-LAMP', tokenType: 'standard', supportsOpenPaygo: true });
  const admin = (await Employee.findOne({ where: { email: 'admin@amt.local' } }))!;
  const actor = { employeeId: admin.id, scope: { all: true as const } };
  const accounts = new AccountService(rt.sequelize);
  const devices = new DeviceService({ sequelize: rt.sequelize, config, logger: rt.logger });
  const all: { id: number; accountNumber: string }[] = [];
  for (let i = 0; i < ACCOUNTS * 2; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, ACCOUNTS * 2 - i) }, async (_, k) => {
        const c = await Customer.create({ firstName: 'Bench', lastName: 'Customer', phone: '+254700000000', regionId: region.id });
        const a = await accounts.open({ customerId: c.id, productId: product.id, payplanId: payplan.id }, { all: true }, null);
        if (DEVICES && (i + k) % 2 === 1) {
          const d = await devices.register(actor, {
            serialNumber: `BENCH-${i + k}-${randomBytes(3).toString('hex')}`,
            deviceModelId: model.id,
            productId: product.id,
            openpaygoSecretKey: randomBytes(16).toString('hex'),
            startingCode: 100_000_000 + Math.floor(Math.random() * 800_000_000),
          });
          await devices.attach(actor, a.id, { deviceId: d.id });
        }
        return { id: a.id, accountNumber: a.accountNumber };
      }),
    );
    all.push(...batch);
    if (all.length % 500 === 0 || all.length === ACCOUNTS * 2) log(`seeding accounts ${all.length}/${ACCOUNTS * 2}`);
  }
  // The plan asks no down payment: the accounts open active (no instalment 0).
  const notActive = await Account.count({ where: { id: all.map((a) => a.id), status: { [Op.ne]: 'active' } } });
  if (notActive > 0) throw new Error(`${notActive} zero-down accounts did not open active`);
  const { client, secret } = await createApiClient(
    { name: 'Bench Daraja', scopes: ['mobile-money:callback'], allowedIps: ['127.0.0.1', '::1'] },
    config.dataEncryptionKey,
  );
  await rt.close();
  return { raw: all.filter((_, i) => i % 2 === 0).map((a) => a.id), api: all.filter((_, i) => i % 2 === 1), client: { clientId: client.clientId, secret } };
}

/** 'YYYYMMDDHHmmss' in East Africa Time. */
const darajaTime = (d: Date) => new Date(d.getTime() + 3 * 3600_000).toISOString().slice(0, 19).replace(/[-T:]/g, '');

/** A Daraja-shaped confirmation sender: `send(i)` posts confirmation `<tag><i>` for an account of the API set. */
function callbackSender(seeded: Seeded, port: number, connections: number, tag: string) {
  const dispatcher = new Agent({ connections, keepAliveTimeout: 30_000 });
  const url = `http://127.0.0.1:${port}/api/v1/mobile-money/mpesa/confirmation`;
  const send = async (i: number) => {
    const account = seeded.api[i % seeded.api.length]!;
    const body = JSON.stringify({
      TransactionType: 'Pay Bill',
      TransID: `${tag}${i.toString(36).toUpperCase().padStart(6, '0')}`,
      TransTime: darajaTime(new Date()),
      TransAmount: AMOUNT,
      BusinessShortCode: '600638',
      BillRefNumber: account.accountNumber,
      InvoiceNumber: '',
      OrgAccountBalance: '',
      ThirdPartyTransID: '',
      MSISDN: '254708374149',
      FirstName: 'John',
      MiddleName: '',
      LastName: 'Doe',
    });
    const ts = Math.floor(Date.now() / 1000);
    const res = await request(url, {
      method: 'POST',
      dispatcher,
      headers: {
        'content-type': 'application/json',
        'x-client-id': seeded.client.clientId,
        'x-timestamp': String(ts),
        'x-signature': signBody(seeded.client.secret, ts, body),
      },
      body,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200 || !text.includes('"ResultCode":0')) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  };
  return { send, close: () => dispatcher.close() };
}

async function callbacks(seeded: Seeded, port: number, total: number, tag: string) {
  const sender = callbackSender(seeded, port, CONCURRENCY, tag);
  const result = await runClosedLoop(CONCURRENCY, total, sender.send);
  await sender.close();
  return result;
}

/** Confirmations arriving at OPEN_RATE a second for OPEN_SECONDS, whatever the answers. */
async function openLoopCallbacks(seeded: Seeded, port: number, tag: string) {
  const sender = callbackSender(seeded, port, 256, tag);
  const result = await runOpenLoop(OPEN_RATE, OPEN_SECONDS, sender.send);
  await sender.close();
  return result;
}

/** The yardstick: POST /api/v1/payments on the same accounts (devices, tokens minted), same concurrency, same run. */
async function paymentsApi(seeded: Seeded, port: number) {
  const client = await paymentsClient(port, CONCURRENCY, `PAYAPI-${randomBytes(4).toString('hex')}`);
  const result = await runClosedLoop(CONCURRENCY, CALLBACKS, (i) => client.post(i, seeded.api[i % seeded.api.length]!.id, AMOUNT));
  await client.close();
  return result;
}

/** What the run left in the database: every callback stored once, posted once, one token each. */
async function outcome(tag: string) {
  const rt = await createRuntime(benchConfig(), { role: 'bench' });
  const [row] = await rt.sequelize.query<{ stored: number; posted: number; payments: number; tokens: number }>(
    `SELECT COUNT(*) AS stored, SUM(m.status = 'posted') AS posted, COUNT(p.id) AS payments,
       (SELECT COUNT(*) FROM deviceTokens t JOIN mobileMoneyTransactions m2 ON m2.paymentId = t.paymentId WHERE m2.transactionId LIKE :tag) AS tokens
     FROM mobileMoneyTransactions m LEFT JOIN payments p ON p.id = m.paymentId WHERE m.transactionId LIKE :tag`,
    { replacements: { tag: `${tag}%` }, type: QueryTypes.SELECT },
  );
  await rt.close();
  return { stored: Number(row!.stored), posted: Number(row!.posted), payments: Number(row!.payments), tokens: Number(row!.tokens) };
}

async function main() {
  log(
    `bench:callbacks: ${CALLBACKS} M-Pesa confirmations (raw ceiling: ${CALLBACKS} payments), ${CONCURRENCY} concurrent, over ${ACCOUNTS} accounts each (API log level ${LOG_LEVEL})`,
  );
  await freshBenchDatabase(BASE);
  const seeded = await seed();

  const raw = await rawCeiling({ url: BASE, concurrency: CONCURRENCY, total: CALLBACKS, accountIds: seeded.raw });
  log(`raw ceiling (mysql2): ${round(raw.tps)} payments/s, p50 ${round(raw.p50Ms, 2)} ms, p99 ${round(raw.p99Ms, 2)} ms, errors ${raw.errors}`);

  const port = await freePort();
  const api = await startApi(port, {
    NODE_ENV: 'development',
    DATABASE_URL: BASE,
    REDIS_URL: REDIS,
    LOG_LEVEL,
    DB_POOL_MAX: '32',
    QUEUE_PREFIX: SMOKE ? 'amt-bench-smoke-callbacks' : 'amt-bench-callbacks',
    DATA_ENCRYPTION_KEY: benchConfig().dataEncryptionKey,
  });
  try {
    await callbacks(seeded, port, WARM_UP, 'WARM').catch(() => undefined); // JIT, pools, caches
    const payments = await paymentsApi(seeded, port);
    log(
      `POST /payments (same accounts): ${round(payments.tps)} payments/s, p50 ${round(payments.p50Ms, 2)} ms, p99 ${round(payments.p99Ms, 2)} ms, errors ${payments.errors}`,
    );
    const cpuBefore = processCpuMs(api.pid);
    const full = await callbacks(seeded, port, CALLBACKS, 'BNCH');
    const cpuAfter = processCpuMs(api.pid);
    // Robust to machine load where callbacks/s and latencies are not.
    const apiCpuMs = cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / (CALLBACKS - full.errors || 1);
    log(`M-Pesa callbacks:      ${round(full.tps)} callbacks/s, p50 ${round(full.p50Ms, 2)} ms, p99 ${round(full.p99Ms, 2)} ms, errors ${full.errors}`);
    if (apiCpuMs !== undefined) log(`API process CPU per callback (user + system, closed loop): ${round(apiCpuMs, 2)} ms`);
    const open = await openLoopCallbacks(seeded, port, 'OPEN');
    log(
      `open loop at ${open.rate}/s for ${OPEN_SECONDS} s: p50 ${round(open.p50Ms, 2)} ms, p90 ${round(open.p90Ms, 2)} ms, p95 ${round(open.p95Ms, 2)} ms, p99 ${round(open.p99Ms, 2)} ms, max ${round(open.maxMs, 2)} ms, ${open.over100Ms} of ${open.offered} over 100 ms, errors ${open.errors} (target p99 < 100 ms)`,
    );
    const done = await outcome('BNCH');
    const openDone = await outcome('OPEN');
    log(`stored ${done.stored}, posted ${done.posted}, payments ${done.payments}, tokens ${done.tokens} (expected ${CALLBACKS} each)`);
    const ratio = full.tps / raw.tps;
    const callbackRatio = full.tps / payments.tps;
    log(`callbacks/raw: ${round(ratio * 100, 1)}%; callbacks/POST /payments (callbackRatio): ${round(callbackRatio * 100, 1)}% (target >= 80%)`);
    log(
      JSON.stringify({
        callbacks: CALLBACKS,
        rawTps: round(raw.tps),
        paymentsApiTps: round(payments.tps),
        callbacksPerSec: round(full.tps),
        ratio: round(ratio, 3),
        callbackRatio: round(callbackRatio, 3),
        p99Ms: round(full.p99Ms, 2),
        apiCpuMsPerCallback: apiCpuMs === undefined ? null : round(apiCpuMs, 2),
        openLoopRate: open.rate,
        openLoopP50Ms: round(open.p50Ms, 2),
        openLoopP99Ms: round(open.p99Ms, 2),
        openLoopP90Ms: round(open.p90Ms, 2),
        openLoopP95Ms: round(open.p95Ms, 2),
        openLoopMaxMs: round(open.maxMs, 2),
        openLoopOver100Ms: open.over100Ms,
        rawErrors: raw.errors,
        paymentsErrors: payments.errors,
        errors: full.errors,
        openLoopErrors: open.errors,
        ...done,
        minted: done.tokens,
      }),
    );
    // A smoke run proves the bench still works: every callback stored, posted and tokened once.
    const tokens = DEVICES ? CALLBACKS : 0;
    if (
      SMOKE &&
      (raw.errors ||
        payments.errors ||
        full.errors ||
        open.errors ||
        openDone.posted !== open.offered ||
        done.stored !== CALLBACKS ||
        done.posted !== CALLBACKS ||
        done.payments !== CALLBACKS ||
        done.tokens !== tokens)
    )
      process.exitCode = 1;
  } finally {
    api.kill('SIGTERM');
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
