import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What an audit row records about the HTTP request it happened in. Set by a middleware in app.ts
 * for every request (after the body parsers: a stream's callbacks would lose the store); jobs and
 * the CLI run outside any request and see none.
 */
export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The current request's context, or undefined outside a request (jobs, CLI, startup). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs `fn` (the rest of the request's middleware chain) with `ctx` as its request context. */
export function runInRequest<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}
