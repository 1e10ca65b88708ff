import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';

const ROOT = path.resolve(__dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * The README's first command, as a user runs it: no DATABASE_URL, no REDIS_URL. The server
 * creates its SQLite file, migrates and seeds it, and the demo admin can log in.
 */
describe('demo mode (npm start with nothing configured)', function () {
  this.timeout(90000);
  let child: ChildProcess;
  let base: string;
  let output = '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amt-demo-'));

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['--import=tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, TZ: process.env.TZ, PORT: String(port), SQLITE_PATH: path.join(dir, 'demo.sqlite'), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 60000;
    for (;;) {
      try {
        const res = await fetch(`${base}/readyz`);
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`demo server did not become ready:\n${output}`);
      await sleep(250);
    }
  });

  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is ready on SQLite without Redis', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(await res.json()).to.deep.equal({ status: 'ready', checks: { database: 'ok' } });
  });

  it('lets the README demo admin log in and call an authenticated route', async () => {
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@amt.local', password: 'Admin#2026!' }),
    });
    expect(login.status).to.equal(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const me = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).to.equal(200);
    expect(((await me.json()) as { role: { name: string } }).role.name).to.equal('admin');
    const staff = await fetch(`${base}/api/v1/employees?limit=50`, { headers: { authorization: `Bearer ${accessToken}` } });
    const body = (await staff.json()) as { data: { email: string }[] };
    expect(body.data.map((e) => e.email)).to.include.members(['agent@amt.local', 'finance@amt.local']);
  });

  it('serves the OpenAPI document', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).to.match(/^3\./);
    expect(doc.paths).to.have.property('/api/v1/auth/login');
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });
});
