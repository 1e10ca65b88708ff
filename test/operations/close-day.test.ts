import { expect } from 'chai';
import { JobRun } from '../../src/modules/operations/models';
import { Notification } from '../../src/modules/notifications/models';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import { testRuntime } from '../support/app';
import { openAccount } from '../support/lending';
import { CLOSED, NEXT, businessDateOf, craftPortfolio, freshMarket, marketTables, outcome } from './support';

describe('nightly close: one country, one business day', () => {
  it('flags, ages, buckets and suspends exactly as arrears.ts says, writes the histories and reminders, and opens the next day', async () => {
    const rt = await testRuntime();
    const market = await freshMarket();
    const crafted = await craftPortfolio(market);
    const since = new Date(Date.now() - 1000);
    const summary = await closeDayInline(rt, market.country.id, CLOSED, { partitions: 2, chunkSize: 3 });
    expect(summary).to.include({ closedDate: CLOSED, businessDate: NEXT, reRun: false, partitions: 2 });
    // 5: what fell due on the closed day; instalments due earlier were flagged when their
    // (backdated) accounts were opened, which applies the nightly steps they missed.
    expect(summary.counts).to.include({ accounts: crafted.length, suspended: 1, overdueFlagged: 5, reminders: 5 });
    for (const c of crafted) expect(await outcome(c, since), c.name).to.deep.equal(c.expect);
    expect(await businessDateOf(market)).to.equal(NEXT);

    const sw = await Notification.findOne({ where: { dedupeKey: `reminder:${crafted[1]!.account.id}:${NEXT}` } });
    expect(sw!.body).to.match(/^Mpendwa Wanjiku, malipo yako ya KES 300\.00 kwa akaunti/);
    const suspension = await Notification.findOne({ where: { dedupeKey: `reminder:${crafted[3]!.account.id}:${NEXT}` } });
    expect(suspension!.body).to.contain('suspended after 15 days').and.contain('KES 900.00');

    const runs = await JobRun.findAll({ where: { countryId: market.country.id }, order: [['id', 'ASC']] });
    expect(runs.map((r) => [r.jobName, r.status, r.businessDate])).to.deep.equal([
      ['close-day', 'succeeded', CLOSED],
      ['close-day.partition', 'succeeded', CLOSED],
      ['close-day.partition', 'succeeded', CLOSED],
      ['close-day.finalize', 'succeeded', CLOSED],
    ]);
    expect(runs[1]!.finishedAt).to.be.instanceOf(Date);
    expect(Number(runs[1]!.counts!.accounts) + Number(runs[2]!.counts!.accounts)).to.equal(crafted.length);
  });

  it('a second run of the same business day changes nothing', async () => {
    const rt = await testRuntime();
    const market = await freshMarket();
    await craftPortfolio(market);
    await closeDayInline(rt, market.country.id, CLOSED, { partitions: 3, chunkSize: 2 });
    const before = await marketTables(market);
    const again = await closeDayInline(rt, market.country.id, CLOSED, { partitions: 2, chunkSize: 5 });
    expect(again.reRun).to.equal(true);
    expect(again.counts).to.include({ accounts: 0, suspended: 0, overdueFlagged: 0, reminders: 0, snapshots: 0 });
    // The same five reminders are due again and the database turns each down by its dedupe key.
    expect(again.counts.remindersExisting).to.equal(5);
    expect(await marketTables(market)).to.deep.equal(before);
  });

  it('refuses a day that is neither the business date nor the one before it', async () => {
    const rt = await testRuntime();
    const market = await freshMarket();
    await openAccount(market, { startDate: CLOSED });
    let error: unknown;
    try {
      await closeDayInline(rt, market.country.id, '2026-11-25');
    } catch (err) {
      error = err;
    }
    expect(error).to.have.property('status', 409);
    expect(await businessDateOf(market)).to.equal(CLOSED);
    const failed = await JobRun.findOne({ where: { countryId: market.country.id, jobName: 'close-day' } });
    expect(failed).to.include({ status: 'failed' });
    expect(failed!.errors![0]!.message).to.contain('business date is 2026-11-20');
  });
});
