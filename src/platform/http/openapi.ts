import type Joi from 'joi';
import { describeAccess, type RouteSpec } from './route';

/**
 * OpenAPI 3.0 from the very Joi schemas that validate requests, so the document cannot drift
 * from what the API accepts.
 */
type Schema = Record<string, unknown>;

/** The document's info; the app and scripts/openapi.ts (npm run lint:openapi) both use it. */
export const API_INFO = {
  title: 'AMT API',
  version: '1',
  description: 'Pay-as-you-go asset financing: customers, accounts, payments, devices and their tokens. Errors are RFC 9457 problem+json.',
  license: { name: 'UNLICENSED (proprietary)' },
};

/** What the router accepts as an Idempotency-Key (router.ts refuses anything else with a 400). */
export const IDEMPOTENCY_KEY_PATTERN = '^[A-Za-z0-9._:-]{8,255}$';

interface JoiDescription {
  type: string;
  flags?: Record<string, any>;
  rules?: { name: string; args?: Record<string, any> }[];
  allow?: unknown[];
  keys?: Record<string, JoiDescription>;
  items?: JoiDescription[];
  matches?: { schema?: JoiDescription; then?: JoiDescription; otherwise?: JoiDescription }[];
  metas?: Record<string, unknown>[];
  examples?: unknown[];
}

function rule(d: JoiDescription, name: string): Record<string, any> | undefined {
  return d.rules?.find((r) => r.name === name)?.args;
}

export function joiToOpenApi(schema: Joi.Schema): Schema {
  return convert(schema.describe() as JoiDescription);
}

function convert(d: JoiDescription): Schema {
  const out: Schema = {};
  const flags = d.flags ?? {};
  if (flags.description) out.description = flags.description;
  if (flags.default !== undefined && typeof flags.default !== 'function' && typeof flags.default !== 'object') {
    out.default = flags.default;
  }
  if (d.examples?.length) out.example = d.examples[0];

  switch (d.type) {
    case 'object': {
      out.type = 'object';
      const properties: Record<string, Schema> = {};
      const required: string[] = [];
      for (const [key, child] of Object.entries(d.keys ?? {})) {
        properties[key] = convert(child);
        if (child.flags?.presence === 'required') required.push(key);
      }
      if (d.keys) {
        out.properties = properties;
        if (required.length) out.required = required;
        out.additionalProperties = flags.unknown === true;
      }
      break;
    }
    case 'array':
      out.type = 'array';
      out.items = d.items?.length === 1 ? convert(d.items[0]!) : d.items?.length ? { oneOf: d.items.map(convert) } : {};
      if (rule(d, 'min')) out.minItems = rule(d, 'min')!.limit;
      if (rule(d, 'max')) out.maxItems = rule(d, 'max')!.limit;
      break;
    case 'string':
      out.type = 'string';
      if (rule(d, 'email')) out.format = 'email';
      if (rule(d, 'uri')) out.format = 'uri';
      if (rule(d, 'guid')) out.format = 'uuid';
      if (d.rules?.some((r) => r.name === 'isoDate')) out.format = 'date-time';
      if (rule(d, 'min')) out.minLength = rule(d, 'min')!.limit;
      if (rule(d, 'max')) out.maxLength = rule(d, 'max')!.limit;
      if (rule(d, 'length')) out.minLength = out.maxLength = rule(d, 'length')!.limit;
      if (rule(d, 'pattern')?.regex) out.pattern = String(rule(d, 'pattern')!.regex).replace(/^\/|\/[a-z]*$/g, '');
      break;
    case 'number':
      out.type = d.rules?.some((r) => r.name === 'integer') ? 'integer' : 'number';
      if (rule(d, 'min')) out.minimum = rule(d, 'min')!.limit;
      if (rule(d, 'max')) out.maximum = rule(d, 'max')!.limit;
      if (rule(d, 'greater')) out.exclusiveMinimum = rule(d, 'greater')!.limit;
      if (rule(d, 'positive')) out.minimum = 1;
      break;
    case 'boolean':
      out.type = 'boolean';
      break;
    case 'date':
      out.type = 'string';
      out.format = 'date-time';
      break;
    case 'alternatives':
      out.oneOf = (d.matches ?? []).flatMap((m) => [m.schema, m.then, m.otherwise].filter(Boolean).map((s) => convert(s!)));
      break;
    case 'binary':
      out.type = 'string';
      out.format = 'binary';
      break;
    default:
      break;
  }
  if (d.allow?.length) {
    const values = d.allow.filter((v) => v !== null && typeof v !== 'object');
    if (values.length && flags.only) out.enum = values;
    // OpenAPI 3.0 ties nullable to a type; a schema without one (any) already admits null.
    if (d.allow.includes(null)) {
      if (out.type) out.nullable = true;
      else if (Array.isArray(out.oneOf)) out.oneOf = (out.oneOf as Schema[]).map((o) => (o.type ? { ...o, nullable: true } : o));
    }
  }
  return out;
}

function toOpenApiPath(expressPath: string): { path: string; names: string[] } {
  const names: string[] = [];
  const path = expressPath.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    names.push(name);
    return `{${name}}`;
  });
  return { path, names };
}

function parameters(schema: Joi.ObjectSchema | undefined, where: 'path' | 'query' | 'header'): Schema[] {
  if (!schema) return [];
  const d = schema.describe() as JoiDescription;
  return Object.entries(d.keys ?? {}).map(([name, child]) => ({
    name,
    in: where,
    required: where === 'path' || child.flags?.presence === 'required',
    schema: convert(child),
    ...(child.flags?.description ? { description: child.flags.description } : {}),
  }));
}

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details. `status` is always the HTTP status code; other facts are extension members (e.g. currentStatus).',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status code of the response' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, in: { type: 'string' }, message: { type: 'string' }, type: { type: 'string' } },
      },
    },
  },
};

