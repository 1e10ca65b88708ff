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
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
}

/** Runs the operator's own tool (sequelize-cli) against a database: the schema tests use is the one operators get. */
export function sequelizeCli(args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
