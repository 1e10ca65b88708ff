import Joi from 'joi';

/**
 * Building blocks of response schemas: they document what handlers return (OpenAPI) and the
 * suite validates real bodies against them (test/platform/openapi.test.ts), so keep them honest.
 */

/** Money as the API writes it: a decimal string with two places, never a float. */
export const moneyOut = () =>
  Joi.string()
    .pattern(/^-?\d+\.\d{2}$/)
    .description('Decimal string with 2 places, e.g. "1500.00"');

/** A calendar date YYYY-MM-DD. */
export const dateOut = () =>
  Joi.string()
    .pattern(/^\d{4}-\d{2}-\d{2}$/)
    .description('Calendar date YYYY-MM-DD');

/** An instant in ISO 8601 (UTC, as toISOString writes it). */
export const instantOut = () => Joi.string().isoDate();

export const idOut = () => Joi.number().integer().min(1);

/**
 * An object whose every key is always present (null when it has no value); `sometimes` keys
 * appear only in some answers. Unknown keys fail validation, so a field a handler adds without
 * documenting it shows up in the suite.
 */
export function shape(always: Record<string, Joi.Schema>, sometimes: Record<string, Joi.Schema> = {}): Joi.ObjectSchema {
  return Joi.object({
    ...Object.fromEntries(Object.entries(always).map(([k, s]) => [k, s.required()])),
    ...Object.fromEntries(Object.entries(sometimes).map(([k, s]) => [k, s.optional()])),
  });
}
