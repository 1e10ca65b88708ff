import type { Transaction } from 'sequelize';
import { integrations } from './outbox';

/**
 * The nightly close's part in the sync: one 'account' outbox row (event account.arrears_changed,
 * Salesforce) per account of the chunk whose DPD, PAR bucket or status the close changed, in one
 * INSERT ... SELECT in the chunk's transaction (set-based; MySQL and SQLite alike).
 *
 * Which changed, without a before image: the close moves DPD forward by the days elapsed for every
 * account with arrears (DPD > 0 after it), and changes bucket and status (suspension) only for
 * such accounts; an account with DPD 0 after the close had 0 before it (arrears clear only by a
 * payment, a waiver or a write-off, which enqueue their own rows). So the changed accounts are
 * those of the chunk with daysPastDue > 0. The close passes only accounts it has not yet taken to
 * the business date, so a re-run adds nothing.
 *
 * Registered by the operations module (operations/index.ts) as a chunk step: the integrations
 * module may not import operations (operations -> reporting -> accounts -> integrations).
 */
export const arrearsSyncStep = {
  name: 'sync',
  async run(input: { accountIds: number[] }, t: Transaction): Promise<{ accounts: number }> {
    if (input.accountIds.length === 0) return { accounts: 0 };
    const written = await integrations.enqueueSelected(t, {
      aggregate: 'account',
      event: 'account.arrears_changed',
      from: `SELECT id FROM accounts WHERE id IN (${input.accountIds.map(() => '?').join(', ')}) AND daysPastDue > 0`,
      replacements: input.accountIds,
    });
    const accounts = written.at(-1)?.rows ?? 0;
    return { accounts };
  },
};
