/**
 * Fills a migrated and seeded database with a realistic portfolio for load tests:
 *
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/amt_load npm run db:generate -- --accounts 100000 [--seed 7] [--batch 5000]
 *
 * Regions, agents (employees with the agent role, and their employeeRegions), customers, a small
 * catalogue (products, payplans, pricing, device models: created when absent, reused after),
 * devices (OpenPAYGO keys sealed with DATA_ENCRYPTION_KEY), accounts with a mix of statuses and
 * activation dates over the last 18 months, their instalment schedules (about 12 rows per
 * account, down payment included), and the payment history behind them (payments, allocations,
 * receipts, credit days, status history, write-offs) with balances, DPD and PAR buckets
 * consistent with the paid instalments. The core is scripts/volume/generator.ts (generateVolume),
 * which benchmarks can call with their own Sequelize.
 *
 * Run it on a database nobody else is writing to (ids are assigned here). Refuses NODE_ENV=production
 * unless --force. The same --seed, --batch, --writers, --as-of and database state give the same data.
 */
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { loadConfig } from '../src/platform/config';
import { createSequelize } from '../src/platform/db/sequelize';
import { isCalendarDate } from '../src/platform/dates';
import { checkForeignKeys, checkVolumeConsistency, generateVolume } from './volume/generator';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function calendarDate(value: string): string {
  if (!isCalendarDate(value)) throw new InvalidArgumentError('must be a date YYYY-MM-DD');
  return value;
}

const program = new Command()
  .name('db:generate')
  .description('Fill a migrated and seeded database with a realistic portfolio (accounts, schedules, payments).')
  .requiredOption('--accounts <n>', 'accounts to create', positiveInt)
  .option('--seed <n>', 'random seed (same seed, same data)', positiveInt, 1)
  .option('--batch <n>', 'accounts per transaction', positiveInt, 5000)
  .option('--writers <n>', 'transactions written at once (database connections)', positiveInt, 2)
  .option('--country <code>', 'seeded country to sell in', 'KE')
  .option('--as-of <date>', "business date of the portfolio (default: the country's business date, or today there)", calendarDate)
  .option('--months <n>', 'spread activation dates over this many months', positiveInt, 18)
  .option('--no-verify', 'skip the consistency check after generating')
  .option('--verify-all', 'check every generated account (default: the last 5,000)')
  .option('--fk-checks', 'keep MySQL foreign-key checks on while loading (slower; references are verified afterwards either way)')
  .option('--force', 'run even when NODE_ENV=production')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<{
    accounts: number;
    seed: number;
    batch: number;
    writers: number;
    country: string;
    asOf?: string;
    months: number;
    verify: boolean;
    verifyAll?: boolean;
    fkChecks?: boolean;
    force?: boolean;
  }>();
  if (process.env.NODE_ENV === 'production' && !opts.force) {
    console.error('Refusing to generate data with NODE_ENV=production (pass --force if you really mean it).');
    process.exit(2);
  }
  if (!process.env.DATABASE_URL && !process.env.SQLITE_PATH) {
    console.error('Set DATABASE_URL (mysql://user:pass@host:3306/db) to the migrated and seeded database to fill.');
    process.exit(2);
  }
  // Devices get OpenPAYGO keys sealed with the app's own key (DATA_ENCRYPTION_KEY, or its development default).
  const { dataEncryptionKey } = loadConfig(process.env);
  const sequelize = createSequelize({ databaseUrl: process.env.DATABASE_URL, sqlitePath: process.env.SQLITE_PATH });
  const where = process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL).pathname.slice(1) : process.env.SQLITE_PATH;
  console.log(`Generating ${opts.accounts.toLocaleString('en')} accounts into ${where} (seed ${opts.seed}, ${opts.batch} accounts per transaction)`);

  const bar = new cliProgress.SingleBar(
    {
      format: 'accounts [{bar}] {percentage}% | {value}/{total} | {rows} rows | {rate} rows/s | {elapsed}s elapsed, ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 20,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(opts.accounts, 0, { rows: 0, rate: 0, elapsed: 0 });
  try {
    const report = await generateVolume(
      sequelize,
      {
        accounts: opts.accounts,
        seed: opts.seed,
        batch: opts.batch,
        writers: opts.writers,
        country: opts.country,
        asOf: opts.asOf,
        months: opts.months,
        dataEncryptionKey,
        foreignKeyChecks: !!opts.fkChecks,
      },
      (p) => {
        const secs = p.elapsedMs / 1000;
        bar.update(p.accountsDone, {
          rows: p.rowsWritten.toLocaleString('en'),
          rate: secs > 0 ? Math.round(p.rowsWritten / secs).toLocaleString('en') : 0,
          elapsed: secs.toFixed(1),
        });
      },
    );
    bar.stop();
    const width = Math.max(...Object.keys(report.rows).map((k) => k.length));
    for (const [table, n] of Object.entries(report.rows)) console.log(`  ${table.padEnd(width)}  ${n.toLocaleString('en').padStart(10)}`);
    console.log(
      `Done: ${report.totalRows.toLocaleString('en')} rows for ${report.accounts.toLocaleString('en')} accounts (ids ${report.accountIds[0]}..${report.accountIds[1]}), ` +
        `as of ${report.asOf}, in ${(report.elapsedMs / 1000).toFixed(1)} s (${Math.round(report.totalRows / (report.elapsedMs / 1000)).toLocaleString('en')} rows/s).`,
    );
    if (opts.verify) {
      const t0 = Date.now();
      const [first, last] = report.accountIds;
      const range: [number, number] = opts.verifyAll ? [first, last] : [Math.max(first, last - 4999), last];
      // The same share of every table's rows (the newest) for the foreign keys.
      const share = (range[1] - range[0] + 1) / (last - first + 1);
      const idRanges = Object.fromEntries(
        Object.entries(report.idRanges).map(([t, [lo, hi]]) => [t, [Math.max(lo, hi - Math.ceil((hi - lo + 1) * share) + 1), hi] as [number, number]]),
      );
      const problems = [...(await checkVolumeConsistency(sequelize, range)), ...(await checkForeignKeys(sequelize, idRanges))];
      const what = `accounts ${range[0]}..${range[1]}: balances, allocations, instalment states, credit days, foreign keys`;
      if (problems.length) {
        console.error(`Consistency check FAILED (${what}):\n  ${problems.join('\n  ')}`);
        process.exitCode = 1;
      } else {
        console.log(`Consistency check passed (${what}) in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
      }
    }
  } catch (err) {
    bar.stop();
    throw err;
  } finally {
    await sequelize.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
