/**
 * bench:overdue: how close the real nightly close comes to the database's own ceiling.
 *
 *  1. A bench database is migrated, seeded and filled by the volume generator (scripts/generate.ts,
 *     in its own process) with --accounts accounts (about 12 instalments each) as of
 *     2026-11-13; Kenya's business date is then set to 2026-11-20, so the close of that day has a
 *     week of instalments to flag and every account's DPD to recompute as of 2026-11-21. The
 *     previous day's snapshots are written (as every night, month to date is the previous
 *     snapshot plus one day).
 *  2. The database is copied (mysqldump | mysql) to a second one, left untouched: the pristine
 *     portfolio.
 *  3. --rounds times (default 3), each on the first database, restored to the pristine one before
 *     each timed run (every table whose CHECKSUM TABLE differs is brought back row by row, and the
 *     checksums must then all be equal):
 *     (a) raw ceiling: two hand-written set-based statements, one UPDATE flagging the
 *     instalments, one UPDATE ... JOIN (GROUP BY) setting DPD and PAR bucket (0 and current for
 *     pending accounts, as the close);
 *     (b) the real close (closeDayInline: the service the queued jobs run, chunk after chunk, with
 *     suspensions, histories, reminders, snapshots and the commissions step); its flags, DPD and
 *     buckets are compared row by row with (a)'s and its counts with the first round's; the
 *     process's RSS is sampled during it.
 *  4. The figures are the medians of the rounds. The last line is one JSON object with them;
 *     collectionsSeconds is the collections step of the close alone (its jobRuns count
 *     collections.ms) and collectionsShare those seconds over the whole close (target <= 0.25).
 *
 * Collections (issue 15): before the copy, the portfolio gets what a live one carries into the
 * night: two collections staff per region, the cases the previous close opened (the collections
 * step run once as of CLOSED: every active or suspended account at 7 DPD or more), a promise to pay
 * on two cases in five (made twelve days before CLOSED, so the generated portfolio's last payments
 * count towards them; dated from three days before CLOSED to three after: about half fall due
 * tonight) and a contact on every third case. The close then judges promises, opens, closes,
 * assigns, escalates and reprioritises cases like any night.
 *
 * Fairness: both runs start from the same state of the server. Before each, the restore's purge is
 * waited for, the database's dirty pages are written out (FLUSH TABLES ... FOR EXPORT) and the same
 * reads warm the buffer pool (quiesce() below: instalments, their index, accounts), so neither pays
 * for the other's (or the restore's) writes. The server's settings are not changed.
 *
 *   npm run bench:overdue -- [--accounts 100000] [--seed 7] [--rounds 3] [--partitions 4] [--concurrency 2] [--chunk 10000] [--profile] [--smoke]
 * (--smoke: 200 accounts, 2 rounds (so a restore runs between timed closes), 2 partitions of 50-account chunks, on amt_bench_smoke_overdue)
 *
 * BENCH_OVERDUE_DATABASE_URL (default mysql://root@127.0.0.1:3306/amt_bench_overdue) names the
 * first database; the pristine copy is the same name with _copy. Both are dropped and recreated.
 */
import { spawn, spawnSync } from 'node:child_process';
import { QueryTypes, type Sequelize } from 'sequelize';
import { copyDatabase, dbName, freshBenchDatabase, mysqlArgs } from './lib/database';
import { SMOKE, sizeArg } from './lib/smoke';
import { loadConfig } from '../src/platform/config';
import { createLogger } from '../src/platform/logging/logger';
import { accountDpdSql, bucketSql } from '../src/modules/operations/close-day.sql';
import { closeDayInline } from '../src/modules/operations/close-day.jobs';
import { createRuntime } from '../src/runtime';
import { snapshotPortfolio } from '../src/modules/reporting/snapshots.service';
import { addDays } from '../src/platform/dates';
import { runCollectionsNightly } from '../src/modules/collections/nightly';

