import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { demoLogin, startDemo, stopDemo, type DemoServer } from '../support/demo-server';

/**
 * Staff administration on the demo (SQLite, no Redis: one process, principal changes local): the
 * admin adds an agent, the agent sets a password and logs in, takes over the demo agent's
 * portfolio, and is deactivated; their token is refused at once.
 */
describe('staff: on the demo (SQLite, no Redis)', function () {
  this.timeout(180_000);
  let server: DemoServer;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amt-staff-demo-'));
  before(async () => {
    server = await startDemo(path.join(dir, 'demo.sqlite'));
  });
  after(async () => {
    if (server) await stopDemo(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('create, reset, log in, reassign, deactivate', async () => {
    const admin = await demoLogin(server.base, 'admin@amt.local', 'Admin#2026!');
    const demoAgent = (await admin('GET', '/employees?q=agent%40amt.local')).body.data[0] as { id: number; regions: { id: number }[] };
    const roles = (await admin('GET', '/roles')).body.data as { id: number; name: string }[];
    const email = `new.${randomUUID().slice(0, 8)}@amt.local`;
    const created = await admin('POST', '/employees', {
      firstName: 'Neema',
      lastName: 'Achieng',
      email,
      roleId: roles.find((r) => r.name === 'agent')!.id,
      regionIds: demoAgent.regions.map((r) => r.id),
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const reset = await fetch(`${server.base}/api/v1/auth/password-reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: created.body.passwordReset.token, newPassword: 'Lake-Victoria-Dawn-7' }),
    });
    expect(reset.status).to.equal(204);
    const agent = await demoLogin(server.base, email, 'Lake-Victoria-Dawn-7');
    expect((await agent('GET', '/auth/me')).status).to.equal(200);

    const moved = await admin('POST', `/employees/${demoAgent.id}/reassign`, { toEmployeeId: created.body.id }, { 'Idempotency-Key': randomUUID() });
    expect(moved.status, JSON.stringify(moved.body)).to.equal(200);
    expect(moved.body.customers).to.be.greaterThan(0);
    const mine = await agent('GET', '/customers?limit=5');
    expect(mine.status).to.equal(200);

    expect((await admin('POST', `/employees/${created.body.id}/deactivate`, {})).status).to.equal(200);
    expect((await agent('GET', '/auth/me')).status).to.equal(401);
  });
});
