import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Employee, Permission, Role, RolePermission } from '../../src/modules/access/models';
import { SystemLog } from '../../src/modules/audit/models';
import { PasswordResetToken } from '../../src/modules/staff/models';
import { passwordProblem } from '../../src/modules/staff/password-policy';
import { api, createEmployee, freshIp, loginAs } from '../support/app';

const NEW_PASSWORD = 'Tsavo-Baobab-2026!';

async function login(email: string, password: string) {
  return (await api()).post('/api/v1/auth/login').set('X-Forwarded-For', freshIp()).send({ email, password });
}

async function issueReset(adminToken: string, employeeId: number) {
  return (await api()).post(`/api/v1/employees/${employeeId}/password-reset`).set('Authorization', `Bearer ${adminToken}`);
}

describe('staff: password policy', () => {
  it('refuses short, common (also with digits or symbols appended, in any case), repeated and personal passwords', () => {
    expect(passwordProblem('Short1!')).to.match(/at least 10/);
    expect(passwordProblem('qwertyuiop')).to.match(/common/);
    expect(passwordProblem('1234567890')).to.match(/common/);
    expect(passwordProblem('Sunshine2024!')).to.match(/common/);
    expect(passwordProblem('PASSWORD123456')).to.match(/common/);
    expect(passwordProblem('aaaaaaaaaaaa')).to.not.equal(null);
    expect(passwordProblem('wanjiku.kamau-99', { email: 'wanjiku.kamau@amt.example' })).to.match(/e-mail/);
    expect(passwordProblem('xy0712345678xy', { phone: '+254712345678' })).to.match(/phone/);
    expect(passwordProblem('x'.repeat(129))).to.match(/at most/);
    expect(passwordProblem(NEW_PASSWORD)).to.equal(null);
  });
});

