import type { Transaction } from 'sequelize';
import { sqlOf } from '../../platform/db/sql';
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

// Prefix and padding are configuration: read once per process.
const formats = new Map<string, { prefix: string; padding: number }>();
async function format(name: string, value: number, transaction: Transaction): Promise<string> {
  let f = formats.get(name);
  if (!f) {
    const row = await NumberSequence.findOne({ where: { name }, attributes: ['prefix', 'padding'], transaction });
    f = { prefix: row!.prefix, padding: row!.padding };
    formats.set(name, f);
  }
  return `${f.prefix}${String(value).padStart(f.padding, '0')}`;
}
