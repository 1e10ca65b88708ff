import { expect } from 'chai';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import { ReportSnapshot } from '../../src/modules/reporting/models';
import { api, loginAs, testRuntime } from '../support/app';
import { createRegion } from '../support/app';
import type { Market } from '../support/lending';
import { CLOSED, craftPortfolio, freshMarket, payNow } from '../operations/support';

/**
 * The crafted portfolio of test/operations/support.ts, closed on CLOSED (2026-11-20):
 * live accounts (active, suspended) owe 900 + 900 + 750 + 900 (suspended, DPD 15) + 890
 * (suspended, DPD 50) + 900 = 5240.00; PAR1 = (900 + 890) / 5240, PAR30 = 890 / 5240.
 * Month to date: collected 1310.00 of which 600.00 paid down payments = 710.00; instalments
 * (not down payments) due 1-20 November: 300 + 300 + 900 + 3 x 90 + 300 (the pending account) = 2070.00.
 */
const REGION_ROW = {
  snapshotDate: CLOSED,
  level: 'region',
  accounts: 8,
  accountsByStatus: { active: 4, closed: 1, pending: 1, suspended: 2 },
  outstandingBalance: '5240.00',
  par1: '0.3416',
  par30: '0.1698',
  par60: '0.0000',
  par90: '0.0000',
  collectionRate: '0.3430',
  collected: '710.00',
  due: '2070.00',
  periodFrom: '2026-11-01',
  periodTo: CLOSED,
};

