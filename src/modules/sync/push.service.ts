import type { Response } from 'express';
import { clientProblemOf } from '../../platform/http/errors';
import type { IdempotencyStore } from '../../platform/http/idempotency';
import { HttpProblem, problems, type ProblemBody } from '../../platform/http/problem';
import type { ApiRequest, RouteSpec } from '../../platform/http/route';
import { invokeRoute } from '../../platform/http/router';
import { validateInput } from '../../platform/http/validate';
import type { Logger } from '../../platform/logging/logger';

/** One action a phone queued offline. */
export interface PushAction {
  clientId: string;
  type: string;
  payload: Record<string, unknown>;
  dependsOn?: string[];
  /** An edit's If-Match: the version the phone read (an ETag such as `"3"`, or the version number). */
  ifMatch?: string | number;
}

export type PushOutcome =
  | { clientId: string; type: string; outcome: 'done' | 'duplicate'; status: number; result: unknown }
  | { clientId: string; type: string; outcome: 'rejected'; status: number; problem: ProblemBody };

/** The most actions one push may carry (400 above it, naming `actions`). */
export const MAX_PUSH_ACTIONS = 100;

interface Applied {
  ok: boolean;
  /** The created record's id: what a later action's payload may reference by this action's clientId. */
  id?: unknown;
}

/**
 * Applies a phone's queued actions in order, each through the route that does the same thing
 * alone (its permission, validation, service and transaction, its idempotency key): the push
 * is a loop over ordinary requests, not a second copy of their rules. Each is answered on its
 * own; an action fails only itself and the actions that depend on it (dependsOn, or a payload
 * value equal to its clientId, which is replaced by the id it created).
 */
export class SyncPushService {
  private readonly byType: Map<string, RouteSpec>;

  constructor(
    routes: RouteSpec[],
    private readonly deps: { idempotency?: IdempotencyStore; logger: Logger },
  ) {
    this.byType = new Map(routes.filter((r) => r.syncAction).map((r) => [r.syncAction!.type, r]));
  }

  /** The action types a push accepts, from the routes that declare one. */
  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  /** The action types that take `ifMatch`: edits whose route reads an If-Match header. */
  ifMatchTypes(): string[] {
    return this.types().filter((type) => takesIfMatch(this.byType.get(type)!));
  }

  async push(req: ApiRequest, res: Response, actions: PushAction[]): Promise<PushOutcome[]> {
    const applied = new Map<string, Applied>();
    const inPush = new Set(actions.map((a) => a.clientId));
    const outcomes: PushOutcome[] = [];
    for (const [i, action] of actions.entries()) {
      const outcome = await this.apply(req, res, action, i, applied, inPush);
      applied.set(action.clientId, { ok: outcome.outcome !== 'rejected', id: outcome.outcome === 'rejected' ? undefined : idOf(outcome.result) });
      outcomes.push(outcome);
    }
    return outcomes;
  }

