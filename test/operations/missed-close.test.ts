import { expect } from 'chai';
import { CLOSE_DAY_JOB, CLOSE_PARTITION_JOB, missedCloses } from '../../src/modules/operations/close-day.jobs';
import { Country } from '../../src/modules/organisation/models';
import { testRuntime } from '../support/app';
import { freshMarket } from './support';

/**
 * Issue 12, defect 5: a nightly close missed (Redis lost the schedule, or no worker ran at the
 * hour) is caught up by the worker's schedule check: a country whose business date is behind the
 * day the last cron run would have opened gets its close, once per business date, and never while
 * close work of that country is still queued or running.
 */
describe('nightly close: a missed close is caught up', () => {
  const nothingInFlight = async () => [];
  // 00:30 in Nairobi on 21 November is 21:30 UTC on the 20th (cron 30 0 * * *).
  const AFTER_RUN = new Date('2026-11-20T21:45:00Z');
  const BEFORE_RUN = new Date('2026-11-20T21:15:00Z');

  it('is due when the business date is behind the day the last scheduled run opened; keyed by country and date', async () => {
    const rt = await testRuntime();
    const market = await freshMarket({ businessDate: '2026-11-20', timezone: 'Africa/Nairobi' });
    const mine = async (now: Date, inFlight: (name: string) => Promise<unknown[]> = nothingInFlight) =>
      (await missedCloses(rt, inFlight, now)).filter((m) => m.data.countryId === market.country.id);

    // The 00:30 run of the 21st should have closed the 20th: missed.
    expect(await mine(AFTER_RUN)).to.deep.equal([
      { data: { countryId: market.country.id, scheduled: true }, jobId: `close-catchup-${market.country.id}-2026-11-20` },
    ]);
    // Before that run, the 20th is still the day: nothing missed.
    expect(await mine(BEFORE_RUN)).to.deep.equal([]);
    // Three days behind is still one job (the close carries on day by day itself).
    await market.setDate('2026-11-18');
    expect((await mine(AFTER_RUN)).map((m) => m.jobId)).to.deep.equal([`close-catchup-${market.country.id}-2026-11-18`]);
    // Caught up: nothing.
    await market.setDate('2026-11-21');
    expect(await mine(AFTER_RUN)).to.deep.equal([]);
  });

  it('leaves a country alone while its close is queued or running, and a country never closed', async () => {
    const rt = await testRuntime();
    const market = await freshMarket({ businessDate: '2026-11-19', timezone: 'Africa/Nairobi' });
    const other = await freshMarket({ businessDate: '2026-11-19', timezone: 'Africa/Nairobi' });
    const partitionRunning = async (name: string) => (name === CLOSE_PARTITION_JOB ? [{ countryId: market.country.id, closedDate: '2026-11-19' }] : []);
    const ids = (await missedCloses(rt, partitionRunning, AFTER_RUN)).map((m) => m.data.countryId);
    expect(ids).to.include(other.country.id);
    expect(ids).to.not.include(market.country.id);
    const coordinatorWaiting = async (name: string) => (name === CLOSE_DAY_JOB ? [{ countryId: market.country.id, scheduled: true }] : []);
    expect((await missedCloses(rt, coordinatorWaiting, AFTER_RUN)).map((m) => m.data.countryId)).to.not.include(market.country.id);

    await Country.update({ businessDate: null }, { where: { id: other.country.id } });
    expect((await missedCloses(rt, nothingInFlight, AFTER_RUN)).map((m) => m.data.countryId)).to.not.include(other.country.id);
  });
});
