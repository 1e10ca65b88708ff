import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports';

const ROOT = path.resolve(__dirname, '../..');

export interface DemoServer {
  child: ChildProcess;
  base: string;
  output(): string;
}

/**
 * `npm start` as a user runs it (no DATABASE_URL, no REDIS_URL) on the given SQLite file, with
 * optional extra environment; resolves once /readyz answers 200.
 */
export async function startDemo(sqlitePath: string, env: NodeJS.ProcessEnv = {}): Promise<DemoServer> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import=tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, TZ: process.env.TZ, PORT: String(port), SQLITE_PATH: sqlitePath, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 90000;
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
  return { child, base, output: () => output };
}

export async function stopDemo(server: DemoServer): Promise<number | null> {
  if (server.child.exitCode !== null) return server.child.exitCode;
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  return exited;
}

/** Logs in and returns a fetch bound to the API base with the bearer token. */
export async function demoLogin(base: string, email: string, password = 'Demo#2026!') {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
  const { accessToken } = (await res.json()) as { accessToken: string };
  return async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(`${base}/api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: r.status, headers: r.headers, body: parsed };
  };
}

/** A sync target's row in GET /integrations/status. */
export interface SyncTargetStatus {
  target: string;
  driver: string;
  pending: number;
  processing: number;
  dead: number;
  lastSuccessAt: string | null;
  lastError: string | null;
}

/** Polls GET /integrations/status (as `api`) until every target has nothing pending or in flight and has written once. */
export async function waitForDrain(
  server: DemoServer,
  api: Awaited<ReturnType<typeof demoLogin>>,
  { attempts, intervalMs }: { attempts: number; intervalMs: number },
): Promise<SyncTargetStatus[]> {
  for (let i = 0; ; i++) {
    const res = await api('GET', '/integrations/status');
    if (res.status !== 200) throw new Error(`GET /integrations/status answered ${res.status}: ${JSON.stringify(res.body)}`);
    const targets = res.body.targets as SyncTargetStatus[];
    if (targets.every((t) => t.pending === 0 && t.processing === 0 && t.lastSuccessAt !== null)) return targets;
    if (i > attempts) throw new Error(`not drained: ${JSON.stringify(targets)}\n${server.output().slice(-3000)}`);
    await sleep(intervalMs);
  }
}
