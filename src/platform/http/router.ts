import { isUtf8 } from 'node:buffer';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type passport from 'passport';
import type { Logger } from '../logging/logger';
import { clientActor, employeeActor } from '../auth/actor';
import type { Principal } from '../auth/principal';
import { describeAccess, type ApiRequest, type ApiResult, type RouteSpec } from './route';
import { HttpProblem, problems } from './problem';
import { CLIENT_ID_RETENTION_MS, requestHash, type IdempotencyClaim, type IdempotencyStore } from './idempotency';
import { validateInput } from './validate';
import type { ClientAuthenticator } from './client-auth';

const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);
const JSON_TYPES = ['application/json', 'application/*+json'];

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Mounts declared routes: authenticate, authorise, validate, then the handler. The order is
 * deliberate: a caller learns nothing about input rules before proving who they are.
 */
type MountDeps = { passport: passport.PassportStatic; logger: Logger; idempotency?: IdempotencyStore; clients?: ClientAuthenticator };

/** A path's first segment ('payments' of '/payments/12'), lower-cased as Express matches paths. */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return (end < 0 ? path.slice(1) : path.slice(1, end)).toLowerCase();
}

/** A route path's first segment when it is literal text ('payments' of '/payments/:id'); undefined when it is a parameter or a pattern. */
function literalFirstSegment(path: string): string | undefined {
  const first = firstSegment(path);
  return /^[a-z0-9_~-]*$/.test(first) ? first : undefined;
}

/**
 * Mounts the routes on `router`, grouped by their path's first segment: a request goes straight
 * to the group of its first segment (one lookup), which holds that segment's routes and those
 * whose first segment is not literal, in their declared order; other requests to the group of
 * the non-literal ones. A request is matched against the routes that can match its path only,
 * not walked past every route of the API (170 of them), with the same outcome: the same route,
 * params, `req.route`, 404 and OPTIONS answers.
 */
export function mountRoutes(router: Router, routes: RouteSpec[], deps: MountDeps): void {
  const keyed = routes.map((spec) => ({ spec, key: literalFirstSegment(spec.path) }));
  const groupOf = (key: string | undefined) => {
    const group = express.Router();
    mountEach(
      group,
      keyed.filter((k) => k.key === undefined || k.key === key).map((k) => k.spec),
      deps,
    );
    return group;
  };
  const groups = new Map<string, Router>();
  for (const { key } of keyed) if (key !== undefined && !groups.has(key)) groups.set(key, groupOf(key));
  const rest = groupOf(undefined);
  router.use((req, res, next) => (groups.get(firstSegment(req.path)) ?? rest)(req, res, next));
}

