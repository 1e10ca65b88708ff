import { randomFillSync } from 'node:crypto';
import { DatabaseError, Op, QueryTypes, type Transaction } from 'sequelize';
import { dialect } from '../../platform/db/dialect';
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
/** Random bytes for entry numbers, drawn 6 at a time from a pool filled 512 numbers at once (one call into the CSPRNG per 512 entries, not per entry). */
const entryRandom = Buffer.alloc(6 * 512);
let entryRandomAt = entryRandom.length;

function entryNumber(businessDate: string): string {
  if (entryRandomAt >= entryRandom.length) {
    randomFillSync(entryRandom);
    entryRandomAt = 0;
  }
  const random = entryRandom.toString('hex', entryRandomAt, entryRandomAt + 6).toUpperCase();
  entryRandomAt += 6;
  return `JE${businessDate.replace(/-/g, '')}-${random}`;
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

/** One line of each entry `postSelectedEntries` writes: the row's amount on one side of a ledger account. */
export interface SelectedLineSpec {
  ledger: LedgerCode;
  side: 'debit' | 'credit';
  /** Carry the row's loan account (required on control accounts such as 1200). */
  subLedger?: boolean;
}

export interface SelectedEntriesSpec {
  businessDate: string;
  countryId: number;
  currency: string;
  sourceType: string;
  /** Entry numbers are `JE<date>-<numberPrefix><sourceId>`: unique per source without a counter. */
  numberPrefix: string;
  /**
   * A SELECT of one row per entry, columns sourceId, accountId, amount (positive), description,
   * with named replacements. Rows whose (sourceType, sourceId) already has an entry are skipped,
   * so a re-run posts only what is missing.
   */
  from: string;
  replacements: Record<string, unknown>;
  lines: SelectedLineSpec[];
}

/**
 * Balanced journal entries for many sources at once (the nightly close): one INSERT ... SELECT of
 * the entries, one of their lines, in the caller's transaction. Every entry gets one line per
 * `lines` item with the row's amount, so it balances when the debits' and credits' items are
 * equal in number; checked here before anything is written. MySQL and SQLite alike.
 */
export async function postSelectedEntries(spec: SelectedEntriesSpec, transaction: Transaction): Promise<{ entries: number }> {
  const debits = spec.lines.filter((l) => l.side === 'debit').length;
  if (debits === 0 || debits * 2 !== spec.lines.length)
    throw new Error(`unbalanced selected entries (${spec.sourceType}): ${debits} of ${spec.lines.length} lines debit`);
  const sequelize = JournalEntry.sequelize!;
  const d = dialect(sequelize);
  const period = await openPeriod(spec.businessDate, spec.countryId, transaction);
  const now = new Date();
  const replacements = {
    ...spec.replacements,
    jeBusinessDate: spec.businessDate,
    jePeriod: period.id,
    jeSourceType: spec.sourceType,
    jeCurrency: spec.currency,
    jeCountry: spec.countryId,
    jeNumber: `JE${spec.businessDate.replace(/-/g, '')}-${spec.numberPrefix}`,
    jeNow: now,
  };
  const inserted = await sequelize
    .query(
      `INSERT INTO journalEntries (entryNumber, businessDate, fiscalPeriodId, description, sourceType, sourceId, accountId, reversalOfId, currency, countryId, createdBy, createdAt, updatedAt)
       SELECT ${d.concat(':jeNumber', 's.sourceId')}, :jeBusinessDate, :jePeriod, s.description, :jeSourceType, s.sourceId, s.accountId, NULL, :jeCurrency, :jeCountry, NULL, :jeNow, :jeNow
         FROM (${spec.from}) s
        WHERE NOT EXISTS (SELECT 1 FROM journalEntries x WHERE x.sourceType = :jeSourceType AND x.sourceId = s.sourceId)`,
      { replacements, type: QueryTypes.INSERT, transaction },
    )
    .catch((err: unknown) => {
      if (err instanceof DatabaseError && /fiscal period is closed/.test(err.message)) {
        forgetFiscalPeriods();
        throw closedPeriod(period.name);
      }
      throw err;
    });
  const entries = Array.isArray(inserted) && typeof inserted[1] === 'number' ? inserted[1] : 0;
  if (entries === 0) return { entries };
  // The entries just written are the ones of these sources without lines (an entry and its lines
  // are always written in one transaction).
  const selects = await Promise.all(
    spec.lines.map(
      async (l) =>
        `SELECT e.id AS journalEntryId, ${await ledgerId(l.ledger, transaction)} AS ledgerAccountId, ${l.subLedger ? 'e.accountId' : 'NULL'} AS accountId,
                ${l.side === 'debit' ? 's.amount' : '0'} AS debit, ${l.side === 'credit' ? 's.amount' : '0'} AS credit, NULL AS memo, :jeNow AS createdAt, :jeNow AS updatedAt
           FROM journalEntries e JOIN (${spec.from}) s ON e.sourceType = :jeSourceType AND e.sourceId = s.sourceId
          WHERE NOT EXISTS (SELECT 1 FROM journalLines x WHERE x.journalEntryId = e.id)`,
    ),
  );
  await sequelize.query(
    `INSERT INTO journalLines (journalEntryId, ledgerAccountId, accountId, debit, credit, memo, createdAt, updatedAt) SELECT * FROM (${selects.join(' UNION ALL ')}) l`,
    { replacements, type: QueryTypes.INSERT, transaction },
  );
  return { entries };
}
