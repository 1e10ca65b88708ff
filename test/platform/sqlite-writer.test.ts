import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { QueryTypes, type Sequelize } from 'sequelize';
import { createSequelize } from '../../src/platform/db/sequelize';
import { isSqliteBusy, isWriterLockTimeout, sqliteWriterLock, WriterLock } from '../../src/platform/db/sqlite';
import { withTransaction } from '../../src/platform/db/transaction';

/** The embedded SQLite's one-writer rule (src/platform/db/sqlite.ts), on a file of its own. */
describe('SQLite writer lock (the demo database)', function () {
  this.timeout(60000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amt-sqlite-writer-'));
  let db: Sequelize;

  const counter = async () => (await db.query<{ n: number }>('SELECT n FROM counter WHERE id = 1', { type: QueryTypes.SELECT }))[0].n;

  before(async () => {
    db = createSequelize({ sqlitePath: path.join(dir, 'w.sqlite') });
    await db.query('CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
    await db.query('INSERT INTO counter (id, n) VALUES (1, 0)');
  });

  after(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('puts the file in WAL mode', async () => {
    const [row] = await db.query<{ journal_mode: string }>('PRAGMA journal_mode', { type: QueryTypes.SELECT });
    expect(row.journal_mode).to.equal('wal');
  });

  it('runs 60 concurrent read-then-write transactions one at a time: no SQLITE_BUSY, no lost update', async () => {
    await db.query('UPDATE counter SET n = 0 WHERE id = 1');
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, () =>
        withTransaction(db, async (t) => {
          const [{ n }] = await db.query<{ n: number }>('SELECT n FROM counter WHERE id = 1', { type: QueryTypes.SELECT, transaction: t });
          await new Promise((r) => setImmediate(r)); // let the others try to get in
          await db.query('UPDATE counter SET n = ? WHERE id = 1', { replacements: [n + 1], transaction: t });
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).to.deep.equal([]);
    expect(await counter()).to.equal(60);
  });

  it('makes a write outside any transaction wait its turn instead of failing', async () => {
    await db.query('UPDATE counter SET n = 0 WHERE id = 1');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = withTransaction(db, async (t) => {
      await db.query('UPDATE counter SET n = n + 10 WHERE id = 1', { transaction: t });
      await held;
    });
    // The transaction holds the writer turn; a plain write queues behind it.
    while (!sqliteWriterLock(db)!.busy) await new Promise((r) => setImmediate(r));
    const plain = db.query('UPDATE counter SET n = n + 1 WHERE id = 1');
    expect(sqliteWriterLock(db)!.waiting).to.equal(1);
    // Readers do not wait for the writer (WAL), and see only what is committed.
    expect(await counter()).to.equal(0);
    expect(sqliteWriterLock(db)!.waiting).to.equal(1);
    release();
    await Promise.all([tx, plain]);
    expect(await counter()).to.equal(11);
  });

  it('refuses a writer whose turn does not come within the timeout as SQLite busy, and does not retry it', async () => {
    const lock = sqliteWriterLock(db)!;
    const saved = (lock as unknown as { timeoutMs: number }).timeoutMs;
    (lock as unknown as { timeoutMs: number }).timeoutMs = 30;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let attempts = 0;
    try {
      const holder = withTransaction(db, async () => held);
      while (!lock.busy) await new Promise((r) => setImmediate(r));
      const err = await withTransaction(db, async () => {
        attempts++;
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSqliteBusy(err), String(err)).to.equal(true);
      expect(isWriterLockTimeout(err)).to.equal(true);
      expect(attempts, 'the work never ran').to.equal(0);
      expect(lock.waiting, 'the timed-out writer left the queue').to.equal(0);
      release();
      await holder;
    } finally {
      (lock as unknown as { timeoutMs: number }).timeoutMs = saved;
      release();
    }
    // The lock is free again for the next writer.
    await withTransaction(db, async (t) => void (await db.query('UPDATE counter SET n = n WHERE id = 1', { transaction: t })));
    expect(lock.busy).to.equal(false);
  });

  it('hands the lock over in arrival order', async () => {
    const lock = new WriterLock(1000);
    const order: number[] = [];
    await lock.acquire();
    const waiters = [1, 2, 3].map((i) =>
      lock.acquire().then(() => {
        order.push(i);
        lock.release();
      }),
    );
    lock.release();
    await Promise.all(waiters);
    expect(order).to.deep.equal([1, 2, 3]);
    expect(lock.busy).to.equal(false);
  });
});
