import Joi from 'joi';
import { problems } from './problem';
import { MAX_ID } from './schemas';

/**
 * The one way the API pages through lists. Lists take `limit` and either an opaque `cursor`
 * (keyset: stable under inserts, cheap on big tables) or a `page` number, and answer
 * `{ data, page: { limit, nextCursor, page?, total? } }`.
 */
export const paginationQuery = {
  limit: Joi.number().integer().min(1).max(200).default(50),
  cursor: Joi.string().max(512),
  page: Joi.number().integer().min(1).max(100000),
};

export interface PageInfo {
  limit: number;
  nextCursor: string | null;
  page?: number;
  total?: number;
}

export interface Paged<T> {
  data: T[];
  page: PageInfo;
}

export function pagedResponseSchema(item: Joi.Schema): Joi.ObjectSchema {
  return Joi.object({
    data: Joi.array().items(item).required(),
    page: Joi.object({
      limit: Joi.number().integer().required(),
      nextCursor: Joi.string().allow(null).required(),
      page: Joi.number().integer(),
      total: Joi.number().integer(),
    }).required(),
  });
}

/**
 * A page from the `limit + 1` rows a list read in its order (the extra row only says there is a
 * next page); the cursor carries the last row's sort values.
 */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => unknown[]): Paged<T> {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, page: { limit, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null } };
}

/** Cursor = base64url JSON of the last row's sort values; opaque to clients. */
export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, expectedLength: number): unknown[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(values) && values.length === expectedLength) return values;
  } catch {
    // fall through to the 400 below
  }
  throw problems.validation([{ field: 'cursor', message: 'cursor is not valid for this list' }]);
}

/** The query of a list paged by `limit` and `cursor` only. */
export const cursorPaginationQuery = { limit: paginationQuery.limit, cursor: paginationQuery.cursor };

/**
 * The row id a one-value cursor carries. A cursor is opaque but client-supplied: anything but
 * an id the columns can hold is a 400, never NaN in SQL.
 */
export function decodeIdCursor(cursor: string): number {
  const [value] = decodeCursor(cursor, 1);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value <= MAX_ID) return value;
  throw problems.validation([{ field: 'cursor', message: 'cursor is not valid for this list' }]);
}
