import Joi from 'joi';
import { problems } from './problem';

/**
 * Optimistic concurrency over HTTP: a record's `version` column (model option `version: true`) is
 * its ETag; a write names the version it read in If-Match, and a stale one is a 412.
 */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** Versions named by an If-Match / If-None-Match header (`"3"`, `W/"3"` or `3`, comma-separated). */
export function versionsIn(header: string): (number | '*')[] {
  return header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      if (s === '*') return '*' as const;
      const m = /^(?:W\/)?"?(\d{1,10})"?$/.exec(s);
      return m ? Number(m[1]) : NaN;
    })
    .filter((v) => v === '*' || Number.isInteger(v));
}

export function checkIfMatch(header: string | undefined, current: number, required: boolean): void {
  if (header === undefined || header.trim() === '') {
    if (required) throw problems.preconditionRequired('Send If-Match with the ETag of the version you are changing (GET it first).');
    return;
  }
  const versions = versionsIn(header);
  if (versions.includes('*') && versions.length === 1) {
    throw problems.preconditionRequired('If-Match must name the version you are changing, not *.');
  }
  if (!versions.includes(current)) {
    throw problems.preconditionFailed(`The record is at version ${current}; it was changed since you read it. Reload it and try again.`);
  }
}

/**
 * The If-Match header of a PATCH on a record an agent may edit offline: optional (a back-office
 * screen may change a record without reading its version first), checked when sent.
 */
export const ifMatchHeaders = () =>
  Joi.object<{ 'if-match'?: string }, true>({
    'if-match': Joi.string().max(200).description('Optional: the ETag from GET or the last write; 412 when the record has changed since.'),
  });
