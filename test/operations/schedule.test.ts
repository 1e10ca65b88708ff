import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { CLOSE_DAY_JOB, closeDayJobs, type CloseDayJobData } from '../../src/modules/operations/close-day.jobs';
import { CloseDayService } from '../../src/modules/operations/close-day.service';
import { JobRun } from '../../src/modules/operations/models';
import { Country } from '../../src/modules/organisation/models';
import { addDays, localDate } from '../../src/platform/dates';
import { createLogger } from '../../src/platform/logging/logger';
import { BullQueue } from '../../src/platform/queue/bull';
import { InProcessQueue } from '../../src/platform/queue/in-process';
import { testRuntime } from '../support/app';
import { TEST_REDIS_URL } from '../support/env';
import { openAccount } from '../support/lending';
import { freshMarket } from './support';

describe('nightly close: schedules', function () {
  this.timeout(60_000);

  it('the worker schedules one close per country at NIGHTLY_CLOSE_CRON in its timezone, and a changed cron replaces it', async () => {
    const rt = await testRuntime();
    const market = await freshMarket({ timezone: 'Africa/Lagos' });
    const prefix = `amt-test-sched-${randomUUID().slice(0, 8)}`;
    const repeats = async (cron: string) => {
      const queue = new BullQueue(TEST_REDIS_URL, prefix, createLogger('silent'));
      const ctx = { ...rt, queue, config: { ...rt.config, nightlyClose: { ...rt.config.nightlyClose, cron } } };
      for (const job of closeDayJobs(ctx)) queue.register(job);
      await queue.startWorkers();
      const found = await queue.queue(CLOSE_DAY_JOB).getRepeatableJobs();
      await queue.close();
      return found.filter((r) => r.id === `nightly-close-${market.country.code}`).map((r) => ({ cron: r.cron, tz: r.tz }));
    };
    expect(await repeats('30 0 * * *')).to.deep.equal([{ cron: '30 0 * * *', tz: 'Africa/Lagos' }]);
    expect(await repeats('15 1 * * *')).to.deep.equal([{ cron: '15 1 * * *', tz: 'Africa/Lagos' }]);
  });

  it('a scheduled close (demo: in-process) closes every day the country is behind, one after the other', async () => {
    const rt = await testRuntime();
    const today = localDate(new Date(), 'Africa/Nairobi');
    const market = await freshMarket({ businessDate: addDays(today, -3) });
    await openAccount(market, {
      startDate: addDays(today, -10),
      frequency: 'daily',
      duration: 20,
      price: '2000.00',
      downPayment: '100.00',
      daysUntilSuspension: 30,
    });
    const queue = new InProcessQueue(createLogger('silent'));
    for (const job of closeDayJobs({ ...rt, queue }, { backoffMs: 10 })) queue.register({ ...job, repeat: undefined });
    await queue.startWorkers();
    await queue.enqueue<CloseDayJobData>(CLOSE_DAY_JOB, { countryId: market.country.id, scheduled: true });
    const end = Date.now() + 30_000;
    while (
      (await Country.findByPk(market.country.id))!.businessDate !== today ||
      (await JobRun.count({ where: { countryId: market.country.id, jobName: 'close-day.finalize', status: 'succeeded' } })) < 3
    ) {
      if (Date.now() > end) throw new Error('the scheduled close did not catch up');
      await sleep(50);
    }
    await queue.close();
    const finals = await JobRun.findAll({ where: { countryId: market.country.id, jobName: 'close-day.finalize' }, order: [['id', 'ASC']] });
    expect(finals.map((r) => [r.businessDate, r.status])).to.deep.equal([
      [addDays(today, -3), 'succeeded'],
      [addDays(today, -2), 'succeeded'],
      [addDays(today, -1), 'succeeded'],
    ]);
    // Nothing is due any more: a further tick closes nothing (and says so in its run).
    expect(await new CloseDayService(rt.sequelize).dueForClose(market.country.id)).to.equal(null);
  });

  it('the day a schedule closes follows the country clock: yesterday there, until the business date is today', async () => {
    const rt = await testRuntime();
    const service = new CloseDayService(rt.sequelize);
    const market = await freshMarket({ businessDate: '2026-11-20', timezone: 'Africa/Nairobi' });
    // 00:30 in Nairobi on the 21st is 21:30 UTC on the 20th.
    expect(await service.dueForClose(market.country.id, new Date('2026-11-20T21:30:00Z'))).to.equal('2026-11-20');
    expect(await service.dueForClose(market.country.id, new Date('2026-11-20T20:30:00Z'))).to.equal(null);
    await Country.update({ businessDate: null }, { where: { id: market.country.id } });
    expect(await service.dueForClose(market.country.id, new Date('2026-11-20T21:30:00Z'))).to.equal('2026-11-20');
  });
});
