import type { Request, Response } from 'express';
import type Joi from 'joi';
import type { Actor, EmployeeActor } from '../auth/actor';
import type { Principal } from '../auth/principal';
import type { IdempotencyClaim } from './idempotency';
import { problems } from './problem';

/**
 * How a route says who may call it. Every route must say one of these; a route that says none
 * is refused (403) for every caller: deny by default.
 *  - { permission }: an authenticated employee whose role grants that permission code.
 *  - { authenticated: true }: any authenticated employee (e.g. /auth/me).
 *  - { client: scope }: an API client (a machine, never an employee) proving itself by an HMAC
 *    signature of the raw body or a shared secret, from an allowed address, granted `scope`
 *    (see client-auth.ts). The handler finds it in `req.client`.
 *  - { public: true, why }: no caller identity (login, provider callbacks with their own checks).
 */
export type Access = { permission: string } | { authenticated: true } | { client: string } | { public: true; why: string };

/** The API client a `{ client }` route was called by. */
export interface ClientPrincipal {
  id: number;
  clientId: string;
  name: string;
  scopes: ReadonlySet<string>;
}

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: Joi.Schema;
  contentType?: string;
}

export interface ValidatedInput<P = any, Q = any, B = any, H = any> {
  params: P;
  query: Q;
  body: B;
  headers: H;
}

export interface ApiRequest<P = any, Q = any, B = any, H = any> extends Request {
  valid: ValidatedInput<P, Q, B, H>;
  principal?: Principal;
  /** Set by the router on every authenticated route (employee or API client): who acts. */
  actor?: Actor;
  /** Set on `{ client }` routes: the verified API client. */
  client?: ClientPrincipal;
  /** The request body exactly as received (captured by the body parsers; signatures are over it). */
  rawBody?: Buffer;
  /** Present on `idempotent` routes: hand it to the service so the response commits with the change. */
  idempotency?: IdempotencyClaim;
  /**
   * On `idempotent: 'clientId'` routes whose body the handler reads itself (multipart): claims the
   * clientId once read, keyed on `parts` (what makes two requests the same); a replay answers the
   * stored result without the handler going on.
   */
  claimClientId?: (clientId: string, parts: Record<string, unknown>) => Promise<void>;
}

export interface ApiResult {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteSpec<P = any, Q = any, B = any, H = any> {
  method: HttpMethod;
  /** Express path below /api/v1, e.g. '/customers/:id'. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  access?: Access;
  params?: Joi.ObjectSchema<P>;
  query?: Joi.ObjectSchema<Q>;
  /** Typed: `Joi.object<FooBody, true>({...})` (see defineRoute); the handler's `req.valid.body` is a FooBody. */
  body?: Joi.Schema<B>;
  headers?: Joi.ObjectSchema<H>;
  responses?: Record<number, ResponseSpec>;
  /**
   * Requires an Idempotency-Key header: a retry with the same key and body replays the first
   * response; another body is 422; a retry while the first runs is 409.
   * `'clientId'`: the same, keyed by the body's optional client-generated `clientId` (a UUID the
   * phone makes; a create without one is not deduplicated), answers kept 90 days.
   */
  idempotent?: boolean | 'clientId';
  /**
   * Media types the body may be sent as; default JSON. Any other type is a 415. The app parses
   * JSON and text/csv (as a string body); name only those.
   */
  consumes?: string[];
  /**
   * This route is also an action type of POST /sync/push (an agent's phone queues it offline):
   * `type` names it there (e.g. 'customer.create'); `params` maps each path parameter to the
   * payload key that carries it ({ id: 'customerId' }); `clientIdField` is the body field the
   * action's clientId goes in (default 'clientId'; cash collections: 'clientCollectionId').
   */
  syncAction?: { type: string; params?: Record<string, string>; clientIdField?: string };
  /** Return the response, or write to `res` yourself (streams, CSV) and return nothing. */
  handler: (req: ApiRequest<P, Q, B, H>, res: Response) => Promise<ApiResult | void> | ApiResult | void;
}

/**
 * The calling employee of a `{ permission }` or `{ authenticated }` route (the router has set
 * `req.actor`). Anything else is a route declared wrongly for its handler: a 401, never a guess.
 */
export function employeeOf(req: Pick<ApiRequest, 'actor'>): EmployeeActor {
  const actor = req.actor;
  if (actor?.kind !== 'employee') throw problems.unauthenticated('An employee bearer access token is required.');
  return actor;
}

/** The body type of a route that takes none: `req.valid.body` is undefined. */
declare const _noBody: unique symbol;
export type NoBody = typeof _noBody;

type IsAny<T> = 0 extends 1 & T ? true : false;

/** A schema of type `any` (an untyped `Joi.object({...})`) in field K: K must then be this message, so the compiler names the field and the fix. */
type Typed<K extends string, T> =
  IsAny<T> extends true ? { [key in K]?: 'a schema states its type: Joi.object<Foo, true>({...}) with interface Foo beside it' } : unknown;

/**
 * What defineRoute adds to a spec so that the request's types come from its schemas:
 *  - params, query, body or headers schema typed `any`: refused (see Typed);
 *  - B is NoBody (no body schema to infer it from, or explicit type arguments, which stop
 *    inference): the spec may have no body.
 */
type SchemasTyped<P, Q, B, H> = Typed<'params', P> &
  Typed<'query', Q> &
  Typed<'headers', H> &
  (IsAny<B> extends true ? Typed<'body', B> : [B] extends [NoBody] ? { body?: undefined } : unknown);

/**
 * Identity helper that gives a route spec its types at the definition site. A route takes no
 * type arguments (eslint refuses them): P, Q, B and H are inferred from typed schemas
 * (`Joi.object<T, true>`: every key of T has a schema of its type, and no other key), so the
 * handler's `req.valid.body` is what the schema validated.
 */
export function defineRoute<P = unknown, Q = unknown, B = NoBody, H = unknown>(spec: RouteSpec<P, Q, B, H> & SchemasTyped<P, Q, B, H>): RouteSpec<P, Q, B, H> {
  return spec;
}

export function describeAccess(access: Access | undefined): string {
  if (!access) return 'nobody (no access declared)';
  if ('permission' in access) return `permission ${access.permission}`;
  if ('authenticated' in access) return 'any authenticated employee';
  if ('client' in access) return `API client with scope ${access.client}`;
  return `public (${access.why})`;
}
