import Joi from 'joi';
import { dateOnlyField, idField } from '../../../platform/http/schemas';

/**
 * Field rules shared by the reference resources. Bodies are JSON and checked as sent (no type
 * conversion): money is a string, never a JS number.
 */
export const MONEY_PATTERN = /^\d{1,12}(\.\d{1,2})?$/;

export const money = () => Joi.string().pattern(MONEY_PATTERN).messages({ 'string.pattern.base': '{#label} must be an amount as a string, e.g. "1500.00"' });
/** A percentage 0-100 with up to 4 decimals, as a string ("16.0000"). */
export const percentage = () =>
  Joi.string()
    .pattern(/^(100(\.0{1,4})?|\d{1,2}(\.\d{1,4})?)$/)
    .messages({ 'string.pattern.base': '{#label} must be a percentage 0-100 as a string, e.g. "16.00"' });
export const name = (max = 255) => Joi.string().trim().min(1).max(max);
/** Business codes: letters, digits, dash, underscore, dot. */
export const code = (max = 50) =>
  Joi.string()
    .trim()
    .min(1)
    .max(max)
    .pattern(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
    .messages({ 'string.pattern.base': '{#label} may hold letters, digits, ".", "_" and "-" only' });
export const text = (max = 5000) => Joi.string().max(max);
export const id = () => idField();
export const dateOnly = () => dateOnlyField();
export const currency = () =>
  Joi.string()
    .pattern(/^[A-Z]{3}$/)
    .messages({ 'string.pattern.base': '{#label} must be an ISO 4217 code such as KES' });
export const phone = () =>
  Joi.string()
    .pattern(/^\+?[0-9][0-9\s-]{5,19}$/)
    .messages({ 'string.pattern.base': '{#label} must be a phone number' });
export const email = () => Joi.string().email({ tlds: false }).max(255);

export const timezone = () =>
  Joi.string()
    .max(64)
    .custom((value: string, helpers) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: value });
        return value;
      } catch {
        return helpers.message({ custom: '{#label} must be an IANA time zone such as Africa/Nairobi' });
      }
    });

/** Query filter values arrive as strings; these schemas convert them. */
export const filter = {
  id: () => id(),
  code: () => Joi.string().max(50),
  text: (max = 255) => Joi.string().max(max),
  bool: () => Joi.boolean(),
};
