import type { Command } from 'commander';
import { loadConfig } from '../platform/config';
import { createLogger } from '../platform/logging/logger';
import { createRuntime, type Runtime } from '../runtime';
import { FailedJobsService, type FailedJobView } from '../modules/operations/failed-jobs.service';

async function withRuntime<T>(work: (runtime: Runtime, failed: FailedJobsService) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const runtime = await createRuntime(config, { role: 'cli', logger: createLogger('warn', { role: 'cli' }) });
  try {
    return await work(runtime, new FailedJobsService(runtime.queue));
  } finally {
    await runtime.close();
  }
}

function line(j: FailedJobView): string {
  const reason = (j.failedReason ?? '').replace(/\s+/g, ' ').slice(0, 120);
  return `${j.queue}\t${j.id}\t${j.attemptsMade}/${j.maxAttempts ?? '?'}\t${j.failedAt ?? '-'}\t${reason}`;
}

/**
 * `amt jobs failed [--queue q] [--json]` lists jobs that failed every attempt (Bull's failed sets);
 * `amt jobs retry <queue> <id>` moves one back to waiting, for the workers to run again. The same
 * as GET /api/v1/ops/jobs/failed and POST /api/v1/ops/jobs/:queue/:id/retry.
 */
export function jobsCommands(program: Command): void {
  const jobs = program.command('jobs').description('background jobs: failed ones, and re-driving them');
  jobs
    .command('failed')
    .description('list jobs that failed every attempt')
    .option('--queue <name>', 'only this queue')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { queue?: string; json?: boolean }) => {
      await withRuntime(async (_runtime, failed) => {
        if (!failed.available) {
          process.stderr.write('No REDIS_URL: jobs run in-process (demo mode) and keep no failed set.\n');
          return;
        }
        let cursor: string | undefined;
        let count = 0;
        if (!opts.json) process.stdout.write('queue\tid\tattempts\tfailedAt\treason\n');
        do {
          const page = await failed.list({ queue: opts.queue, limit: 200, cursor });
          for (const j of page.data) process.stdout.write(`${opts.json ? JSON.stringify(j) : line(j)}\n`);
          count += page.data.length;
          cursor = page.page.nextCursor ?? undefined;
        } while (cursor);
        if (!opts.json) process.stdout.write(`${count} failed job(s)\n`);
      });
    });
  jobs
    .command('retry')
    .description('move a failed job back to waiting')
    .argument('<queue>', 'queue name, e.g. operations.close-day')
    .argument('<id>', 'job id (from `amt jobs failed`)')
    .action(async (queue: string, id: string) => {
      await withRuntime(async (_runtime, failed) => {
        const job = await failed.retry(queue, id);
        process.stdout.write(`${job.queue} ${job.id}: queued again (was failed after ${job.attemptsMade} attempt(s))\n`);
      });
    });
}
