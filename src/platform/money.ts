import Decimal from 'decimal.js';

// Money is exact: DECIMAL(14,2) in the database, strings on the wire, Decimal in arithmetic.
Decimal.set({ precision: 40, rounding: Decimal.ROUND_HALF_UP });

export type MoneyString = string;
export { Decimal };

export function money(value: Decimal.Value): Decimal {
  return new Decimal(value);
}

/** Canonical two-decimal string, as stored in DECIMAL(14,2) columns. */
export function toMoneyString(value: Decimal.Value): MoneyString {
  return new Decimal(value).toFixed(2);
}
