import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../platform/config';
import { isCalendarDate } from '../platform/dates';
import { createLogger } from '../platform/logging/logger';
import { createRuntime } from '../runtime';
import { Country } from '../modules/organisation/models';
import { closeDayInline } from '../modules/operations/close-day.jobs';

function calendarDate(value: string): string {
  if (!isCalendarDate(value)) throw new InvalidArgumentError('must be a date YYYY-MM-DD');
  return value;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('must be a whole number from 1 to 64');
  return n;
}

/**
 * `amt close-day --country KE [--date 2026-11-22]`: the nightly close of one country by hand, in
 * this process (the same service and jobRuns rows as the scheduled close). Closing a day opens the
 * next one; --date defaults to the country's business date, and the day before it re-runs the last
 * close (which changes nothing when nothing changed since). See docs/nightly-close.md.
 */
export function closeDayCommands(program: Command): void {
  program
    .command('close-day')
    .description("run a country's nightly close now: overdue flags, DPD, suspensions, reminders, snapshots; then the next business date")
    .requiredOption('--country <code>', 'ISO code of the country, e.g. KE')
    .option('--date <date>', "business day to close (default: the country's business date)", calendarDate)
    .option('--partitions <n>', 'account-id ranges to work through (default NIGHTLY_CLOSE_PARTITIONS)', positiveInt)
    .action(async (opts: { country: string; date?: string; partitions?: number }) => {
      const config = loadConfig();
      const verbose = config.logLevel === 'debug' || config.logLevel === 'trace';
      const runtime = await createRuntime(config, { role: 'cli', logger: createLogger(verbose ? config.logLevel : 'warn', { role: 'cli' }) });
      try {
        const country = await Country.findOne({ where: { code: opts.country.toUpperCase() }, attributes: ['id', 'code'] });
        if (!country) throw new Error(`no country with code ${opts.country}`);
        const started = Date.now();
        const summary = await closeDayInline(runtime, country.id, opts.date, { partitions: opts.partitions });
        process.stdout.write(`${JSON.stringify({ ...summary, seconds: (Date.now() - started) / 1000 }, null, 2)}\n`);
      } finally {
        await runtime.close();
      }
    });
}
