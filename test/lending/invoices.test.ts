import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { JournalEntry } from '../../src/modules/ledger/models';
import { Decimal } from '../../src/platform/money';
import { loginAs } from '../support/app';
import { createMarket, openAccount, type Market } from '../support/lending';
import { call, pay } from './support';

describe('lending: monthly statements', () => {
  let market: Market;
  let staff: string;
  let finance: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: staff } = await loginAs('back_office'));
    ({ token: finance } = await loginAs('finance'));
  });
  beforeEach(() => market.setDate('2026-11-20'));

  const generate = (accountId: number, period: string, token = staff) => call('post', `/accounts/${accountId}/invoices`, token, { period });
  const sumLines = (lines: { amount: string }[]) => lines.reduce((s, l) => s.plus(l.amount), new Decimal(0)).toFixed(2);

  it('lists the month (instalments due, charges, payments as negative lines) with opening and closing balances; asking again returns the same statement', async () => {
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-11-20' });
    await pay(finance, account.id, '100.00');
    await call(
      'post',
      `/accounts/${account.id}/charges`,
      staff,
      { chargeType: 'fee', amount: '50.00', description: 'Delivery' },
      { 'Idempotency-Key': randomUUID() },
    );
    await market.setDate('2026-12-05');
    const december = await pay(finance, account.id, '300.00');
    expect(december.status).to.equal(201);
    const entriesBefore = await JournalEntry.count({ where: { accountId: account.id } });

    const nov = await generate(account.id, '2026-11');
    expect(nov.status, JSON.stringify(nov.body)).to.equal(201);
    expect(nov.body).to.include({
      periodStart: '2026-11-01',
      periodEnd: '2026-11-30',
      dueDate: '2026-11-30',
      openingBalance: '0.00',
      closingBalance: '950.00',
      tax: '0.00',
      status: 'draft',
      currency: 'KES',
    });
    expect(nov.body.invoiceNumber).to.match(/^INV\d+/);
    expect(nov.body.lines.map((l: { lineType: string; amount: string }) => [l.lineType, l.amount])).to.deep.equal([
      ['installment', '100.00'],
      ['installment', '300.00'],
      ['charge', '50.00'],
      ['payment', '-100.00'],
    ]);
    expect(nov.body.amount).to.equal('350.00');
    expect(nov.body.totalAmount).to.equal(sumLines(nov.body.lines));

    const again = await generate(account.id, '2026-11');
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal(nov.body);

    const dec = await generate(account.id, '2026-12');
    expect(dec.status).to.equal(201);
    expect(dec.body).to.include({ openingBalance: '950.00', closingBalance: '650.00', amount: '300.00' });
    expect(dec.body.lines.map((l: { lineType: string; amount: string }) => [l.lineType, l.amount])).to.deep.equal([
      ['installment', '300.00'],
      ['installment', '300.00'],
      ['payment', '-300.00'],
    ]);
    expect(dec.body.invoiceNumber).to.not.equal(nov.body.invoiceNumber);
    expect(await JournalEntry.count({ where: { accountId: account.id } }), 'a statement posts nothing').to.equal(entriesBefore);

    const list = await call('get', `/accounts/${account.id}/invoices?limit=1`, staff);
    expect(list.status).to.equal(200);
    expect(list.body.data.map((i: { id: number }) => i.id)).to.deep.equal([dec.body.id]);
    expect(list.body.data[0].lines).to.equal(undefined);
    const next = await call('get', `/accounts/${account.id}/invoices?limit=1&cursor=${list.body.page.nextCursor}`, staff);
    expect(next.body.data.map((i: { id: number }) => i.id)).to.deep.equal([nov.body.id]);
    expect(next.body.page.nextCursor).to.equal(null);
    const one = await call('get', `/invoices/${nov.body.id}`, staff);
    expect(one.status).to.equal(200);
    expect(one.body).to.deep.equal(nov.body);
  });

  it('shows a reversal in its month as a positive adjustment', async () => {
    const account = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    const paid = await pay(finance, account.id, '100.00');
    const r = await call('post', `/payments/${paid.body.payment.id}/reversal`, staff, { reason: 'bounced' });
    await call('post', `/payment-reversals/${r.body.id}/approve`, finance);
    const nov = await generate(account.id, '2026-11');
    expect(
      nov.body.lines.filter((l: { lineType: string }) => l.lineType !== 'installment').map((l: { lineType: string; amount: string }) => [l.lineType, l.amount]),
    ).to.deep.equal([
      ['payment', '-100.00'],
      ['adjustment', '100.00'],
    ]);
    expect(nov.body.closingBalance).to.equal('500.00');
  });

  it('concurrent requests for one month make one statement', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const results = await Promise.all(Array.from({ length: 5 }, () => generate(account.id, '2026-11')));
    expect(results.map((r) => r.status).sort()).to.deep.equal([200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).to.equal(1);
  });

  it('4xx: 400 for a bad month or unknown field, 422 for a month not started, 401, 403, 404 in another region', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const bad = await call('post', `/accounts/${account.id}/invoices`, staff, { period: '2026-13', extra: true });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['period', 'extra']);
    const future = await generate(account.id, '2027-01');
    expect(future.status).to.equal(422);
    expect(future.body.type).to.match(/period-not-started/);
    expect((await call('post', `/accounts/${account.id}/invoices`, undefined, { period: '2026-11' })).status).to.equal(401);
    const { token: collections } = await loginAs('collections');
    expect((await generate(account.id, '2026-11', collections)).status).to.equal(403);

    const nov = await generate(account.id, '2026-11');
    const elsewhere = await createMarket();
    const { token: agent } = await loginAs('agent', { regionIds: [elsewhere.region.id] });
    expect((await generate(account.id, '2026-11', agent)).status).to.equal(404);
    expect((await call('get', `/accounts/${account.id}/invoices`, agent)).status).to.equal(404);
    expect((await call('get', `/invoices/${nov.body.id}`, agent)).status).to.equal(404);
    const { token: local } = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await call('get', `/invoices/${nov.body.id}`, local)).status).to.equal(200);
    expect((await call('get', '/invoices/99999999', staff)).status).to.equal(404);
  });
});
