import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/**
 * `npm start`'s node arguments (package.json), so the bench runs the API with the flags it is
 * deployed with (the young generation's size: README, "api serves HTTP").
 */
function startArgs(): string[] {
  const start = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const [command, ...args] = start.trim().split(/\s+/);
  if (command !== 'node') throw new Error(`package.json's start script is not a node command line: ${start}`);
  return args;
}

/** The real API (`src/server.ts`) in its own process, as deployed; resolves once /readyz answers 200. */
export async function startApi(port: number, env: Record<string, string | undefined>): Promise<ChildProcess> {
  // BENCH_API_NODE_OPTIONS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to the API's node
  // command line (node refuses --cpu-prof in NODE_OPTIONS).
  const nodeOptions = (process.env.BENCH_API_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeOptions, ...startArgs()], {
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

/**
 * CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat (Linux); undefined
 * elsewhere. The API's CPU per request is robust to machine load where its wall-clock rate is not.
 */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces) start at the state: utime and stime are 14th and 15th overall.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS_PER_SECOND = 100;
