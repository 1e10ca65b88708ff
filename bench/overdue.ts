/**
 * bench:overdue: how close the real nightly close comes to the database's own ceiling.
 *
 *  1. A bench database is migrated, seeded and filled by the volume generator (scripts/generate.ts,
 *     in its own process) with --accounts accounts (about 12 instalments each) as of
 *     2026-11-13; Kenya's business date is then set to 2026-11-20, so the close of that day has a
 *     week of instalments to flag and every account's DPD to recompute as of 2026-11-21.
 *  2. The database is copied (mysqldump | mysql) to a second, identical one.
 *  3. (a) raw ceiling, on the copy: two hand-written set-based statements, one UPDATE flagging the
 *     instalments, one UPDATE ... JOIN (GROUP BY) setting DPD and PAR bucket.
 *     (b) the real close (closeDayInline: the service the queued jobs run, chunk after chunk, with
 *     suspensions, histories, reminders, snapshots and the commissions step), on the original,
 *     after writing the previous day's snapshots (untimed: as every night, month to date is the
 *     previous snapshot plus one day).
 *  4. Both results are compared row by row across the two databases (instalment statuses, DPD,
 *     PAR buckets); the process's RSS is sampled during (b).
 * The last line is one JSON object with the figures.
 *
 * Fairness: the data is bigger than a small buffer pool, so which database was read last decides
 * much of a run's time. Each database is warmed with the same reads (warm() below: instalments,
 * their (status, dueDate) index, accounts) right before its own timed run, (a) and (b) alike.
 *
 *   npm run bench:overdue -- [--accounts 100000] [--seed 7] [--partitions 4] [--concurrency 2] [--chunk 10000]
 *
 * BENCH_OVERDUE_DATABASE_URL (default mysql://root@127.0.0.1:3306/amt_bench_overdue) names the
 * first database; the copy is the same name with _copy. Both are dropped and recreated.
 */
import { spawn } from 'node:child_process';
import { QueryTypes, type Sequelize } from 'sequelize';
import { recreateDatabase, sequelizeCli } from '../test/support/database';
import { loadConfig } from '../src/platform/config';
import { createSequelize } from '../src/platform/db/sequelize';
import { createLogger } from '../src/platform/logging/logger';
import { bucketSql } from '../src/modules/operations/close-day.sql';
import { closeDayInline } from '../src/modules/operations/close-day.jobs';
import { createRuntime } from '../src/runtime';
import { snapshotPortfolio } from '../src/modules/reporting/snapshots.service';
import { addDays } from '../src/platform/dates';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
};
const ACCOUNTS = arg('accounts', 100_000);
const SEED = arg('seed', 7);
const PARTITIONS = arg('partitions', 4);
const CONCURRENCY = arg('concurrency', 2);
const CHUNK = arg('chunk', 10_000);
const PROFILE = args.includes('--profile');
const URL_A = process.env.BENCH_OVERDUE_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/amt_bench_overdue';
const URL_B = URL_A.replace(/\/([^/?]+)(\?|$)/, '/$1_copy$2');
const AS_OF = '2026-11-13';
const CLOSED = '2026-11-20';
const NEXT = '2026-11-21';

const log = (s: string) => process.stdout.write(`${s}\n`);
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const dbName = (url: string) => new URL(url).pathname.slice(1);

function mysqlArgs(url: string): string[] {
  const u = new URL(url);
  return [`--host=${u.hostname}`, `--port=${u.port || '3306'}`, `--user=${decodeURIComponent(u.username)}`, ...(u.password ? [`--password=${decodeURIComponent(u.password)}`] : [])];
}

