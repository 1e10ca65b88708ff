import cliProgress from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { QueryTypes, type Transaction } from 'sequelize';
import { isSyncTarget, SYNC_TARGETS, type SyncTargetName } from '../modules/integrations/registry';
import { isSyncEntity, SYNC_ENTITIES, SyncOpsService, type SyncEntity } from '../modules/integrations/sync-ops.service';
import { JobRun } from '../modules/operations/models';
import { loadConfig } from '../platform/config';
import { HttpProblem } from '../platform/http/problem';
import { createLogger } from '../platform/logging/logger';
import { createRuntime, type Runtime } from '../runtime';

async function withOps<T>(work: (ops: SyncOpsService, runtime: Runtime) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const runtime = await createRuntime(config, { role: 'cli', logger: createLogger('warn', { role: 'cli' }) });
  try {
    return await work(new SyncOpsService(runtime), runtime);
  } catch (err) {
    // A service's 4xx (unknown id, not dead) as a plain message, exit code 1.
    if (err instanceof HttpProblem) {
      const fields = (err.extensions.errors as { field?: string; message: string }[] | undefined) ?? [];
      throw new Error([err.message, ...fields.map((f) => `  ${f.field ? `--${f.field}: ` : ''}${f.message}`)].join('\n'), { cause: err });
    }
    throw err;
  } finally {
    await runtime.close();
  }
}

function target(value: string): SyncTargetName {
  if (!isSyncTarget(value)) throw new InvalidArgumentError(`expected one of ${SYNC_TARGETS.join(', ')}`);
  return value;
}

function entity(value: string): SyncEntity {
  if (!isSyncEntity(value)) throw new InvalidArgumentError(`expected one of ${Object.keys(SYNC_ENTITIES).join(', ')}`);
  return value;
}

function entityRef(value: string): { entity: SyncEntity; id: number } {
  const m = /^([a-z]+):(\d{1,10})$/.exec(value);
  if (!m || !isSyncEntity(m[1]!) || Number(m[2]) < 1 || Number(m[2]) > 2147483647) {
    throw new InvalidArgumentError(`expected <entity>:<id> with entity one of ${Object.keys(SYNC_ENTITIES).join(', ')}, e.g. customer:123`);
  }
  return { entity: m[1] as SyncEntity, id: Number(m[2]) };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 2147483647) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function pageSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('must be a whole number from 1 to 10000');
  return n;
}

/**
 * `amt sync status|retry|resend|backfill`: the NetSuite/Salesforce sync from the command line (the
 * same service as GET /api/v1/integrations/status and the dead-row routes). Changes are audited
 * with no employee (the system).
 */
