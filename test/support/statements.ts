import mysql2 from 'mysql2';

/**
 * Every command this process sends to MySQL/MariaDB while `fn` runs, in order: each one is a
 * database round trip (a query, a prepare, an execute, BEGIN, COMMIT ...). It hooks mysql2's
 * `addCommand`, which every command of every connection goes through, so it sees the statements
 * of Sequelize's models and of plain SQL (src/platform/db/sql.ts) alike. Handshakes are not
 * commands and are not counted.
 */
export interface RecordedCommand {
  command: string;
  sql: string;
}

interface CommandQueue {
  addCommand(cmd: unknown): unknown;
}

// mysql2's base connection class (not exported by path): every Connection and PoolConnection is one.
const base = Object.getPrototypeOf((mysql2 as unknown as { Connection: { prototype: object } }).Connection.prototype) as CommandQueue;

export async function recordStatements<T>(fn: () => Promise<T>): Promise<{ result: T; commands: RecordedCommand[] }> {
  const commands: RecordedCommand[] = [];
  const original = base.addCommand;
  base.addCommand = function (this: unknown, cmd: unknown) {
    const c = cmd as { constructor: { name: string }; sql?: string; query?: string };
    if (c.constructor.name !== 'ClientHandshake' && c.constructor.name !== 'ServerHandshake') {
      commands.push({
        command: c.constructor.name,
        sql: String(c.sql ?? c.query ?? '')
          .replace(/\s+/g, ' ')
          .trim(),
      });
    }
    return original.call(this, cmd);
  };
  try {
    const result = await fn();
    return { result, commands };
  } finally {
    base.addCommand = original;
  }
}