/** mysqldump A | mysql B: the copy has the same tables, keys, foreign keys and triggers. */
async function copyDatabase(from: string, to: string): Promise<void> {
  await recreateDatabase(to);
  await new Promise<void>((resolve, reject) => {
    const dump = spawn('mysqldump', [...mysqlArgs(from), '--single-transaction', '--triggers', '--skip-lock-tables', dbName(from)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const load = spawn('mysql', [...mysqlArgs(to), dbName(to)], { stdio: ['pipe', 'inherit', 'inherit'] });
    dump.stdout.pipe(load.stdin);
    let failed = false;
    const fail = (what: string) => (code: number | null) => {
      if (code !== 0 && !failed) {
        failed = true;
        reject(new Error(`${what} exited with ${code}`));
      }
    };
    dump.on('exit', fail('mysqldump'));
    load.on('exit', (code) => (code === 0 ? !failed && resolve() : fail('mysql')(code)));
  });
}

async function one<T extends object>(s: Sequelize, sql: string, replacements: Record<string, unknown> = {}): Promise<T> {
  const [row] = await s.query<T>(sql, { replacements, type: QueryTypes.SELECT });
  return row!;
}

/** The same reads on either database right before its timed run (see the header). */
async function warm(s: Sequelize): Promise<void> {
  await s.query('SELECT SUM(amount), SUM(paidAmount), MAX(dueDate) FROM installmentSchedules', { type: QueryTypes.SELECT });
  await s.query(
    "SELECT COUNT(*), MIN(dueDate) FROM installmentSchedules FORCE INDEX (installmentSchedules_status_due_account) WHERE status IN ('pending', 'partial', 'overdue')",
    { type: QueryTypes.SELECT },
  );
  await s.query('SELECT SUM(balance), SUM(daysPastDue), MAX(lastNightlyBusinessDate) FROM accounts', { type: QueryTypes.SELECT });
}

async function main(): Promise<void> {
  log(`bench:overdue: ${ACCOUNTS.toLocaleString('en')} accounts, seed ${SEED}, ${PARTITIONS} partitions of ${CHUNK}-account chunks, ${CONCURRENCY} at a time`);
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', DATABASE_URL: URL_A, LOG_LEVEL: 'silent' };
  delete env.REDIS_URL;

  // 1. Generate (the generator's own command, in its own process: this one's memory is the close's).
  await recreateDatabase(URL_A);
  sequelizeCli(['db:migrate'], env);
  sequelizeCli(['db:seed:all'], env);
  let started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', 'scripts/generate.ts', '--accounts', String(ACCOUNTS), '--seed', String(SEED), '--as-of', AS_OF, '--country', 'KE'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const done = out.split(/\r?\n/).filter((l) => /^(Done|Consistency)/.test(l));
      for (const l of done) log(`  ${l}`);
      if (code === 0) resolve();
      else reject(new Error(`the generator exited with ${code}:\n${out.slice(-2000)}`));
    });
  });
  const gen = createSequelize({ databaseUrl: URL_A });
  // A week without a close: the close of CLOSED flags what fell due since AS_OF.
  await gen.query("UPDATE countries SET businessDate = :d WHERE code = 'KE'", { replacements: { d: CLOSED } });
  const { installments } = await one<{ installments: number }>(gen, 'SELECT COUNT(*) AS installments FROM installmentSchedules');
  const { accountCount } = await one<{ accountCount: number }>(gen, 'SELECT COUNT(*) AS accountCount FROM accounts');
  log(`generated ${Number(accountCount).toLocaleString('en')} accounts, ${Number(installments).toLocaleString('en')} instalments in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // 2. Copy.
  started = Date.now();
  await copyDatabase(URL_A, URL_B);
  log(`copied ${dbName(URL_A)} to ${dbName(URL_B)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const copy = createSequelize({ databaseUrl: URL_B });

  // 3a. Raw ceiling on the copy: two statements.
  await warm(copy);
  started = Date.now();
  const [, flagged] = (await copy.query(
    `UPDATE installmentSchedules SET status = 'overdue', updatedAt = NOW() WHERE status IN ('pending', 'partial') AND dueDate < :bd`,
    { replacements: { bd: NEXT } },
  )) as [unknown, unknown];
  const rawFlagSeconds = (Date.now() - started) / 1000;
  await copy.query(
    `UPDATE accounts a LEFT JOIN (
        SELECT accountId, MIN(dueDate) AS oldest FROM installmentSchedules
         WHERE status IN ('pending', 'partial', 'overdue') AND amount > paidAmount AND dueDate < :bd GROUP BY accountId) o ON o.accountId = a.id
        SET a.daysPastDue = COALESCE(DATEDIFF(:bd, o.oldest), 0),
            a.parBucket = ${bucketSql('COALESCE(DATEDIFF(:bd, o.oldest), 0)')}`,
    { replacements: { bd: NEXT } },
  );
  const rawSeconds = (Date.now() - started) / 1000;
  log(
    `(a) raw ceiling, 2 statements: ${rawSeconds.toFixed(2)} s (flags ${rawFlagSeconds.toFixed(2)} s, ${Number((flagged as { affectedRows?: number })?.affectedRows ?? 0).toLocaleString('en')} instalments; DPD and bucket ${(rawSeconds - rawFlagSeconds).toFixed(2)} s)`,
  );

  // 3b. The real close on the original.
  const rt = await createRuntime(loadConfig(env), { role: 'bench', logger: createLogger('silent') });
  const ke = await one<{ id: number }>(rt.sequelize, "SELECT id FROM countries WHERE code = 'KE'");
  // Yesterday's close left its snapshots (month to date is then that plus one day, as every night).
  started = Date.now();
  const regionIds = (await rt.sequelize.query<{ id: number }>('SELECT id FROM companyRegions WHERE countryId = :c', { replacements: { c: ke.id }, type: QueryTypes.SELECT })).map((r) => Number(r.id));
  await snapshotPortfolio(rt.sequelize, { countryId: Number(ke.id), closedDate: addDays(CLOSED, -1), regionIds });
  log(`setup: the snapshots of ${addDays(CLOSED, -1)} (the previous close's), ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await warm(rt.sequelize); // before the profile starts: its reads are not (b)'s
  // --profile: where (b) spends its time, by statement (first words of the SQL).
  const profile = new Map<string, { n: number; ms: number }>();
  const sequelizeOptions = (rt.sequelize as unknown as { options: { benchmark?: boolean; logging?: unknown } }).options;
  if (PROFILE) {
    sequelizeOptions.benchmark = true;
    sequelizeOptions.logging = (sql: string, ms?: number) => {
      const key = sql.replace(/^Executed \([^)]*\): /, '').replace(/\s+/g, ' ').slice(0, 70);
      const p = profile.get(key) ?? { n: 0, ms: 0 };
      p.n++;
      p.ms += ms ?? 0;
      profile.set(key, p);
    };
  }
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
  let done = 0;
  const marks = [25_000, 50_000, 100_000, 200_000, 400_000].filter((m) => m <= ACCOUNTS);
  const rssAt: Record<string, number> = {};
  started = Date.now();
  const summary = await closeDayInline(rt, Number(ke.id), CLOSED, {
    partitions: PARTITIONS,
    concurrency: CONCURRENCY,
    chunkSize: CHUNK,
    onChunk: async ({ counts }) => {
      done += counts.accounts ?? 0;
      while (marks.length && done >= marks[0]!) rssAt[String(marks.shift())] = mb(process.memoryUsage().rss);
    },
  });
  const jobSeconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const c = summary.counts;
  const coreSeconds = ((c.flagMs ?? 0) + (c.accountsMs ?? 0)) / 1000;
  log(`(b) close-day job: ${jobSeconds.toFixed(2)} s, ${JSON.stringify(c)}`);
  log(
    `    step times summed over the ${CONCURRENCY} partition lanes: flags + DPD/suspensions/business date (what (a) covers) ${coreSeconds.toFixed(2)} s; ` +
      `reminders ${((c.remindersMs ?? 0) / 1000).toFixed(2)} s, snapshots ${((c.snapshotsMs ?? 0) / 1000).toFixed(2)} s, commissions ${((c['commissions.ms'] ?? 0) / 1000).toFixed(2)} s`,
  );
  if (PROFILE) {
    sequelizeOptions.logging = false;
    for (const [k, v] of [...profile.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, 15)) log(`    ${String(Math.round(v.ms)).padStart(7)} ms ${String(v.n).padStart(6)}x  ${k}`);
  }
  log(`    RSS by accounts closed: ${Object.entries(rssAt).map(([k, v]) => `${Number(k).toLocaleString('en')}: ${v} MB`).join(', ') || '-'}; peak ${mb(peakRss)} MB`);

  // 4. Same flags and DPD on both.
  const a = dbName(URL_A);
  const b = dbName(URL_B);
  const { statuses } = await one<{ statuses: number }>(
    rt.sequelize,
    `SELECT COUNT(*) AS statuses FROM \`${a}\`.installmentSchedules x JOIN \`${b}\`.installmentSchedules y ON y.id = x.id WHERE x.status <> y.status`,
  );
  const { dpd } = await one<{ dpd: number }>(
    rt.sequelize,
    `SELECT COUNT(*) AS dpd FROM \`${a}\`.accounts x JOIN \`${b}\`.accounts y ON y.id = x.id WHERE x.daysPastDue <> y.daysPastDue OR x.parBucket <> y.parBucket`,
  );
  const { accounts } = await one<{ accounts: number }>(rt.sequelize, `SELECT COUNT(*) AS accounts FROM \`${a}\`.accounts x JOIN \`${b}\`.accounts y ON y.id = x.id`);
  log(`compared ${Number(accounts).toLocaleString('en')} accounts: ${statuses} instalment statuses and ${dpd} DPD/bucket values differ`);
  const ratio = Math.round((jobSeconds / rawSeconds) * 100) / 100;
  log(`ratio job / raw: ${ratio} (target <= 1.5)`);
  await rt.close();
  await gen.close();
  await copy.close();
  if (Number(statuses) !== 0 || Number(dpd) !== 0) {
    log('MISMATCH between the raw statements and the close');
    process.exitCode = 1;
  }
  log(
    JSON.stringify({
      accounts: Number(accountCount),
      installments: Number(installments),
      rawSeconds: Math.round(rawSeconds * 100) / 100,
      jobSeconds: Math.round(jobSeconds * 100) / 100,
      ratio,
      peakRssMb: mb(peakRss),
    }),
  );
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
