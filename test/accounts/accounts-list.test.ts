import { expect } from 'chai';
import { loginAs } from '../support/app';
import { createMarket, openAccount, type Market } from '../support/lending';
import { call, loginWithPermissions, pay } from '../lending/support';

describe('accounts: the list back office and collections work from', () => {
  let market: Market;
  let elsewhere: Market;
  let admin: string;
  let ids: { late: number; lateDown: number; current: number; active: number; far: number };
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    elsewhere = await createMarket({ businessDate: '2026-11-20' });
    ({ token: admin } = await loginAs('admin'));
    // Down payment paid today on a sale of 2026-10-09: active, instalment 1 (due 2026-10-16) 35 days late.
    const late = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 4, startDate: '2026-10-09' });
    expect((await pay(admin, late.id, '100.00')).status).to.equal(201);
    // Down payment 35 days late: pending, no loan yet, so no DPD or PAR bucket (it shows as its overdue instalment 0).
    const lateDown = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 4, startDate: '2026-10-16' });
    const current = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 4, startDate: '2026-11-20' });
    const active = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 4, startDate: '2026-11-20' });
    expect((await pay(admin, active.id, '100.00')).status).to.equal(201);
    const far = await openAccount(elsewhere, { startDate: '2026-11-20' });
    ids = { late: late.id, lateDown: lateDown.id, current: current.id, active: active.id, far: far.id };
  });

  it('filters by status, PAR bucket and DPD; newest first; region-scoped for field staff', async () => {
    const inRegion = await call('get', `/accounts?regionId=${market.region.id}&limit=200`, admin);
    expect(inRegion.status).to.equal(200);
    expect(inRegion.body.data.map((a: { id: number }) => a.id)).to.deep.equal([ids.active, ids.current, ids.lateDown, ids.late]);

    const late = await call('get', `/accounts?regionId=${market.region.id}&minDaysPastDue=30`, admin);
    expect(late.body.data.map((a: { id: number }) => a.id)).to.deep.equal([ids.late]);
    expect(late.body.data[0]).to.include({ daysPastDue: 35, parBucket: '31-60', status: 'active' });
    const anyLate = await call('get', `/accounts?regionId=${market.region.id}&minDaysPastDue=1`, admin);
    expect(anyLate.body.data.map((a: { id: number }) => a.id)).to.deep.equal([ids.late]);
    const bucket = await call('get', `/accounts?regionId=${market.region.id}&parBucket=31-60`, admin);
    expect(bucket.body.data.map((a: { id: number }) => a.id)).to.deep.equal([ids.late]);
    const active = await call('get', `/accounts?regionId=${market.region.id}&status=active`, admin);
    expect(active.body.data.map((a: { id: number }) => a.id)).to.deep.equal([ids.active, ids.late]);
    // The late down payment: a pending account with DPD 0, found by status and its overdue instalment 0.
    const pending = await call('get', `/accounts?regionId=${market.region.id}&status=pending`, admin);
    expect(pending.body.data.map((a: { id: number }) => a.id)).to.deep.equal([ids.current, ids.lateDown]);
    expect(pending.body.data[1]).to.include({ daysPastDue: 0, parBucket: 'current' });
    const detail = await call('get', `/accounts/${ids.lateDown}`, admin);
    expect(detail.body.schedule[0]).to.include({ installmentNumber: 0, dueDate: '2026-10-16', status: 'overdue' });

    const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
    const mine = await call('get', '/accounts?limit=200', agent);
    expect(mine.body.data.map((a: { id: number }) => a.id)).to.include.members([ids.late, ids.current, ids.active]);
    expect(mine.body.data.map((a: { id: number }) => a.id)).to.not.include(ids.far);
    expect(mine.body.data.every((a: { regionId: number }) => a.regionId === market.region.id)).to.equal(true);
  });

  it('pages with a cursor', async () => {
    const first = await call('get', `/accounts?regionId=${market.region.id}&limit=2`, admin);
    expect(first.body.data).to.have.length(2);
    expect(first.body.page.nextCursor).to.be.a('string');
    const rest = await call('get', `/accounts?regionId=${market.region.id}&limit=2&cursor=${first.body.page.nextCursor}`, admin);
    expect(rest.body.data.map((a: { id: number }) => a.id)).to.deep.equal([ids.lateDown, ids.late]);
    expect(rest.body.page.nextCursor).to.equal(null);
  });

  it('4xx: 400 names the fields, 401 without a token, 403 without accounts:read', async () => {
    const bad = await call('get', '/accounts?status=lost&minDaysPastDue=-1&cursor=%%%&colour=red', admin);
    expect(bad.status).to.equal(400);
    const fields = (bad.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).to.include.members(['status', 'minDaysPastDue', 'colour']);
    expect((await call('get', '/accounts', undefined)).status).to.equal(401);
    const { token: noRead } = await loginWithPermissions(['payments:read'], [market.region.id]);
    const refused = await call('get', '/accounts', noRead);
    expect(refused.status).to.equal(403);
    expect(refused.body.detail).to.contain('accounts:read');
  });
});
