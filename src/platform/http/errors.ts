import type { ErrorRequestHandler, RequestHandler } from 'express';
import { UniqueConstraintError, ForeignKeyConstraintError, OptimisticLockError } from 'sequelize';
import type { Logger } from '../logging/logger';
import { DATABASE_RETRY_AFTER_SECONDS, databaseFailureKind, isDatabaseUnavailable } from '../db/unavailable';
import { isSqliteBusy } from '../db/sqlite';
import { HttpProblem, problems } from './problem';
import { missingReferenceProblem } from './validate';

/** Unknown path under the API: a problem+json 404, not Express's HTML page. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpProblem(404, `No route for ${req.method} ${req.path}.`));
};

/** Errors Express's body parser raises, mapped to their statuses. */
function fromBodyParser(err: { type?: string; status?: number }): HttpProblem | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return problems.validation([{ field: 'body', message: 'body is not valid JSON' }], 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new HttpProblem(413, 'The request body is larger than this API accepts.');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new HttpProblem(415, 'Unsupported body encoding; send UTF-8 JSON.');
    default:
      return undefined;
  }
}

/**
 * The problem an error means for the caller when it is the caller's (bad input, a duplicate, a
 * reference naming nothing, a stale version); undefined for anything else (outages, bugs).
 * POST /sync/push answers each action's failure with it, as the error handler does a request's.
 */
export function clientProblemOf(err: unknown): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  const parsed = fromBodyParser(err as { type?: string });
  if (parsed) return parsed;
  if (err instanceof UniqueConstraintError) {
    return problems.conflict('A record with the same unique value already exists.', 'duplicate', {
      errors: (err.errors ?? []).map((e) => ({ field: e.path ?? 'unknown', message: `${e.path} is already taken` })),
    });
  }
  if (err instanceof ForeignKeyConstraintError) {
    return (
      missingReferenceProblem(err) ??
      problems.conflict('The record is referenced by, or refers to, a record that does not allow this change.', 'reference-conflict')
    );
  }
  if (err instanceof OptimisticLockError) return problems.preconditionFailed('The record was changed by someone else; reload it and try again.');
  return undefined;
}

/**
 * Last stop for every error: RFC 9457 problem+json, never a stack trace or SQL. Anything we did
 * not anticipate is logged in full (with the request id) and answered as a bare 500.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let problem: HttpProblem;
    const known = clientProblemOf(err);
    if (known) problem = known;
    else if (isDatabaseUnavailable(err)) {
      // An outage or overload, not a bug: 503 + Retry-After so clients (and M-Pesa) try again.
      const requestId = (req as { id?: unknown }).id;
      logger.warn({ requestId, dependency: 'database', failure: databaseFailureKind(err) }, 'database unavailable');
      problem = new HttpProblem(503, 'The database is unavailable at the moment; retry the same request (with the same Idempotency-Key) shortly.', {
        extensions: { dependency: 'database' },
        headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
      });
    } else if (isSqliteBusy(err)) {
      // The embedded SQLite (demo) had no writer turn free within SQLITE_BUSY_TIMEOUT_MS: overload, not a bug.
      logger.warn({ requestId: (req as { id?: unknown }).id, dependency: 'database', failure: 'SQLITE_BUSY' }, 'database busy');
      problem = new HttpProblem(503, 'The database is busy at the moment; retry the same request (with the same Idempotency-Key) shortly.', {
        extensions: { dependency: 'database' },
        headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
      });
    } else {
      const requestId = (req as { id?: unknown }).id;
      logger.error({ err, requestId }, 'unhandled error');
      problem = new HttpProblem(500, 'Something went wrong on our side. Quote the request id if you contact support.', {
        extensions: { requestId },
      });
    }
    if (problem.status >= 400 && problem.status < 500) logger.debug({ status: problem.status, detail: problem.detail }, 'client error');
    if (res.headersSent) return res.end();
    for (const [k, v] of Object.entries(problem.headers)) res.setHeader(k, v);
    res
      .status(problem.status)
      .type('application/problem+json')
      .send(JSON.stringify(problem.toBody(req.originalUrl)));
  };
}
