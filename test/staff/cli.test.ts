import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { expect } from 'chai';
import { Employee } from '../../src/modules/access/models';
import { SystemLog } from '../../src/modules/audit/models';
import { PasswordResetToken } from '../../src/modules/staff/models';
import { api, createRegion, freshIp } from '../support/app';
import { testEnv } from '../support/env';

// The operator adds an employee with `amt staff:create` (as deployed: node bin/amt.cjs).
const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'amt.cjs');

function runAmt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 120_000, env: testEnv() }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('staff: amt staff:create and staff:reset-password', function () {
  this.timeout(240_000);

  it('creates an agent, prints the id and a one-time reset token (no password); the agent sets a password and logs in', async () => {
    const region = await createRegion();
    const email = `cli.${randomUUID().slice(0, 8)}@staff.amt`;
    const out = await runAmt([
      'staff:create',
      '--email',
      email,
      '--role',
      'agent',
      '--regions',
      region.code,
      '--name',
      'Juma Mwangi',
      '--phone',
      '+254733123456',
    ]);
    expect(out.code, out.stderr).to.equal(0);
    const id = Number(/employee (\d+) /.exec(out.stdout)?.[1]);
    const token = /token .*: ([A-Za-z0-9_-]{43})$/m.exec(out.stdout)?.[1];
    expect(id).to.be.greaterThan(0);
    expect(token, out.stdout).to.be.a('string');
    expect(out.stdout).to.contain(`regions ${region.code}`);

    const employee = await Employee.scope('withPassword').findByPk(id);
    expect(employee).to.deep.include({ email, firstName: 'Juma', lastName: 'Mwangi', phone: '+254733123456', isActive: true, passwordHash: null });
    expect(await PasswordResetToken.count({ where: { employeeId: id, usedAt: null } })).to.equal(1);
    const audit = await SystemLog.findOne({ where: { action: 'employee.create', entityId: id } });
    expect(audit!.userId).to.equal(null);

    const password = 'Savannah-Lantern-88';
    await (await api()).post('/api/v1/auth/password-reset').send({ token, newPassword: password }).expect(204);
    const login = await (await api()).post('/api/v1/auth/login').set('X-Forwarded-For', freshIp()).send({ email, password });
    expect(login.status).to.equal(200);
    const me = await (await api()).get('/api/v1/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`).expect(200);
    expect(me.body.regions.map((r: { code: string }) => r.code)).to.deep.equal([region.code]);

    // A new token for the same employee: the first one is spent anyway, the new one works once.
    const reset = await runAmt(['staff:reset-password', '--email', email]);
    expect(reset.code, reset.stderr).to.equal(0);
    const second = /: ([A-Za-z0-9_-]{43})$/m.exec(reset.stdout)?.[1];
    await (await api()).post('/api/v1/auth/password-reset').send({ token: second, newPassword: 'Another-Savannah-99' }).expect(204);
  });

  it('refuses unknown roles and regions, a taken e-mail and a missing login, creating nothing', async () => {
    const region = await createRegion();
    const email = `cli.${randomUUID().slice(0, 8)}@staff.amt`;
    const before = await Employee.count({ paranoid: false });
    const role = await runAmt(['staff:create', '--email', email, '--role', 'wizard', '--regions', region.code]);
    expect(role.code).to.not.equal(0);
    expect(role.stderr).to.contain('--role: no role wizard');
    const regions = await runAmt(['staff:create', '--email', email, '--role', 'agent', '--regions', `${region.code},XX-NOPE`]);
    expect(regions.code).to.not.equal(0);
    expect(regions.stderr).to.contain('XX-NOPE');
    const noLogin = await runAmt(['staff:create', '--role', 'agent']);
    expect(noLogin.code).to.not.equal(0);
    expect(await Employee.count({ paranoid: false })).to.equal(before);

    const json = await runAmt(['staff:create', '--email', email, '--role', 'agent', '--regions', region.code, '--json']);
    expect(json.code, json.stderr).to.equal(0);
    const parsed = JSON.parse(json.stdout) as { id: number; resetToken: string; resetExpiresAt: string };
    expect(parsed.resetToken).to.match(/^[A-Za-z0-9_-]{43}$/);
    const dup = await runAmt(['staff:create', '--email', email.toUpperCase(), '--role', 'agent']);
    expect(dup.code).to.not.equal(0);
    expect(dup.stderr).to.contain('email is already taken');
  });
});
