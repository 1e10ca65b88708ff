import type Joi from 'joi';
import { problems, type FieldError } from './problem';

export type InputLocation = 'params' | 'query' | 'body' | 'headers';

/**
 * Validates one part of a request. Unknown fields are refused, never silently dropped. Path and
 * query values arrive as strings so they are converted; JSON bodies are checked as sent, so a
 * number sent as a string is a 400, not a guess.
 */
export function validateInput<T>(schema: Joi.Schema, value: unknown, location: InputLocation): T {
  const { value: out, error } = schema.validate(value ?? {}, {
    abortEarly: false,
    convert: location !== 'body',
    allowUnknown: location === 'headers',
    stripUnknown: location === 'headers',
    errors: { wrap: { label: false } },
  });
  if (error) {
    const errors: FieldError[] = error.details.map((d) => ({
      field: d.path.length ? d.path.join('.') : location,
      in: location,
      message: d.message,
      type: d.type,
    }));
    throw problems.validation(errors);
  }
  return out as T;
}
