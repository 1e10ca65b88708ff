import { expect } from 'chai';
import { api, createEmployee, createRegion, loginAs } from '../support/app';

describe('employees API: permissions and region scope', () => {
  it('403 for a role without employees:read (agent)', async () => {
    const { token } = await loginAs('agent');
    const res = await (await api()).get('/api/v1/employees').set('Authorization', `Bearer ${token}`);
    expect(res.status).to.equal(403);
    expect(res.body.detail).to.contain('employees:read');
  });

  it("a supervisor sees employees of their regions; another region's employee is a 404", async () => {
    const mine = await createRegion();
    const theirs = await createRegion();
    const colleague = await createEmployee('agent', { regionIds: [mine.id] });
    const stranger = await createEmployee('agent', { regionIds: [theirs.id] });
    const { token } = await loginAs('supervisor', { regionIds: [mine.id] });
    const auth = { Authorization: `Bearer ${token}` };
    const list = await (await api()).get('/api/v1/employees').query({ limit: 200 }).set(auth).expect(200);
    const ids = list.body.data.map((e: { id: number }) => e.id);
    expect(ids).to.include(colleague.employee.id);
    expect(ids).not.to.include(stranger.employee.id);
    await (await api()).get(`/api/v1/employees/${colleague.employee.id}`).set(auth).expect(200);
    const hidden = await (await api()).get(`/api/v1/employees/${stranger.employee.id}`).set(auth);
    expect(hidden.status).to.equal(404);
  });

  it('head office (regions:all) pages through everyone with a cursor, each once', async () => {
    const { token } = await loginAs('finance');
    const auth = { Authorization: `Bearer ${token}` };
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: { id: number }[]; page: { nextCursor: string | null } } } = await (
        await api()
      )
        .get('/api/v1/employees')
        .query(cursor ? { limit: 3, cursor } : { limit: 3 })
        .set(auth)
        .expect(200);
      expect(res.body.data.length).to.be.at.most(3);
      seen.push(...res.body.data.map((e: { id: number }) => e.id));
      cursor = res.body.page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).to.equal(seen.length);
    expect(seen).to.deep.equal([...seen].sort((a, b) => a - b));
    expect(seen.length).to.be.greaterThan(3);
  });

  it('400 for bad query input, naming it', async () => {
    const { token } = await loginAs('finance');
    const res = await (await api()).get('/api/v1/employees').query({ limit: 0, colour: 'red' }).set('Authorization', `Bearer ${token}`);
    expect(res.status).to.equal(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).to.have.members(['limit', 'colour']);
    const badCursor = await (await api()).get('/api/v1/employees').query({ cursor: 'garbage' }).set('Authorization', `Bearer ${token}`);
    expect(badCursor.status).to.equal(400);
  });
});
