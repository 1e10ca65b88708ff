import { randomBytes } from 'node:crypto';
import { DatabaseError, Op, type Transaction } from 'sequelize';
import { placeholders, sqlOf } from '../../platform/db/sql';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import type { LedgerCode } from './chart';
import { FiscalPeriod, JournalEntry, JournalLine, LedgerAccount } from './models';

export interface LineSpec {
  ledger: LedgerCode;
  debit?: MoneyString;
  credit?: MoneyString;
  /** The loan account (sub-ledger); required on control accounts. */
  accountId?: number | null;
  memo?: string;
}

export interface EntrySpec {
  businessDate: string;
  countryId?: number | null;
  description: string;
  sourceType: string;
  sourceId?: number | null;
  accountId?: number | null;
  currency: string;
  createdBy?: number | null;
  reversalOfId?: number | null;
  lines: LineSpec[];
}

let ledgerIds: Map<string, number> | undefined;

async function ledgerId(code: string, transaction: Transaction): Promise<number> {
  if (!ledgerIds?.has(code)) {
    const rows = await LedgerAccount.findAll({ attributes: ['id', 'code'], transaction });
    ledgerIds = new Map(rows.map((r) => [r.code, r.id]));
  }
  const id = ledgerIds.get(code);
  if (id === undefined) throw new Error(`ledger account ${code} is not in the chart of accounts`);
  return id;
}

const PERIOD_TTL_MS = 10_000;
const periods = new Map<string, { period: FiscalPeriod; expires: number }>();

/**
 * The open fiscal period covering a business date (a country's own period wins over a global
 * one). Cached briefly: closing a period is enforced by the database trigger on journalEntries
 * the moment it happens, whatever this cache says.
 */
async function openPeriod(businessDate: string, countryId: number | null | undefined, transaction: Transaction): Promise<FiscalPeriod> {
  const key = `${countryId ?? ''}:${businessDate}`;
  const hit = periods.get(key);
  if (hit && hit.expires > Date.now()) return hit.period;
  const found = await FiscalPeriod.findAll({
    where: {
      startDate: { [Op.lte]: businessDate },
      endDate: { [Op.gte]: businessDate },
      countryId: countryId ? { [Op.or]: [countryId, null] } : null,
    },
    transaction,
  });
  const period = found.find((p) => p.countryId) ?? found[0];
  if (!period) throw problems.conflict(`No fiscal period covers ${businessDate}.`, 'fiscal-period-missing');
  if (period.status !== 'open') throw closedPeriod(period.name);
  periods.set(key, { period, expires: Date.now() + PERIOD_TTL_MS });
  return period;
}

const closedPeriod = (name: string) => problems.conflict(`The fiscal period ${name} is closed; it takes no postings.`, 'fiscal-period-closed');

/** Forget cached periods (after closing or reopening one). */
export function forgetFiscalPeriods(): void {
  periods.clear();
}

/**
 * Journal entry numbers identify entries; unlike receipts and invoices they need not be gapless,
 * so they are minted without a shared counter that every posting would queue on.
 */
function entryNumber(businessDate: string): string {
  return `JE${businessDate.replace(/-/g, '')}-${randomBytes(6).toString('hex').toUpperCase()}`;
}

/**
 * Posts one balanced journal entry in the caller's transaction. Lines are checked to balance to
 * the cent before anything is written; they are never changed afterwards.
 */
export async function postEntry(spec: EntrySpec, transaction: Transaction): Promise<JournalEntry> {
  let debits = new Decimal(0);
  let credits = new Decimal(0);
  const lines = spec.lines.filter((l) => !new Decimal(l.debit ?? 0).isZero() || !new Decimal(l.credit ?? 0).isZero());
  for (const l of lines) {
    const d = new Decimal(l.debit ?? 0);
    const c = new Decimal(l.credit ?? 0);
    if (d.isNegative() || c.isNegative() || (!d.isZero() && !c.isZero())) throw new Error('a journal line is one-sided and not negative');
    debits = debits.plus(d);
    credits = credits.plus(c);
  }
  if (!debits.equals(credits) || debits.isZero()) {
    throw new Error(`unbalanced journal entry (${spec.description}): debits ${debits.toFixed(2)} credits ${credits.toFixed(2)}`);
  }
  const period = await openPeriod(spec.businessDate, spec.countryId, transaction);
  const resolved = await Promise.all(lines.map(async (l) => ({ ...l, ledgerAccountId: await ledgerId(l.ledger, transaction) })));
  const sql = sqlOf(JournalEntry.sequelize!);
  const now = new Date();
  const values = {
    entryNumber: entryNumber(spec.businessDate),
    businessDate: spec.businessDate,
    fiscalPeriodId: period.id,
    description: spec.description.slice(0, 255),
    sourceType: spec.sourceType,
    sourceId: spec.sourceId ?? null,
    accountId: spec.accountId ?? null,
    reversalOfId: spec.reversalOfId ?? null,
    currency: spec.currency,
    countryId: spec.countryId ?? null,
    createdBy: spec.createdBy ?? null,
    createdAt: now,
    updatedAt: now,
  };
  // Plain statements: every payment posts an entry.
  const { insertId } = await sql
    .write(
      transaction,
      `INSERT INTO journalEntries (entryNumber, businessDate, fiscalPeriodId, description, sourceType, sourceId, accountId, reversalOfId, currency, countryId, createdBy, createdAt, updatedAt)
       VALUES ${placeholders(1, 13)}`,
      Object.values(values),
    )
    .catch((err: unknown) => {
      if (err instanceof DatabaseError && /fiscal period is closed/.test(err.message)) {
        forgetFiscalPeriods();
        throw closedPeriod(period.name);
      }
      throw err;
    });
  // Deferred: sent with the transaction's next statement (nothing here reads its result).
  await sql.defer(
    transaction,
    `INSERT INTO journalLines (journalEntryId, ledgerAccountId, accountId, debit, credit, memo, createdAt, updatedAt) VALUES ${placeholders(resolved.length, 8)}`,
    resolved.flatMap((l) => [
      insertId,
      l.ledgerAccountId,
      l.accountId ?? null,
      toMoneyString(l.debit ?? 0),
      toMoneyString(l.credit ?? 0),
      l.memo ?? null,
      now,
      now,
    ]),
  );
  return JournalEntry.build({ id: insertId, ...values }, { isNewRecord: false, raw: true });
}

/** A reversing entry: the same lines with debit and credit swapped, linked to the original. */
export async function reverseEntry(
  originalId: number,
  spec: Pick<EntrySpec, 'businessDate' | 'countryId' | 'description' | 'sourceType' | 'sourceId' | 'createdBy'>,
  transaction: Transaction,
): Promise<JournalEntry> {
  const original = await JournalEntry.findByPk(originalId, { include: [{ model: JournalLine, as: 'lines' }], transaction });
  if (!original) throw new Error(`journal entry ${originalId} not found`);
  const codeById = new Map((await LedgerAccount.findAll({ attributes: ['id', 'code'], transaction })).map((a) => [a.id, a.code]));
  return postEntry(
    {
      ...spec,
      accountId: original.accountId,
      currency: original.currency,
      reversalOfId: original.id,
      lines: (original.lines ?? []).map((l) => ({
        ledger: codeById.get(l.ledgerAccountId) as LedgerCode,
        debit: l.credit,
        credit: l.debit,
        accountId: l.accountId,
        memo: l.memo ?? undefined,
      })),
    },
    transaction,
  );
}