/** API clients prove themselves by a signature or, for providers that cannot sign, a shared secret. */
const CLIENT_SECURITY = [
  { clientId: [], clientSignature: [] },
  { clientId: [], clientSecret: [] },
];

/**
 * A stable, unique operationId from the method and the path: GET /accounts/:id/ledger is
 * getAccountsByIdLedger, POST /ops/jobs/:queue/:id/retry is postOpsJobsByQueueByIdRetry.
 */
export function operationIdOf(method: string, expressPath: string): string {
  const words = expressPath
    .split(/[/.]/)
    .filter(Boolean)
    .flatMap((segment) => (segment.startsWith(':') ? ['by', ...segment.slice(1).split(/[^A-Za-z0-9]+/)] : segment.split(/[^A-Za-z0-9]+/)))
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

const PROBLEM = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

const RETRY_AFTER = { schema: { type: 'integer', minimum: 1 }, description: 'Seconds to wait before retrying' };

function problemResponse(description: string, headers?: Record<string, Schema>): Schema {
  return { description, ...(headers ? { headers } : {}), content: PROBLEM };
}

export function buildOpenApiDocument(routes: RouteSpec[], info: Schema = API_INFO): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const r of routes) {
    const { path } = toOpenApiPath(r.path);
    const openPath = '/api/v1' + path;
    const responses: Record<string, Schema> = {};
    for (const [status, spec] of Object.entries(r.responses ?? { 200: { description: 'OK' } })) {
      const failure = Number(status) >= 400;
      responses[status] = {
        description: spec.description,
        ...(spec.schema
          ? { content: { [spec.contentType ?? (failure ? 'application/problem+json' : 'application/json')]: { schema: joiToOpenApi(spec.schema) } } }
          : failure
            ? { content: PROBLEM }
            : {}),
      };
    }
    if (r.idempotent) {
      // The router's own answers on idempotent routes, unless the route describes them itself.
      for (const code of Object.keys(responses).filter((c) => c.startsWith('2'))) {
        responses[code] = {
          ...responses[code],
          headers: { 'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] }, description: 'Present on a replay of the first response' } },
        };
      }
      responses['409'] ??= problemResponse(
        `A request with this ${r.idempotent === 'clientId' ? 'clientId' : 'Idempotency-Key'} is still being processed; retry later`,
      );
      responses['422'] ??= problemResponse(
        r.idempotent === 'clientId' ? 'This clientId was used with another request body' : 'This Idempotency-Key was used with another request body',
      );
    }
    const problem = { content: PROBLEM };
    if (r.params || r.query || r.body || r.idempotent) responses['400'] = { description: 'Invalid input; the fields are named', ...problem };
    const isClient = !!r.access && 'client' in r.access;
    if (r.access && !('public' in r.access))
      responses['401'] = { description: isClient ? 'No or invalid API client credentials' : 'No or invalid access token', ...problem };
    if (r.access && 'permission' in r.access) responses['403'] = { description: `Needs ${r.access.permission}`, ...problem };
    if (r.access && 'client' in r.access)
      responses['403'] = { description: `Address not allowed for the client, or the client lacks scope ${r.access.client}`, ...problem };
    if (r.body) responses['415'] ??= problemResponse(`The body is not ${(r.consumes ?? ['application/json']).join(' or ')}`);
    responses['503'] ??= problemResponse('A dependency (database, Redis) is unavailable; retry after Retry-After', { 'Retry-After': RETRY_AFTER });
    const security = !r.access || 'public' in r.access ? [] : isClient ? CLIENT_SECURITY : [{ bearerAuth: [] }];
    const idempotencyKey = {
      name: 'Idempotency-Key',
      in: 'header',
      required: true,
      description:
        'Makes a retry safe: the same key with the same body replays the first response (Idempotent-Replayed: true); with another body it is a 422; ' +
        'while the first request runs, a 409. Use a new key (e.g. a UUID) per intended operation.',
      schema: { type: 'string', minLength: 8, maxLength: 255, pattern: IDEMPOTENCY_KEY_PATTERN },
      example: '7f9c2d1e-5b8a-4c3f-9e2d-1a2b3c4d5e6f',
    };
    (paths[openPath] ??= {})[r.method] = {
      operationId: operationIdOf(r.method, r.path),
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: r.tags ?? [],
      'x-access': describeAccess(r.access),
      security,
      parameters: [
        ...parameters(r.params, 'path'),
        ...parameters(r.query, 'query'),
        ...parameters(r.headers, 'header'),
        ...(r.idempotent === true ? [idempotencyKey] : []),
      ],
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: Object.fromEntries((r.consumes ?? ['application/json']).map((t) => [t, { schema: joiToOpenApi(r.body!) }])),
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.0.3',
    info,
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        clientId: { type: 'apiKey', in: 'header', name: 'X-Client-Id', description: 'API client id (machine callers)' },
        clientSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Signature',
          description: 'hex HMAC-SHA256 under the client secret of `<X-Timestamp>.<raw body>`; X-Timestamp (Unix seconds) within 5 minutes',
        },
        clientSecret: { type: 'apiKey', in: 'header', name: 'X-Client-Secret', description: 'shared secret, for providers that cannot sign' },
      },
      schemas: { Problem: problemSchema },
    },
    paths,
  };
}
