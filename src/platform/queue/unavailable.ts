import { HttpProblem } from '../http/problem';

/** Seconds a client is told to wait before retrying a call that needed Redis. */
export const REDIS_RETRY_AFTER_SECONDS = 5;

/**
 * 503 problem+json for a request that needed Redis (the job queue) and did not get an answer in
 * time: `dependency: "redis"` names what failed, Retry-After says when to try again.
 */
export function redisUnavailable(detail = 'The job queue (Redis) is not answering; try again shortly.'): HttpProblem {
  // The same problem type as a database outage (…/unavailable); `dependency` tells them apart.
  return new HttpProblem(503, detail, {
    extensions: { dependency: 'redis' },
    headers: { 'Retry-After': String(REDIS_RETRY_AFTER_SECONDS) },
  });
}

/**
 * Waits for a Redis-backed promise at most `ms`, then throws `onTimeout()`. ioredis queues commands
 * while Redis is frozen or away (Bull's connections retry forever), so without a bound a request
 * would hang for the whole outage. The command itself is not cancelled: it runs if Redis returns.
 */
export async function withinBound<T>(work: Promise<T>, ms: number, onTimeout: () => Error = () => redisUnavailable()): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  // A late rejection after the timeout must not become an unhandled rejection.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