const args = process.argv.slice(2);
const ACCOUNTS = sizeArg('accounts', 100_000, 200);
const SEED = sizeArg('seed', 7, 7);
const ROUNDS = sizeArg('rounds', 3, 2);
const PARTITIONS = sizeArg('partitions', 4, 2);
const CONCURRENCY = sizeArg('concurrency', 2, 2);
const CHUNK = sizeArg('chunk', 10_000, 50);
const PROFILE = args.includes('--profile');
const URL_A = process.env.BENCH_OVERDUE_DATABASE_URL ?? `mysql://root@127.0.0.1:3306/${SMOKE ? 'amt_bench_smoke_overdue' : 'amt_bench_overdue'}`;
const URL_B = URL_A.replace(/\/([^/?]+)(\?|$)/, '/$1_copy$2');
const AS_OF = '2026-11-13';
const CLOSED = '2026-11-20';
const NEXT = '2026-11-21';

const log = (s: string) => process.stdout.write(`${s}\n`);
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
async function one<T extends object>(s: Sequelize, sql: string, replacements: Record<string, unknown> = {}): Promise<T> {
  const [row] = await s.query<T>(sql, { replacements, type: QueryTypes.SELECT });
  return row!;
}

/** Runs SQL in one mysql client session (SET and FLUSH ... FOR EXPORT are per session). */
function mysqlSession(url: string, sql: string): string {
  const out = spawnSync('mysql', [...mysqlArgs(url), '--batch', '--skip-column-names', dbName(url)], {
    input: sql,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (out.status !== 0) throw new Error(`mysql exited with ${out.status}: ${out.stderr}`);
  return out.stdout;
}

interface TableInfo {
  name: string;
  key: string[];
  columns: string[];
}

async function tablesOf(s: Sequelize, db: string): Promise<TableInfo[]> {
  const cols = await s.query<{ t: string; c: string; k: number }>(
    `SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS c, (k.COLUMN_NAME IS NOT NULL) AS k
       FROM information_schema.COLUMNS c
       JOIN information_schema.TABLES tb ON tb.TABLE_SCHEMA = c.TABLE_SCHEMA AND tb.TABLE_NAME = c.TABLE_NAME AND tb.TABLE_TYPE = 'BASE TABLE'
       LEFT JOIN information_schema.KEY_COLUMN_USAGE k
         ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'
      WHERE c.TABLE_SCHEMA = :db ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
    { replacements: { db }, type: QueryTypes.SELECT },
  );
  const byName = new Map<string, TableInfo>();
  for (const r of cols) {
    const t = byName.get(r.t) ?? { name: r.t, key: [], columns: [] };
    t.columns.push(r.c);
    if (Number(r.k)) t.key.push(r.c);
    byName.set(r.t, t);
  }
  return [...byName.values()];
}

async function checksums(s: Sequelize, db: string, tables: TableInfo[]): Promise<Map<string, string>> {
  const rows = await s.query<{ Table: string; Checksum: string | number | null }>(`CHECKSUM TABLE ${tables.map((t) => `\`${db}\`.\`${t.name}\``).join(', ')}`, {
    type: QueryTypes.SELECT,
  });
  return new Map(rows.map((r) => [r.Table.slice(db.length + 1), String(r.Checksum)]));
}

/**
 * Brings every table of `to` whose checksum differs from `from`'s back to `from`'s rows (by
 * primary key: rows deleted, changed and added), then checks that all checksums are equal.
 */
async function restore(s: Sequelize, from: string, toUrl: string, tables: TableInfo[]): Promise<string[]> {
  const to = dbName(toUrl);
  const [a, b] = await Promise.all([checksums(s, from, tables), checksums(s, to, tables)]);
  // changeLog last: its triggers write to it while the other tables are restored.
  const differ = tables.filter((t) => a.get(t.name) !== b.get(t.name)).sort((x, y) => Number(x.name === 'changeLog') - Number(y.name === 'changeLog'));
  if (differ.length === 0) return [];
  const q = (c: string) => `\`${c}\``;
  const sql = ['SET FOREIGN_KEY_CHECKS = 0;'];
  for (const t of differ) {
    if (t.key.length === 0) throw new Error(`${t.name} has no primary key to restore it by`);
    const on = t.key.map((k) => `x.${q(k)} = y.${q(k)}`).join(' AND ');
    const src = `\`${from}\`.${q(t.name)}`;
    sql.push(`DELETE x FROM ${q(t.name)} x LEFT JOIN ${src} y ON ${on} WHERE y.${q(t.key[0]!)} IS NULL;`);
    const rest = t.columns.filter((c) => !t.key.includes(c));
    if (rest.length) {
      sql.push(
        `UPDATE ${q(t.name)} x JOIN ${src} y ON ${on} SET ${rest.map((c) => `x.${q(c)} = y.${q(c)}`).join(', ')} WHERE NOT (${rest.map((c) => `x.${q(c)} <=> y.${q(c)}`).join(' AND ')});`,
      );
    }
    sql.push(
      `INSERT INTO ${q(t.name)} (${t.columns.map(q).join(', ')}) SELECT ${t.columns.map((c) => `y.${q(c)}`).join(', ')} FROM ${src} y LEFT JOIN ${q(t.name)} x ON ${on} WHERE x.${q(t.key[0]!)} IS NULL;`,
    );
  }
  mysqlSession(toUrl, sql.join('\n'));
  const after = await checksums(s, to, differ);
  const still = differ.filter((t) => after.get(t.name) !== a.get(t.name)).map((t) => t.name);
  if (still.length) throw new Error(`restore left ${still.join(', ')} different from ${from}`);
  return differ.map((t) => t.name);
}

/** The same starting state for either timed run (see the header). */
async function quiesce(s: Sequelize, url: string, tables: TableInfo[]): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const { n } = await one<{ n: number }>(s, "SELECT `count` AS n FROM information_schema.INNODB_METRICS WHERE NAME = 'trx_rseg_history_len'");
    if (Number(n) < 1000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  mysqlSession(url, `FLUSH TABLES ${tables.map((t) => `\`${t.name}\``).join(', ')} FOR EXPORT; UNLOCK TABLES;`);
  await s.query('SELECT SUM(amount), SUM(paidAmount), MAX(dueDate) FROM installmentSchedules', { type: QueryTypes.SELECT });
  await s.query(
    "SELECT COUNT(*), MIN(dueDate) FROM installmentSchedules FORCE INDEX (installmentSchedules_status_due_account) WHERE status IN ('pending', 'partial', 'overdue')",
    { type: QueryTypes.SELECT },
  );
  await s.query('SELECT SUM(balance), SUM(daysPastDue), MAX(lastNightlyBusinessDate) FROM accounts', { type: QueryTypes.SELECT });
}

/** The collections state a portfolio carries into the night (see the header). */
async function seedCollections(db: Sequelize, countryId: number, regionIds: number[]): Promise<{ cases: number; promises: number }> {
  const role = await one<{ id: number }>(db, "SELECT id FROM roles WHERE name = 'collections'");
  const now = new Date();
  for (const regionId of regionIds) {
    for (const k of [1, 2]) {
      const [id] = (await db.query(
        `INSERT INTO employees (employeeCode, firstName, lastName, email, roleId, isActive, createdAt, updatedAt) VALUES (?, 'Bench', 'Collector', ?, ?, true, ?, ?)`,
        { replacements: [`BC-${regionId}-${k}`, `collector.${regionId}.${k}@bench.amt`, role.id, now, now], type: QueryTypes.INSERT },
      )) as [number, number];
      await db.query('INSERT INTO employeeRegions (employeeId, regionId, createdAt, updatedAt) VALUES (?, ?, ?, ?)', {
        replacements: [id, regionId, now, now],
        type: QueryTypes.INSERT,
      });
    }
  }
  await db.transaction((t) => runCollectionsNightly(db, { countryId, businessDate: CLOSED }, t));
  await db.query(
    `INSERT INTO promisesToPay (collectionCaseId, accountId, promisedAmount, promisedDate, promisedOn, status, createdBy, createdAt, updatedAt)
     SELECT c.id, c.accountId, LEAST(a.balance, 300.00), DATE_ADD(:closed, INTERVAL (c.id % 7) - 3 DAY), DATE_SUB(:closed, INTERVAL 12 DAY), 'open', c.assignedTo, :now, :now
       FROM collectionCases c JOIN accounts a ON a.id = c.accountId
      WHERE c.openAccountId IS NOT NULL AND c.id % 5 < 2 AND a.balance > 0`,
    { replacements: { closed: CLOSED, now } },
  );
  await db.query(
    `UPDATE collectionCases SET status = CASE WHEN status = 'repossession_review' THEN status WHEN id % 5 < 2 THEN 'promise' ELSE 'in_progress' END,
        lastContactAt = CASE WHEN id % 3 = 0 THEN DATE_SUB(:now, INTERVAL (id % 10) DAY) ELSE lastContactAt END
      WHERE openAccountId IS NOT NULL`,
    { replacements: { now } },
  );
  const { cases } = await one<{ cases: number }>(db, 'SELECT COUNT(*) AS cases FROM collectionCases WHERE openAccountId IS NOT NULL');
  const { promises } = await one<{ promises: number }>(db, "SELECT COUNT(*) AS promises FROM promisesToPay WHERE status = 'open'");
  return { cases: Number(cases), promises: Number(promises) };
}

const median = (xs: number[]) => {
  const v = [...xs].sort((p, q) => p - q);
  return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  log(
    `bench:overdue: ${ACCOUNTS.toLocaleString('en')} accounts, seed ${SEED}, ${ROUNDS} rounds, ${PARTITIONS} partitions of ${CHUNK}-account chunks, ${CONCURRENCY} at a time`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', DATABASE_URL: URL_A, LOG_LEVEL: 'silent' };
  delete env.REDIS_URL;

  // 1. Generate (the generator's own command, in its own process: this one's memory is the close's).
  await freshBenchDatabase(URL_A, env);
  let started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import=tsx', 'scripts/generate.ts', '--accounts', String(ACCOUNTS), '--seed', String(SEED), '--as-of', AS_OF, '--country', 'KE'],
      {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const done = out.split(/\r?\n/).filter((l) => /^(Done|Consistency)/.test(l));
      for (const l of done) log(`  ${l}`);
      if (code === 0) resolve();
      else reject(new Error(`the generator exited with ${code}:\n${out.slice(-2000)}`));
    });
  });
  const rt = await createRuntime(loadConfig(env), { role: 'bench', logger: createLogger('silent') });
  const db = rt.sequelize;
  // A week without a close: the close of CLOSED flags what fell due since AS_OF.
  await db.query("UPDATE countries SET businessDate = :d WHERE code = 'KE'", { replacements: { d: CLOSED } });
  const { installments } = await one<{ installments: number }>(db, 'SELECT COUNT(*) AS installments FROM installmentSchedules');
  const { accountCount } = await one<{ accountCount: number }>(db, 'SELECT COUNT(*) AS accountCount FROM accounts');
  log(
    `generated ${Number(accountCount).toLocaleString('en')} accounts, ${Number(installments).toLocaleString('en')} instalments in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const ke = await one<{ id: number }>(db, "SELECT id FROM countries WHERE code = 'KE'");
  started = Date.now();
  const regionIds = (
    await db.query<{ id: number }>('SELECT id FROM companyRegions WHERE countryId = :c', { replacements: { c: ke.id }, type: QueryTypes.SELECT })
  ).map((r) => Number(r.id));
  await snapshotPortfolio(db, { countryId: Number(ke.id), closedDate: addDays(CLOSED, -1), regionIds });
  log(`setup: the snapshots of ${addDays(CLOSED, -1)} (the previous close's), ${((Date.now() - started) / 1000).toFixed(1)} s`);
  started = Date.now();
  const seeded = await seedCollections(db, Number(ke.id), regionIds);
  log(
    `setup: ${seeded.cases.toLocaleString('en')} open collection cases (${((seeded.cases / Number(accountCount)) * 100).toFixed(1)}% of accounts), ` +
      `${seeded.promises.toLocaleString('en')} open promises, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );

  // 2. The pristine copy.
  started = Date.now();
  await copyDatabase(URL_A, URL_B);
  log(`copied ${dbName(URL_A)} to ${dbName(URL_B)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const a = dbName(URL_A);
  const b = dbName(URL_B);
  const tables = await tablesOf(db, a);
  const reset = async () => {
    const t0 = Date.now();
    const restored = await restore(db, b, URL_A, tables);
    await quiesce(db, URL_A, tables);
    return `restored ${restored.join(', ') || 'nothing'} and settled in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  };

  // 3. Rounds.
  const raws: number[] = [];
  const jobs: number[] = [];
  const collections: number[] = [];
  let peakRss = process.memoryUsage().rss;
  let firstCounts: string | undefined;
  let closedAccounts = 0;
  let mismatch = false;
  const sequelizeOptions = (db as unknown as { options: { benchmark?: boolean; logging?: unknown } }).options;
  for (let round = 1; round <= ROUNDS; round++) {
    const last = round === ROUNDS;
    // (a) raw ceiling: two statements.
    log(`round ${round}: ${await reset()}`);
    started = Date.now();
    const [, flagged] = (await db.query(
      `UPDATE installmentSchedules SET status = 'overdue', updatedAt = NOW() WHERE status IN ('pending', 'partial') AND dueDate < :bd`,
      { replacements: { bd: NEXT } },
    )) as [unknown, unknown];
    const rawFlagSeconds = (Date.now() - started) / 1000;
    await db.query(
      `UPDATE accounts a LEFT JOIN (
          SELECT accountId, MIN(dueDate) AS oldest FROM installmentSchedules
           WHERE status IN ('pending', 'partial', 'overdue') AND amount > paidAmount AND dueDate < :bd GROUP BY accountId) o ON o.accountId = a.id
          SET a.daysPastDue = ${accountDpdSql('a.status', 'COALESCE(DATEDIFF(:bd, o.oldest), 0)')},
              a.parBucket = ${bucketSql(accountDpdSql('a.status', 'COALESCE(DATEDIFF(:bd, o.oldest), 0)'))}`,
      { replacements: { bd: NEXT } },
    );
    const rawSeconds = (Date.now() - started) / 1000;
    raws.push(rawSeconds);
    log(
      `  (a) raw ceiling, 2 statements: ${rawSeconds.toFixed(2)} s (flags ${rawFlagSeconds.toFixed(2)} s, ${Number((flagged as { affectedRows?: number })?.affectedRows ?? 0).toLocaleString('en')} instalments; DPD and bucket ${(rawSeconds - rawFlagSeconds).toFixed(2)} s)`,
    );
    // (a)'s result, to compare (b)'s with row by row (kept beside the pristine copy's tables).
    await db.query(`DROP TABLE IF EXISTS \`${b}\`.benchRawInstallments, \`${b}\`.benchRawAccounts`);
    await db.query(`CREATE TABLE \`${b}\`.benchRawInstallments (PRIMARY KEY (id)) SELECT id, status FROM installmentSchedules`);
    await db.query(`CREATE TABLE \`${b}\`.benchRawAccounts (PRIMARY KEY (id)) SELECT id, daysPastDue, parBucket FROM accounts`);

    // (b) the real close.
    log(`  ${await reset()}`);
    const profile = new Map<string, { n: number; ms: number }>();
    if (PROFILE && last) {
      sequelizeOptions.benchmark = true;
      sequelizeOptions.logging = (sql: string, ms?: number) => {
        const key = sql
          .replace(/^Executed \([^)]*\): /, '')
          .replace(/\s+/g, ' ')
          .slice(0, 70);
        const p = profile.get(key) ?? { n: 0, ms: 0 };
        p.n++;
        p.ms += ms ?? 0;
        profile.set(key, p);
      };
    }
    let done = 0;
    const marks = [25_000, 50_000, 100_000, 200_000, 400_000].filter((m) => m <= ACCOUNTS);
    const rssAt: Record<string, number> = {};
    let runPeak = process.memoryUsage().rss;
    const sampler = setInterval(() => (runPeak = Math.max(runPeak, process.memoryUsage().rss)), 25);
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
    runPeak = Math.max(runPeak, process.memoryUsage().rss);
    peakRss = Math.max(peakRss, runPeak);
    jobs.push(jobSeconds);
    collections.push((summary.counts['collections.ms'] ?? 0) / 1000);
    sequelizeOptions.logging = false;
    sequelizeOptions.benchmark = false;
    const c = summary.counts;
    closedAccounts = c.accounts ?? 0;
    log(`  (b) close-day job: ${jobSeconds.toFixed(2)} s, ${JSON.stringify(c)}`);
    log(
      `      step times summed over the ${CONCURRENCY} partition lanes: flags + DPD/suspensions/business date (what (a) covers) ${(((c.flagMs ?? 0) + (c.accountsMs ?? 0)) / 1000).toFixed(2)} s; ` +
        `reminders ${((c.remindersMs ?? 0) / 1000).toFixed(2)} s, snapshots ${((c.snapshotsMs ?? 0) / 1000).toFixed(2)} s, commissions ${((c['commissions.ms'] ?? 0) / 1000).toFixed(2)} s, ` +
        `collections ${((c['collections.ms'] ?? 0) / 1000).toFixed(2)} s`,
    );
    for (const [k, v] of [...profile.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, 15))
      log(`      ${String(Math.round(v.ms)).padStart(7)} ms ${String(v.n).padStart(6)}x  ${k}`);
    log(
      `      RSS by accounts closed: ${
        Object.entries(rssAt)
          .map(([k, v]) => `${Number(k).toLocaleString('en')}: ${v} MB`)
          .join(', ') || '-'
      }; peak ${mb(runPeak)} MB`,
    );

    // Same flags and DPD as (a), and the same counts as the first round (the restore left nothing behind).
    const { statuses } = await one<{ statuses: number }>(
      db,
      `SELECT COUNT(*) AS statuses FROM installmentSchedules x JOIN \`${b}\`.benchRawInstallments y ON y.id = x.id WHERE x.status <> y.status`,
    );
    const { dpd } = await one<{ dpd: number }>(
      db,
      `SELECT COUNT(*) AS dpd FROM accounts x JOIN \`${b}\`.benchRawAccounts y ON y.id = x.id WHERE x.daysPastDue <> y.daysPastDue OR x.parBucket <> y.parBucket`,
    );
    const { compared } = await one<{ compared: number }>(db, `SELECT COUNT(*) AS compared FROM accounts x JOIN \`${b}\`.benchRawAccounts y ON y.id = x.id`);
    const counts = JSON.stringify(Object.fromEntries(Object.entries(c).filter(([k]) => !/ms$/i.test(k))));
    firstCounts ??= counts;
    log(
      `      compared ${Number(compared).toLocaleString('en')} accounts with (a): ${statuses} instalment statuses and ${dpd} DPD/bucket values differ${counts === firstCounts ? '' : `; counts differ from round 1's: ${counts}`}`,
    );
    if (Number(statuses) !== 0 || Number(dpd) !== 0 || counts !== firstCounts) mismatch = true;
  }
  await db.query(`DROP TABLE IF EXISTS \`${b}\`.benchRawInstallments, \`${b}\`.benchRawAccounts`);
  await rt.close();

  const rawSeconds = round2(median(raws));
  const jobSeconds = round2(median(jobs));
  const ratio = round2(median(jobs) / median(raws));
  log(
    `(a) ${raws.map((x) => x.toFixed(2)).join(', ')} s; (b) ${jobs.map((x) => x.toFixed(2)).join(', ')} s; per round ${jobs.map((j, i) => (j / raws[i]!).toFixed(2)).join(', ')}`,
  );
  log(`ratio job / raw (medians): ${ratio} (target <= 1.5)`);
  const collectionsSeconds = round2(median(collections));
  const collectionsShare = Math.round((median(collections) / median(jobs)) * 1000) / 1000;
  log(`collections step: ${collections.map((x) => x.toFixed(2)).join(', ')} s; share of the close (medians): ${collectionsShare} (target <= 0.25)`);
  if (mismatch) {
    log('MISMATCH between the raw statements and the close, or between rounds');
    process.exitCode = 1;
  }
  log(
    JSON.stringify({
      accounts: Number(accountCount),
      installments: Number(installments),
      closedAccounts,
      rawSeconds,
      jobSeconds,
      ratio,
      collectionsSeconds,
      collectionsShare,
      peakRssMb: mb(peakRss),
      mismatch,
    }),
  );
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