function mountEach(router: Router, routes: RouteSpec[], deps: MountDeps): void {
  for (const spec of routes) {
    const chain: express.RequestHandler[] = [];
    const access = spec.access;

    if (!access || !('permission' in access || 'authenticated' in access || 'client' in access || 'public' in access)) {
      deps.logger.error({ route: `${spec.method.toUpperCase()} ${spec.path}` }, 'route declares no access; it will refuse every caller');
      chain.push((_req, _res, next) => next(problems.forbidden('This route declares no permission and is closed to everyone.')));
    } else if ('client' in access) {
      if (!deps.clients) throw new Error(`${spec.method.toUpperCase()} ${spec.path} is for API clients but no client authenticator is configured`);
      chain.push(authenticateClient(deps.clients, access.client));
    } else if (!('public' in access)) {
      chain.push(authenticate(deps.passport));
      if ('permission' in access) chain.push(requirePermission(access.permission));
    }

    chain.push(async (req: Request, res: Response) => {
      const r = req as ApiRequest;
      const types = spec.consumes ?? JSON_TYPES;
      if (BODY_METHODS.has(spec.method) && hasBody(req) && !req.is(types)) {
        throw new HttpProblem(415, `Send the request body as ${types.join(' or ')}.`);
      }
      // A body sent as UTF-8 (the default) whose bytes are not would be read as U+FFFD and stored
      // mangled: refuse it instead. A declared other charset (a Latin-1 CSV) is decoded as declared.
      const charset = /charset="?([\w-]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
      if (r.rawBody && (!charset || charset === 'utf-8' || charset === 'utf8') && !isUtf8(r.rawBody)) {
        throw problems.validation([{ field: 'body', in: 'body', message: 'body is not valid UTF-8' }]);
      }
      r.valid = {
        params: spec.params ? validateInput(spec.params, req.params, 'params') : req.params,
        query: spec.query ? validateInput(spec.query, req.query, 'query') : {},
        body: spec.body ? validateInput(spec.body, req.body, 'body') : undefined,
        headers: spec.headers ? validateInput(spec.headers, req.headers, 'headers') : {},
      };
      if (!spec.query && Object.keys(req.query as object).length > 0) {
        throw problems.validation(Object.keys(req.query as object).map((field) => ({ field, in: 'query', message: `${field} is not allowed` })));
      }
      if (!spec.body && hasBody(req) && req.body !== undefined && Object.keys(req.body as object).length > 0) {
        throw problems.validation([{ field: 'body', message: 'this operation takes no request body' }]);
      }
      if (spec.idempotent) {
        await runIdempotent(spec, r, res, deps.idempotency, deps.logger);
        return;
      }
      const result = await spec.handler(r, res);
      if (res.headersSent) return;
      send(res, result ?? { status: 204 });
    });

    router[spec.method](spec.path, ...chain);
    deps.logger.debug({ route: `${spec.method.toUpperCase()} ${spec.path}`, access: describeAccess(access) }, 'route mounted');
  }
}

function statusOf(out: ApiResult): number {
  return out.status ?? (out.body === undefined ? 204 : 200);
}

function send(res: Response, out: ApiResult): void {
  for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
  if (out.body === undefined) res.status(statusOf(out)).end();
  else res.status(statusOf(out)).json(out.body);
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,255}$/;

/** The Idempotency-Key header, required on `idempotent: true` routes. */
function idempotencyKeyOf(req: ApiRequest): string {
  const key = req.get('idempotency-key');
  if (!key || !IDEMPOTENCY_KEY.test(key)) {
    throw problems.validation([{ field: 'Idempotency-Key', in: 'headers', message: 'Idempotency-Key header is required: 8 to 255 letters, digits or ._:-' }]);
  }
  return key;
}

/** The key a request is made idempotent by, if any: the Idempotency-Key header, or the body's client-generated `clientId`. */
function claimKeyOf(spec: RouteSpec, req: ApiRequest): string | undefined {
  if (spec.idempotent === true) return idempotencyKeyOf(req);
  if (spec.idempotent === 'clientId') {
    const clientId = (req.valid.body as { clientId?: unknown } | undefined)?.clientId;
    return typeof clientId === 'string' ? clientId : undefined;
  }
  return undefined;
}

async function runIdempotent(spec: RouteSpec, req: ApiRequest, res: Response, store: IdempotencyStore | undefined, logger: Logger): Promise<void> {
  const { out, replayed } = await invokeRoute(spec, req, res, { idempotency: store, logger }, claimKeyOf(spec, req));
  if (res.headersSent) return;
  if (replayed) res.setHeader('Idempotent-Replayed', 'true');
  send(res, out);
}

/**
 * Runs a validated request's handler as the router does. With `key` (an Idempotency-Key, or a
 * client-generated id) it claims the key (scoped to the route and the caller), replays a finished
 * request, and otherwise runs the handler, storing its response. Client errors are stored too
 * (the same request would fail the same way); unexpected failures release the key so a retry can
 * run. POST /sync/push runs each queued action through here, so an action and the same request
 * sent alone share one key and one answer.
 */