describe('staff: password resets and changes through the API', () => {
  it('a reset token works once: reuse is a 400, it is stored hashed, and every earlier session ends', async () => {
    const { token: admin } = await loginAs('admin');
    const agent = await createEmployee('agent');
    const before = (await login(agent.email, agent.password)).body as { accessToken: string; refreshToken: string };

    const issued = await issueReset(admin, agent.employee.id);
    expect(issued.status).to.equal(201);
    const token = issued.body.token as string;
    expect(await PasswordResetToken.count({ where: { tokenHash: token } })).to.equal(0);

    // A common password is refused (422 naming the field); the token stays usable.
    const common = await (await api()).post('/api/v1/auth/password-reset').send({ token, newPassword: 'Qwertyuiop' });
    expect(common.status).to.equal(422);
    expect(common.body.field).to.equal('newPassword');
    expect(JSON.stringify(common.body)).to.not.contain('Qwertyuiop');

    await (await api()).post('/api/v1/auth/password-reset').send({ token, newPassword: NEW_PASSWORD }).expect(204);
    const reuse = await (await api()).post('/api/v1/auth/password-reset').send({ token, newPassword: 'Another-Long-Phrase-7' });
    expect(reuse.status).to.equal(400);
    expect(reuse.body.errors[0].field).to.equal('token');

    expect((await login(agent.email, agent.password)).status).to.equal(401);
    expect((await login(agent.email, NEW_PASSWORD)).status).to.equal(200);
    expect((await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${before.accessToken}`)).status).to.equal(401);
    expect((await (await api()).post('/api/v1/auth/refresh').send({ refreshToken: before.refreshToken })).status).to.equal(401);
  });

  it('the same token sent twice at once sets one password: one 204, one 400', async () => {
    const { token: admin } = await loginAs('admin');
    const agent = await createEmployee('agent');
    const token = (await issueReset(admin, agent.employee.id)).body.token as string;
    const [x, y] = await Promise.all(
      ['First-Mangrove-Path-1', 'Second-Mangrove-Path-2'].map(async (newPassword) =>
        (await api()).post('/api/v1/auth/password-reset').send({ token, newPassword }),
      ),
    );
    expect([x!.status, y!.status].sort()).to.deep.equal([204, 400]);
    const winner = x!.status === 204 ? 'First-Mangrove-Path-1' : 'Second-Mangrove-Path-2';
    expect((await login(agent.email, winner)).status).to.equal(200);
    expect(await SystemLog.count({ where: { entityId: agent.employee.id, action: 'employee.password_reset' } })).to.equal(1);
  });

  it('an expired token, an unknown one and one superseded by a newer token are refused alike', async () => {
    const { token: admin } = await loginAs('admin');
    const agent = await createEmployee('agent');
    const first = (await issueReset(admin, agent.employee.id)).body.token as string;
    const second = (await issueReset(admin, agent.employee.id)).body.token as string;
    const superseded = await (await api()).post('/api/v1/auth/password-reset').send({ token: first, newPassword: NEW_PASSWORD });
    expect(superseded.status).to.equal(400);

    await PasswordResetToken.update({ expiresAt: new Date(Date.now() - 1000) }, { where: { employeeId: agent.employee.id, usedAt: null } });
    const expired = await (await api()).post('/api/v1/auth/password-reset').send({ token: second, newPassword: NEW_PASSWORD });
    expect(expired.status).to.equal(400);
    const unknown = await (await api()).post('/api/v1/auth/password-reset').send({ token: 'x'.repeat(43), newPassword: NEW_PASSWORD });
    expect(unknown.status).to.equal(400);
    expect(expired.body.detail).to.equal(unknown.body.detail);
    expect((await login(agent.email, agent.password)).status).to.equal(200);
  });

  it('only employees:write issues resets (403), never for a deactivated employee (422), and a deactivation voids unused tokens', async () => {
    const { token: admin } = await loginAs('admin');
    const { token: backOffice } = await loginAs('back_office');
    const agent = await createEmployee('agent');
    expect((await issueReset(backOffice, agent.employee.id)).status).to.equal(403);
    const token = (await issueReset(admin, agent.employee.id)).body.token as string;
    await (await api()).post(`/api/v1/employees/${agent.employee.id}/deactivate`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect((await issueReset(admin, agent.employee.id)).status).to.equal(422);
    await (await api()).post(`/api/v1/employees/${agent.employee.id}/reactivate`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect((await (await api()).post('/api/v1/auth/password-reset').send({ token, newPassword: NEW_PASSWORD })).status).to.equal(400);
  });

  it('changing one’s own password needs the current one, follows the policy and ends every session', async () => {
    const agent = await createEmployee('agent');
    const s1 = (await login(agent.email, agent.password)).body as { accessToken: string; refreshToken: string };
    const s2 = (await login(agent.email, agent.password)).body as { accessToken: string; refreshToken: string };
    const change = async (body: object) => (await api()).post('/api/v1/auth/password').set('Authorization', `Bearer ${s1.accessToken}`).send(body);

    const wrong = await change({ currentPassword: 'not-it-at-all', newPassword: NEW_PASSWORD });
    expect(wrong.status).to.equal(400);
    expect(wrong.body.errors[0].field).to.equal('currentPassword');
    expect((await change({ currentPassword: agent.password, newPassword: 'Password12345' })).status).to.equal(422);
    expect((await change({ currentPassword: agent.password, newPassword: 'short' })).status).to.equal(422);
    expect((await (await api()).post('/api/v1/auth/password').send({ currentPassword: agent.password, newPassword: NEW_PASSWORD })).status).to.equal(401);

    expect((await change({ currentPassword: agent.password, newPassword: NEW_PASSWORD })).status).to.equal(204);
    for (const s of [s1, s2]) {
      expect((await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${s.accessToken}`)).status).to.equal(401);
      expect((await (await api()).post('/api/v1/auth/refresh').send({ refreshToken: s.refreshToken })).status).to.equal(401);
    }
    expect((await login(agent.email, NEW_PASSWORD)).status).to.equal(200);
    const logs = await SystemLog.findAll({ where: { entityId: agent.employee.id, action: 'employee.password_change' } });
    expect(logs.length).to.equal(1);
    expect(JSON.stringify(logs[0]!.toJSON())).to.not.contain(NEW_PASSWORD);
  });
});

