import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Employee, Permission, RefreshToken, Role } from '../../src/modules/access/models';
import { SystemLog } from '../../src/modules/audit/models';
import { PasswordResetToken } from '../../src/modules/staff/models';
import { api, createEmployee, createRegion, freshIp, loginAs } from '../support/app';
import { startApiProcess, stopApiProcess, until, type ApiProcess } from '../support/api-process';

const GOOD_PASSWORD = 'Kilimanjaro-Sunrise-42';

async function roleId(name: string): Promise<number> {
  return (await Role.findOne({ where: { name } }))!.id;
}

async function roleGrants(name: string): Promise<string[]> {
  const role = await Role.findOne({ where: { name }, include: [{ model: Permission, as: 'grants', attributes: ['code'], through: { attributes: [] } }] });
  return (role!.grants ?? []).map((p) => p.code);
}

function newAgentBody(regionIds: number[], extra: Record<string, unknown> = {}) {
  const tag = randomUUID().slice(0, 8);
  return {
    firstName: 'Amina',
    lastName: `Otieno ${tag}`,
    email: `amina.${tag}@staff.amt`,
    phone: `+2547${Math.floor(10_000_000 + Math.random() * 89_999_999)}`,
    regionIds,
    cashLimit: '25000',
    ...extra,
  };
}

