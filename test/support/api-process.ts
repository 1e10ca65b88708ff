import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { testEnv } from './env';
import { freePort } from './ports';

const ROOT = path.resolve(__dirname, '..', '..');

export interface ApiProcess {
  child: ChildProcess;
  url: string;
  /** Resolves with the exit code (null if killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** The real API (`src/server.ts`) in its own process on the test database; resolves once it answers. */
export async function startApiProcess(env: Record<string, string> = {}): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import=tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: testEnv({ PORT: String(port), ...env }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode}: ${err}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { child, url, exited, stderr: () => err };
    } catch {
      /* starting */
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`API did not start: ${err}`);
}

export async function stopApiProcess(api: ApiProcess | undefined): Promise<void> {
  if (!api || api.child.exitCode !== null || api.child.signalCode !== null) return;
  api.child.kill('SIGKILL');
  await api.exited;
}

/** Holds an account's row lock from the test's own connection, as a long transaction would. */
export async function holdAccountLock(sequelize: Sequelize, accountId: number): Promise<{ transaction: Transaction; threadId: number }> {
  const transaction = await sequelize.transaction();
  await sequelize.query('SELECT id FROM accounts WHERE id = ? FOR UPDATE', { replacements: [accountId], transaction, type: QueryTypes.SELECT });
  const [{ id }] = await sequelize.query<{ id: number }>('SELECT CONNECTION_ID() AS id', { transaction, type: QueryTypes.SELECT });
  return { transaction, threadId: Number(id) };
}

/**
 * Open transactions on this database other than `exceptThreadId`'s, and how many statements wait
 * (a lock wait, as far as these tests go). A waiting statement is read from PROCESSLIST: MariaDB
 * lists a transaction blocked on its first lock nowhere in INNODB_TRX (c64accd), so `open` alone
 * would miss it; `waiting` counts any other connection's statement in this database running for
 * more than 100 ms.
 */
export async function otherTransactions(sequelize: Sequelize, exceptThreadId: number): Promise<{ open: number; waiting: number }> {
  const [row] = await sequelize.query<{ open: number; waiting: number }>(
    `SELECT (SELECT COUNT(*) FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
              WHERE p.DB = DATABASE() AND t.trx_mysql_thread_id NOT IN (?, CONNECTION_ID())) AS open,
            (SELECT COUNT(*) FROM information_schema.PROCESSLIST p
              WHERE p.DB = DATABASE() AND p.COMMAND IN ('Query', 'Execute') AND p.ID NOT IN (?, CONNECTION_ID()) AND p.TIME_MS > 100) AS waiting`,
    { replacements: [exceptThreadId, exceptThreadId], type: QueryTypes.SELECT },
  );
  return { open: Number(row!.open), waiting: Number(row!.waiting) };
}

/** Polls until `probe` is truthy (a state, not a time: the deadline only stops a hung test). */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
