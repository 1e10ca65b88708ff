import type { Transaction } from 'sequelize';
import { NumberSequence } from './reference.models';

/** Defaults for sequences created on first use; operators may change prefix and padding. */
const DEFAULTS: Record<string, { prefix: string; padding: number }> = {
  account: { prefix: 'AC', padding: 8 },
  receipt: { prefix: 'RC', padding: 9 },
  invoice: { prefix: 'INV', padding: 8 },
  journal: { prefix: 'JE', padding: 10 },
  creditNote: { prefix: 'CN', padding: 8 },
};

/**
 * The next number of a gapless sequence, inside the caller's transaction: the row stays locked
 * until that transaction ends, and a rollback gives the number back. Take it as late in the
 * transaction as possible: every other writer of the same sequence waits for the lock.
 */
export async function nextNumber(name: string, transaction: Transaction): Promise<string> {
  let seq = await NumberSequence.findOne({ where: { name }, lock: transaction.LOCK.UPDATE, transaction });
  if (!seq) {
    const d = DEFAULTS[name] ?? { prefix: '', padding: 8 };
    await NumberSequence.findOrCreate({ where: { name }, defaults: { name, prefix: d.prefix, padding: d.padding, nextValue: 1 }, transaction });
    seq = await NumberSequence.findOne({ where: { name }, lock: transaction.LOCK.UPDATE, transaction });
  }
  const value = Number(seq!.nextValue);
  await NumberSequence.update({ nextValue: value + 1 }, { where: { id: seq!.id }, transaction });
  return `${seq!.prefix}${String(value).padStart(seq!.padding, '0')}`;
}
