import type { Command } from 'commander';
import { loadConfig } from '../platform/config';

/** `amt config:check`: validates the environment as the server would, printing no secrets. */
export function configCommands(program: Command): void {
  program
    .command('config:check')
    .description('validate the environment as the server would and print a summary (no secrets)')
    .action(() => {
      const c = loadConfig();
      const summary = {
        env: c.env,
        demo: c.demo,
        database: c.databaseUrl ? new URL(c.databaseUrl).host + new URL(c.databaseUrl).pathname : `sqlite (${c.sqlitePath ?? 'data/amt.sqlite'})`,
        redis: c.redisUrl ? new URL(c.redisUrl).host : 'none (jobs in-process)',
        port: c.port,
      };
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    });
}