describe('staff: employees created, changed, deactivated and reactivated through the API', () => {
  it('an admin creates an agent, who sets a password with the one-time token and logs in', async () => {
    const region = await createRegion();
    const { token: admin } = await loginAs('admin');
    const body = newAgentBody([region.id], { roleId: await roleId('agent') });
    const created = await (await api()).post('/api/v1/employees').set('Authorization', `Bearer ${admin}`).send(body);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.headers.etag).to.equal('"0"');
    expect(created.headers.location).to.equal(`/api/v1/employees/${created.body.id}`);
    expect(created.body).to.deep.include({ email: body.email, isActive: true, cashLimit: '25000.00', version: 0 });
    expect(created.body.role.name).to.equal('agent');
    expect(created.body.regions.map((r: { id: number }) => r.id)).to.deep.equal([region.id]);
    const { token, expiresAt } = created.body.passwordReset as { token: string; expiresAt: string };
    expect(new Date(expiresAt).getTime()).to.be.greaterThan(Date.now());

    // Stored hashed; no password yet, so no login.
    const stored = await PasswordResetToken.findOne({ where: { employeeId: created.body.id } });
    expect(stored!.tokenHash).to.match(/^[0-9a-f]{64}$/);
    expect(stored!.tokenHash).to.not.equal(token);
    const noLogin = await (await api()).post('/api/v1/auth/login').set('X-Forwarded-For', freshIp()).send({ email: body.email, password: GOOD_PASSWORD });
    expect(noLogin.status).to.equal(401);

    await (await api()).post('/api/v1/auth/password-reset').send({ token, newPassword: GOOD_PASSWORD }).expect(204);
    const login = await (await api()).post('/api/v1/auth/login').set('X-Forwarded-For', freshIp()).send({ email: body.email, password: GOOD_PASSWORD });
    expect(login.status).to.equal(200);
    const me = await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`).expect(200);
    expect(me.body.role.name).to.equal('agent');

    const audits = await SystemLog.findAll({ where: { entity: 'employees', entityId: created.body.id }, order: [['id', 'ASC']] });
    expect(audits.map((a) => a.action)).to.include.members(['employee.create', 'employee.password_reset_issue', 'employee.password_reset']);
    const text = JSON.stringify(audits.map((a) => [a.oldValues, a.newValues]));
    expect(text).to.not.contain(token);
    expect(text).to.not.contain(GOOD_PASSWORD);
  });

  it('refuses bad input (400 naming the field), unknown references (422), duplicates (409) and roles without employees:write (403)', async () => {
    const region = await createRegion();
    const { token: admin } = await loginAs('admin');
    const auth = { Authorization: `Bearer ${admin}` };
    const agent = await roleId('agent');
    const before = await Employee.count();

    const bad = await (
      await api()
    )
      .post('/api/v1/employees')
      .set(auth)
      .send({ ...newAgentBody([region.id]), roleId: agent, phone: '0712', cashLimit: '-5' });
    expect(bad.status).to.equal(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['phone', 'cashLimit']);

    const noRole = await (
      await api()
    )
      .post('/api/v1/employees')
      .set(auth)
      .send({ ...newAgentBody([region.id]), roleId: 999999 });
    expect(noRole.status).to.equal(422);
    expect(noRole.body.field).to.equal('roleId');
    const noRegion = await (
      await api()
    )
      .post('/api/v1/employees')
      .set(auth)
      .send({ ...newAgentBody([999999]), roleId: agent });
    expect(noRegion.status).to.equal(422);
    expect(noRegion.body.field).to.equal('regionIds');

    const first = newAgentBody([region.id], { roleId: agent });
    await (await api()).post('/api/v1/employees').set(auth).send(first).expect(201);
    const dup = await (
      await api()
    )
      .post('/api/v1/employees')
      .set(auth)
      .send({ ...newAgentBody([region.id], { roleId: agent }), email: first.email.toUpperCase() });
    expect(dup.status).to.equal(409);
    expect(dup.body.field).to.equal('email');

    for (const role of ['agent', 'supervisor', 'back_office']) {
      const { token } = await loginAs(role, { regionIds: [region.id] });
      const res = await (
        await api()
      )
        .post('/api/v1/employees')
        .set('Authorization', `Bearer ${token}`)
        .send(newAgentBody([region.id], { roleId: agent }));
      expect(res.status, role).to.equal(403);
    }
    expect(await Employee.count()).to.equal(before + 1 + 3);
  });

  it('PATCH needs If-Match (428), refuses a stale one (412) and moves the ETag; the change applies to the next request', async () => {
    const [r1, r2] = [await createRegion(), await createRegion()];
    const { token: admin } = await loginAs('admin');
    const auth = { Authorization: `Bearer ${admin}` };
    const agent = await createEmployee('agent', { regionIds: [r1.id] });
    const { body: agentLogin } = await (
      await api()
    )
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', freshIp())
      .send({ email: agent.email, password: agent.password })
      .expect(200);

    const got = await (await api()).get(`/api/v1/employees/${agent.employee.id}`).set(auth).expect(200);
    const etag = got.headers.etag as string;
    expect(etag).to.equal(`"${got.body.version}"`);

    const none = await (await api()).patch(`/api/v1/employees/${agent.employee.id}`).set(auth).send({ firstName: 'Baraka' });
    expect(none.status).to.equal(428);
    const ok = await (
      await api()
    )
      .patch(`/api/v1/employees/${agent.employee.id}`)
      .set(auth)
      .set('If-Match', etag)
      .send({ firstName: 'Baraka', regionIds: [r1.id, r2.id] });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    expect(ok.body.firstName).to.equal('Baraka');
    expect(ok.headers.etag).to.not.equal(etag);
    expect(ok.body.regions.map((r: { id: number }) => r.id)).to.deep.equal([r1.id, r2.id]);
    const stale = await (await api()).patch(`/api/v1/employees/${agent.employee.id}`).set(auth).set('If-Match', etag).send({ lastName: 'Late' });
    expect(stale.status).to.equal(412);
    expect((await Employee.findByPk(agent.employee.id))!.lastName).to.not.equal('Late');

    // An employee keeps something to log in with.
    const noLogin = await (
      await api()
    )
      .patch(`/api/v1/employees/${agent.employee.id}`)
      .set(auth)
      .set('If-Match', ok.headers.etag as string)
      .send({ email: null, phone: null });
    expect(noLogin.status).to.equal(422);

    // A region change alone moves the version too.
    const regionsOnly = await (
      await api()
    )
      .patch(`/api/v1/employees/${agent.employee.id}`)
      .set(auth)
      .set('If-Match', ok.headers.etag as string)
      .send({ regionIds: [r2.id] });
    expect(regionsOnly.status).to.equal(200);
    expect(regionsOnly.body.version).to.equal(ok.body.version + 1);

    // The agent's next request sees the new regions (no wait for the principal cache).
    const me = await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${agentLogin.accessToken}`).expect(200);
    expect(me.body.regions.map((r: { id: number }) => r.id)).to.deep.equal([r2.id]);
    const audit = await SystemLog.findAll({ where: { entity: 'employees', entityId: agent.employee.id, action: 'employee.update' } });
    expect(audit.length).to.equal(2);
  });

  it('a supervisor must be an active employee and never one of the employee’s own reports (422); an unknown department is a 422', async () => {
    const region = await createRegion();
    const { token: admin } = await loginAs('admin');
    const auth = { Authorization: `Bearer ${admin}` };
    const boss = await createEmployee('supervisor', { regionIds: [region.id] });
    const agentRole = await roleId('agent');
    const made = await (
      await api()
    )
      .post('/api/v1/employees')
      .set(auth)
      .send(newAgentBody([region.id], { roleId: agentRole, supervisorId: boss.employee.id }))
      .expect(201);
    const etagOf = async (id: number) => (await (await api()).get(`/api/v1/employees/${id}`).set(auth).expect(200)).headers.etag as string;
    const cycle = await (
      await api()
    )
      .patch(`/api/v1/employees/${boss.employee.id}`)
      .set(auth)
      .set('If-Match', await etagOf(boss.employee.id))
      .send({ supervisorId: made.body.id });
    expect(cycle.status).to.equal(422);
    expect(cycle.body.field).to.equal('supervisorId');
    const self = await (
      await api()
    )
      .patch(`/api/v1/employees/${made.body.id}`)
      .set(auth)
      .set('If-Match', await etagOf(made.body.id))
      .send({ supervisorId: made.body.id });
    expect(self.status).to.equal(422);
    const gone = await createEmployee('supervisor', { regionIds: [region.id], isActive: false });
    const inactive = await (
      await api()
    )
      .post('/api/v1/employees')
      .set(auth)
      .send(newAgentBody([region.id], { roleId: agentRole, supervisorId: gone.employee.id }));
    expect(inactive.status).to.equal(422);
    const dept = await (
      await api()
    )
      .post('/api/v1/employees')
      .set(auth)
      .send(newAgentBody([region.id], { roleId: agentRole, departmentId: 999999 }));
    expect(dept.status).to.equal(422);
    expect(dept.body.field).to.equal('departmentId');
  });

  it('two concurrent PATCHes with the same If-Match: one wins, the other is a 412', async () => {
    const region = await createRegion();
    const { token: admin } = await loginAs('admin');
    const auth = { Authorization: `Bearer ${admin}` };
    const agent = await createEmployee('agent', { regionIds: [region.id] });
    const etag = (await (await api()).get(`/api/v1/employees/${agent.employee.id}`).set(auth).expect(200)).headers.etag as string;
    const results = await Promise.all(
      ['One', 'Two', 'Three'].map(async (lastName) =>
        (await api()).patch(`/api/v1/employees/${agent.employee.id}`).set(auth).set('If-Match', etag).send({ lastName }),
      ),
    );
    expect(results.map((r) => r.status).sort()).to.deep.equal([200, 412, 412]);
  });

  it("deactivation ends every session at once: the agent's access and refresh tokens are refused, login too; reactivation lets them log in again", async () => {
    const region = await createRegion();
    const { token: admin } = await loginAs('admin');
    const auth = { Authorization: `Bearer ${admin}` };
    const agent = await createEmployee('agent', { regionIds: [region.id] });
    const login = async () => (await api()).post('/api/v1/auth/login').set('X-Forwarded-For', freshIp()).send({ email: agent.email, password: agent.password });
    const session = (await login()).body as { accessToken: string; refreshToken: string };
    const other = (await login()).body as { accessToken: string; refreshToken: string };
    // The principal is cached: warm it, so the refusal below is not just a cache miss.
    await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${session.accessToken}`).expect(200);

    const res = await (await api()).post(`/api/v1/employees/${agent.employee.id}/deactivate`).set(auth).send({ reason: 'left the company' });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.isActive).to.equal(false);

    for (const s of [session, other]) {
      expect((await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${s.accessToken}`)).status).to.equal(401);
      expect((await (await api()).post('/api/v1/auth/refresh').send({ refreshToken: s.refreshToken })).status).to.equal(401);
    }
    expect((await login()).status).to.equal(401);
    const live = await RefreshToken.count({ where: { employeeId: agent.employee.id, revokedAt: null } });
    expect(live).to.equal(0);
    // Idempotent.
    await (await api()).post(`/api/v1/employees/${agent.employee.id}/deactivate`).set(auth).expect(200);
    expect(await SystemLog.count({ where: { entityId: agent.employee.id, action: 'employee.deactivate' } })).to.equal(1);

    // Reactivated: old tokens stay dead, a new login works.
    const back = await (await api()).post(`/api/v1/employees/${agent.employee.id}/reactivate`).set(auth);
    expect(back.status).to.equal(200);
    expect(back.body.isActive).to.equal(true);
    expect((await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${session.accessToken}`)).status).to.equal(401);
    const again = await login();
    expect(again.status).to.equal(200);
    await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${again.body.accessToken}`).expect(200);
  });

  describe('with a second API process (its own principal cache)', function () {
    this.timeout(180_000);
    let other: ApiProcess | undefined;
    before(async () => {
      other = await startApiProcess();
    });
    after(() => stopApiProcess(other));

    it("a deactivation made through one process is refused by the other on the agent's next requests, well before its cache would expire", async () => {
      const region = await createRegion();
      const { token: admin } = await loginAs('admin');
      const agent = await createEmployee('agent', { regionIds: [region.id] });
      const me = (token: string) => fetch(`${other!.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
      const login = await fetch(`${other!.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': freshIp() },
        body: JSON.stringify({ email: agent.email, password: agent.password }),
      });
      const { accessToken } = (await login.json()) as { accessToken: string };
      // Warm the other process's cache (it would serve this principal for 10 s).
      expect((await me(accessToken)).status).to.equal(200);
      await (await api()).post(`/api/v1/employees/${agent.employee.id}/deactivate`).set('Authorization', `Bearer ${admin}`).expect(200);
      // The change travels by Redis pub/sub: wait for the state, bounded well under the 10 s cache.
      await until('the other process refuses the token', async () => (await me(accessToken)).status === 401, 5_000);
      expect((await me(accessToken)).status).to.equal(401);
    });
  });

  it('a session written while a deactivation committed (older epoch, not revoked) stays dead after reactivation', async () => {
    const { token: admin } = await loginAs('admin');
    const agent = await createEmployee('agent');
    const login = await (await api()).post('/api/v1/auth/login').set('X-Forwarded-For', freshIp()).send({ email: agent.email, password: agent.password });
    const session = login.body as { accessToken: string; refreshToken: string };
    await (await api()).post(`/api/v1/employees/${agent.employee.id}/deactivate`).set('Authorization', `Bearer ${admin}`).expect(200);
    // The race: a login or refresh that read the employee before the deactivation committed writes its token after the revocation.
    await RefreshToken.update({ revokedAt: null, revokedReason: null }, { where: { employeeId: agent.employee.id } });
    await (await api()).post(`/api/v1/employees/${agent.employee.id}/reactivate`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect((await (await api()).post('/api/v1/auth/refresh').send({ refreshToken: session.refreshToken })).status).to.equal(401);
    expect((await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${session.accessToken}`)).status).to.equal(401);
  });

  it('nobody deactivates themselves, nor an employee whose role grants more than theirs', async () => {
    const { user, token: admin } = await loginAs('admin');
    const self = await (await api()).post(`/api/v1/employees/${user.employee.id}/deactivate`).set('Authorization', `Bearer ${admin}`);
    expect(self.status).to.equal(422);

    // A custom role with employees:write and regions:all, but not the rest of admin's grants.
    const roleRes = await (
      await api()
    )
      .post('/api/v1/roles')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name: `hr_${randomUUID().slice(0, 8)}`, permissions: ['employees:read', 'employees:write', 'regions:all'] })
      .expect(201);
    const hr = await createEmployee('agent');
    await hr.employee.update({ roleId: roleRes.body.id });
    const hrLogin = await (
      await api()
    )
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', freshIp())
      .send({ email: hr.email, password: hr.password })
      .expect(200);
    const otherAdmin = await createEmployee('admin');
    const refused = await (
      await api()
    )
      .post(`/api/v1/employees/${otherAdmin.employee.id}/deactivate`)
      .set('Authorization', `Bearer ${hrLogin.body.accessToken}`);
    expect(refused.status).to.equal(403);
    expect((await Employee.findByPk(otherAdmin.employee.id))!.isActive).to.equal(true);
    // ... nor hands out a role granting more than they hold.
    const agentRole = await roleId('agent');
    const escalate = await (
      await api()
    )
      .post('/api/v1/employees')
      .set('Authorization', `Bearer ${hrLogin.body.accessToken}`)
      .send(newAgentBody([], { roleId: await roleId('admin') }));
    expect(escalate.status).to.equal(403);
    expect(agentRole).to.be.a('number');
  });

  it('a writer limited to regions changes only employees of their regions (another region is a 404) and only their own regions (403)', async () => {
    const [a, b, c] = [await createRegion(), await createRegion(), await createRegion()];
    const { token: admin } = await loginAs('admin');
    const role = await (
      await api()
    )
      .post('/api/v1/roles')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name: `area_hr_${randomUUID().slice(0, 6)}`, permissions: ['employees:read', 'employees:write', ...(await roleGrants('agent'))] })
      .expect(201);
    const hr = await createEmployee('agent', { regionIds: [a.id] });
    await Employee.update({ roleId: role.body.id }, { where: { id: hr.employee.id } });
    const token = (
      await (await api()).post('/api/v1/auth/login').set('X-Forwarded-For', freshIp()).send({ email: hr.email, password: hr.password }).expect(200)
    ).body.accessToken as string;
    const auth = { Authorization: `Bearer ${token}` };
    const shared = await createEmployee('agent', { regionIds: [a.id, b.id] });
    const foreign = await createEmployee('agent', { regionIds: [b.id] });
    const patch = async (id: number, body: object) => {
      const etag = (await (await api()).get(`/api/v1/employees/${id}`).set('Authorization', `Bearer ${admin}`).expect(200)).headers.etag as string;
      return (await api()).patch(`/api/v1/employees/${id}`).set(auth).set('If-Match', etag).send(body);
    };
    expect((await patch(foreign.employee.id, { firstName: 'Nope' })).status).to.equal(404);
    expect((await (await api()).post(`/api/v1/employees/${foreign.employee.id}/deactivate`).set(auth)).status).to.equal(404);
    const drop = await patch(shared.employee.id, { regionIds: [a.id] });
    expect(drop.status).to.equal(403);
    expect(drop.body.detail).to.contain('take away regions');
    const add = await patch(shared.employee.id, { regionIds: [a.id, b.id, c.id] });
    expect(add.status).to.equal(403);
    expect(add.body.detail).to.contain('only assign your own regions');
    const ok = await patch(shared.employee.id, { firstName: 'Zawadi' });
    expect(ok.status).to.equal(200);
    expect(ok.body.regions.map((r: { id: number }) => r.id)).to.deep.equal([a.id, b.id]);
  });

  it('lists with filters; a supervisor sees only their regions (another region is a 404)', async () => {
    const [mine, theirs] = [await createRegion(), await createRegion()];
    const a = await createEmployee('agent', { regionIds: [mine.id] });
    const b = await createEmployee('agent', { regionIds: [theirs.id] });
    await b.employee.update({ isActive: false });
    const { token: admin } = await loginAs('admin');
    const byRegion = await (await api()).get('/api/v1/employees').query({ regionId: theirs.id, limit: 50 }).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(byRegion.body.data.map((e: { id: number }) => e.id)).to.deep.equal([b.employee.id]);
    const inactive = await (
      await api()
    )
      .get('/api/v1/employees')
      .query({ regionId: theirs.id, isActive: true, limit: 50 })
      .set('Authorization', `Bearer ${admin}`)
      .expect(200);
    expect(inactive.body.data).to.deep.equal([]);
    const search = await (await api()).get('/api/v1/employees').query({ q: a.email, limit: 50 }).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(search.body.data.map((e: { id: number }) => e.id)).to.deep.equal([a.employee.id]);
    const wildcard = await (await api()).get('/api/v1/employees').query({ q: '%' }).set('Authorization', `Bearer ${admin}`);
    expect(wildcard.status).to.equal(400);

    const { token: sup } = await loginAs('supervisor', { regionIds: [mine.id] });
    const list = await (await api()).get('/api/v1/employees').query({ limit: 200 }).set('Authorization', `Bearer ${sup}`).expect(200);
    expect(list.body.data.map((e: { id: number }) => e.id))
      .to.include(a.employee.id)
      .and.not.include(b.employee.id);
    expect((await (await api()).get(`/api/v1/employees/${b.employee.id}`).set('Authorization', `Bearer ${sup}`)).status).to.equal(404);
  });
});
