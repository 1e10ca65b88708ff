import type Joi from 'joi';
import { problems, type FieldError, type HttpProblem } from './problem';
import { findUnsafeInput } from './schemas';

export type InputLocation = 'params' | 'query' | 'body' | 'headers';

function preferencesOf(location: InputLocation): Joi.ValidationOptions {
  return {
    abortEarly: false,
    convert: location !== 'body',
    allowUnknown: location === 'headers',
    stripUnknown: location === 'headers',
    errors: { wrap: { label: false } },
  };
}

/** Each route schema with the preferences of where it validates, made once (per schema and location). */
const prepared = new WeakMap<Joi.Schema, Map<InputLocation, Joi.Schema>>();

/**
 * The schema with the location's preferences as its own: Joi then merges them once and keeps the
 * result, where preferences passed to `validate` are merged (and their messages compiled) on every
 * call. The same outcome: preferences at the root apply to the whole schema either way. A schema
 * carrying root preferences of its own keeps them winning as before: it is left as it is and
 * validated with the preferences passed in.
 */
function withPreferences(schema: Joi.Schema, location: InputLocation): { validate(value: unknown): Joi.ValidationResult } {
  let byLocation = prepared.get(schema);
  if (!byLocation) prepared.set(schema, (byLocation = new Map()));
  let ready = byLocation.get(location);
  if (!ready) {
    const own = (schema as unknown as { _preferences?: object | null })._preferences;
    ready = own ? schema : schema.prefs(preferencesOf(location));
    byLocation.set(location, ready);
  }
  return ready === schema ? { validate: (value) => schema.validate(value, preferencesOf(location)) } : ready;
}

/**
 * Validates one part of a request. Unknown fields are refused, never silently dropped. Path and
 * query values arrive as strings so they are converted; JSON bodies are checked as sent, so a
 * number sent as a string is a 400, not a guess. Prototype keys (`__proto__`, which Joi would
 * silently drop), NUL bytes and unpaired surrogates are refused before the schema runs.
 */
export function validateInput<T>(schema: Joi.Schema, value: unknown, location: InputLocation): T {
  // Prototype keys, NUL bytes and lone surrogates are refused here, for every field of every route.
  const unsafe = location === 'headers' ? [] : findUnsafeInput(value);
  if (unsafe.length) {
    throw problems.validation(unsafe.map((u) => ({ field: u.field || location, in: location, message: u.message, type: 'any.invalid' })));
  }
  const { value: out, error } = withPreferences(schema, location).validate(value ?? {});
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

/**
 * A write that names a row that does not exist (MySQL/MariaDB errno 1452, Sequelize reltype
 * 'child': "cannot add or update a child row") is bad input: a 400 naming the foreign-key
 * column, which is the body field of the same name. The transaction has rolled back, so nothing
 * was written. A row still referenced by others (reltype 'parent') stays a 409.
 */
export function missingReferenceProblem(err: { reltype?: string; fields?: unknown; table?: unknown }): HttpProblem | undefined {
  if (err.reltype !== 'child') return undefined;
  const fields = Array.isArray(err.fields) ? err.fields.filter((f): f is string => typeof f === 'string') : [];
  if (fields.length === 0) return undefined;
  const what = typeof err.table === 'string' ? err.table : 'record';
  return problems.validation(
    fields.map((field) => ({ field, in: 'body', message: `${field} names no existing ${what} row`, type: 'any.invalid' })),
    'The request refers to a record that does not exist.',
  );
}
