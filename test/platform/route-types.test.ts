import { expect } from 'chai';
import Joi from 'joi';
import { Area } from '../../src/modules/organisation/reference.models';
import { resource, type ResourceBody } from '../../src/modules/reference-data/resource';
import { defineRoute, type ApiRequest } from '../../src/platform/http/route';
import { idField } from '../../src/platform/http/schemas';

/**
 * What `npm run typecheck` enforces about a route's types (this file is compiled by it): every
 * `@ts-expect-error` below must be an error, or typecheck fails with "Unused '@ts-expect-error'".
 * The runtime assertions check that the typed schemas still validate as Joi does.
 */

interface NoteBody {
  accountId: number;
  note?: string;
  kind: 'call' | 'visit';
}

const noteBody = Joi.object<NoteBody, true>({
  accountId: idField().required(),
  note: Joi.string().max(200),
  kind: Joi.string().valid('call', 'visit').required(),
});

// A typed schema: the handler's req.valid.body is a NoteBody, params and query likewise.
const typed = defineRoute({
  method: 'post',
  path: '/notes/:id',
  summary: 'typed',
  access: { authenticated: true },
  params: Joi.object<{ id: number }, true>({ id: idField().required() }),
  body: noteBody,
  handler: (req) => {
    const id: number = req.valid.params.id;
    const accountId: number = req.valid.body.accountId;
    // @ts-expect-error the body has no such field
    void req.valid.body.amount;
    // @ts-expect-error kind is 'call' | 'visit', not a number
    const kind: number = req.valid.body.kind;
    return { body: { id, accountId, kind } };
  },
});

// A schema map missing a key of the interface.
// @ts-expect-error Property 'kind' is missing
Joi.object<NoteBody, true>({ accountId: idField().required(), note: Joi.string() });

// A key whose schema is of the wrong type (a number schema for a string field).
// @ts-expect-error NumberSchema is not a StringSchema
Joi.object<NoteBody, true>({ accountId: idField().required(), note: Joi.number(), kind: Joi.string() });

// A key the interface does not have.
// @ts-expect-error Object literal may only specify known properties
Joi.object<NoteBody, true>({ accountId: idField().required(), note: Joi.string(), kind: Joi.string(), extra: Joi.string() });

// An untyped body schema (Joi.object without its type) in a route.
defineRoute({
  method: 'post',
  path: '/untyped',
  summary: 'untyped',
  access: { authenticated: true },
  // @ts-expect-error a body schema states its type
  body: Joi.object({ accountId: idField().required() }),
  handler: () => ({ status: 204 }),
});

// An untyped body behind a variable is refused the same way.
const untypedBody = Joi.object({ accountId: idField().required() });
defineRoute({
  method: 'post',
  path: '/untyped-variable',
  summary: 'untyped',
  access: { authenticated: true },
  // @ts-expect-error a body schema states its type
  body: untypedBody,
  handler: () => ({ status: 204 }),
});

// Untyped params and query schemas are refused the same way.
defineRoute({
  method: 'get',
  path: '/untyped-params/:id',
  summary: 'untyped params',
  access: { authenticated: true },
  // @ts-expect-error a schema states its type
  params: Joi.object({ id: idField().required() }),
  // @ts-expect-error a schema states its type
  query: Joi.object({ limit: Joi.number() }),
  handler: () => ({ status: 204 }),
});

// Explicit type arguments (refused by eslint) stop inference: a route naming its params type may not take a body.
// eslint-disable-next-line no-restricted-syntax -- the type arguments are what this case is about
defineRoute<{ id: number }>({
  method: 'post',
  path: '/explicit/:id',
  summary: 'explicit',
  access: { authenticated: true },
  params: Joi.object({ id: idField().required() }),
  // @ts-expect-error a route with a body takes no type arguments
  body: noteBody,
  handler: () => ({ status: 204 }),
});

// A handler whose request type disagrees with its schema.
defineRoute({
  method: 'post',
  path: '/disagree',
  summary: 'disagree',
  access: { authenticated: true },
  // @ts-expect-error the handler expects a body the schema does not give
  body: noteBody,
  handler: (req: ApiRequest<unknown, unknown, { amount: string }>) => ({ body: req.valid.body.amount }),
});

// A route without a body reads no body.
defineRoute({
  method: 'get',
  path: '/nobody',
  summary: 'no body',
  access: { authenticated: true },
  handler: (req) => {
    // @ts-expect-error there is no body
    void req.valid.body.accountId;
    return { status: 204 };
  },
});

// Reference resources: the create body names attributes of the model, with schemas of their types.
const areaResource = { name: 'areas', singular: 'area', path: '/areas', model: Area, permissions: { read: 'reference:read', write: 'reference:write' } };
resource({ ...areaResource, create: Joi.object<ResourceBody<Area, 'regionId' | 'name'>, true>({ regionId: idField().required(), name: Joi.string() }) });
// @ts-expect-error the create schema states its type
resource({ ...areaResource, create: Joi.object({ regionId: idField().required() }) });
// @ts-expect-error regionId is a number column, not a string
resource({ ...areaResource, create: Joi.object<ResourceBody<Area, 'regionId' | 'name'>, true>({ regionId: Joi.string(), name: Joi.string() }) });
// @ts-expect-error nope is not an attribute of Area
resource({ ...areaResource, create: Joi.object<{ nope: string }, true>({ nope: Joi.string() }) });

describe('route types: a body type comes from its Joi schema', () => {
  it('a typed schema validates and converts as Joi does', () => {
    const { value, error } = noteBody.validate({ accountId: '7', kind: 'call' });
    expect(error).to.equal(undefined);
    expect(value).to.deep.equal({ accountId: 7, kind: 'call' });
    expect(noteBody.validate({ accountId: 7, kind: 'call', extra: 1 }).error?.message).to.equal('"extra" is not allowed');
    expect(typed.body).to.equal(noteBody);
  });
});
