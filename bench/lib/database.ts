import { spawn } from 'node:child_process';
import { recreateDatabase, sequelizeCli } from '../../test/support/database';

/** The bench databases. */
export const dbName = (url: string) => new URL(url).pathname.slice(1);

export function mysqlArgs(url: string): string[] {
  const u = new URL(url);
  return [
    `--host=${u.hostname}`,
    `--port=${u.port || '3306'}`,
    `--user=${decodeURIComponent(u.username)}`,
    ...(u.password ? [`--password=${decodeURIComponent(u.password)}`] : []),
  ];
}

/** mysqldump A | mysql B: the copy has the same tables, keys, foreign keys and triggers. */
export async function copyDatabase(from: string, to: string): Promise<void> {
  await recreateDatabase(to);
  await new Promise<void>((resolve, reject) => {
    const dump = spawn('mysqldump', [...mysqlArgs(from), '--single-transaction', '--triggers', '--skip-lock-tables', dbName(from)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
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

/** Drops and recreates a bench database, migrated and seeded by the operators' own commands. */
export async function freshBenchDatabase(url: string, env: NodeJS.ProcessEnv = { PATH: process.env.PATH, NODE_ENV: 'test', DATABASE_URL: url }): Promise<void> {
  await recreateDatabase(url);
  sequelizeCli(['db:migrate'], env);
  sequelizeCli(['db:seed:all'], env);
}
