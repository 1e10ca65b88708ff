import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type Joi from 'joi';
import type { Model, ModelStatic } from 'sequelize';
import { AccountCharge, Account } from '../../src/modules/accounts/models';
import { Customer } from '../../src/modules/customers/models';
import { JournalEntry } from '../../src/modules/ledger/models';
import { Refund } from '../../src/modules/billing/models';
import { CashCollection } from '../../src/modules/cash/models';
import { Payment } from '../../src/modules/payments/models';
import { apiRoutes, modules } from '../../src/modules';
import { Payplan } from '../../src/modules/catalogue/models';
import { MAX_CREDIT_DAYS_AHEAD } from '../../src/modules/devices/credit.service';
import { parseProviderTime } from '../../src/modules/mobile-money/providers';
import { HttpProblem, problems } from '../../src/platform/http/problem';
import type { RouteSpec } from '../../src/platform/http/route';
import { MAX_PAYMENT_AMOUNT } from '../../src/platform/http/schemas';
import { signBody } from '../../src/platform/http/client-auth';
import { api, freshIp, loginAs, testRuntime } from '../support/app';
import { createMarket, openAccount, type Market } from '../support/lending';
import { newCallbackClient, type CallbackClient } from '../fakes/mpesa';

/**
 * Bad input is a 400 naming the field, with nothing written; never a 5xx, never stored wrong.
 * The specific cases an outside run found, then a sweep of every write route with malformed bodies.
 */

type Res = { status: number; body: any; headers: Record<string, string> };

let adminToken: string;
let market: Market;

async function send(method: string, path: string, body: unknown, o: { raw?: boolean; idempotent?: boolean } = {}): Promise<Res> {
  const client = await api();
  let req = (client as any)[method](`/api/v1${path}`).set('Authorization', `Bearer ${adminToken}`).set('X-Forwarded-For', freshIp());
  if (o.idempotent !== false) req = req.set('Idempotency-Key', randomUUID());
  if (body !== undefined) req = req.set('Content-Type', 'application/json').send(o.raw ? (body as string) : JSON.stringify(body));
  return req;
}

/** A 400 problem that names `field` among its errors. */
function expectFieldRefused(res: Res, field: string) {
  expect(res.status, JSON.stringify(res.body)).to.equal(400);
  expect(res.headers['content-type']).to.match(/application\/problem\+json/);
  expect(res.body.status).to.equal(400);
  expect(
    res.body.errors.map((e: { field: string }) => e.field),
    JSON.stringify(res.body),
  ).to.include(field);
}

async function counts(...models: ModelStatic<Model>[]): Promise<number[]> {
  return Promise.all(models.map((m) => m.count()));
}

/** Runs `act` and checks that none of `models` gained or lost a row. */
async function nothingWritten(models: ModelStatic<Model>[], act: () => Promise<void>) {
  const before = await counts(...models);
  await act();
  expect(await counts(...models)).to.deep.equal(before);
}

const paymentBody = (accountId: number, extra: Record<string, unknown> = {}) => ({
  accountId,
  amount: '100.00',
  paymentType: 'MPESA',
  channel: 'mobile_money',
  transactionRef: `TX${randomUUID().slice(0, 12)}`,
  ...extra,
});

