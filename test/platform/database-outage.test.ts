import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Op } from 'sequelize';
import { MobileMoneyService } from '../../src/modules/mobile-money/ingestion.service';
import { MobileMoneyTransaction, Payment } from '../../src/modules/payments/models';
import { signBody } from '../../src/platform/http/client-auth';
import { Decimal } from '../../src/platform/money';
import { freshIp, loginAs, testRuntime } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { FaultProxy } from '../support/fault-proxy';
import { freePort } from '../support/ports';
import { TEST_DATABASE_URL, testEnv } from '../support/env';
import { createMarket, openAccount } from '../support/lending';
import { c2bBody, newCallbackClient, type CallbackClient } from '../fakes/mpesa';

/**
 * Issue 12, defect 4, end to end: the real API in its own process, talking to the test database
 * through a FaultProxy. Payments (Idempotency-Keys) and M-Pesa confirmations (TransIDs) under
 * load; the database is cut mid-load, then healed; every request that did not get a 2xx is sent
 * again, unchanged, until it does. Afterwards: every payment exactly once, books balanced, and
 * the same process serving (no restart). A hung database (frozen proxy) answers 503 within the
 * statement bound.
 */

const ROOT = path.resolve(__dirname, '..', '..');
/** Short bounds so the outage answers come in a second or two (the defaults are 5 s / 30 s). */
const CHILD_ENV = {
  DB_POOL_ACQUIRE_MS: '2000',
  DB_CONNECT_TIMEOUT_MS: '1000',
  DB_QUERY_TIMEOUT_MS: '3000',
  // A key whose request died in the outage is taken over by a retry after this lease; it must
  // outlast the longest a request can run here (acquire 2 s + connect 1 s + statement 3 s).
  IDEMPOTENCY_LEASE_SECONDS: '8',
};
/** No answer may take longer than this (acquire + connect + statement bounds, with a wide margin). */
const ANSWER_BOUND_MS = 20_000;

interface Child {
  process: ChildProcess;
  url: string;
  stderr: () => string;
  /** The API's log lines (JSON, LOG_LEVEL=warn): outages are warnings, never errors. */
  logs: Array<{ level: number; msg: string; [k: string]: unknown }>;
}

async function startApi(databaseUrl: string): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import=tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: testEnv({ PORT: String(port), DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', ...CHILD_ENV }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const logs: Child['logs'] = [];
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) logs.push(JSON.parse(line));
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode}: ${err}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { process: child, url, stderr: () => err, logs };
    } catch {
      /* still starting */
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`API did not start: ${err}`);
}

async function stopApi(child: Child | undefined): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise((r) => child.process.once('exit', r));
  child.process.kill('SIGKILL');
  await exited;
}

interface Answer {
  status: number;
  contentType: string;
  retryAfter: string | null;
  body: Record<string, unknown>;
  ms: number;
  /** The proxy's mode when the request was sent and when its answer came. */
  sentIn: string;
  answeredIn: string;
}

/** One request of the load: sent again, byte for byte, until it gets a 2xx. */
interface LoadRequest {
  kind: 'payment' | 'callback';
  id: string;
  path: string;
  body: Record<string, unknown>;
  headers: () => Record<string, string>;
  answers: Answer[];
}

