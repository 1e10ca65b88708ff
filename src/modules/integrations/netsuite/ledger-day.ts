import type { Transaction } from 'sequelize';
import { integrations } from '../outbox';

/**
 * A country's business day as one outbox aggregate ('ledgerDay'): its id is a stable integer made
 * of the country id and the day, countryId * 100000 + days since 1970-01-01 (so 2026-11-20 of
 * country 7 is 720_778), decoded back by the NetSuite target. It fits syncOutbox.aggregateId
 * (INTEGER) for country ids below 21474 and days to the year 2243.
 */
export const LEDGER_DAY_AGGREGATE = 'ledgerDay';
const DAY_MS = 86_400_000;

export function ledgerDayKey(countryId: number, date: string): number {
  const days = Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
  if (!Number.isInteger(countryId) || countryId <= 0 || !Number.isFinite(days) || days < 0 || days >= 100_000) {
    throw new Error(`no ledger day key for country ${countryId} and ${date}`);
  }
  return countryId * 100_000 + days;
}

export function decodeLedgerDay(key: number): { countryId: number; date: string } {
  const countryId = Math.floor(key / 100_000);
  const date = new Date((key % 100_000) * DAY_MS).toISOString().slice(0, 10);
  return { countryId, date };
}

/**
 * The nightly-close step that hands a closed day to NetSuite: one 'ledgerDay' outbox row for the
 * country and the day just closed, in the step's transaction. It is shaped as a CountryCloseStep
 * (src/modules/operations/close-steps.ts) without importing it (integrations is below operations
 * in the module graph); the operations module registers it. A re-run of the close enqueues again,
 * which is harmless: the target sends a day once and refuses a day whose figures changed.
 */
export const netsuiteLedgerDayStep = {
  name: 'netsuiteLedgerDay',
  async run(input: { countryId: number; closedDate: string }, transaction: Transaction): Promise<Record<string, number>> {
    await integrations.enqueue(transaction, {
      aggregate: LEDGER_DAY_AGGREGATE,
      id: ledgerDayKey(input.countryId, input.closedDate),
      event: 'ledger.day_closed',
      payload: { countryId: input.countryId, date: input.closedDate },
    });
    return { enqueued: 1 };
  },
};