describe('malformed input', () => {
  let account: Account;

  before(async () => {
    await testRuntime();
    ({ token: adminToken } = await loginAs('admin'));
    market = await createMarket();
    account = await openAccount(market);
  });

  describe('impossible calendar dates', () => {
    for (const date of ['2026-02-30', '2026-13-01', '0000-00-00', '2026-2-3']) {
      it(`refuses ${date} as dateOfBirth, startDate and charge dueDate`, async () => {
        const customer = await Customer.findOne({ where: { regionId: market.region.id } });
        await nothingWritten([Customer, Account, AccountCharge, JournalEntry], async () => {
          expectFieldRefused(
            await send('post', '/customers', {
              firstName: 'Amina',
              lastName: 'Odhiambo',
              phone: '+254712000111',
              regionId: market.region.id,
              dateOfBirth: date,
            }),
            'dateOfBirth',
          );
          expectFieldRefused(
            await send('post', '/accounts', { customerId: customer!.id, productId: account.productId, payplanId: account.payplanId, startDate: date }),
            'startDate',
          );
          expectFieldRefused(
            await send('post', `/accounts/${account.id}/charges`, { chargeType: 'fee', amount: '50.00', description: 'Late', dueDate: date }),
            'dueDate',
          );
        });
      });
    }

    it('reads no provider time on an impossible date, with an offset or without', () => {
      expect(parseProviderTime('2026-02-30T10:00:00+03:00', null)).to.equal(null);
      expect(parseProviderTime('2026-02-29T10:00:00Z', null)).to.equal(null);
      expect(parseProviderTime('2028-02-29T10:00:00Z', null)!.toISOString()).to.equal('2028-02-29T10:00:00.000Z');
      expect(parseProviderTime('20260230100000', '+03:00')).to.equal(null);
    });

    it('refuses an impossible date inside a payment time', async () => {
      await nothingWritten([Payment], async () => {
        expectFieldRefused(await send('post', '/payments', paymentBody(account.id, { paymentDate: '2026-02-30T10:00:00Z' })), 'paymentDate');
      });
    });
  });

  describe('ids', () => {
    it('refuses an id beyond the INTEGER columns in params, query and body', async () => {
      expectFieldRefused(await send('get', '/accounts/2147483648', undefined), 'id');
      expectFieldRefused(await send('get', '/accounts?customerId=2147483648', undefined), 'customerId');
      await nothingWritten([Payment, Customer], async () => {
        expectFieldRefused(await send('post', '/payments', paymentBody(2147483648)), 'accountId');
        expectFieldRefused(
          await send('post', '/customers', { firstName: 'Amina', lastName: 'Odhiambo', phone: '+254712000111', regionId: 2147483648 }),
          'regionId',
        );
      });
    });

    it('refuses a regionId or agentId that names no row (400 naming it)', async () => {
      const customer = await Customer.findOne({ where: { regionId: market.region.id } });
      await nothingWritten([Customer, Account, JournalEntry], async () => {
        expectFieldRefused(
          await send('post', '/customers', { firstName: 'Amina', lastName: 'Odhiambo', phone: '+254712000112', regionId: 2147483000 }),
          'regionId',
        );
        expectFieldRefused(
          await send('post', '/customers', {
            firstName: 'Amina',
            lastName: 'Odhiambo',
            phone: '+254712000113',
            regionId: market.region.id,
            agentId: 2147483000,
          }),
          'agentId',
        );
        expectFieldRefused(
          await send('post', '/accounts', { customerId: customer!.id, productId: account.productId, payplanId: account.payplanId, agentId: 2147483000 }),
          'agentId',
        );
      });
    });
  });

  describe('amounts', () => {
    it(`refuses a payment, charge, collection or refund above ${MAX_PAYMENT_AMOUNT}`, async () => {
      const payment = await Payment.findOne({ where: { status: 'completed' } });
      await nothingWritten([Payment, AccountCharge, CashCollection, Refund, JournalEntry], async () => {
        for (const amount of ['999999999999.99', '10000000.01']) {
          expectFieldRefused(await send('post', '/payments', paymentBody(account.id, { amount })), 'amount');
          expectFieldRefused(await send('post', `/accounts/${account.id}/charges`, { chargeType: 'fee', amount, description: 'Late' }), 'amount');
          expectFieldRefused(
            await send('post', '/cash-collections', { clientCollectionId: randomUUID(), accountId: account.id, amount, collectedAt: new Date().toISOString() }),
            'amount',
          );
          expectFieldRefused(await send('post', '/refunds', { paymentId: payment?.id ?? 1, amount, reason: 'Overpaid', method: 'mobile_money' }), 'amount');
        }
      });
    });

    it(`takes a payment of exactly ${MAX_PAYMENT_AMOUNT}`, async () => {
      const big = await openAccount(market, { price: '20000000.00', downPayment: '1000.00' });
      const res = await send('post', '/payments', paymentBody(big.id, { amount: MAX_PAYMENT_AMOUNT }));
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
    });

    it('takes maximum payments on a payplan with a tiny daily rate: credit stops 100 years ahead, no 500', async () => {
      const cheap = await openAccount(market, { price: '60000000.00', downPayment: '1000.00' });
      await Payplan.update({ dailyRate: '0.01' }, { where: { id: cheap.payplanId } });
      for (let i = 0; i < 2; i++) {
        const res = await send('post', '/payments', paymentBody(cheap.id, { amount: MAX_PAYMENT_AMOUNT }));
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
      }
      const expiry = (await Account.findByPk(cheap.id))!.creditExpiresAt!;
      expect(expiry.getTime()).to.be.at.most(Date.now() + (MAX_CREDIT_DAYS_AHEAD + 1) * 86_400_000);
      expect(expiry.getTime()).to.be.greaterThan(Date.now() + (MAX_CREDIT_DAYS_AHEAD - 2) * 86_400_000);
    });
  });

  describe('payments that disagree with the facts', () => {
    it('refuses a payment dated in the future, and takes one dated a minute ago', async () => {
      await nothingWritten([Payment, JournalEntry], async () => {
        expectFieldRefused(await send('post', '/payments', paymentBody(account.id, { paymentDate: '2031-01-01T00:00:00Z' })), 'paymentDate');
        expectFieldRefused(
          await send('post', '/payments', paymentBody(account.id, { paymentDate: new Date(Date.now() + 3600_000).toISOString() })),
          'paymentDate',
        );
      });
      const ok = await send('post', '/payments', paymentBody(account.id, { paymentDate: new Date(Date.now() - 60_000).toISOString() }));
      expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    });

    it('refuses a payment type posted through another channel (M-Pesa as cash, cash as mobile money)', async () => {
      await nothingWritten([Payment, JournalEntry], async () => {
        expectFieldRefused(await send('post', '/payments', paymentBody(account.id, { paymentType: 'MPESA', channel: 'cash' })), 'paymentType');
        expectFieldRefused(await send('post', '/payments', paymentBody(account.id, { paymentType: 'CASH', channel: 'mobile_money' })), 'paymentType');
        expectFieldRefused(await send('post', '/payments', paymentBody(account.id, { paymentType: 'mpesa', channel: 'bank' })), 'paymentType');
      });
    });
  });

  describe('text the database cannot store', () => {
    const customer = (extra: Record<string, unknown>) => ({
      firstName: 'Amina',
      lastName: 'Odhiambo',
      phone: '+254712000114',
      regionId: market.region.id,
      ...extra,
    });

    it('refuses NUL bytes and lone surrogates in any text field, naming it', async () => {
      await nothingWritten([Customer, Payment], async () => {
        expectFieldRefused(await send('post', '/customers', customer({ firstName: 'Ami\u0000na' })), 'firstName');
        expectFieldRefused(await send('post', '/customers', customer({ lastName: 'Odhi\ud800ambo' })), 'lastName');
        expectFieldRefused(await send('post', '/customers', customer({ lastName: '\udc00' })), 'lastName');
        expectFieldRefused(await send('post', '/customers', customer({ address: { addressLine: 'Plot \u0000 4' } })), 'address.addressLine');
        expectFieldRefused(await send('post', '/payments', paymentBody(account.id, { transactionRef: 'TX\u0000' })), 'transactionRef');
      });
      // The escapes as a client sends them on the wire, not only as JS strings.
      const raw = `{"firstName":"Amina","lastName":"Odhi\\ud800ambo","phone":"+254712000115","regionId":${market.region.id}}`;
      expectFieldRefused(await send('post', '/customers', raw, { raw: true }), 'lastName');
    });

    it('refuses a body that is not UTF-8 rather than storing U+FFFD', async () => {
      const raw = Buffer.concat([
        Buffer.from(`{"firstName":"Amina","lastName":"Odhi`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`ambo","phone":"+254712000118","regionId":${market.region.id}}`),
      ]);
      await nothingWritten([Customer], async () => {
        const res = await (
          await api()
        )
          .post('/api/v1/customers')
          .set('Authorization', `Bearer ${adminToken}`)
          .set('Content-Type', 'application/json')
          .serialize((b: unknown) => b as string) // the bytes as they are, not JSON of a Buffer
          .send(raw);
        expectFieldRefused(res, 'body');
        expect(res.body.errors[0].message).to.match(/UTF-8/);
      });
    });

    it('keeps a well-formed surrogate pair (an emoji)', async () => {
      const res = await send('post', '/customers', customer({ lastName: 'Odhiambo \ud83d\ude00', phone: '+254712000116' }));
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect((await Customer.findByPk(res.body.id))!.lastName).to.equal('Odhiambo \u{1F600}');
    });

    it('refuses NUL in a query value', async () => {
      expectFieldRefused(await send('get', '/customers?q=a%00b', undefined), 'q');
    });
  });

  describe('prototype keys', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      it(`refuses ${key} in a body like any unknown field`, async () => {
        await nothingWritten([Payment, Customer], async () => {
          const pay = JSON.stringify(paymentBody(account.id)).replace(/^\{/, `{"${key}":{"isAdmin":true},`);
          expectFieldRefused(await send('post', '/payments', pay, { raw: true }), key);
          const nested = `{"firstName":"A","lastName":"B","phone":"+254712000117","regionId":${market.region.id},"address":{"addressLine":"x","${key}":1}}`;
          expectFieldRefused(await send('post', '/customers', nested, { raw: true }), `address.${key}`);
        });
      });
    }

    it('refuses __proto__ in a query', async () => {
      expectFieldRefused(await send('get', '/accounts?__proto__=1', undefined), '__proto__');
    });
  });

  describe('problem bodies (RFC 9457)', () => {
    it('never lets an extension override a standard member', () => {
      const body = problems
        .conflict('This refund is already approved.', 'already-decided', { status: 'approved', type: 'x', title: 't', currentStatus: 'approved' })
        .toBody('/x');
      expect(body.status).to.equal(409);
      expect(body.type).to.equal('https://amt.example/problems/already-decided');
      expect(body.title).to.equal('Conflict');
      expect(body.currentStatus).to.equal('approved');
      expect(new HttpProblem(422, 'd', { extensions: { detail: 'other', instance: 'y' } }).toBody('/real')).to.include({
        detail: 'd',
        instance: '/real',
        status: 422,
      });
    });

    it('answers a conflict on a decided record with the HTTP status in status and the state in currentStatus', async () => {
      const raised = await send('post', `/accounts/${account.id}/charges`, { chargeType: 'fee', amount: '20.00', description: 'Late' });
      expect(raised.status, JSON.stringify(raised.body)).to.equal(201);
      const waive = () => send('post', `/accounts/${account.id}/charges/${raised.body.charge.id}/waive`, { reason: 'goodwill' }, { idempotent: false });
      expect((await waive()).status).to.equal(200);
      const again = await waive();
      expect(again.status).to.equal(409);
      expect(again.body.status).to.equal(409);
      expect(again.body.currentStatus).to.equal('waived');
    });
  });

  describe('account lists page like every other list', () => {
    it('pages /accounts/:id/payments and /accounts/:id/ledger by limit and cursor', async () => {
      const a = await openAccount(market);
      for (let i = 0; i < 3; i++) expect((await send('post', '/payments', paymentBody(a.id))).status).to.equal(201);
      for (const [path, total] of [
        [`/accounts/${a.id}/payments`, 3],
        [`/accounts/${a.id}/ledger`, 4],
      ] as const) {
        const seen: number[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res = await send('get', `${path}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined);
          expect(res.status, JSON.stringify(res.body)).to.equal(200);
          expect(res.body.page.limit).to.equal(2);
          expect(res.body.data.length).to.be.at.most(2);
          seen.push(...res.body.data.map((x: { id: number }) => x.id));
          cursor = res.body.page.nextCursor;
          pages++;
        } while (cursor);
        expect(seen.length, path).to.equal(total);
        expect(new Set(seen).size).to.equal(total);
        expect(seen).to.deep.equal([...seen].sort((x, y) => x - y));
        expect(pages).to.equal(2);
      }
      const ledger = await send('get', `/accounts/${a.id}/ledger`, undefined);
      for (const e of ledger.body.data) expect(e.lines.length, `lines of entry ${e.id}`).to.be.at.least(2);
      expectFieldRefused(await send('get', `/accounts/${a.id}/payments?limit=500`, undefined), 'limit');
      for (const bad of ['garbage', Buffer.from('["x"]').toString('base64url'), Buffer.from('[99999999999]').toString('base64url')]) {
        expectFieldRefused(await send('get', `/accounts/${a.id}/ledger?cursor=${bad}`, undefined), 'cursor');
      }
    });
  });

  describe('sweep: malformed input on every route', function () {
    this.timeout(300_000);

    it('answers 4xx, never 5xx, with status equal to the HTTP status in every problem body', async () => {
      const rt = await testRuntime();
      const routes = apiRoutes(rt).filter((r) => ['post', 'put', 'patch'].includes(r.method) && r.body);
      expect(routes.length).to.be.greaterThan(30);
      const scopes = [...new Set(routes.flatMap((r) => (r.access && 'client' in r.access ? [r.access.client] : [])))];
      const gateway = await newCallbackClient({ scopes });
      const failures: string[] = [];
      let sent = 0;
      const requests = routes.flatMap((route) => {
        const path = fillParams(route);
        return malformedBodies(route.body!, baseBody(route.body!)).map(({ what, body }) => async () => {
          const res = route.access && 'client' in route.access ? await sendSigned(gateway, path, body) : await send(route.method, path, body, { raw: true });
          sent++;
          const where = `${route.method.toUpperCase()} ${route.path} ${what}`;
          if (res.status >= 500) failures.push(`${where}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
          else if (ALWAYS_REFUSED.test(what) && res.status !== (takesJson(route) ? 400 : 415)) failures.push(`${where}: ${res.status}, not refused`);
          else if (res.status >= 400 && res.body?.status !== res.status) failures.push(`${where}: problem status ${res.body?.status} on HTTP ${res.status}`);
        });
      });
      // A few at a time: bad input arriving together must not 5xx either, and the sweep stays short.
      await inParallel(requests, 6);
      expect(sent).to.be.greaterThan(300);
      expect(failures, failures.join('\n')).to.deep.equal([]);
    });

    it('answers 4xx, never 5xx, to malformed query values and forged cursors on every list', async () => {
      const rt = await testRuntime();
      const routes = modules.flatMap((m) => m.routes?.(rt) ?? []).filter((r) => r.method === 'get' && r.query && !(r.access && 'client' in r.access));
      const failures: string[] = [];
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      for (const route of routes) {
        const path = fillParams(route);
        const keys = (route.query!.describe() as Described).keys ?? {};
        const tries: [string, string][] = [];
        if (keys.cursor) {
          for (const c of ['garbage', b64(['x']), b64([{ a: 1 }]), b64(['x', 'y']), b64([99999999999]), b64([null, null, null])])
            tries.push([`cursor ${c}`, `cursor=${c}`]);
        }
        for (const [k, d] of Object.entries(keys)) {
          if (k === 'cursor') continue;
          tries.push([`${k}=NUL`, `${k}=a%00b`], [`${k}=surrogate`, `${k}=%ED%A0%80`]);
          if (d.type === 'number') tries.push([`${k}=2147483648`, `${k}=2147483648`], [`${k}=1e300`, `${k}=1e300`]);
          if (d.type === 'string') tries.push([`${k}=2026-02-30`, `${k}=2026-02-30`]);
        }
        tries.push(['__proto__', '__proto__=1']);
        for (const [what, qs] of tries) {
          const res = await send('get', `${path}?${qs}`, undefined, { idempotent: false });
          const where = `GET ${route.path} ${what}`;
          if (res.status >= 500) failures.push(`${where}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
          else if (res.status >= 400 && res.body?.status !== res.status) failures.push(`${where}: problem status ${res.body?.status} on HTTP ${res.status}`);
          else if (/cursor|NUL|__proto__/.test(what) && !route.path.includes(':') && res.status !== 400) failures.push(`${where}: ${res.status}, not refused`);
        }
      }
      expect(failures, failures.join('\n')).to.deep.equal([]);
    });
  });
});

// ---- the sweep's request builders ----

async function inParallel(tasks: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

/** Malformed in every route's eyes, whatever its schema: refused before any handler runs. */
const ALWAYS_REFUSED = /__proto__|constructor|NUL|lone surrogate/;

function takesJson(route: RouteSpec): boolean {
  return !route.consumes || route.consumes.some((t) => t.includes('json'));
}

type Described = { type: string; keys?: Record<string, Described>; allow?: unknown[]; rules?: { name: string }[]; flags?: { presence?: string } };

/** Path parameters: an allowed value where the schema lists them, else an id no row has. */
function fillParams(route: RouteSpec): string {
  const params = (route.params?.describe() as Described | undefined)?.keys ?? {};
  return route.path.replace(/:(\w+)/g, (_m, name: string) => {
    const allowed = params[name]?.allow?.find((v) => typeof v === 'string');
    return encodeURIComponent(String(allowed ?? 2147483647));
  });
}

/** A plausible value for each field, so that one malformed field is what the route judges. */
function plausible(d: Described, name: string): unknown {
  if (d.allow?.length) return d.allow.find((v) => v !== null && v !== '') ?? d.allow[0];
  switch (d.type) {
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return Object.fromEntries(Object.entries(d.keys ?? {}).map(([k, v]) => [k, plausible(v, k)]));
    case 'string':
      if (d.rules?.some((r) => r.name === 'isoDate')) return new Date(Date.now() - 60_000).toISOString();
      if (/date/i.test(name)) return '2026-01-15';
      if (/amount|price/i.test(name)) return '100.00';
      if (/email/i.test(name)) return 'someone@example.com';
      if (/phone|msisdn/i.test(name)) return '+254712000999';
      return 'abc';
    default:
      return 'abc';
  }
}

function baseBody(schema: Joi.Schema): Record<string, unknown> {
  const d = schema.describe() as Described;
  return d.type === 'object' ? (plausible(d, 'body') as Record<string, unknown>) : {};
}

function malformedBodies(schema: Joi.Schema, base: Record<string, unknown>): { what: string; body: string }[] {
  const json = (v: unknown) => JSON.stringify(v);
  const out: { what: string; body: string }[] = [
    { what: '__proto__', body: json(base).replace(/^\{/, '{"__proto__":{"isAdmin":true},').replace(',}', '}') },
    { what: 'constructor', body: json(base).replace(/^\{/, '{"constructor":{"prototype":1},').replace(',}', '}') },
    { what: 'array body', body: '[]' },
    { what: 'string body', body: '"x"' },
    { what: 'null body', body: 'null' },
    { what: 'number body', body: '2147483648' },
  ];
  const keys = (schema.describe() as Described).keys ?? {};
  for (const [field, d] of Object.entries(keys)) {
    const bad: [string, unknown][] = [
      ['NUL', 'a\u0000b'],
      ['lone surrogate', 'a\ud800b'],
      ['impossible date', '2026-02-30'],
      ['zero date', '0000-00-00'],
      ['huge amount', '999999999999.99'],
      ['id beyond INTEGER', 2147483648],
      ['huge number', 1e300],
      ['negative', -1],
      ['wrong type object', { a: 1 }],
      ['wrong type array', ['x']],
      ['NUL key', { 'a\u0000': 1 }],
    ];
    if (d.type === 'string' && /date|time|At$/i.test(field)) bad.push(['future', '9999-12-31T23:59:59Z']);
    for (const [what, value] of bad) out.push({ what: `${field}=${what}`, body: json({ ...base, [field]: value }) });
  }
  return out;
}

async function sendSigned(client: CallbackClient, path: string, raw: string): Promise<Res> {
  const timestamp = Math.floor(Date.now() / 1000);
  return (await api())
    .post(`/api/v1${path}`)
    .set('Content-Type', 'application/json')
    .set('X-Forwarded-For', client.ip)
    .set('X-Client-Id', client.clientId)
    .set('X-Timestamp', String(timestamp))
    .set('X-Signature', signBody(client.secret, timestamp, Buffer.from(raw)))
    .send(raw);
}