async function send(base: string, r: LoadRequest, proxy: FaultProxy): Promise<Answer> {
  const sentIn = proxy.current;
  const started = process.hrtime.bigint();
  const raw = JSON.stringify(r.body);
  const res = await fetch(`${base}/api/v1${r.path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...r.headers() },
    body: raw,
    // A hang is a failure: the bound is far above every timeout the API has.
    signal: AbortSignal.timeout(ANSWER_BOUND_MS),
  });
  const text = await res.text();
  const answer: Answer = {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    retryAfter: res.headers.get('retry-after'),
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    ms: Number(process.hrtime.bigint() - started) / 1e6,
    sentIn,
    answeredIn: proxy.current,
  };
  r.answers.push(answer);
  return answer;
}

const ok = (a: Answer | undefined) => !!a && a.status >= 200 && a.status < 300;

function expectOutageAnswer(a: Answer, what: string) {
  expect(a.status, `${what}: ${JSON.stringify(a.body)}`).to.equal(503);
  expect(a.contentType, what).to.match(/^application\/problem\+json/);
  expect(Number(a.retryAfter), `${what}: Retry-After`).to.be.greaterThan(0);
  expect(a.body, what).to.include({ status: 503, type: 'https://amt.example/problems/unavailable', dependency: 'database' });
}

describe('database outage under payment load (API in its own process, through a FaultProxy)', function () {
  this.timeout(300_000);
  let proxy: FaultProxy;
  let child: Child | undefined;
  let token: string;
  let daraja: CallbackClient;
  let accountIds: number[];
  let accountNumbers: string[];

  before(async () => {
    const market = await createMarket({ businessDate: '2026-11-20' });
    const accounts = [];
    for (let i = 0; i < 4; i++) {
      accounts.push(await openAccount(market, { price: '100000.00', downPayment: '1000.00', duration: 10, startDate: '2026-11-20' }));
    }
    accountIds = accounts.map((a) => a.id);
    accountNumbers = accounts.map((a) => a.accountNumber);
    ({ token } = await loginAs('admin'));
    daraja = await newCallbackClient({ allowedIps: null });
    proxy = await FaultProxy.forUrl(TEST_DATABASE_URL).start();
    child = await startApi(proxy.url(TEST_DATABASE_URL));
  });

  after(async () => {
    await stopApi(child);
    await proxy?.stop();
  });

  function paymentRequest(i: number): LoadRequest {
    const key = randomUUID();
    return {
      kind: 'payment',
      id: key,
      path: '/payments',
      body: {
        accountId: accountIds[i % accountIds.length],
        amount: '10.00',
        paymentType: 'MPESA',
        channel: 'mobile_money',
        transactionRef: `OUT${key.slice(0, 13)}`,
      },
      headers: () => ({ Authorization: `Bearer ${token}`, 'Idempotency-Key': key, 'X-Forwarded-For': freshIp() }),
      answers: [],
    };
  }

  function callbackRequest(i: number): LoadRequest {
    const body = c2bBody({ billRef: accountNumbers[i % accountNumbers.length]!, amount: '7.00' });
    const raw = JSON.stringify(body);
    return {
      kind: 'callback',
      id: body.TransID,
      path: '/mobile-money/mpesa/confirmation',
      body,
      headers: () => {
        const ts = Math.floor(Date.now() / 1000);
        return { 'X-Client-Id': daraja.clientId, 'X-Timestamp': String(ts), 'X-Signature': signBody(daraja.secret, ts, raw), 'X-Forwarded-For': freshIp() };
      },
      answers: [],
    };
  }

  it('cut mid-load: 503 problem+json with Retry-After during the outage (no 500, no hang); after heal every retry succeeds; no payment lost or doubled; books balanced; no restart', async () => {
    const pid = child!.process.pid;
    const load: LoadRequest[] = [];
    for (let i = 0; i < 60; i++) {
      load.push(paymentRequest(i));
      if (i % 3 === 0) load.push(callbackRequest(i));
    }

    // First attempts, 8 at a time; the database is cut once 20 have answered and healed once 20
    // more were sent and answered entirely inside the outage (or the load ran out).
    let next = 0;
    let answered = 0;
    let answeredInOutage = 0;
    let outage = 'before' as 'before' | 'cut' | 'healed';
    const control = async () => {
      if (outage === 'before' && answered >= 20) {
        outage = 'cut';
        await proxy.cut();
      } else if (outage === 'cut' && (answeredInOutage >= 20 || next >= load.length)) {
        outage = 'healed';
        await proxy.heal();
      }
    };
    const worker = async () => {
      while (next < load.length) {
        const r = load[next++]!;
        const a = await send(child!.url, r, proxy);
        answered++;
        if (a.sentIn === 'cut' && a.answeredIn === 'cut') answeredInOutage++;
        await control();
        await sleep(10);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    if (outage === 'cut') await proxy.heal();
    expect(outage === 'healed' || proxy.current === 'pass').to.equal(true);

    const first = load.map((r) => r.answers[0]!);
    const inOutage = first.filter((a) => a.sentIn === 'cut' && a.answeredIn === 'cut');
    expect(inOutage.length, 'answers wholly inside the outage').to.be.at.least(10);
    inOutage.forEach((a, i) => expectOutageAnswer(a, `answer ${i} during the outage`));
    // Requests the cut caught mid-flight: done before it, or refused with the same 503.
    for (const a of first) {
      if (!ok(a)) expectOutageAnswer(a, 'a first attempt that failed');
    }
    expect(first.filter(ok).length, 'some requests succeeded before the cut').to.be.at.least(15);

    // Retry every request that did not get a 2xx, unchanged (same key, same TransID), until it does.
    // 409: a key whose first request died is leased (IDEMPOTENCY_LEASE_SECONDS) and then taken over.
    for (let round = 0; round < 60; round++) {
      const pending = load.filter((r) => !ok(r.answers[r.answers.length - 1]));
      if (pending.length === 0) break;
      await Promise.all(
        pending.map(async (r) => {
          const a = await send(child!.url, r, proxy);
          if (!ok(a)) expect([409, 503], `${r.kind} ${r.id} retried: ${a.status} ${JSON.stringify(a.body)}`).to.include(a.status);
        }),
      );
      await sleep(500);
    }
    const stuck = load.filter((r) => !ok(r.answers[r.answers.length - 1]));
    expect(
      stuck.map((r) => `${r.kind} ${r.id}: ${r.answers.map((a) => a.status).join(',')}`),
      'requests still failing after the outage',
    ).to.deep.equal([]);

    // Never a 500 or another 5xx, never an answer beyond the bound.
    const all = load.flatMap((r) => r.answers);
    expect(all.filter((a) => a.status >= 500 && a.status !== 503).map((a) => `${a.status} ${JSON.stringify(a.body)}`)).to.deep.equal([]);
    expect(Math.max(...all.map((a) => a.ms))).to.be.lessThan(ANSWER_BOUND_MS);
    // M-Pesa got Daraja's acknowledgement for every confirmation in the end.
    for (const r of load.filter((x) => x.kind === 'callback')) {
      expect(r.answers[r.answers.length - 1]!.body).to.deep.equal({ ResultCode: 0, ResultDesc: 'Accepted' });
    }

    // A confirmation stored just before the cut whose posting the cut broke was still acknowledged
    // (it is ours once stored) and left `received`: the re-drive job posts it, once. Do what the
    // job does for each of this test's rows (only ours: other tests' rows are theirs), then once
    // more to show a second pass posts nothing twice.
    const callbackIds = load.filter((r) => r.kind === 'callback').map((r) => r.id);
    const { sequelize, logger } = await testRuntime();
    const redrive = new MobileMoneyService(sequelize, logger);
    const leftReceived = await MobileMoneyTransaction.findAll({ where: { transactionId: callbackIds, status: 'received' } });
    for (const row of leftReceived) expect((await redrive.processSafely(row.id)).status).to.equal('posted');
    for (const row of leftReceived) expect((await redrive.processSafely(row.id)).status).to.equal('posted');

    // No lost and no doubled payment: one payment per key and per TransID, nothing else.
    const payments = load.filter((r) => r.kind === 'payment');
    const callbacks = load.filter((r) => r.kind === 'callback');
    const stored = await Payment.findAll({ where: { accountId: { [Op.in]: accountIds } } });
    const refs = stored.map((p) => p.transactionRef);
    const expectedRefs = [...payments.map((r) => String(r.body.transactionRef)), ...callbacks.map((r) => r.id)];
    expect([...refs].sort()).to.deep.equal([...expectedRefs].sort());
    // The same key answers with the same payment, however many times it was sent.
    for (const r of payments) {
      const ids = r.answers.filter(ok).map((a) => (a.body.payment as { id?: number } | undefined)?.id ?? a.body.id);
      expect(new Set(ids).size, `answers of key ${r.id}`).to.equal(1);
    }
    const mm = await MobileMoneyTransaction.findAll({ where: { transactionId: callbacks.map((r) => r.id) } });
    expect(mm.map((m) => m.status)).to.deep.equal(Array(callbacks.length).fill('posted'));
    const total = stored.reduce((s, p) => s.plus(p.amount), new Decimal(0));
    expect(total.toFixed(2)).to.equal(new Decimal(10).times(payments.length).plus(new Decimal(7).times(callbacks.length)).toFixed(2));
    for (const id of accountIds) await expectAccountBooks(id, 'after the outage');

    // The outage was logged as such, at warn; nothing at error (no 'unhandled error', no job fault).
    expect(child!.logs.filter((l) => l.level >= 50).map((l) => l.msg)).to.deep.equal([]);
    expect(child!.logs.some((l) => l.level === 40 && l.msg === 'database unavailable' && l.dependency === 'database')).to.equal(true);
    // The same process serves again: a fresh payment succeeds and a replay is a replay.
    expect(child!.process.pid).to.equal(pid);
    expect(child!.process.exitCode).to.equal(null);
    const fresh = paymentRequest(0);
    expect((await send(child!.url, fresh, proxy)).status).to.equal(201);
    const replay = await send(child!.url, fresh, proxy);
    expect(replay.status).to.equal(201);
    expect(replay.body).to.deep.equal(fresh.answers[0]!.body);
    expect(await Payment.count({ where: { transactionRef: String(fresh.body.transactionRef) } })).to.equal(1);
  });

  it('a hung database (connections open, no answer) gives 503 within the statement bound, then the same process recovers', async () => {
    const pid = child!.process.pid;
    const r = paymentRequest(1);
    const cb = callbackRequest(1);
    proxy.freeze();
    let during: Answer[];
    try {
      during = await Promise.all([send(child!.url, r, proxy), send(child!.url, cb, proxy)]);
    } finally {
      await proxy.heal();
    }
    during.forEach((a, i) => {
      expectOutageAnswer(a, `answer ${i} while frozen`);
      expect(a.ms).to.be.lessThan(ANSWER_BOUND_MS);
    });
    for (const req of [r, cb]) {
      for (let i = 0; i < 40 && !ok(req.answers[req.answers.length - 1]); i++) {
        await sleep(500);
        const a = await send(child!.url, req, proxy);
        if (!ok(a)) expect([409, 503]).to.include(a.status);
      }
      expect(ok(req.answers[req.answers.length - 1]), `${req.kind} succeeds after the freeze: ${req.answers.map((a) => a.status).join(',')}`).to.equal(true);
    }
    expect(await Payment.count({ where: { transactionRef: [String(r.body.transactionRef), cb.id] } })).to.equal(2);
    expect(child!.process.pid).to.equal(pid);
    for (const id of accountIds.slice(0, 2)) await expectAccountBooks(id, 'after the freeze');
    expect(child!.logs.filter((l) => l.level >= 50).map((l) => l.msg)).to.deep.equal([]);
  });
});
