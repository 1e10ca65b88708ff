import type { Transaction } from 'sequelize';
import { sqlOf, type SqlText } from '../../platform/db/sql';
import { dialect } from '../../platform/db/dialect';
import { NumberSequence } from './reference.models';

/** Defaults for sequences created on first use; operators may change prefix and padding. */
const DEFAULTS: Record<string, { prefix: string; padding: number }> = {
  account: { prefix: 'AC', padding: 8 },
  receipt: { prefix: 'RC', padding: 9 },
  invoice: { prefix: 'INV', padding: 8 },
  creditNote: { prefix: 'CN', padding: 8 },
  supportTicket: { prefix: 'TK', padding: 8 },
};

/**
 * The next number of a gapless sequence, inside the caller's transaction: the row stays locked
 * until that transaction ends, and a rollback gives the number back. Take it as late in the
 * transaction as possible: every other writer of the same sequence waits for the lock.
 */
export async function nextNumber(name: string, transaction: Transaction): Promise<string> {
  const sequelize = NumberSequence.sequelize!;
  if (dialect(sequelize).mysql) {
    // One round trip: the UPDATE locks the row and hands back the value it took as insertId.
    const header = await sqlOf(sequelize).write(
      transaction,
      'UPDATE numberSequences SET nextValue = LAST_INSERT_ID(nextValue) + 1, updatedAt = NOW() WHERE name = ?',
      [name],
    );
    if (header.affectedRows === 1) return format(name, header.insertId, transaction);
  }
  let seq = await NumberSequence.findOne({ where: { name }, lock: transaction.LOCK.UPDATE, transaction });
  if (!seq) {
    const d = DEFAULTS[name] ?? { prefix: '', padding: 8 };
    // Sequences are seeded; one that is not is created here (INSERT IGNORE: racing creators don't fail).
    await NumberSequence.bulkCreate([{ name, prefix: d.prefix, padding: d.padding, nextValue: 1 }], { ignoreDuplicates: true, transaction });
    seq = await NumberSequence.findOne({ where: { name }, lock: transaction.LOCK.UPDATE, transaction });
  }
  const value = Number(seq!.nextValue);
  await NumberSequence.update({ nextValue: value + 1 }, { where: { id: seq!.id }, transaction });
  formats.set(name, { prefix: seq!.prefix, padding: seq!.padding });
  return `${seq!.prefix}${String(value).padStart(seq!.padding, '0')}`;
}

/**
 * A statement that stores a number taken at commit, given the number as SQL: `@amt_number` (set in
 * the COMMIT's round trip), or `?` with its value.
 */
export type NumberWrite = (number: SqlText) => SqlText;

/**
 * The next number of a gapless sequence, taken in the transaction's COMMIT round trip (MySQL):
 * every writer of the sequence queues on its row, which is then locked for that one round trip
 * only, with no application turn inside the lock. `writes` store it (the number is a SQL variable
 * there, set by the same round trip); `onNumber` hears it once committed. The number is unknown
 * inside the transaction, so a caller that must show it before commit takes nextNumber instead.
 * Elsewhere (SQLite) the number is taken now and `writes` run at once.
 * Returns the number as SQL, for a statement the caller adds to the commit tail later (sql.atCommit:
 * it runs after these), e.g. an answer stored with the number in it; no other number may be taken
 * at commit in the same transaction in between (they share the variable).
 */
export async function nextNumberAtCommit(name: string, transaction: Transaction, writes: NumberWrite[], onNumber: (number: string) => void): Promise<SqlText> {
  const sequelize = NumberSequence.sequelize!;
  const sql = sqlOf(sequelize);
  if (!sql.canDefer(transaction)) {
    const number = await nextNumber(name, transaction);
    for (const w of writes) {
      const s = w({ sql: '?', values: [number] });
      await sql.write(transaction, s.sql, s.values);
    }
    onNumber(number);
    return { sql: '?', values: [number] };
  }
  // The row exists (created here once if not seeded), so the UPDATE below always takes a number.
  const f = await formatOf(name, transaction);
  const number: SqlText = { sql: '@amt_number', values: [] };
  sql.atCommit(
    transaction,
    [
      { sql: 'UPDATE numberSequences SET nextValue = LAST_INSERT_ID(nextValue) + 1, updatedAt = NOW() WHERE name = ?', values: [name] },
      // NULL if no row was taken: a write of it then fails (NOT NULL), so nothing commits with a stale number.
      {
        sql: "SET @amt_number = IF(ROW_COUNT() = 1, CONCAT(?, LPAD(LAST_INSERT_ID(), GREATEST(?, CHAR_LENGTH(LAST_INSERT_ID())), '0')), NULL)",
        values: [f.prefix, f.padding],
      },
      ...writes.map((w) => w(number)),
    ],
    ([taken]) => onNumber(`${f.prefix}${String(Number((taken as { insertId: number }).insertId)).padStart(f.padding, '0')}`),
  );
  return number;
}

// Prefix and padding are configuration: read once per process.
const formats = new Map<string, { prefix: string; padding: number }>();
async function format(name: string, value: number, transaction: Transaction): Promise<string> {
  const f = await formatOf(name, transaction);
  return `${f.prefix}${String(value).padStart(f.padding, '0')}`;
}

async function formatOf(name: string, transaction: Transaction): Promise<{ prefix: string; padding: number }> {
  let f = formats.get(name);
  if (!f) {
    let row = await NumberSequence.findOne({ where: { name }, attributes: ['prefix', 'padding'], transaction });
    if (!row) {
      const d = DEFAULTS[name] ?? { prefix: '', padding: 8 };
      await NumberSequence.bulkCreate([{ name, prefix: d.prefix, padding: d.padding, nextValue: 1 }], { ignoreDuplicates: true, transaction });
      row = await NumberSequence.findOne({ where: { name }, attributes: ['prefix', 'padding'], transaction });
    }
    f = { prefix: row!.prefix, padding: row!.padding };
    formats.set(name, f);
  }
  return f;
}
