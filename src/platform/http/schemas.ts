import Joi from 'joi';
import { isCalendarDate } from '../dates';
import { Decimal } from '../money';

/**
 * Field types every route shares, so that what the database cannot hold is a 400 naming the
 * field, never a 500 or a value stored wrong.
 */

/** Largest value of the INTEGER id columns: a bigger id can name no row and overflows MySQL. */
export const MAX_ID = 2147483647;

/**
 * Largest amount one payment, cash collection, charge or refund may carry (see README). The
 * DECIMAL(14,2) columns hold more, but balances, credit days and sums are computed from it.
 */
export const MAX_PAYMENT_AMOUNT = '10000000.00';

/** How far ahead of the server's clock a client's timestamp may be (clocks drift). */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** A row id: a positive integer the INTEGER columns can hold. */
export const idField = () => Joi.number().integer().positive().max(MAX_ID).messages({ 'number.max': '{#label} is not an id (at most 2147483647)' });

/** A calendar date YYYY-MM-DD that exists (no 2026-02-30), in the years a DATE column holds. */
export const dateOnlyField = () =>
  Joi.string()
    .pattern(/^\d{4}-\d{2}-\d{2}$/)
    .custom((value: string, helpers) =>
      isCalendarDate(value) && value >= '1000-01-01' ? value : helpers.message({ custom: '{#label} is not a calendar date' }),
    )
    .messages({ 'string.pattern.base': '{#label} must be a date YYYY-MM-DD' });

/** An ISO 8601 instant whose date part exists (Date would read 2026-02-30 as 2 March). */
export const instantField = () =>
  Joi.string()
    .isoDate()
    .custom((value: string, helpers) => {
      const date = value.slice(0, 10);
      return isCalendarDate(date) && date >= '1000-01-01' ? value : helpers.message({ custom: '{#label} is not a calendar date and time' });
    });

/** An instant that has happened: not later than now (plus clock skew). */
export const pastInstantField = () =>
  instantField().custom((value: string, helpers) =>
    Date.parse(value) <= Date.now() + CLOCK_SKEW_MS ? value : helpers.message({ custom: '{#label} is in the future' }),
  );

/** A photo taken in the field, by reference: where the phone stored it (the bytes never come to the API). */
export interface PhotoReference {
  reference: string;
  mimeType: string;
  sizeBytes?: number;
  sha256?: string;
  caption?: string;
  takenAt?: string;
}

/** The photos of a field visit (an installation, a repossession): 1 to 10 references. */
export const photoReferencesField = () =>
  Joi.array()
    .items(
      Joi.object<PhotoReference, true>({
        reference: Joi.string().trim().min(1).max(500).required(),
        mimeType: Joi.string().valid('image/jpeg', 'image/png', 'image/webp', 'image/heic').required(),
        sizeBytes: Joi.number().integer().min(1).max(50_000_000),
        sha256: Joi.string().hex().length(64),
        caption: Joi.string().max(255),
        takenAt: pastInstantField(),
      }),
    )
    .min(1)
    .max(10);

const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;

/** Money a payment, collection, charge or refund moves: a string amount up to MAX_PAYMENT_AMOUNT. */
export const paymentAmountField = () =>
  Joi.string()
    .pattern(AMOUNT)
    .custom((value: string, helpers) =>
      new Decimal(value).lessThanOrEqualTo(MAX_PAYMENT_AMOUNT)
        ? value
        : helpers.message({ custom: `{#label} is more than one payment may be (${MAX_PAYMENT_AMOUNT})` }),
    )
    .messages({ 'string.pattern.base': '{#label} must be an amount like 1500 or 1500.50' });

/** Keys that would reach an object's prototype; refused like any unknown field. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A NUL byte, or half of a UTF-16 surrogate pair (cannot be stored as UTF-8). */
// eslint-disable-next-line no-control-regex -- matching the NUL control character is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface UnsafeInput {
  field: string;
  message: string;
}

/**
 * Walks a parsed request part for what no schema should have to think about: prototype keys
 * (JSON.parse makes `__proto__` an own key, which Joi then silently drops) and strings the
 * database cannot store (NUL, lone surrogates). One pass for every route and field.
 */
export function findUnsafeInput(value: unknown, path: string[] = [], out: UnsafeInput[] = [], depth = 0): UnsafeInput[] {
  const field = () => (path.length ? path.join('.') : '');
  if (typeof value === 'string') {
    if (UNSTORABLE.test(value)) out.push({ field: field(), message: `${field() || 'value'} holds a NUL byte or an unpaired UTF-16 surrogate` });
  } else if (Array.isArray(value)) {
    if (depth < 32) value.forEach((v, i) => findUnsafeInput(v, [...path, String(i)], out, depth + 1));
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const at = [...path, key];
      if (PROTOTYPE_KEYS.has(key)) out.push({ field: at.join('.'), message: `${key} is not allowed` });
      else if (UNSTORABLE.test(key)) out.push({ field: at.join('.'), message: 'a field name holds a NUL byte or an unpaired UTF-16 surrogate' });
      else if (depth < 32) findUnsafeInput((value as Record<string, unknown>)[key], at, out, depth + 1);
    }
  }
  return out;
}
