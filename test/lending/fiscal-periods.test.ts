import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Account } from '../../src/modules/accounts/models';
import { SystemLog } from '../../src/modules/audit/models';
import { FiscalPeriod } from '../../src/modules/ledger/models';
import { Payment } from '../../src/modules/payments/models';
import { loginAs } from '../support/app';
import { createMarket, expectBooksBalanced, openAccount, type Market } from '../support/lending';
import { call, pay } from './support';

describe('lending: fiscal periods', () => {
  let market: Market;
  let period: FiscalPeriod;
  let finance: string;
  let staff: string;
  before(async () => {
    // A period of the market's own country, so closing it touches no other test's postings.
    market = await createMarket({ businessDate: '2026-11-20' });
    period = await FiscalPeriod.create({
      name: `${market.country.code} 2026-11`,
      startDate: '2026-11-01',
      endDate: '2026-11-30',
      countryId: market.country.id,
    });
    ({ token: finance } = await loginAs('finance'));
    ({ token: staff } = await loginAs('back_office'));
  });

  it('closing a period blocks postings (409, nothing written); re-opening allows them again', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const listed = await call('get', `/fiscal-periods?countryId=${market.country.id}`, finance);
    expect(listed.status).to.equal(200);
    expect(listed.body.data.map((p: { id: number; status: string }) => [p.id, p.status])).to.deep.equal([[period.id, 'open']]);

    const closed = await call('post', `/fiscal-periods/${period.id}/close`, finance);
    expect(closed.status).to.equal(200);
    expect(closed.body).to.include({ status: 'closed', countryId: market.country.id });
    expect(closed.body.closedBy).to.be.a('number');
    expect(closed.body.closedAt).to.be.a('string');
    const twice = await call('post', `/fiscal-periods/${period.id}/close`, finance);
    expect(twice.status).to.equal(409);

    try {
      const refused = await pay(finance, account.id, '100.00');
      expect(refused.status).to.equal(409);
      expect(refused.body.type).to.match(/fiscal-period-closed/);
      const charge = await call(
        'post',
        `/accounts/${account.id}/charges`,
        staff,
        { chargeType: 'fee', amount: '5.00', description: 'x' },
        { 'Idempotency-Key': randomUUID() },
      );
      expect(charge.status).to.equal(409);
      expect(await Payment.count({ where: { accountId: account.id } })).to.equal(0);
      expect((await Account.findByPk(account.id))!.balance).to.equal(account.balance);
    } finally {
      const reopened = await call('post', `/fiscal-periods/${period.id}/reopen`, finance);
      expect(reopened.status).to.equal(200);
      expect(reopened.body).to.include({ status: 'open', closedBy: null, closedAt: null });
    }
    expect((await call('post', `/fiscal-periods/${period.id}/reopen`, finance)).status).to.equal(409);
    expect((await pay(finance, account.id, '100.00')).status).to.equal(201);
    const log = await SystemLog.findAll({ where: { entity: 'fiscalPeriods', entityId: period.id }, order: [['id', 'ASC']] });
    expect(log.map((l) => l.action)).to.deep.equal(['fiscalPeriod.close', 'fiscalPeriod.reopen']);
    await expectBooksBalanced([account.id]);
  });

  it('lists with filters and pages', async () => {
    const global = await call('get', '/fiscal-periods?countryId=global&from=2026-11-15&to=2027-01-15&limit=2', finance);
    expect(global.status).to.equal(200);
    expect(global.body.data.map((p: { name: string }) => p.name)).to.deep.equal(['2026-11', '2026-12']);
    const next = await call('get', `/fiscal-periods?countryId=global&from=2026-11-15&to=2027-01-15&limit=2&cursor=${global.body.page.nextCursor}`, finance);
    expect(next.body.data.map((p: { name: string }) => p.name)).to.deep.equal(['2027-01']);
    expect(next.body.page.nextCursor).to.equal(null);
  });

  it('4xx: 400 for bad filters, 401, 403 without fiscal:manage, 404 for an unknown period', async () => {
    const bad = await call('get', '/fiscal-periods?status=ajar&colour=red', finance);
    expect(bad.status).to.equal(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['status', 'colour']);
    expect((await call('get', '/fiscal-periods', undefined)).status).to.equal(401);
    expect((await call('post', `/fiscal-periods/${period.id}/close`, staff)).status).to.equal(403);
    expect((await call('post', '/fiscal-periods/99999999/close', finance)).status).to.equal(404);
    expect((await FiscalPeriod.findByPk(period.id))!.status).to.equal('open');
  });
});