export function syncCommands(program: Command): void {
  const sync = program.command('sync').description('the NetSuite and Salesforce sync (the outbox drain)');

  sync
    .command('status')
    .description('per target: pending rows, oldest pending age, dead rows, last success and error, paused')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await withOps((ops) => ops.status());
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ targets: status }, null, 2)}\n`);
        return;
      }
      for (const s of status) {
        process.stdout.write(
          [
            `${s.target} (driver ${s.driver})${s.paused ? ` PAUSED: ${s.pausedReason ?? ''}` : ''}`,
            `  pending ${s.pending}, processing ${s.processing}, oldest ${s.oldestPendingAgeSeconds === null ? '-' : `${s.oldestPendingAgeSeconds}s`}, dead ${s.dead}`,
            `  last success ${s.lastSuccessAt ?? '-'}`,
            `  last error ${s.lastError ? `${s.lastError.at} (row ${s.lastError.outboxId}): ${s.lastError.message.replace(/\s+/g, ' ').slice(0, 200)}` : '-'}`,
            '',
          ].join('\n'),
        );
      }
    });

  sync
    .command('retry')
    .description('put dead rows of a target back to pending: one (--id) or all (--all-dead)')
    .requiredOption('--target <target>', SYNC_TARGETS.join(' | '), target)
    .option('--id <n>', 'the outbox row id', positiveInt)
    .option('--all-dead', 'every dead row of the target')
    .action(async (opts: { target: SyncTargetName; id?: number; allDead?: boolean }) => {
      if ((opts.id === undefined) === (opts.allDead !== true)) throw new Error('give either --id <n> or --all-dead');
      const ids = await withOps(async (ops, runtime) => {
        if (opts.id !== undefined) {
          const [row] = await runtime.sequelize.query<{ target: string }>('SELECT target FROM syncOutbox WHERE id = ?', {
            replacements: [opts.id],
            type: QueryTypes.SELECT,
          });
          if (!row) throw new Error(`no outbox row ${opts.id}`);
          if (row.target !== opts.target) throw new Error(`outbox row ${opts.id} is for ${row.target}, not ${opts.target}`);
          return ops.retry(null, { id: opts.id });
        }
        return ops.retry(null, { target: opts.target, allDead: true });
      });
      process.stdout.write(`${ids.length} dead row(s) of ${opts.target} back to pending${ids.length && ids.length <= 20 ? `: ${ids.join(', ')}` : ''}\n`);
    });

  sync
    .command('resend')
    .description("file the current state of one record again for every target that keeps it (or --target's)")
    .requiredOption('--entity <entity:id>', `${Object.keys(SYNC_ENTITIES).join(' | ')}:<id>, e.g. customer:123`, entityRef)
    .option('--target <target>', SYNC_TARGETS.join(' | '), target)
    .action(async (opts: { entity: { entity: SyncEntity; id: number }; target?: SyncTargetName }) => {
      const rows = await withOps((ops) => ops.resend(null, opts.entity.entity, opts.entity.id, opts.target));
      for (const r of rows) process.stdout.write(`${opts.entity.entity} ${opts.entity.id} -> ${r.target} (outbox row ${r.outboxId})\n`);
    });

  sync
    .command('backfill')
    .description('initial load: file every existing record of an entity for a target, in keyset pages; resumes where a stopped run left off')
    .requiredOption('--target <target>', SYNC_TARGETS.join(' | '), target)
    .requiredOption('--entity <entity>', Object.keys(SYNC_ENTITIES).join(' | '), entity)
    .option('--page-size <n>', 'records per page (one transaction each)', pageSize, 1000)
    .option('--restart', 'start again from the first record instead of resuming')
    .option('--no-progress', 'no progress bar (one line per page instead)')
    .action(async (opts: { target: SyncTargetName; entity: SyncEntity; pageSize: number; restart?: boolean; progress: boolean }) => {
      const summary = await withOps(async (ops) => {
        const jobName = `sync-backfill:${opts.target}:${opts.entity}`;
        // The cursor lives in jobRuns: the last unfinished run of this backfill, unless --restart.
        let run = opts.restart ? null : await JobRun.findOne({ where: { jobName, status: ['running', 'failed'] }, order: [['id', 'DESC']] });
        if (opts.restart) await JobRun.update({ status: 'failed', finishedAt: new Date() }, { where: { jobName, status: 'running' } });
        run ??= await JobRun.create({ jobName, status: 'running', startedAt: new Date(), counts: { lastId: 0, filed: 0 } });
        if (run.status === 'failed') await run.update({ status: 'running', attempt: run.attempt + 1, finishedAt: null });
        let lastId = Number(run.counts?.lastId ?? 0);
        let filed = Number(run.counts?.filed ?? 0);
        const resumedFrom = lastId;
        const remaining = await ops.backfillRemaining(opts.entity, lastId);
        const bar = opts.progress
          ? new cliProgress.SingleBar(
              {
                format: `${opts.entity} -> ${opts.target} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
                hideCursor: true,
                fps: 5,
                stream: process.stderr,
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        bar?.start(remaining, 0);
        let done = 0;
        const runId = run.id;
        try {
          for (;;) {
            const page = await ops.backfillPage(opts.target, opts.entity, lastId, opts.pageSize, async (last: number, n: number, t: Transaction) => {
              await JobRun.update({ counts: { lastId: last, filed: filed + n } }, { where: { id: runId }, transaction: t });
            });
            if (page.lastId === null) break;
            lastId = page.lastId;
            filed += page.filed;
            done += page.filed;
            if (bar) bar.update(Math.min(done, remaining));
            else process.stderr.write(`filed ${filed} (last id ${lastId})\n`);
          }
        } catch (err) {
          bar?.stop();
          await JobRun.update({ status: 'failed', errors: [{ message: (err as Error).message }] }, { where: { id: runId } });
          throw err;
        }
        bar?.stop();
        await JobRun.update({ status: 'succeeded', finishedAt: new Date(), counts: { lastId, filed } }, { where: { id: runId } });
        return { target: opts.target, entity: opts.entity, filed, thisRun: done, resumedFrom, lastId, jobRunId: runId };
      });
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    });
}
