import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = path.resolve(__dirname, '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The real API (`src/server.ts`) in its own process, as deployed; resolves once /readyz answers 200. */
export async function startApi(port: number, env: Record<string, string | undefined>): Promise<ChildProcess> {
  // BENCH_API_NODE_OPTIONS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to the API's node
  // command line (node refuses --cpu-prof in NODE_OPTIONS).
  const nodeOptions = (process.env.BENCH_API_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeOptions, '--import=tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Up to 120 s: on a loaded machine compiling and starting the app alone has taken over 30 s.
  for (let i = 0; i < 1200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) return child;
    } catch {
      /* starting */
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error('API did not become ready');
}