describe('reports: portfolio snapshots of the nightly close', () => {
  let market: Market;
  let finance: string;
  before(async () => {
    market = await freshMarket();
    await craftPortfolio(market);
    await closeDayInline(await testRuntime(), market.country.id, CLOSED);
    ({ token: finance } = await loginAs('finance'));
  });

  it('GET /reports/portfolio gives the region and the country rows with their figures', async () => {
    const res = await (await api()).get('/api/v1/reports/portfolio').query({ date: CLOSED }).set('Authorization', `Bearer ${finance}`).expect(200);
    expect(res.body.date).to.equal(CLOSED);
    const region = res.body.data.find((r: { regionId: number }) => r.regionId === market.region.id);
    expect(region).to.deep.include({ ...REGION_ROW, regionCode: market.region.code, countryCode: market.country.code });
    const country = res.body.data.find((r: { level: string; countryId: number }) => r.level === 'country' && r.countryId === market.country.id);
    expect(country).to.deep.include({ ...REGION_ROW, level: 'country', regionId: null, regionCode: null });

    const one = await (
      await api()
    )
      .get('/api/v1/reports/portfolio')
      .query({ date: CLOSED, regionId: market.region.id })
      .set('Authorization', `Bearer ${finance}`)
      .expect(200);
    expect(one.body.data).to.have.length(1);
    expect(one.body.data[0]).to.deep.include(REGION_ROW);
  });

  it('a re-run after a payment replaces the snapshot of the day', async () => {
    const m = await freshMarket();
    const [first] = await craftPortfolio(m);
    await closeDayInline(await testRuntime(), m.country.id, CLOSED);
    await m.setDate(CLOSED); // back to the closed day: a payment on it, then the close again
    await payNow(first!.account.id, '100.00');
    await m.setDate('2026-11-21');
    const again = await closeDayInline(await testRuntime(), m.country.id, CLOSED);
    expect(again.counts).to.include({ snapshots: 2, snapshotsUnchanged: 0 });
    const res = await (
      await api()
    )
      .get('/api/v1/reports/portfolio')
      .query({ date: CLOSED, regionId: m.region.id })
      .set('Authorization', `Bearer ${finance}`)
      .expect(200);
    expect(res.body.data).to.have.length(1);
    expect(res.body.data[0]).to.include({ outstandingBalance: '5140.00', collected: '810.00' });
  });

  it('month to date adds each day to the previous snapshot, and equals reading the whole month', async () => {
    const m = await freshMarket();
    const crafted = await craftPortfolio(m);
    const rt = await testRuntime();
    await closeDayInline(rt, m.country.id, CLOSED);
    await payNow(crafted[1]!.account.id, '300.00'); // on 2026-11-21: the overdue instalment
    const day = await closeDayInline(rt, m.country.id, '2026-11-21');
    expect(day.counts.snapshots).to.equal(2);
    const read = async () =>
      (
        await (
          await api()
        )
          .get('/api/v1/reports/portfolio')
          .query({ date: '2026-11-21', regionId: m.region.id })
          .set('Authorization', `Bearer ${finance}`)
          .expect(200)
      ).body.data[0];
    const incremental = await read();
    expect(incremental).to.include({ collected: '1010.00', due: '2070.00', collectionRate: '0.4879', periodFrom: '2026-11-01', periodTo: '2026-11-21' });
    // Without the previous day's snapshots the close reads the whole month: the same figures.
    await ReportSnapshot.destroy({ where: { countryId: m.country.id, snapshotDate: CLOSED } });
    const again = await closeDayInline(rt, m.country.id, '2026-11-21');
    expect(again.counts).to.include({ snapshots: 0, snapshotsUnchanged: 2 });
    expect(await read()).to.deep.equal(incremental);
  });

  it('region-scoped staff see their regions only; another region is a 404', async () => {
    const { token: mine } = await loginAs('supervisor', { regionIds: [market.region.id] });
    const res = await (await api()).get('/api/v1/reports/portfolio').query({ date: CLOSED }).set('Authorization', `Bearer ${mine}`).expect(200);
    expect(res.body.data).to.have.length(1);
    expect(res.body.data[0]).to.include({ regionId: market.region.id, level: 'region' });
    const latest = await (await api()).get('/api/v1/reports/portfolio').set('Authorization', `Bearer ${mine}`).expect(200);
    expect(latest.body.date).to.equal(CLOSED);

    const other = await createRegion();
    const { token: elsewhere } = await loginAs('supervisor', { regionIds: [other.id] });
    await (await api()).get('/api/v1/reports/portfolio').query({ regionId: market.region.id }).set('Authorization', `Bearer ${elsewhere}`).expect(404);
    await (await api()).get('/api/v1/reports/portfolio.csv').query({ regionId: market.region.id }).set('Authorization', `Bearer ${elsewhere}`).expect(404);
    const nothing = await (await api()).get('/api/v1/reports/portfolio').set('Authorization', `Bearer ${elsewhere}`).expect(200);
    expect(nothing.body).to.deep.equal({ date: null, data: [] });
    await (await api()).get('/api/v1/reports/portfolio').query({ regionId: 99999999 }).set('Authorization', `Bearer ${finance}`).expect(404);
    await (
      await api()
    )
      .get('/api/v1/reports/portfolio')
      .query({ regionId: market.region.id, date: '2020-01-01' })
      .set('Authorization', `Bearer ${finance}`)
      .expect(404);
  });

  it('GET /reports/portfolio.csv gives the same rows as CSV', async () => {
    const res = await (
      await api()
    )
      .get('/api/v1/reports/portfolio.csv')
      .query({ date: CLOSED, regionId: market.region.id })
      .set('Authorization', `Bearer ${finance}`)
      .expect(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).to.equal(`attachment; filename="portfolio-${CLOSED}.csv"`);
    const [header, row, end] = res.text.split('\r\n');
    expect(header).to.equal(
      'snapshotDate,level,countryCode,regionCode,regionName,accounts,pending,active,suspended,closed,written_off,repossessed,outstandingBalance,par1,par30,par60,par90,collectionRate,collected,due,periodFrom,periodTo,restructuredAccounts,restructuredOutstanding,restructuredPar30',
    );
    expect(row).to.equal(
      `${CLOSED},region,${market.country.code},${market.region.code},${market.region.name},8,1,4,2,1,0,0,5240.00,0.3416,0.1698,0.0000,0.0000,0.3430,710.00,2070.00,2026-11-01,${CLOSED},0,0.00,0.0000`,
    );
    expect(end).to.equal('');
  });

  it('answers 400 naming the field, 401 and 403', async () => {
    const client = await api();
    await client.get('/api/v1/reports/portfolio').expect(401);
    await client.get('/api/v1/reports/portfolio.csv').expect(401);
    const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
    await client.get('/api/v1/reports/portfolio').set('Authorization', `Bearer ${agent}`).expect(403);
    await client.get('/api/v1/reports/portfolio.csv').set('Authorization', `Bearer ${agent}`).expect(403);
    const bad = await client
      .get('/api/v1/reports/portfolio')
      .query({ date: '2026-02-30', regionId: 'north', format: 'xls' })
      .set('Authorization', `Bearer ${finance}`)
      .expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).to.deep.equal(['date', 'format', 'regionId']);
    const badCsv = await client.get('/api/v1/reports/portfolio.csv').query({ date: '20261120' }).set('Authorization', `Bearer ${finance}`).expect(400);
    expect(badCsv.body.errors[0]).to.include({ field: 'date' });
  });
});
