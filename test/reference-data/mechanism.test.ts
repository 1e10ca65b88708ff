import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type supertest from 'supertest';
import { api, loginAs } from '../support/app';
import { freshCountryCode } from './helpers';

/**
 * The reference-data mechanism, exercised on countries, regions and departments: the same code
 * serves every reference resource, so what holds here holds for each of them.
 */

const tag = () => randomUUID().slice(0, 8);
const fields = (res: supertest.Response) => (res.body.errors ?? []).map((e: { field: string }) => e.field);

describe('reference data: the generic resource mechanism', () => {
  let admin: Record<string, string>;
  let agent: Record<string, string>;

  before(async () => {
    admin = { Authorization: `Bearer ${(await loginAs('back_office')).token}` };
    agent = { Authorization: `Bearer ${(await loginAs('agent')).token}` };
  });

  async function createCountry(overrides: Record<string, unknown> = {}) {
    const body = { name: `Country ${tag()}`, code: await freshCountryCode(), currency: 'KES', phoneCode: '+254', timezone: 'Africa/Nairobi', ...overrides };
    const res = await (await api()).post('/api/v1/countries').set(admin).send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { id: number; code: string; name: string; version: number };
  }

  async function createRegions(countryId: number, names: string[]) {
    const out: { id: number; name: string; code: string }[] = [];
    for (const name of names) {
      const res = await (
        await api()
      )
        .post('/api/v1/regions')
        .set(admin)
        .send({ name, code: `R-${tag()}`, countryId });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      out.push(res.body);
    }
    return out;
  }

  describe('access', () => {
    it('401 without a token, on reads and writes', async () => {
      expect((await (await api()).get('/api/v1/countries')).status).to.equal(401);
      expect((await (await api()).get('/api/v1/regions/1')).status).to.equal(401);
      expect((await (await api()).post('/api/v1/departments').send({ name: 'x', code: 'x' })).status).to.equal(401);
    });

    it('an agent (reference:read) reads regions but may not write: 403 naming reference:write', async () => {
      const list = await (await api()).get('/api/v1/regions').set(agent).expect(200);
      expect(list.body.data).to.be.an('array');
      const res = await (
        await api()
      )
        .post('/api/v1/regions')
        .set(agent)
        .send({ name: 'Nope', code: `R-${tag()}`, countryId: 1 });
      expect(res.status).to.equal(403);
      expect(res.body.detail).to.contain('reference:write');
      const retire = await (await api()).post(`/api/v1/regions/${list.body.data[0]?.id ?? 1}/retire`).set(agent);
      expect(retire.status).to.equal(403);
    });
  });

  describe('create and get', () => {
    it('POST answers 201 with Location and ETag; GET answers the row with the same ETag', async () => {
      const body = { name: `Country ${tag()}`, code: await freshCountryCode(), currency: 'UGX', phoneCode: '+256', timezone: 'Africa/Kampala' };
      const res = await (await api()).post('/api/v1/countries').set(admin).send(body).expect(201);
      expect(res.body).to.include({ ...body, isActive: true, version: 0, businessDate: null });
      expect(res.headers.location).to.equal(`/api/v1/countries/${res.body.id}`);
      expect(res.headers.etag).to.equal('"0"');
      const got = await (await api()).get(res.headers.location!).set(agent).expect(200);
      expect(got.body).to.deep.equal(res.body);
      expect(got.headers.etag).to.equal('"0"');
      const again = await (await api()).get(res.headers.location!).set(agent).set('If-None-Match', '"0"');
      expect(again.status).to.equal(304);
    });

    it('404 for a row that does not exist, and 400 for an id that is not one', async () => {
      const res = await (await api()).get('/api/v1/countries/999999').set(admin);
      expect(res.status).to.equal(404);
      expect(res.headers['content-type']).to.match(/problem\+json/);
      expect((await (await api()).get('/api/v1/countries/abc').set(admin)).status).to.equal(400);
      const patch = await (await api()).patch('/api/v1/departments/999999').set(admin).set('If-Match', '"0"').send({ name: 'x' });
      expect(patch.status).to.equal(404);
      expect((await (await api()).post('/api/v1/regions/999999/retire').set(admin)).status).to.equal(404);
    });

    it('400 naming an unknown body field, a wrong type and a missing field; nothing is written', async () => {
      const code = await freshCountryCode();
      const res = await (await api()).post('/api/v1/countries').set(admin).send({ name: 42, code, currency: 'KES', phoneCode: '+254', colour: 'red' });
      expect(res.status).to.equal(400);
      expect(fields(res)).to.have.members(['name', 'timezone', 'colour']);
      const list = await (await api()).get('/api/v1/countries').query({ code, includeRetired: true }).set(admin).expect(200);
      expect(list.body.data).to.have.length(0);
    });

    it('400 for values the field rules refuse (bad time zone, lower-case currency)', async () => {
      const res = await (
        await api()
      )
        .post('/api/v1/countries')
        .set(admin)
        .send({ name: 'Atlantis', code: await freshCountryCode(), currency: 'kes', phoneCode: '+254', timezone: 'Mars/Olympus' });
      expect(res.status).to.equal(400);
      expect(fields(res)).to.have.members(['currency', 'timezone']);
    });

    it('409 naming the field for a duplicate unique code', async () => {
      const country = await createCountry();
      const res = await (
        await api()
      )
        .post('/api/v1/countries')
        .set(admin)
        .send({ name: 'Twin', code: country.code, currency: 'KES', phoneCode: '+254', timezone: 'Africa/Nairobi' });
      expect(res.status).to.equal(409);
      expect(fields(res)).to.deep.equal(['code']);
      const other = await createCountry();
      const patch = await (await api()).patch(`/api/v1/countries/${other.id}`).set(admin).set('If-Match', '"0"').send({ code: country.code });
      expect(patch.status).to.equal(409);
      expect(fields(patch)).to.deep.equal(['code']);
    });

    it('400 naming a foreign key that points at no row', async () => {
      const res = await (
        await api()
      )
        .post('/api/v1/regions')
        .set(admin)
        .send({ name: 'Ghost', code: `R-${tag()}`, countryId: 999999 });
      expect(res.status).to.equal(400);
      expect(fields(res)).to.deep.equal(['countryId']);
      const dept = await (
        await api()
      )
        .post('/api/v1/departments')
        .set(admin)
        .send({ name: 'Ghost', code: `D-${tag()}`, managerId: 999999 });
      expect(dept.status).to.equal(400);
      expect(fields(dept)).to.deep.equal(['managerId']);
    });
  });

  describe('update with If-Match', () => {
    it('428 without If-Match, 412 with a stale version, 200 with the current one (new ETag)', async () => {
      const c = await createCountry();
      const url = `/api/v1/countries/${c.id}`;
      const missing = await (await api()).patch(url).set(admin).send({ name: 'Renamed' });
      expect(missing.status).to.equal(428);
      const stale = await (await api()).patch(url).set(admin).set('If-Match', '"7"').send({ name: 'Renamed' });
      expect(stale.status).to.equal(412);
      const ok = await (await api()).patch(url).set(admin).set('If-Match', '"0"').send({ name: 'Renamed' }).expect(200);
      expect(ok.body).to.include({ name: 'Renamed', version: 1, code: c.code });
      expect(ok.headers.etag).to.equal('"1"');
      const again = await (await api()).patch(url).set(admin).set('If-Match', '"0"').send({ name: 'Lost update' });
      expect(again.status).to.equal(412);
      expect((await (await api()).get(url).set(admin)).body.name).to.equal('Renamed');
      // A weak form of the same tag is accepted.
      await (await api()).patch(url).set(admin).set('If-Match', 'W/"1"').send({ timezone: 'Africa/Lagos' }).expect(200);
    });

    it('of two writers holding the same version, exactly one wins', async () => {
      const c = await createCountry();
      const url = `/api/v1/countries/${c.id}`;
      const results = await Promise.all(['One', 'Two', 'Three'].map(async (name) => (await api()).patch(url).set(admin).set('If-Match', '"0"').send({ name })));
      expect(results.map((r) => r.status).sort()).to.deep.equal([200, 412, 412]);
    });

    it('400 for an empty change, an unknown field, a wrong type; PATCH never applies create defaults', async () => {
      const d = (
        await (
          await api()
        )
          .post('/api/v1/departments')
          .set(admin)
          .send({ name: 'Stores', code: `D-${tag()}`, description: 'Kept' })
          .expect(201)
      ).body;
      const url = `/api/v1/departments/${d.id}`;
      expect((await (await api()).patch(url).set(admin).set('If-Match', '"0"').send({})).status).to.equal(400);
      const unknown = await (await api()).patch(url).set(admin).set('If-Match', '"0"').send({ budget: 5 });
      expect(unknown.status).to.equal(400);
      expect(fields(unknown)).to.deep.equal(['budget']);
      const wrong = await (await api()).patch(url).set(admin).set('If-Match', '"0"').send({ managerId: 'boss' });
      expect(wrong.status).to.equal(400);
      expect(fields(wrong)).to.deep.equal(['managerId']);
      const ok = await (await api()).patch(url).set(admin).set('If-Match', '"0"').send({ name: 'Stores & Logistics' }).expect(200);
      expect(ok.body).to.include({ name: 'Stores & Logistics', description: 'Kept', code: d.code });
    });
  });

  describe('retire', () => {
    it('is idempotent, hides the row from lists unless includeRetired, and PATCH isActive brings it back', async () => {
      const country = await createCountry();
      const [region] = await createRegions(country.id, ['Lakeside']);
      const url = `/api/v1/regions/${region!.id}`;
      const first = await (await api()).post(`${url}/retire`).set(admin).expect(200);
      expect(first.body).to.include({ isActive: false, version: 1 });
      expect(first.headers.etag).to.equal('"1"');
      const second = await (await api()).post(`${url}/retire`).set(admin).expect(200);
      expect(second.body).to.include({ isActive: false, version: 1 });

      const listed = await (await api()).get('/api/v1/regions').query({ countryId: country.id }).set(agent).expect(200);
      expect(listed.body.data).to.have.length(0);
      const all = await (await api()).get('/api/v1/regions').query({ countryId: country.id, includeRetired: true }).set(agent).expect(200);
      expect(all.body.data.map((r: { id: number }) => r.id)).to.deep.equal([region!.id]);
      const retiredOnly = await (await api()).get('/api/v1/regions').query({ countryId: country.id, isActive: false }).set(agent).expect(200);
      expect(retiredOnly.body.data).to.have.length(1);
      expect((await (await api()).get(url).set(agent).expect(200)).body.isActive).to.equal(false);

      const back = await (await api()).patch(url).set(admin).set('If-Match', '"1"').send({ isActive: true }).expect(200);
      expect(back.body).to.include({ isActive: true, version: 2 });
      const stale = await (await api()).post(`${url}/retire`).set(admin).set('If-Match', '"1"');
      expect(stale.status).to.equal(412);
    });

    it('takes no body', async () => {
      const country = await createCountry();
      const res = await (await api()).post(`/api/v1/countries/${country.id}/retire`).set(admin).send({ reason: 'closed' });
      expect(res.status).to.equal(400);
    });
  });

  describe('lists', () => {
    const names = ['Delta', 'alpha', 'Charlie', 'Bravo', 'Echo', 'Alpha', 'delta', 'Foxtrot'];
    let country: { id: number };
    let regions: { id: number; name: string; code: string }[];

    before(async () => {
      country = await createCountry();
      regions = await createRegions(country.id, names);
    });

    async function walk(query: Record<string, unknown>) {
      const seen: { id: number; name: string }[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: supertest.Response = await (
          await api()
        )
          .get('/api/v1/regions')
          .query({ ...query, ...(cursor ? { cursor } : {}) })
          .set(agent)
          .expect(200);
        expect(res.body.data.length).to.be.at.most(Number(query.limit));
        expect(res.body.page).to.not.have.property('total');
        seen.push(...res.body.data);
        cursor = res.body.page.nextCursor;
        pages++;
      } while (cursor && pages < 20);
      return seen;
    }

    it('a cursor walk over more rows than the limit returns each row once, in order (ties by id)', async () => {
      const seen = await walk({ countryId: country.id, limit: 3, sort: 'name' });
      expect(seen.map((r) => r.id)).to.have.members(regions.map((r) => r.id));
      expect(new Set(seen.map((r) => r.id)).size).to.equal(names.length);
      const lower = seen.map((r) => r.name.toLowerCase());
      expect(lower).to.deep.equal([...lower].sort());
      // Case-insensitive ties (alpha/Alpha, Delta/delta) come in id order.
      const alphas = seen.filter((r) => r.name.toLowerCase() === 'alpha').map((r) => r.id);
      expect(alphas).to.deep.equal([...alphas].sort((a, b) => a - b));
    });

    it('descending and multi-key sorts walk the same way', async () => {
      const desc = await walk({ countryId: country.id, limit: 2, sort: '-name' });
      expect(desc).to.have.length(names.length);
      const lower = desc.map((r) => r.name.toLowerCase());
      expect(lower).to.deep.equal([...lower].sort().reverse());
      const multi = await walk({ countryId: country.id, limit: 3, sort: '-name,code' });
      expect(new Set(multi.map((r) => r.id)).size).to.equal(names.length);
      const byId = await walk({ countryId: country.id, limit: 5, sort: '-id' });
      expect(byId.map((r) => r.id)).to.deep.equal(regions.map((r) => r.id).sort((a, b) => b - a));
    });

    it('page numbers answer the total; cursor and page together are refused', async () => {
      const p1 = await (await api()).get('/api/v1/regions').query({ countryId: country.id, limit: 3, page: 1, sort: 'code' }).set(agent).expect(200);
      expect(p1.body.page).to.deep.equal({ limit: 3, nextCursor: null, page: 1, total: names.length });
      const p3 = await (await api()).get('/api/v1/regions').query({ countryId: country.id, limit: 3, page: 3, sort: 'code' }).set(agent).expect(200);
      expect(p3.body.data).to.have.length(names.length - 6);
      const codes = [...p1.body.data, ...p3.body.data].map((r: { code: string }) => r.code);
      expect(codes).to.deep.equal([...codes].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })));
      const first = await (await api()).get('/api/v1/regions').query({ countryId: country.id, limit: 3 }).set(agent).expect(200);
      const both = await (await api()).get('/api/v1/regions').query({ limit: 3, page: 2, cursor: first.body.page.nextCursor }).set(agent);
      expect(both.status).to.equal(400);
    });

    it('a cursor is only good for the sort it was made with', async () => {
      const first = await (await api()).get('/api/v1/regions').query({ countryId: country.id, limit: 3, sort: 'name' }).set(agent).expect(200);
      const res = await (
        await api()
      )
        .get('/api/v1/regions')
        .query({ countryId: country.id, limit: 3, sort: 'code', cursor: first.body.page.nextCursor })
        .set(agent);
      expect(res.status).to.equal(400);
      expect(fields(res)).to.deep.equal(['cursor']);
      expect((await (await api()).get('/api/v1/regions').query({ cursor: 'not-a-cursor' }).set(agent)).status).to.equal(400);
    });

    it('filters on declared fields and searches with q', async () => {
      const target = regions[2]!;
      const byCode = await (await api()).get('/api/v1/regions').query({ code: target.code }).set(agent).expect(200);
      expect(byCode.body.data.map((r: { id: number }) => r.id)).to.deep.equal([target.id]);
      const search = await (await api()).get('/api/v1/regions').query({ countryId: country.id, q: 'ALP' }).set(agent).expect(200);
      expect(search.body.data.map((r: { name: string }) => r.name).sort()).to.deep.equal(['Alpha', 'alpha']);
      const pct = await (await api()).get('/api/v1/regions').query({ countryId: country.id, q: '%' }).set(agent).expect(200);
      expect(pct.body.data).to.have.length(0);
    });

    it('400 naming an unknown query parameter, an undeclared sort key and a badly typed filter', async () => {
      const unknown = await (await api()).get('/api/v1/regions').query({ colour: 'red' }).set(agent);
      expect(unknown.status).to.equal(400);
      expect(fields(unknown)).to.deep.equal(['colour']);
      const managerSort = await (await api()).get('/api/v1/regions').query({ sort: 'name,managerId' }).set(agent);
      expect(managerSort.status).to.equal(400);
      expect(fields(managerSort)).to.deep.equal(['sort']);
      expect(managerSort.body.errors[0].message).to.contain('managerId');
      const badType = await (await api()).get('/api/v1/regions').query({ countryId: 'kenya' }).set(agent);
      expect(badType.status).to.equal(400);
      expect(fields(badType)).to.deep.equal(['countryId']);
      const noSearch = await (await api()).get('/api/v1/regions').query({ limit: 500 }).set(agent);
      expect(fields(noSearch)).to.deep.equal(['limit']);
    });
  });

  describe('OpenAPI', () => {
    it('documents list, get, create, update and retire of each resource from the same specs', async () => {
      const doc = (await (await api()).get('/openapi.json').expect(200)).body;
      const list = doc.paths['/api/v1/regions'].get;
      const params = list.parameters.map((p: { name: string }) => p.name);
      expect(params).to.include.members(['limit', 'cursor', 'page', 'sort', 'q', 'includeRetired', 'code', 'countryId', 'isActive']);
      expect(list['x-access']).to.equal('permission reference:read');
      expect(list.responses['200'].content['application/json'].schema.properties.data.items.properties).to.include.keys(
        'id',
        'name',
        'code',
        'countryId',
        'version',
        'isActive',
      );
      const patch = doc.paths['/api/v1/regions/{id}'].patch;
      expect(patch['x-access']).to.equal('permission reference:write');
      expect(patch.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).to.include.members(['path:id', 'header:if-match']);
      const body = patch.requestBody.content['application/json'].schema;
      expect(body.additionalProperties).to.equal(false);
      expect(body.required ?? []).to.deep.equal([]);
      expect(body.properties).to.include.keys('name', 'code', 'countryId', 'managerId', 'isActive');
      expect(patch.responses).to.include.keys('200', '400', '401', '403', '404', '409', '412', '428');
      const create = doc.paths['/api/v1/countries'].post;
      expect(create.requestBody.content['application/json'].schema.required).to.have.members(['name', 'code', 'currency', 'phoneCode', 'timezone']);
      expect(doc.paths['/api/v1/departments/{id}/retire'].post).to.be.an('object');
    });
  });
});
