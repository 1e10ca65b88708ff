import { Op, QueryTypes, type Transaction } from 'sequelize';
import { addDays, type CalendarDate } from '../../platform/dates';
import { dialect } from '../../platform/db/dialect';
import { CommissionClawback, CommissionEntry } from './models';

/** How far back a late nightly run still finds write-offs it missed (the step is idempotent). */
export const CLAWBACK_CATCH_UP_DAYS = 31;

const CHUNK = 1000;
function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface ClawbackCandidate {
  id: number;
  accountId: number;
  employeeId: number;
  amount: string;
  status: string;
  reason: string;
}

/**
 * Takes commission back, in bulk statements: entries already earned (payable, or included in a
 * commission payment) get one commissionClawbacks row each (unique per entry: never twice) and
 * become clawed_back; stages not yet earned (accrued) are cancelled. A clawback of an entry that
 * was in an approved or paid payment is deducted from the employee's next commission payment
 * (payout.service); one whose entry was never paid out is only a record.
 */
export async function clawBackEntries(
  entryIds: readonly number[],
  reason: string,
  clawedBackOn: CalendarDate,
  t: Transaction,
): Promise<{ clawedBack: number; cancelled: number }> {
  if (entryIds.length === 0) return { clawedBack: 0, cancelled: 0 };
  const rows: ClawbackCandidate[] = [];
  for (const ids of chunks(entryIds)) {
    const found = await CommissionEntry.findAll({
      where: { id: { [Op.in]: ids } },
      attributes: ['id', 'accountId', 'employeeId', 'amount', 'status'],
      transaction: t,
    });
    rows.push(...found.map((e) => ({ id: e.id, accountId: e.accountId!, employeeId: e.employeeId, amount: e.amount, status: e.status, reason })));
  }
  return applyClawbacks(rows, clawedBackOn, t);
}

async function applyClawbacks(
  rows: readonly ClawbackCandidate[],
  clawedBackOn: CalendarDate,
  t: Transaction,
): Promise<{ clawedBack: number; cancelled: number }> {
  const earned = rows.filter((r) => r.status === 'payable' || r.status === 'included');
  const accrued = rows.filter((r) => r.status === 'accrued').map((r) => r.id);
  let clawedBack = 0;
  let cancelled = 0;
  for (const part of chunks(earned)) {
    await CommissionClawback.bulkCreate(
      part.map((r) => ({
        commissionEntryId: r.id,
        accountId: r.accountId,
        employeeId: r.employeeId,
        amount: r.amount,
        reason: r.reason.slice(0, 255),
        clawedBackOn,
      })),
      { ignoreDuplicates: true, transaction: t },
    );
    const [n] = await CommissionEntry.update(
      { status: 'clawed_back' },
      { where: { id: { [Op.in]: part.map((r) => r.id) }, status: { [Op.in]: ['payable', 'included'] } }, transaction: t },
    );
    clawedBack += n;
  }
  for (const part of chunks(accrued)) {
    const [n] = await CommissionEntry.update({ status: 'cancelled' }, { where: { id: { [Op.in]: part }, status: 'accrued' }, transaction: t });
    cancelled += n;
  }
  return { clawedBack, cancelled };
}

/**
 * The clawback part of the nightly step for one country: accounts written off (an
 * accountStatusHistories row to written_off dated on or before the business date) within a rule's
 * clawbackWithinDays of their activation lose the commission that rule paid on them. One
 * set-based query finds the entries (only accounts activated recently enough to qualify:
 * activationDate >= business date - the longest window - CLAWBACK_CATCH_UP_DAYS, through the
 * activation index); bulk statements apply it. Idempotent: clawed-back and cancelled entries no
 * longer qualify, and a clawback row is unique per entry.
 */
export async function runClawbacks(countryId: number, businessDate: CalendarDate, t: Transaction): Promise<{ clawedBack: number; cancelled: number }> {
  const sequelize = CommissionEntry.sequelize!;
  const [{ longest }] = await sequelize.query<{ longest: number | null }>('SELECT MAX(clawbackWithinDays) AS longest FROM commissionRules', {
    type: QueryTypes.SELECT,
    transaction: t,
  });
  // Retired rules still govern the entries they accrued: the longest window of any rule.
  const maxWindow = Math.max(0, Number(longest ?? 0));
  if (maxWindow === 0) return { clawedBack: 0, cancelled: 0 };
  const daysBetween = dialect(sequelize).daysBetween('a.activationDate', 'h.businessDate');
  const found = await sequelize.query<{ id: number; accountId: number; employeeId: number; amount: string; status: string; days: number; window: number }>(
    `SELECT e.id, e.accountId, e.employeeId, e.amount, e.status, MIN(${daysBetween}) AS days, r.clawbackWithinDays AS \`window\`
       FROM accounts a
       JOIN companyRegions g ON g.id = a.regionId
       JOIN accountStatusHistories h ON h.accountId = a.id AND h.newStatus = 'written_off' AND h.businessDate IS NOT NULL AND h.businessDate <= :businessDate
       JOIN commissionEntries e ON e.accountId = a.id AND e.status IN ('accrued', 'payable', 'included')
       JOIN commissionRules r ON r.id = e.commissionRuleId AND r.clawbackWithinDays IS NOT NULL
      WHERE g.countryId = :countryId
        AND a.status = 'written_off'
        AND a.activationDate IS NOT NULL
        AND a.activationDate >= :since
        AND ${daysBetween} <= r.clawbackWithinDays
      GROUP BY e.id, e.accountId, e.employeeId, e.amount, e.status, r.clawbackWithinDays`,
    { replacements: { businessDate, countryId, since: addDays(businessDate, -(maxWindow + CLAWBACK_CATCH_UP_DAYS)) }, type: QueryTypes.SELECT, transaction: t },
  );
  return applyClawbacks(
    found.map((r) => ({
      id: Number(r.id),
      accountId: Number(r.accountId),
      employeeId: Number(r.employeeId),
      amount: String(r.amount),
      status: r.status,
      reason: `account written off ${Number(r.days)} days after activation (clawback within ${Number(r.window)} days)`,
    })),
    businessDate,
    t,
  );
}