describe('staff: roles', () => {
  it('roles:read lists every role with its grants; others get 403', async () => {
    const { token: admin } = await loginAs('admin');
    const res = await (await api()).get('/api/v1/roles').set('Authorization', `Bearer ${admin}`).expect(200);
    const agent = res.body.data.find((r: { name: string }) => r.name === 'agent');
    expect(agent).to.include({ builtIn: true });
    expect(agent.permissions).to.include('customers:write');
    const one = await (await api()).get(`/api/v1/roles/${agent.id}`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(one.body).to.deep.equal(agent);
    const { token: backOffice } = await loginAs('back_office');
    expect((await (await api()).get('/api/v1/roles').set('Authorization', `Bearer ${backOffice}`)).status).to.equal(403);
    expect((await (await api()).get('/api/v1/roles/999999').set('Authorization', `Bearer ${admin}`)).status).to.equal(404);
  });

  it('a custom role is made from catalog codes and changed; its holders see the change on their next request; built-in roles are read-only', async () => {
    const { token: admin } = await loginAs('admin');
    const auth = { Authorization: `Bearer ${admin}` };
    const name = `auditor_${randomUUID().slice(0, 6)}`;
    const unknown = await (
      await api()
    )
      .post('/api/v1/roles')
      .set(auth)
      .send({ name, permissions: ['audit:read', 'root:everything'] });
    expect(unknown.status).to.equal(422);
    expect(unknown.body.codes).to.deep.equal(['root:everything']);
    const created = await (
      await api()
    )
      .post('/api/v1/roles')
      .set(auth)
      .send({ name, description: 'Reads the log', permissions: ['audit:read', 'reports:read'] });
    expect(created.status).to.equal(201);
    expect(created.body).to.deep.include({ name, builtIn: false, permissions: ['audit:read', 'reports:read'], employees: 0 });
    expect((await (await api()).post('/api/v1/roles').set(auth).send({ name, permissions: [] })).status).to.equal(409);

    const holder = await createEmployee('agent');
    await Employee.update({ roleId: created.body.id }, { where: { id: holder.employee.id } });
    const holderToken = (await login(holder.email, holder.password)).body.accessToken as string;
    const me1 = await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${holderToken}`).expect(200);
    expect(me1.body.permissions).to.deep.equal(['audit:read', 'reports:read']);

    const changed = await (
      await api()
    )
      .patch(`/api/v1/roles/${created.body.id}`)
      .set(auth)
      .send({ permissions: ['reports:read', 'employees:read'] });
    expect(changed.status).to.equal(200);
    expect(changed.body.permissions).to.deep.equal(['employees:read', 'reports:read']);
    const employees = await (await api()).get('/api/v1/employees').set('Authorization', `Bearer ${holderToken}`);
    expect(employees.status).to.equal(200);

    const builtIn = (await Role.findOne({ where: { name: 'agent' } }))!;
    const grantsBefore = await RolePermission.count({ where: { roleId: builtIn.id } });
    const refused = await (
      await api()
    )
      .patch(`/api/v1/roles/${builtIn.id}`)
      .set(auth)
      .send({ permissions: ['audit:read'] });
    expect(refused.status).to.equal(409);
    expect(await RolePermission.count({ where: { roleId: builtIn.id } })).to.equal(grantsBefore);
    expect(await SystemLog.count({ where: { entity: 'roles', entityId: created.body.id } })).to.equal(2);
  });

  it('nobody grants what they do not hold (403), and roles:write is needed to write (403)', async () => {
    const { token: admin } = await loginAs('admin');
    const name = `limited_${randomUUID().slice(0, 6)}`;
    const made = await (
      await api()
    )
      .post('/api/v1/roles')
      .set('Authorization', `Bearer ${admin}`)
      .send({ name, permissions: ['roles:read', 'roles:write', 'reports:read'] })
      .expect(201);
    const holder = await createEmployee('agent');
    await Employee.update({ roleId: made.body.id }, { where: { id: holder.employee.id } });
    const token = (await login(holder.email, holder.password)).body.accessToken as string;
    const escalate = await (
      await api()
    )
      .post('/api/v1/roles')
      .set('Authorization', `Bearer ${token}`)
      .send({ name: `${name}_x`, permissions: ['reports:read', 'payments:write'] });
    expect(escalate.status).to.equal(403);
    expect(escalate.body.detail).to.contain('payments:write');
    const own = await (
      await api()
    )
      .post('/api/v1/roles')
      .set('Authorization', `Bearer ${token}`)
      .send({ name: `${name}_y`, permissions: ['reports:read'] });
    expect(own.status).to.equal(201);
    const { token: agent } = await loginAs('agent');
    expect(
      (
        await (
          await api()
        )
          .post('/api/v1/roles')
          .set('Authorization', `Bearer ${agent}`)
          .send({ name: `${name}_z`, permissions: [] })
      ).status,
    ).to.equal(403);
    expect(await Permission.count({ where: { code: 'employees:reassign' } })).to.equal(1);
  });
});