export async function invokeRoute(
  spec: RouteSpec,
  req: ApiRequest,
  res: Response,
  deps: { idempotency?: IdempotencyStore; logger: Logger },
  key: string | undefined,
): Promise<{ out: ApiResult; replayed: boolean }> {
  let claim: IdempotencyClaim | undefined;
  const claimKey = async (k: string, parts: unknown): Promise<void> => {
    const store = deps.idempotency;
    if (!store) throw new Error(`${spec.path} is idempotent but no idempotency store is configured`);
    const caller = req.principal ? `employee:${req.principal.employeeId}` : req.client ? `client:${req.client.id}` : `ip:${req.ip}`;
    const scope = `${spec.method.toUpperCase()} ${spec.path} ${caller}`.slice(0, 100);
    const claimed = await store.claim(scope, k, requestHash(parts), spec.idempotent === 'clientId' ? { retentionMs: CLIENT_ID_RETENTION_MS } : {});
    if (claimed.kind === 'replay') throw new Replayed(claimed.status, claimed.body);
    claim = claimed.claim;
    req.idempotency = claim;
  };
  let out: ApiResult;
  try {
    if (key !== undefined) await claimKey(key, { params: req.valid.params, body: req.valid.body ?? null, ...declaredHeaders(req) });
    else if (spec.idempotent === 'clientId') {
      // A body the handler reads itself (multipart): it claims the clientId once it has read it.
      req.claimClientId = (clientId, parts) => claimKey(clientId, { params: req.valid.params, ...declaredHeaders(req), ...parts });
    }
    out = (await spec.handler(req, res)) ?? { status: 204 };
  } catch (err) {
    if (err instanceof Replayed) return { out: { status: err.status, body: err.body ?? undefined }, replayed: true };
    const held = claim as IdempotencyClaim | undefined;
    if (held && err instanceof HttpProblem && err.status >= 400 && err.status < 500 && err.status !== 409 && err.status !== 429) {
      await held.complete(err.status, err.toBody(req.originalUrl));
    } else if (held) {
      // Free the key for a retry. If even that fails (the database is gone), the claim's lease
      // runs out and a retry takes the key over then; the request's own error is what we answer.
      await held
        .release()
        .catch((releaseErr: unknown) => deps.logger.warn({ err: releaseErr }, 'could not release an idempotency claim; its lease will free it'));
    }
    throw err;
  }
  const held = claim as IdempotencyClaim | undefined;
  if (held && !held.completed) await held.complete(statusOf(out), out.body ?? null);
  return { out, replayed: false };
}

/**
 * The validated headers a route declares (If-Match on an edit) as part of what makes two requests
 * the same: an edit retried from another version is another request (422), not a replay. Absent
 * when none was sent, so the hash of a route without declared headers is what it always was.
 */
function declaredHeaders(req: ApiRequest): { headers?: unknown } {
  const headers = req.valid.headers as Record<string, unknown> | undefined;
  return headers && Object.keys(headers).length > 0 ? { headers } : {};
}

/** A claimed key already answered: the stored answer, thrown past the handler. */
class Replayed {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export function authenticate(pp: passport.PassportStatic): express.RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    pp.authenticate('jwt', { session: false }, (err: unknown, user: unknown, info: { message?: string } | undefined) => {
      if (err) return next(err);
      if (!user) {
        const expired = info?.message === 'jwt expired';
        return next(problems.unauthenticated(expired ? 'The access token has expired.' : 'A valid bearer access token is required.'));
      }
      const r = req as ApiRequest;
      r.principal = user as Principal;
      r.actor = employeeActor(r.principal);
      next();
    })(req, res, next);
  };
}

/** `{ client: scope }` routes: the caller must be an API client holding `scope` (401/403 otherwise). */
export function authenticateClient(clients: ClientAuthenticator, scope: string): express.RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    clients.verify(req, scope).then(
      (client) => {
        const r = req as ApiRequest;
        r.client = client;
        r.actor = clientActor(client);
        next();
      },
      (err: unknown) => next(err),
    );
  };
}

export function requirePermission(permission: string): express.RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const principal = (req as ApiRequest).principal;
    if (!principal || !principal.permissions.has(permission)) {
      return next(problems.forbidden(`This needs the ${permission} permission.`));
    }
    next();
  };
}