  private async apply(req: ApiRequest, res: Response, action: PushAction, i: number, applied: Map<string, Applied>, inPush: Set<string>): Promise<PushOutcome> {
    const { clientId, type } = action;
    const rejected = (p: HttpProblem): PushOutcome => ({
      clientId,
      type,
      outcome: 'rejected',
      status: p.status,
      problem: p.toBody(`${req.originalUrl}#actions.${i}`),
    });
    const dependencies = new Set([...(action.dependsOn ?? []), ...referencedIds(action.payload, inPush)]);
    for (const dep of dependencies) {
      const before = applied.get(dep);
      if (!before?.ok) {
        const why = !inPush.has(dep)
          ? `it depends on ${dep}, which is not in this push`
          : before
            ? `it depends on ${dep}, which was rejected`
            : `it depends on ${dep}, which comes after it in this push`;
        return rejected(new HttpProblem(424, `Not applied: ${why}.`, { type: 'dependency-failed', extensions: { dependsOn: dep } }));
      }
    }
    const spec = this.byType.get(type)!;
    const access = spec.access;
    if (access && 'permission' in access && !req.principal?.permissions.has(access.permission)) {
      return rejected(problems.forbidden(`This needs the ${access.permission} permission.`));
    }
    const payload = resolveReferences(action.payload, applied) as Record<string, unknown>;
    const sync = spec.syncAction!;
    const params: Record<string, unknown> = {};
    const body: Record<string, unknown> = { ...payload };
    for (const [param, key] of Object.entries(sync.params ?? {})) {
      params[param] = payload[key];
      delete body[key];
    }
    const clientIdField = sync.clientIdField ?? 'clientId';
    if (spec.idempotent === 'clientId' || sync.clientIdField) body[clientIdField] = clientId;
    try {
      const sub = Object.create(req) as ApiRequest;
      sub.idempotency = undefined;
      // A field by its payload name; an error of the whole body or params (a PATCH with nothing to change) names the payload.
      const payloadField = (paramKeys: Record<string, string>) => (f: string) =>
        f === 'body' || f === 'params' ? `actions.${i}.payload` : `actions.${i}.payload.${paramKeys[f] ?? f}`;
      sub.valid = {
        params: spec.params ? this.validate(spec.params, params, 'params', payloadField(sync.params ?? {})) : {},
        query: {},
        body: spec.body ? this.validate(spec.body, body, 'body', payloadField({})) : undefined,
        // The route reads If-Match from its headers, as it would from the request alone.
        headers:
          spec.headers && action.ifMatch !== undefined
            ? this.validate(spec.headers, { 'if-match': String(action.ifMatch) }, 'headers', () => `actions.${i}.ifMatch`)
            : {},
      };
      const key = spec.idempotent === 'clientId' ? clientId : undefined;
      const { out, replayed } = await invokeRoute(spec, sub, res, this.deps, key);
      const duplicate = replayed || out.headers?.['Idempotent-Replayed'] === 'true';
      const status = out.status ?? (out.body === undefined ? 204 : 200);
      if (status >= 400) {
        // A stored client error replayed for the same clientId: the action is refused again.
        return { clientId, type, outcome: 'rejected', status, problem: out.body as ProblemBody };
      }
      return { clientId, type, outcome: duplicate ? 'duplicate' : 'done', status, result: out.body ?? null };
    } catch (err) {
      const problem = clientProblemOf(err);
      // Anything but the caller's own error (the database gone) ends the push: what was applied
      // committed with its clientId, so the phone's retry of the whole push answers it as duplicate.
      if (!problem || problem.status >= 500) throw err;
      return rejected(problem);
    }
  }

  /** The route's own validation, its fields named as the push's (actions.<i>.payload.<field>, actions.<i>.ifMatch). */
  private validate<T>(schema: import('joi').Schema<T>, value: unknown, where: 'params' | 'body' | 'headers', fieldOf: (field: string) => string): T {
    try {
      return validateInput(schema, value, where);
    } catch (err) {
      if (!(err instanceof HttpProblem) || err.status !== 400) throw err;
      const body = err.toBody('');
      const errors = ((body.errors ?? []) as { field: string; message: string }[]).map((e) => ({
        field: fieldOf(e.field),
        in: 'body',
        message: e.message,
      }));
      throw problems.validation(errors, body.detail);
    }
  }
}

/** Whether a route reads If-Match (an edit of a versioned record): its declared headers name it. */
function takesIfMatch(spec: RouteSpec): boolean {
  const keys = (spec.headers?.describe() as { keys?: Record<string, unknown> } | undefined)?.keys;
  return keys !== undefined && 'if-match' in keys;
}

function idOf(result: unknown): unknown {
  return result && typeof result === 'object' && 'id' in result ? (result as { id: unknown }).id : undefined;
}

/** The clientIds of this push that a payload names as a value (an account for a customer made in the same push). */
function referencedIds(value: unknown, inPush: Set<string>, found: string[] = []): string[] {
  if (typeof value === 'string' && inPush.has(value)) found.push(value);
  else if (Array.isArray(value)) for (const v of value) referencedIds(v, inPush, found);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) referencedIds(v, inPush, found);
  return found;
}

/** The payload with each earlier action's clientId replaced by the id that action created. */
function resolveReferences(value: unknown, applied: Map<string, Applied>): unknown {
  if (typeof value === 'string') {
    const a = applied.get(value);
    return a?.ok && a.id !== undefined ? a.id : value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveReferences(v, applied));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveReferences(v, applied)]));
  return value;
}
