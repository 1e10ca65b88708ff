import { Op, type Sequelize, type Transaction } from 'sequelize';
import { dialect } from '../../platform/db/dialect';
import { ChangeLog, ChangeLogHorizon } from './models';

export interface PruneResult {
  /** Rows deleted by this run. */
  deleted: number;
  /** DELETE statements run. */
  batches: number;
  /** The horizon after the run: rows with id <= this are gone, cursors below it are answered 410. */
  prunedThroughId: number;
}

export interface PruneOptions {
  retentionDays: number;
  now?: Date;
  batchSize?: number;
  /** SQLite (the demo) only: the nightly step's own transaction (one writer at a time, see below). */
  transaction?: Transaction;
}

const DAY_MS = 86_400_000;

/**
 * Deletes changeLog rows older than `retentionDays` (docs/offline-sync.md, "How long the log is
 * kept"), oldest first in batches of `batchSize`, each its own statement and transaction, so no
 * night holds a lock on many rows and a kill loses at most one batch's work.
 *
 * Order makes it safe to kill at any line and to run twice (or two at once):
 *  1. the cut is an id: the newest row older than the cutoff;
 *  2. the horizon (changeLogHorizon.prunedThroughId) is raised to it and committed BEFORE any row
 *     is deleted; the feed reads the horizon after its rows, so a row it missed because it was
 *     deleted always shows as a stale cursor (410), never as a silent hole;
 *  3. rows up to the horizon are deleted from the lowest id up. A run killed half way left the
 *     horizon raised: the next run deletes the rest (it cuts up to the higher of the new cut and
 *     the stored horizon).
 * On SQLite (the demo) the statements run in `transaction`: one writer at a time, so the step may
 * not write beside the transaction the close holds.
 */
export async function pruneChangeLog(sequelize: Sequelize, options: PruneOptions): Promise<PruneResult> {
  const batchSize = options.batchSize ?? 5000;
  const transaction = dialect(sequelize).sqlite ? options.transaction : undefined;
  const cutoff = new Date((options.now ?? new Date()).getTime() - options.retentionDays * DAY_MS);

  const newestOld = await ChangeLog.findOne({
    attributes: ['id'],
    where: { changedAt: { [Op.lt]: cutoff } },
    order: [
      ['changedAt', 'DESC'],
      ['id', 'DESC'],
    ],
    raw: true,
    transaction,
  });
  const horizon = await ChangeLogHorizon.findByPk(1, { raw: true, transaction });
  if (!horizon) throw new Error('changeLogHorizon has no row 1: run the migrations (20261209200000)');
  const through = Math.max(Number(horizon.prunedThroughId), Number(newestOld?.id ?? 0));
  if (through > horizon.prunedThroughId) {
    await ChangeLogHorizon.update({ prunedThroughId: through, prunedBefore: cutoff }, { where: { id: 1, prunedThroughId: { [Op.lt]: through } }, transaction });
  }

  let deleted = 0;
  let batches = 0;
  for (;;) {
    // The batch's last id: the batchSize-th remaining row at or below the horizon (or the horizon).
    const last = await ChangeLog.findOne({
      attributes: ['id'],
      where: { id: { [Op.lte]: through } },
      order: [['id', 'ASC']],
      offset: batchSize - 1,
      raw: true,
      transaction,
    });
    const upTo = last ? Number(last.id) : through;
    const n = await ChangeLog.destroy({ where: { id: { [Op.lte]: upTo } }, transaction });
    batches++;
    deleted += n;
    if (!last) break;
  }
  return { deleted, batches, prunedThroughId: through };
}
