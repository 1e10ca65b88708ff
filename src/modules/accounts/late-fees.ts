import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { CalendarDate } from '../../platform/dates';
import { dialect } from '../../platform/db/dialect';
import { integrations } from '../integrations/outbox';
import { LEDGER } from '../ledger/chart';
import { postSelectedEntries } from '../ledger/journal.service';

/** Accounts locked and charged per statement group (all in the step's one transaction). */
export const LATE_FEE_BATCH = 5_000;

export interface LateFeeDay {
  countryId: number;
  /** The business date the close opens (N): the fees' businessDate and due date. */
  businessDate: CalendarDate;
}

/**
 * The late fees of one country for business date N, set-based (docs/contract-changes.md, "Late
 * fees"; run by the nightly close as a country step, operations/index.ts). An instalment of an
 * active or suspended account on a payplan with a late fee, still owing something and more than
 * lateFeeGraceDays past its due date at N, gets a 'penalty' charge tied to it
 * (installmentScheduleId) unless its fees already reach the cap or it had one less than
 * lateFeeRepeatDays ago (or at all, without repeat days). The fee is lateFeeAmount, or
 * lateFeeRate percent of what the instalment still owes rounded to the cent, cut to what the cap
 * leaves. Per batch of accounts, in the caller's transaction:
 *  1. the accounts are locked (the account row is every money path's first lock; which ones is
 *     read before, only to know what to lock; everything that decides is read after);
 *  2. one INSERT ... SELECT writes the charges;
 *  3. one UPDATE raises each account's balance by its new charges (those without a journal entry
 *     yet: an entry is written in the same transaction as its charge, so they are this run's);
 *  4. the outbox rows (account.charge_raised), then the journal entries, Dr 1200 loans
 *     receivable / Cr 4400 penalty income, one per charge (postSelectedEntries).
 * Idempotent: a re-run finds the fee of N raised (the unique (installmentScheduleId,
 * businessDate) backs that up) and writes nothing; a crash rolls the whole step back. DPD and
 * status are not touched: they follow the instalments, which a fee does not change.
 */
export async function raiseLateFees(sequelize: Sequelize, day: LateFeeDay, t: Transaction): Promise<{ raised: number; accounts: number }> {
  const plans = await sequelize.query<{ id: number }>('SELECT id FROM payplans WHERE lateFeeType IS NOT NULL', { type: QueryTypes.SELECT, transaction: t });
  if (plans.length === 0) return { raised: 0, accounts: 0 };
  const [country] = await sequelize.query<{ currency: string }>('SELECT currency FROM countries WHERE id = :id', {
    replacements: { id: day.countryId },
    type: QueryTypes.SELECT,
    transaction: t,
  });
  const regions = (
    await sequelize.query<{ id: number }>('SELECT id FROM companyRegions WHERE countryId = :id', {
      replacements: { id: day.countryId },
      type: QueryTypes.SELECT,
      transaction: t,
    })
  ).map((r) => Number(r.id));
  if (!country || regions.length === 0) return { raised: 0, accounts: 0 };
  const d = dialect(sequelize);
  const bd = day.businessDate;
  const late = `a.status IN ('active', 'suspended') AND i.installmentNumber > 0
    AND i.status IN ('pending', 'partial', 'overdue') AND i.amount > i.paidAmount
    AND ${d.daysBetween('i.dueDate', ':bd')} > p.lateFeeGraceDays`;
  const candidates = await sequelize.query<{ id: number }>(
    `SELECT DISTINCT a.id FROM installmentSchedules i JOIN accounts a ON a.id = i.accountId JOIN payplans p ON p.id = a.payplanId
      WHERE a.payplanId IN (:plans) AND a.regionId IN (:regions) AND ${late} ORDER BY a.id`,
    { replacements: { plans: plans.map((p) => Number(p.id)), regions, bd }, type: QueryTypes.SELECT, transaction: t },
  );
  const ids = candidates.map((c) => Number(c.id));
  let raised = 0;
  let accounts = 0;
  for (let k = 0; k < ids.length; k += LATE_FEE_BATCH) {
    const r = await raiseBatch(sequelize, { ...day, currency: country.currency, late }, ids.slice(k, k + LATE_FEE_BATCH), t);
    raised += r.raised;
    accounts += r.accounts;
  }
  return { raised, accounts };
}

/** The fee of instalment i (payplan p) before the cap: fixed, or the rate of what it still owes, to the cent. */
const BASE_FEE = `CASE WHEN p.lateFeeType = 'fixed' THEN p.lateFeeAmount ELSE ROUND((i.amount - i.paidAmount) * p.lateFeeRate / 100, 2) END`;

