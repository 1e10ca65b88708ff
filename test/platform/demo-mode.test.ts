import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Decimal } from '../../src/platform/money';
import { startDemo as startDemoServer, stopDemo, type DemoServer } from '../support/demo-server';

// The demo as `npm start` runs it, with info logs (some checks read them).
const startDemo = (sqlitePath: string) => startDemoServer(sqlitePath, { LOG_LEVEL: 'info' });

async function login(base: string, email: string, password = 'Demo#2026!'): Promise<(path: string) => Promise<{ status: number; body: any }>> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status, `login ${email}`).to.equal(200);
  const { accessToken } = (await res.json()) as { accessToken: string };
  return async (path) => {
    const r = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
    return { status: r.status, body: r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text() };
  };
}

/**
 * The README's first command, as a user runs it: no DATABASE_URL, no REDIS_URL. The server
 * creates its SQLite file, migrates and seeds it, loads the demo portfolio (src/demo/portfolio.ts),
 * and the demo staff can log in and find customers, accounts and payments.
 */
describe('demo mode (npm start with nothing configured)', function () {
  this.timeout(120000);
  let server: DemoServer;
  let base: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amt-demo-'));
  const sqlitePath = path.join(dir, 'demo.sqlite');
  /** What the first start loaded (customers, and accounts numbered 1..n). */
  const loaded = { customers: 0, accounts: 0 };

  before(async () => {
    server = await startDemo(sqlitePath);
    base = server.base;
  });

  after(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is ready on SQLite without Redis', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(await res.json()).to.deep.equal({ status: 'ready', checks: { database: 'ok' } });
  });

  it('lets the README demo admin log in and call an authenticated route', async () => {
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@amt.local', password: 'Admin#2026!' }),
    });
    expect(login.status).to.equal(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const me = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).to.equal(200);
    expect(((await me.json()) as { role: { name: string } }).role.name).to.equal('admin');
    const staff = await fetch(`${base}/api/v1/employees?limit=50`, { headers: { authorization: `Bearer ${accessToken}` } });
    const body = (await staff.json()) as { data: { email: string }[] };
    expect(body.data.map((e) => e.email)).to.include.members(['agent@amt.local', 'finance@amt.local']);
  });

  it('serves the OpenAPI document', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).to.match(/^3\./);
    expect(doc.paths).to.have.property('/api/v1/auth/login');
  });

  describe('the demo portfolio', () => {
    /** Every account of the portfolio, read one by one as finance (all regions) until the first 404. */
    let accounts: any[];
    let finance: Awaited<ReturnType<typeof login>>;

    before(async () => {
      finance = await login(base, 'finance@amt.local');
      accounts = [];
      for (let id = 1; ; id++) {
        const res = await finance(`/accounts/${id}`);
        if (res.status === 404) break;
        expect(res.status).to.equal(200);
        accounts.push(res.body);
      }
      loaded.accounts = accounts.length;
      loaded.customers = (await finance('/customers?limit=100')).body.data.length;
    });

    it('gives the demo agent customers of their own region to look at', async () => {
      const agent = await login(base, 'agent@amt.local');
      const me = (await agent('/auth/me')).body as { id: number };
      const mine = await agent('/customers?limit=100');
      expect(mine.status).to.equal(200);
      expect(mine.body.data.length).to.be.greaterThan(5);
      const regions = new Set(mine.body.data.map((c: { regionId: number }) => c.regionId));
      expect(regions.size, 'the agent covers one region').to.equal(1);
      // Head office sees both demo regions; back office verified some customers' KYC.
      const all = (await finance('/customers?limit=100')).body.data as { regionId: number; kycStatus: string; agentId: number }[];
      expect(all.length).to.be.within(20, 30);
      expect(new Set(all.map((c) => c.regionId)).size).to.equal(2);
      expect(all.filter((c) => c.kycStatus === 'verified').length).to.be.greaterThan(all.length / 2);
      expect(mine.body.data.every((c: { agentId: number }) => c.agentId === me.id)).to.equal(true);
    });

    it('has pending, active and paid-off accounts, some of them in arrears', () => {
      expect(accounts.length).to.be.within(20, 30);
      const statuses = accounts.map((a) => a.status);
      expect(statuses).to.include.members(['pending', 'active', 'closed']);
      expect(statuses.filter((s) => s === 'active' || s === 'suspended').length).to.be.greaterThan(accounts.length / 2);
      expect(
        accounts.some((a) => a.status !== 'pending' && a.daysPastDue > 0),
        'some live account is past due',
      ).to.equal(true);
      for (const a of accounts.filter((x) => x.status === 'closed')) expect(a.balance).to.equal('0.00');
    });

    it('gives every account a schedule, and live ones payments and a ledger that balances and matches the balance', async () => {
      let lateFeesSeen = new Decimal(0);
      for (const a of accounts) {
        expect(a.schedule.length, `schedule of ${a.accountNumber}`).to.be.greaterThan(1);
        const scheduled = a.schedule.reduce((s: Decimal, i: { amount: string }) => s.plus(i.amount), new Decimal(0));
        expect(scheduled.toFixed(2)).to.equal(a.totalPrice);
        const payments = (await finance(`/accounts/${a.id}/payments?limit=200`)).body.data as { amount: string; receiptNumber: string; status: string }[];
        if (a.status === 'pending') expect(payments).to.deep.equal([]);
        else {
          expect(payments.length, `payments of ${a.accountNumber}`).to.be.greaterThan(0);
          for (const p of payments) expect(p.receiptNumber).to.be.a('string');
        }
        const paid = payments.reduce((s, p) => s.plus(p.amount), new Decimal(0));
        // Late fees the closes raised (the weekly SunBox plan has one) are owed on top of the price.
        const charges = (await finance(`/accounts/${a.id}/charges`)).body.data as { amount: string; status: string }[];
        const charged = charges.filter((c) => c.status !== 'waived').reduce((s, c) => s.plus(c.amount), new Decimal(0));
        if (a.status !== 'pending') lateFeesSeen = lateFeesSeen.plus(charged);
        expect(new Decimal(a.totalPrice).plus(charged).minus(paid).toFixed(2), `balance of ${a.accountNumber}`).to.equal(
          new Decimal(a.balance).minus(a.creditBalance).toFixed(2),
        );

        const entries = (await finance(`/accounts/${a.id}/ledger?limit=200`)).body.data as {
          lines: { ledger: string; debit: string; credit: string; accountId: number | null }[];
        }[];
        expect(entries.length, 'the sale and each payment').to.be.at.least(1 + payments.length);
        let receivable = new Decimal(0);
        for (const e of entries) {
          const debit = e.lines.reduce((s, l) => s.plus(l.debit), new Decimal(0));
          const credit = e.lines.reduce((s, l) => s.plus(l.credit), new Decimal(0));
          expect(debit.toFixed(2), 'debits = credits').to.equal(credit.toFixed(2));
          for (const l of e.lines.filter((x) => x.ledger === '1200' && x.accountId === a.id)) receivable = receivable.plus(l.debit).minus(l.credit);
        }
        expect(receivable.toFixed(2), `receivable of ${a.accountNumber}`).to.equal(a.balance);
      }
      // The closes raised late fees on SQLite too (set-based, accounts/late-fees.ts).
      expect(lateFeesSeen.greaterThan(0), 'late fees raised by the demo closes').to.equal(true);
    });

    it('has a portfolio report written by the nightly closes', async () => {
      const report = await finance('/reports/portfolio');
      expect(report.status).to.equal(200);
      const country = report.body.data.find((r: { level: string }) => r.level === 'country');
      expect(country.countryCode).to.equal('KE');
      expect(country.accounts).to.be.greaterThan(0);
    });
  });

  // Mocha runs a suite's own tests before its nested suites: these come last on purpose.
  describe('stopping and starting again', () => {
    it('shuts down cleanly on SIGTERM', async () => {
      expect(await stopDemo(server)).to.equal(0);
    });

    it('keeps what is there on a restart: no second portfolio', async () => {
      expect(server.output()).to.match(/demo portfolio: loading/);
      expect(loaded.accounts, 'the first start loaded accounts').to.be.greaterThan(0);
      server = await startDemo(sqlitePath);
      base = server.base;
      const finance = await login(base, 'finance@amt.local');
      expect((await finance('/customers?limit=100')).body.data.length).to.equal(loaded.customers);
      expect((await finance(`/accounts/${loaded.accounts}`)).status).to.equal(200);
      expect((await finance(`/accounts/${loaded.accounts + 1}`)).status).to.equal(404);
      expect(server.output()).to.not.match(/demo portfolio: loading/);
      expect(await stopDemo(server)).to.equal(0);
    });
  });
});
