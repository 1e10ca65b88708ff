import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { CommissionEntry, CommissionPayment } from '../../src/modules/commissions/models';
import { Decimal } from '../../src/platform/money';
import { createEmployee, loginAs, testRuntime, tokenFor } from '../support/app';
import { createMarket, expectBooksBalanced, type Market } from '../support/lending';
import { call, entryLines, loginWithPermissions, pay } from '../lending/support';
import { createCommissionPlan, nightly, sellAccount, STAGED } from './support';

interface PaymentBody {
  id: number;
  employeeId: number;
  amount: string;
  status: string;
  period: string;
  requestedBy: number;
  journalEntryId: number | null;
}

describe('commissions: monthly close and payouts (maker-checker)', () => {
  let market: Market;
  let cashier: string;
  let closer: { token: string; employeeId: number };
  let checker: string;
  let payer: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: cashier } = await loginAs('finance'));
    ({ token: checker } = await loginAs('finance'));
    ({ token: payer } = await loginAs('finance'));
    // A regional finance officer: closes (and could approve) for the employees of this region only.
    closer = await loginWithPermissions(['commissions:read', 'commissions:pay', 'commissions:approve', 'employees:read'], [market.region.id]);
    await createCommissionPlan([
      { eventType: 'sale', amount: '1000.00', stages: STAGED, clawbackWithinDays: 90, regionId: market.region.id },
      { eventType: 'collection', percentage: '2.0000', regionId: market.region.id },
    ]);
  });
  beforeEach(() => market.setDate('2026-11-20'));

  const close = (period: string, token = closer.token) => call('post', '/commissions/payments/close', token, { period });
  const mine = (body: { payments: PaymentBody[] }, employeeId: number) => body.payments.filter((p) => p.employeeId === employeeId);

  /** An agent (or another role) in the market with an activated sale: 500.00 payable now (+ 2 % of `extra` collected). */
  async function earner(role = 'agent', extra = '0.00') {
    const user = await createEmployee(role, { regionIds: [market.region.id] });
    const account = await sellAccount(market, user.employee.id, { price: '6000.00', downPayment: '600.00', duration: 10, frequency: 'monthly' });
    expect((await pay(cashier, account.id, new Decimal('600.00').plus(extra).toFixed(2))).status).to.equal(201);
    return { user, employeeId: user.employee.id, account };
  }

  it('closes a month into one pending payment per employee of what is payable up to its last day; a second run adds nothing', async () => {
    const a = await earner('agent', '100.00');
    const b = await earner();
    await market.setDate('2026-12-05');
    expect((await pay(cashier, a.account.id, '50.00')).status).to.equal(201); // December collection: 1.00

    const res = await close('2026-11');
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.include({ period: '2026-11', periodEnd: '2026-11-30' });
    const [pa] = mine(res.body, a.employeeId);
    const [pb] = mine(res.body, b.employeeId);
    expect(pa).to.include({ amount: '502.00', status: 'pending', period: '2026-11', requestedBy: closer.employeeId });
    expect(pb).to.include({ amount: '500.00', status: 'pending' });
    const entries = await CommissionEntry.findAll({
      where: { employeeId: a.employeeId },
      order: [
        ['earnedOn', 'ASC'],
        ['id', 'ASC'],
      ],
    });
    expect(entries.map((e) => [e.eventType, e.amount, e.status, e.commissionPaymentId])).to.deep.equal([
      ['sale', '500.00', 'included', pa!.id],
      ['collection', '2.00', 'included', pa!.id],
      ['collection', '1.00', 'payable', null],
      ['sale', '250.00', 'accrued', null],
      ['sale', '250.00', 'accrued', null],
    ]);

    const again = await close('2026-11');
    expect(again.status).to.equal(200);
    expect(mine(again.body, a.employeeId)).to.deep.equal([]);
    expect(await CommissionPayment.count({ where: { employeeId: a.employeeId } })).to.equal(1);

    const list = await call('get', `/commissions/payments?period=2026-11&employeeId=${a.employeeId}`, checker);
    expect(list.status).to.equal(200);
    expect(list.body.data.map((p: PaymentBody) => p.id)).to.deep.equal([pa!.id]);
    const detail = await call('get', `/commissions/payments/${pa!.id}`, checker);
    expect(detail.body.entries).to.deep.equal([
      { eventType: 'sale', count: 1, amount: '500.00' },
      { eventType: 'collection', count: 1, amount: '2.00' },
    ]);

    // December's close takes the December collection.
    const dec = await close('2026-12');
    expect(mine(dec.body, a.employeeId).map((p) => p.amount)).to.deep.equal(['1.00']);
  });

  it('approval books Dr 5300 / Cr 2500 and payment Dr 2500 / Cr 1130; the books balance and commission payable is settled', async () => {
    const a = await earner('agent', '100.00');
    const [p] = mine((await close('2026-11')).body, a.employeeId);
    const approved = await call('post', `/commissions/payments/${p!.id}/approve`, checker);
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    expect(approved.body).to.include({ status: 'approved', amount: '502.00' });
    expect((await call('post', `/commissions/payments/${p!.id}/approve`, checker)).status).to.equal(409);

    await market.setDate('2026-12-02');
    const paid = await call('post', `/commissions/payments/${p!.id}/pay`, payer, { paymentReference: 'BANK-REF-1' });
    expect(paid.status, JSON.stringify(paid.body)).to.equal(200);
    expect(paid.body).to.include({ status: 'paid', paidDate: '2026-12-02', paymentReference: 'BANK-REF-1' });
    expect(await entryLines('commission', p!.id)).to.deep.equal([
      ['5300 Dr 502.00', '2500 Cr 502.00'],
      ['2500 Dr 502.00', '1130 Cr 502.00'],
    ]);
    expect((await call('post', `/commissions/payments/${p!.id}/pay`, payer, { paymentReference: 'BANK-REF-2' })).status).to.equal(409);

    const { sequelize } = await testRuntime();
    const [payable] = await sequelize.query<{ net: string }>(
      `SELECT SUM(l.credit) - SUM(l.debit) AS net FROM journalLines l JOIN journalEntries e ON e.id = l.journalEntryId
         JOIN ledgerAccounts la ON la.id = l.ledgerAccountId WHERE la.code = '2500' AND e.sourceType = 'commission' AND e.sourceId = :id`,
      { replacements: { id: p!.id }, type: QueryTypes.SELECT },
    );
    expect(new Decimal(payable!.net).toFixed(2)).to.equal('0.00');
    await expectBooksBalanced([a.account.id]);
  });

  it('maker-checker: neither the requester nor the payee may approve (403, and the database refuses it too); the payee may not pay themselves', async () => {
    const payee = await earner('finance');
    const payeeToken = await tokenFor(payee.user);
    const [p] = mine((await close('2026-11')).body, payee.employeeId);
    expect(p).to.include({ status: 'pending', amount: '500.00' });

    const byMaker = await call('post', `/commissions/payments/${p!.id}/approve`, closer.token);
    expect(byMaker.status).to.equal(403);
    expect(byMaker.body.type).to.match(/four-eyes$/);
    const byPayee = await call('post', `/commissions/payments/${p!.id}/approve`, payeeToken);
    expect(byPayee.status).to.equal(403);
    expect((await call('post', `/commissions/payments/${p!.id}/reject`, closer.token, { reason: 'my own request' })).status).to.equal(403);

    let refused: unknown;
    await CommissionPayment.update({ approvedBy: payee.employeeId, status: 'approved' }, { where: { id: p!.id } }).catch((e: unknown) => (refused = e));
    expect(String(refused)).to.match(/approvedBy must differ/);
    await CommissionPayment.update({ approvedBy: closer.employeeId, status: 'approved' }, { where: { id: p!.id } }).catch((e: unknown) => (refused = e));
    expect(String(refused)).to.match(/approvedBy must differ/);
    expect((await CommissionPayment.findByPk(p!.id))!.status).to.equal('pending');

    expect((await call('post', `/commissions/payments/${p!.id}/approve`, checker)).status).to.equal(200);
    const selfPaid = await call('post', `/commissions/payments/${p!.id}/pay`, payeeToken, { paymentReference: 'SELF' });
    expect(selfPaid.status).to.equal(403);
    expect((await call('post', `/commissions/payments/${p!.id}/pay`, payer, { paymentReference: 'BANK-REF-3' })).status).to.equal(200);
  });

  it('rejection returns the entries to payable for the next close', async () => {
    const a = await earner();
    const [p] = mine((await close('2026-11')).body, a.employeeId);
    const rejected = await call('post', `/commissions/payments/${p!.id}/reject`, checker, { reason: 'sale under investigation' });
    expect(rejected.status).to.equal(200);
    expect(rejected.body).to.include({ status: 'rejected', rejectionReason: 'sale under investigation' });
    expect((await call('post', `/commissions/payments/${p!.id}/approve`, checker)).status).to.equal(409);
    const sale = await CommissionEntry.findOne({ where: { employeeId: a.employeeId, eventType: 'sale', stage: 0 } });
    expect(sale).to.include({ status: 'payable', commissionPaymentId: null });
    expect(mine((await close('2026-12')).body, a.employeeId).map((x) => x.amount)).to.deep.equal(['500.00']);
  });

  it('a clawback of commission already paid is deducted from the next payment, or carried forward when it exceeds it', async () => {
    const { token: maker } = await loginAs('back_office');
    const a = await earner();
    const b = await earner();
    const nov = await close('2026-11');
    for (const e of [a, b]) {
      const [p] = mine(nov.body, e.employeeId);
      expect((await call('post', `/commissions/payments/${p!.id}/approve`, checker)).status).to.equal(200);
      expect((await call('post', `/commissions/payments/${p!.id}/pay`, payer, { paymentReference: `REF-${p!.id}` })).status).to.equal(200);
    }
    // a sells again in December (500.00 + 2.00 collected); both first accounts are written off within 90 days.
    await market.setDate('2026-12-01');
    const second = await sellAccount(market, a.employeeId, { price: '6000.00', downPayment: '600.00', duration: 10, frequency: 'monthly' });
    await pay(cashier, second.id, '700.00');
    await market.setDate('2026-12-20');
    for (const e of [a, b]) {
      const w = await call('post', `/accounts/${e.account.id}/writeoff`, maker, { reason: 'customer unreachable' });
      expect((await call('post', `/writeoffs/${w.body.id}/approve`, cashier)).status).to.equal(200);
    }
    await nightly(market, '2026-12-20');

    const dec = await close('2026-12');
    expect(dec.status).to.equal(200);
    const [pa] = mine(dec.body, a.employeeId);
    expect(pa).to.include({ amount: '2.00', status: 'pending' });
    expect(mine(dec.body, b.employeeId)).to.deep.equal([]);
    expect(dec.body.carriedForward.filter((c: { employeeId: number }) => c.employeeId === b.employeeId)).to.deep.equal([
      { employeeId: b.employeeId, payable: '0.00', clawbacks: '500.00' },
    ]);
    const detail = await call('get', `/commissions/payments/${pa!.id}`, checker);
    expect(detail.body.clawbacks.map((c: { amount: string; accountId: number }) => [c.accountId, c.amount])).to.deep.equal([[a.account.id, '500.00']]);

    expect((await call('post', `/commissions/payments/${pa!.id}/approve`, checker)).status).to.equal(200);
    expect(await entryLines('commission', pa!.id)).to.deep.equal([['5300 Dr 502.00', '5300 Cr 500.00', '2500 Cr 2.00']]);
    await expectBooksBalanced([a.account.id, second.id]);
  });

  describe('who sees what, and the 4xx paths', () => {
    it('an agent sees only their own entries and payments; another employee is a 404', async () => {
      const a = await earner();
      const other = await earner();
      const token = await tokenFor(a.user);
      const own = await call('get', '/commissions/entries', token);
      expect(own.status).to.equal(200);
      expect(own.body.data.length).to.be.greaterThan(0);
      expect(new Set(own.body.data.map((e: { employeeId: number }) => e.employeeId))).to.deep.equal(new Set([a.employeeId]));
      expect(
        (await call('get', `/commissions/entries?employeeId=${a.employeeId}&status=payable`, token)).body.data.map((e: { amount: string }) => e.amount),
      ).to.deep.equal(['500.00']);
      expect((await call('get', `/commissions/entries?employeeId=${other.employeeId}`, token)).status).to.equal(404);
      expect((await call('get', `/commissions/payments?employeeId=${other.employeeId}`, token)).status).to.equal(404);
      const [p] = mine((await close('2026-11')).body, other.employeeId);
      expect((await call('get', `/commissions/payments/${p!.id}`, token)).status).to.equal(404);
      expect((await call('post', '/commissions/payments/close', token, { period: '2026-11' })).status).to.equal(403);
      expect((await call('post', `/commissions/payments/${p!.id}/approve`, token)).status).to.equal(403);
    });

    it("a supervisor sees their regions' employees, not another region's", async () => {
      const a = await earner();
      const away = await createMarket({ businessDate: '2026-11-20' });
      const stranger = await createEmployee('agent', { regionIds: [away.region.id] });
      const { token } = await loginAs('supervisor', { regionIds: [market.region.id] });
      const seen = await call('get', `/commissions/entries?employeeId=${a.employeeId}`, token);
      expect(seen.status).to.equal(200);
      expect(seen.body.data.length).to.be.greaterThan(0);
      expect((await call('get', `/commissions/entries?employeeId=${stranger.employee.id}`, token)).status).to.equal(404);
    });

    it('401 without a token; 400 naming the field; 404 for no such payment; 409 out of order', async () => {
      expect((await call('get', '/commissions/entries', undefined)).status).to.equal(401);
      expect((await call('post', '/commissions/payments/close', undefined, { period: '2026-11' })).status).to.equal(401);
      for (const [body, field] of [
        [{ period: '2026-13' }, 'period'],
        [{ period: 'November' }, 'period'],
        [{}, 'period'],
        [{ period: '2026-11', dryRun: true }, 'dryRun'],
      ] as const) {
        const r = await call('post', '/commissions/payments/close', closer.token, body);
        expect(r.status, JSON.stringify(body)).to.equal(400);
        expect(r.body.errors.map((e: { field: string }) => e.field)).to.include(field);
      }
      const q = await call('get', '/commissions/entries?status=earned&sort=amount', checker);
      expect(q.status).to.equal(400);
      expect(q.body.errors.map((e: { field: string }) => e.field)).to.include.members(['status', 'sort']);
      expect((await call('post', '/commissions/payments/999999999/approve', checker)).status).to.equal(404);
      expect((await call('get', '/commissions/payments/999999999', checker)).status).to.equal(404);

      const a = await earner();
      const [p] = mine((await close('2026-11')).body, a.employeeId);
      const early = await call('post', `/commissions/payments/${p!.id}/pay`, payer, { paymentReference: 'TOO-EARLY' });
      expect(early.status).to.equal(409);
      const noRef = await call('post', `/commissions/payments/${p!.id}/pay`, payer, {});
      expect(noRef.status).to.equal(400);
      expect(noRef.body.errors[0].field).to.equal('paymentReference');
      const noReason = await call('post', `/commissions/payments/${p!.id}/reject`, checker, {});
      expect(noReason.status).to.equal(400);
      expect(noReason.body.errors[0].field).to.equal('reason');
    });
  });
});
