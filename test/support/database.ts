import { execFileSync } from 'node:child_process';
import path from 'node:path';
import mysql from 'mysql2/promise';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'node_modules', 'sequelize-cli', 'lib', 'sequelize');

/** Drops and recreates the database named in the URL. */
export async function recreateDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = u.pathname.replace(/^\//, '');
  if (!/^amt_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to recreate database "${name}": test databases are amt_*`);
  const conn = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
  try {
    await dropDatabase(conn, name);
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
}

/** MariaDB's "can't rmdir ... Directory not empty" (ER_DB_DROP_RMDIR). */
const ER_DB_DROP_RMDIR = 1010;

/**
 * Drops a test database. MariaDB now and then leaves a stray file in a database's directory (seen:
 * a trigger file's backup, `commissionPayments.TRG-`, after a busy migrate); DROP DATABASE then drops
 * every table and fails on the directory. The database is empty by then, so that is not an error
 * here: the name stays usable (CREATE DATABASE IF NOT EXISTS), and this checks it holds no table.
 */
export async function dropDatabase(conn: mysql.Connection, name: string): Promise<void> {
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } catch (err) {
    if ((err as { errno?: number }).errno !== ER_DB_DROP_RMDIR) throw err;
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ?', [name]);
    const left = Number((rows as { n: number }[])[0].n);
    if (left > 0) throw new Error(`database ${name}: DROP DATABASE failed on its directory and left ${left} table(s)`, { cause: err });
  }
}

/** Runs the operator's own tool (sequelize-cli) against a database: the schema tests use is the one operators get. */
export function sequelizeCli(args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
