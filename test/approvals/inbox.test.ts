import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { CommissionPayment } from '../../src/modules/commissions/models';
import { loginAs, testRuntime } from '../support/app';
import { createMarket, openAccount, type Market } from '../support/lending';
import { call, loginWithPermissions, pay } from '../lending/support';

/**
 * The approvals inbox (GET /approvals): every pending request the caller may decide, across the
 * five maker-checker kinds, oldest first. The items made here are backdated to 2001 so they are
 * the oldest in the (shared) test database, and each role's first page starts with them.
 */
describe('approvals inbox', () => {
  let market: Market;
  let other: Market;
  let finance1: { token: string; id: number };
  let finance2: { token: string; id: number };
  let agent: { token: string; id: number };
  let backOfficeId: number;
  const mine: Record<'refund' | 'writeoff' | 'reversal' | 'remittance' | 'commission_payment', number> = {} as never;
  /** Items of this test as [kind, id], oldest first. */
  let expected: [string, number][];

  const inbox = (token: string, query = '') => call('get', `/approvals${query}`, token);
  /** The kind/id pairs of this test's items on the first page of a caller's inbox (others' items come later). */
  async function ours(token: string): Promise<[string, number][]> {
    const res = await inbox(token, '?limit=200');
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const ids = new Set(Object.entries(mine).map(([k, id]) => `${k}:${id}`));
    return (res.body.data as { kind: string; id: number }[]).filter((i) => ids.has(`${i.kind}:${i.id}`)).map((i) => [i.kind, i.id]);
  }

  /** Written as the UTC text the models store (a Date replacement would be formatted in the local zone). */
  async function backdate(table: string, id: number, minute: number): Promise<void> {
    const rt = await testRuntime();
    await rt.sequelize.query(`UPDATE ${table} SET createdAt = :at WHERE id = :id`, { replacements: { at: `2001-01-01 00:0${minute}:00`, id } });
  }

  before(async function () {
    this.timeout(120000);
    market = await createMarket({ businessDate: '2026-11-20' });
    other = await createMarket({ businessDate: '2026-11-20' });
    const f1 = await loginAs('finance');
    const f2 = await loginAs('finance');
    const bo = await loginAs('back_office');
    const ag = await loginAs('agent', { regionIds: [market.region.id] });
    finance1 = { token: f1.token, id: f1.user.employee.id };
    finance2 = { token: f2.token, id: f2.user.employee.id };
    agent = { token: ag.token, id: ag.user.employee.id };
    backOfficeId = bo.user.employee.id;

    const paid = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-11-20' });
    const p1 = await pay(finance2.token, paid.id, '100.00');
    const p2 = await pay(finance2.token, paid.id, '50.00');
    expect(p2.status, JSON.stringify(p2.body)).to.equal(201);
    const owing = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, frequency: 'weekly', startDate: '2026-11-20' });

    // Made in an order other than the one they are shown in: the inbox sorts by when they were requested.
    const reversal = await call('post', `/payments/${p2.body.payment.id}/reversal`, bo.token, { reason: 'bounced' });
    expect(reversal.status, JSON.stringify(reversal.body)).to.equal(201);
    mine.reversal = reversal.body.id;
    const refund = await call('post', '/refunds', finance1.token, {
      paymentId: p1.body.payment.id,
      amount: '20.00',
      reason: 'paid twice',
      method: 'mobile_money',
    });
    expect(refund.status, JSON.stringify(refund.body)).to.equal(201);
    mine.refund = refund.body.id;
    const writeoff = await call('post', `/accounts/${owing.id}/writeoff`, bo.token, { reason: 'customer unreachable' });
    expect(writeoff.status, JSON.stringify(writeoff.body)).to.equal(201);
    mine.writeoff = writeoff.body.id;
    const collected = await call('post', '/cash-collections', agent.token, {
      clientCollectionId: randomUUID(),
      accountId: paid.id,
      amount: '30.00',
      collectedAt: new Date().toISOString(),
    });
    expect(collected.status, JSON.stringify(collected.body)).to.equal(201);
    const remitted = await call('post', '/agent-remittances', agent.token, { amount: '30.00', method: 'office_cash' }, { 'Idempotency-Key': randomUUID() });
    expect(remitted.status, JSON.stringify(remitted.body)).to.equal(201);
    mine.remittance = remitted.body.id;
    // A commission payment of the agent, requested (closed) by finance1.
    const commission = await CommissionPayment.create({
      employeeId: agent.id,
      period: '2001-01',
      amount: '12.00',
      status: 'pending',
      requestedBy: finance1.id,
    });
    mine.commission_payment = commission.id;

    await backdate('refunds', mine.refund, 1);
    await backdate('agentRemittances', mine.remittance, 2);
    await backdate('commissionPayments', mine.commission_payment, 3);
    await backdate('writeoffs', mine.writeoff, 3); // same instant: the kind breaks the tie (commission_payment < writeoff)
    await backdate('paymentReversals', mine.reversal, 4);
    expected = [
      ['refund', mine.refund],
      ['remittance', mine.remittance],
      ['commission_payment', mine.commission_payment],
      ['writeoff', mine.writeoff],
      ['reversal', mine.reversal],
    ];
  });

  it('finance sees every kind, oldest first, with what to decide and where', async () => {
    expect(await ours(finance2.token)).to.deep.equal(expected);
    const res = await inbox(finance2.token, '?limit=5');
    expect(res.body.data.slice(0, 5).map((i: { kind: string; id: number }) => [i.kind, i.id])).to.deep.equal(expected);
    const remittance = res.body.data[1];
    expect(remittance).to.deep.equal({
      kind: 'remittance',
      id: mine.remittance,
      amount: '30.00',
      requestedBy: agent.id,
      requestedAt: '2001-01-01T00:02:00.000Z',
      regionId: null,
      accountId: null,
      employeeId: agent.id,
      url: `/api/v1/agent-remittances/${mine.remittance}`,
      approveUrl: `/api/v1/agent-remittances/${mine.remittance}/confirm`,
      rejectUrl: `/api/v1/agent-remittances/${mine.remittance}/reject`,
    });
    expect(res.body.data[0]).to.include({
      kind: 'refund',
      amount: '20.00',
      requestedBy: finance1.id,
      regionId: market.region.id,
      approveUrl: `/api/v1/refunds/${mine.refund}/approve`,
    });
    expect(res.body.data[4]).to.include({
      kind: 'reversal',
      amount: '50.00',
      regionId: market.region.id,
      approveUrl: `/api/v1/payment-reversals/${mine.reversal}/approve`,
    });
  });

  it("leaves out the caller's own requests: the refund and the commission payment finance1 requested", async () => {
    expect(await ours(finance1.token)).to.deep.equal(expected.filter(([k]) => k !== 'refund' && k !== 'commission_payment'));
  });

  it('admin sees every kind; back office and a supervisor only remittances (cash:remit:confirm), the supervisor in their regions', async () => {
    expect(await ours((await loginAs('admin')).token)).to.deep.equal(expected);
    expect(await ours((await loginAs('back_office')).token)).to.deep.equal([['remittance', mine.remittance]]);
    expect(await ours((await loginAs('supervisor', { regionIds: [market.region.id] })).token)).to.deep.equal([['remittance', mine.remittance]]);
    expect(await ours((await loginAs('supervisor', { regionIds: [other.region.id] })).token)).to.deep.equal([]);
  });

  it('agents and collections decide nothing: 403; without a token 401', async () => {
    expect((await inbox(agent.token)).status).to.equal(403);
    expect((await inbox((await loginAs('collections')).token)).status).to.equal(403);
    expect((await call('get', '/approvals', undefined)).status).to.equal(401);
  });

  it('region scoping: a regional approver sees refunds, write-offs, reversals and commissions of their regions only', async () => {
    const approvals = ['approvals:read', 'refunds:approve', 'writeoffs:approve', 'payments:reverse:approve'];
    const here = await loginWithPermissions(approvals, [market.region.id]);
    expect(await ours(here.token)).to.deep.equal(expected.filter(([k]) => k === 'refund' || k === 'writeoff' || k === 'reversal'));
    const elsewhere = await loginWithPermissions(approvals, [other.region.id]);
    expect(await ours(elsewhere.token)).to.deep.equal([]);
    // Commissions: an approver who sees employees sees those of their regions only.
    const boss = await loginWithPermissions(['approvals:read', 'commissions:approve', 'employees:read'], [market.region.id]);
    expect(await ours(boss.token)).to.deep.equal([['commission_payment', mine.commission_payment]]);
    const otherBoss = await loginWithPermissions(['approvals:read', 'commissions:approve', 'employees:read'], [other.region.id]);
    expect(await ours(otherBoss.token)).to.deep.equal([]);
  });

  it('pages by cursor without gaps or repeats; a bad cursor or limit is a 400 naming the field', async () => {
    const seen: [string, number][] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await inbox(finance2.token, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.page.limit).to.equal(2);
      expect(res.body.data.length).to.be.within(1, 2);
      seen.push(...res.body.data.map((i: { kind: string; id: number }) => [i.kind, i.id] as [string, number]));
      cursor = res.body.page.nextCursor;
      pages++;
    } while (cursor && seen.length < 5);
    expect(pages).to.equal(3);
    expect(seen.slice(0, 5)).to.deep.equal(expected);
    expect(new Set(seen.map(([k, id]) => `${k}:${id}`)).size).to.equal(seen.length);
    // A page break between two kinds requested at the same instant (commission_payment | writeoff): the kind breaks the tie.
    const first = await inbox(finance2.token, '?limit=3');
    expect(first.body.data.map((i: { kind: string; id: number }) => [i.kind, i.id])).to.deep.equal(expected.slice(0, 3));
    const second = await inbox(finance2.token, `?limit=2&cursor=${first.body.page.nextCursor}`);
    expect(second.body.data.map((i: { kind: string; id: number }) => [i.kind, i.id])).to.deep.equal(expected.slice(3, 5));
    const bad = await inbox(finance2.token, '?cursor=bm90LWEtY3Vyc29y');
    expect(bad.status).to.equal(400);
    expect(JSON.stringify(bad.body)).to.contain('cursor');
    const tooMany = await inbox(finance2.token, '?limit=1000');
    expect(tooMany.status).to.equal(400);
    expect(JSON.stringify(tooMany.body)).to.contain('limit');
  });

  it("every kind's list filters by requester (requestedBy) beside status; a bad one is a 400 naming it", async () => {
    const ids = async (path: string) => {
      const res = await call('get', path, finance2.token);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res.body.data.map((r: { id: number }) => r.id);
    };
    expect(await ids(`/refunds?status=pending&requestedBy=${finance1.id}`)).to.include(mine.refund);
    expect(await ids(`/refunds?requestedBy=${finance2.id}`)).to.not.include(mine.refund);
    expect(await ids(`/writeoffs?status=pending&requestedBy=${backOfficeId}`)).to.deep.equal([mine.writeoff]);
    expect(await ids(`/payment-reversals?requestedBy=${backOfficeId}`)).to.deep.equal([mine.reversal]);
    expect(await ids(`/commissions/payments?status=pending&requestedBy=${finance1.id}`)).to.deep.equal([mine.commission_payment]);
    expect(await ids(`/commissions/payments?requestedBy=${backOfficeId}`)).to.deep.equal([]);
    for (const path of ['/refunds', '/writeoffs', '/payment-reversals', '/commissions/payments']) {
      const bad = await call('get', `${path}?requestedBy=someone`, finance2.token);
      expect(bad.status, path).to.equal(400);
      expect(JSON.stringify(bad.body), path).to.contain('requestedBy');
    }
  });

  it('an item decided through its approveUrl leaves the inbox', async () => {
    const before = await inbox(finance2.token, '?limit=5');
    const remittance = before.body.data.find((i: { kind: string }) => i.kind === 'remittance');
    const confirmed = await call('post', remittance.approveUrl.replace('/api/v1', ''), finance2.token);
    expect(confirmed.status, JSON.stringify(confirmed.body)).to.equal(200);
    expect(confirmed.body).to.include({ id: mine.remittance, status: 'confirmed', confirmedBy: finance2.id });
    expect(await ours(finance2.token)).to.deep.equal(expected.filter(([k]) => k !== 'remittance'));
  });
});