/** This run's late fees of the batch: raised on :bd, no journal entry yet. */
const NEW_FEES = (c: string) => `${c}.installmentScheduleId IS NOT NULL AND ${c}.businessDate = :bd
  AND NOT EXISTS (SELECT 1 FROM journalEntries e WHERE e.sourceType = 'charge' AND e.sourceId = ${c}.id)`;

async function raiseBatch(
  sequelize: Sequelize,
  day: LateFeeDay & { currency: string; late: string },
  ids: number[],
  t: Transaction,
): Promise<{ raised: number; accounts: number }> {
  const d = dialect(sequelize);
  const now = new Date();
  const replacements = { ids, bd: day.businessDate, now };
  await sequelize.query(`SELECT id FROM accounts WHERE id IN (:ids) ORDER BY id${d.forUpdate}`, { replacements, type: QueryTypes.SELECT, transaction: t });
  const raisedSoFar = `SELECT c.installmentScheduleId, SUM(c.amount) AS total, MAX(c.businessDate) AS lastDate
    FROM accountCharges c WHERE c.accountId IN (:ids) AND c.installmentScheduleId IS NOT NULL GROUP BY c.installmentScheduleId`;
  const left = `p.lateFeeCap - COALESCE(s.total, 0)`;
  const inserted = await sequelize.query(
    `INSERT INTO accountCharges (accountId, chargeType, description, amount, paidAmount, status, dueDate, businessDate, createdBy, installmentScheduleId, createdAt, updatedAt)
     SELECT f.accountId, 'penalty', f.description, f.fee, 0, 'pending', :bd, :bd, NULL, f.installmentId, :now, :now FROM (
       SELECT i.accountId, i.id AS installmentId,
              CASE WHEN p.lateFeeCap IS NOT NULL AND ${BASE_FEE} > ${left} THEN ${left} ELSE ${BASE_FEE} END AS fee,
              ${d.concat(`'Late fee: instalment '`, 'i.installmentNumber', `' due '`, 'i.dueDate')} AS description
         FROM installmentSchedules i JOIN accounts a ON a.id = i.accountId JOIN payplans p ON p.id = a.payplanId
         LEFT JOIN (${raisedSoFar}) s ON s.installmentScheduleId = i.id
        WHERE i.accountId IN (:ids) AND p.lateFeeType IS NOT NULL AND ${day.late}
          AND (s.installmentScheduleId IS NULL OR (p.lateFeeRepeatDays IS NOT NULL AND ${d.daysBetween('s.lastDate', ':bd')} >= p.lateFeeRepeatDays))
          AND (p.lateFeeCap IS NULL OR COALESCE(s.total, 0) < p.lateFeeCap)
     ) f WHERE f.fee > 0`,
    { replacements, type: QueryTypes.INSERT, transaction: t },
  );
  const raised = Array.isArray(inserted) && typeof inserted[1] === 'number' ? inserted[1] : 0;
  if (raised === 0) return { raised: 0, accounts: 0 };
  const updated = await sequelize.query(
    `UPDATE accounts SET balance = balance + (SELECT SUM(c.amount) FROM accountCharges c WHERE c.accountId = accounts.id AND ${NEW_FEES('c')}), updatedAt = :now
      WHERE id IN (:ids) AND EXISTS (SELECT 1 FROM accountCharges c WHERE c.accountId = accounts.id AND ${NEW_FEES('c')})`,
    { replacements, type: QueryTypes.BULKUPDATE, transaction: t },
  );
  const accounts = typeof updated === 'number' ? updated : Array.isArray(updated) && typeof updated[1] === 'number' ? updated[1] : 0;
  const positional = NEW_FEES('c').replace(':bd', '?');
  await integrations.enqueueSelected(t, {
    aggregate: 'account',
    event: 'account.charge_raised',
    from: `SELECT DISTINCT c.accountId AS id FROM accountCharges c WHERE c.accountId IN (${ids.map(() => '?').join(', ')}) AND ${positional}`,
    replacements: [...ids, day.businessDate],
    payload: { source: 'late_fee', businessDate: day.businessDate },
  });
  await postSelectedEntries(
    {
      businessDate: day.businessDate,
      countryId: day.countryId,
      currency: day.currency,
      sourceType: 'charge',
      numberPrefix: 'LF',
      from: `SELECT c.id AS sourceId, c.accountId AS accountId, c.amount AS amount, c.description AS description
               FROM accountCharges c WHERE c.accountId IN (:ids) AND c.installmentScheduleId IS NOT NULL AND c.businessDate = :bd`,
      replacements,
      lines: [
        { ledger: LEDGER.loansReceivable, side: 'debit', subLedger: true },
        { ledger: LEDGER.penaltyIncome, side: 'credit' },
      ],
    },
    t,
  );
  return { raised, accounts };
}
