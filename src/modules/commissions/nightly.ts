import { QueryTypes, type Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import { withTransaction } from '../../platform/db/transaction';
import { runClawbacks } from './clawback.service';
import { CommissionEntry } from './models';
import { notDefaultedStages } from './rules.service';

/** DPD beyond which an account is in default for stages that require it not to be. */
export const DEFAULT_DPD = 90;
/** Account statuses that are a default whatever the DPD. */
export const DEFAULTED_STATUSES = ['written_off', 'repossessed'] as const;

export interface CommissionNightlyResult {
  countryId: number;
  businessDate: CalendarDate;
  /** Entries taken back because their account was written off early (clawback.service). */
  clawedBack: number;
  /** Stages cancelled: not yet earned on early write-offs, or due on a defaulted account. */
  cancelled: number;
  /** Stages that fell due and became payable. */
  payable: number;
}

/**
 * The commissions step of the nightly close for one country and business date, in one
 * transaction of set-based statements; safe to run twice (each statement only moves entries
 * that are still 'accrued', 'payable' or 'included'). Run it after the accounts' own nightly step,
 * so statuses and DPD are those of the business date. In order:
 *  1. clawbacks: accounts written off within a rule's clawbackWithinDays of activation;
 *  2. stages that fall due (earnedOn <= business date) with requiresNotDefaulted, on accounts
 *     written off, repossessed or more than 90 days past due: cancelled;
 *  3. every other stage that fell due: payable.
 * `transaction` lets the close-day orchestration run it inside its own transaction.
 */
export async function runCommissionNightly(
  countryId: number,
  businessDate: CalendarDate,
  options: { transaction?: Transaction } = {},
): Promise<CommissionNightlyResult> {
  const work = async (t: Transaction): Promise<CommissionNightlyResult> => {
    const sequelize = CommissionEntry.sequelize!;
    const now = new Date();
    const claw = await runClawbacks(countryId, businessDate, t);
    const inCountry = `SELECT 1 FROM accounts a JOIN companyRegions g ON g.id = a.regionId WHERE a.id = commissionEntries.accountId AND g.countryId = :countryId`;
    let cancelled = claw.cancelled;
    const pairs = await notDefaultedStages(t);
    if (pairs.length > 0) {
      const [, meta] = await sequelize.query(
        `UPDATE commissionEntries SET status = 'cancelled', updatedAt = :now
          WHERE status = 'accrued' AND earnedOn <= :businessDate
            AND (${pairs.map((p) => `(commissionRuleId = ${Number(p.ruleId)} AND stage = ${Number(p.stage)})`).join(' OR ')})
            AND EXISTS (${inCountry} AND (a.status IN (:defaulted) OR a.daysPastDue > :dpd))`,
        { replacements: { now, businessDate, countryId, defaulted: [...DEFAULTED_STATUSES], dpd: DEFAULT_DPD }, type: QueryTypes.UPDATE, transaction: t },
      );
      cancelled += affected(meta);
    }
    const [, meta] = await sequelize.query(
      `UPDATE commissionEntries SET status = 'payable', updatedAt = :now
        WHERE status = 'accrued' AND earnedOn <= :businessDate AND EXISTS (${inCountry})`,
      { replacements: { now, businessDate, countryId }, type: QueryTypes.UPDATE, transaction: t },
    );
    return { countryId, businessDate, clawedBack: claw.clawedBack, cancelled, payable: affected(meta) };
  };
  if (options.transaction) return work(options.transaction);
  return withTransaction(CommissionEntry.sequelize!, work);
}

/** Rows changed by an UPDATE through sequelize.query (a number on MySQL/MariaDB and SQLite). */
function affected(meta: unknown): number {
  if (typeof meta === 'number') return meta;
  const m = meta as { affectedRows?: number; changes?: number } | undefined;
  return m?.affectedRows ?? m?.changes ?? 0;
}
