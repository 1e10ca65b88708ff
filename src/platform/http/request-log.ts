import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../logging/logger';

/** A caller's X-Request-Id is kept when it looks like one; otherwise a fresh UUID. */
const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** The request id `requestLog` gave the request (echoed as X-Request-Id, in every log line and audit row of it). */
export function requestIdOf(req: Request): string | undefined {
  return (req as { id?: string }).id;
}

/**
 * Gives each request its id and logs one line when its response closes, as pino-http did
 * (`req: { id, method, url }`, `res: { statusCode }`, `responseTime` in ms; 'request completed',
 * 'request aborted' when the client left first, 'request errored' with an `err` for a 5xx), at
 * info, warn for a 4xx or a 503 (a dependency outage, already logged where it was classified),
 * error for another 5xx. Nothing is built for a line the level leaves out: pino-http made a child
 * logger per request (bindings serialised and redacted) even when nothing was logged.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    (req as { id?: string }).id = id;
    res.setHeader('X-Request-Id', id);
    const started = Date.now();
    res.once('close', () => {
      const status = res.statusCode;
      const level = status === 503 ? 'warn' : status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const line = { req: { id, method: req.method, url: req.originalUrl }, res: { statusCode: status }, responseTime: Date.now() - started };
      if (status >= 500) logger[level]({ ...line, err: new Error(`failed with status code ${status}`) }, 'request errored');
      else logger[level](line, !req.readableAborted && res.writableEnded ? 'request completed' : 'request aborted');
    });
    next();
  };
}
