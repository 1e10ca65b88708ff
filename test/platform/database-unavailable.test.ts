import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import passport from 'passport';
import pino from 'pino';
import { DatabaseError, QueryTypes, UniqueConstraintError, type Sequelize } from 'sequelize';
import supertest from 'supertest';
import { ConfigError, loadConfig } from '../../src/platform/config';
import { createSequelize } from '../../src/platform/db/sequelize';
import { withTransaction } from '../../src/platform/db/transaction';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../../src/platform/db/unavailable';
import { createHttpApp } from '../../src/platform/http/app';
import type { RouteSpec } from '../../src/platform/http/route';
import { BullQueue } from '../../src/platform/queue/bull';
import { InProcessQueue } from '../../src/platform/queue/in-process';
import { FaultProxy } from '../support/fault-proxy';
import { TEST_DATABASE_URL, TEST_REDIS_URL, testEnv } from '../support/env';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- config/database.cjs is CommonJS, shared with sequelize-cli
const { connectionOptions } = require('../../config/database.cjs') as { connectionOptions(env: NodeJS.ProcessEnv): { pool?: { idle?: number } } };

/**
 * Issue 12, defect 4: the database being down, hung or overloaded is an outage (503 + Retry-After,
 * logged at warn), never a 500. The errors here are the real ones Sequelize and mysql2 raise
 * against MariaDB, through a FaultProxy or a dead port; nothing is mocked.
 */

const DEAD_MYSQL = 'mysql://root@127.0.0.1:1/amt_test';

function sequelizeFor(url: string, pool: { max: number; acquire: number }, queryTimeoutMs?: number): Sequelize {
  return createSequelize(loadConfig(testEnv({ DATABASE_URL: url })), { pool: { min: 0, idle: 10_000, ...pool } }, { queryTimeoutMs });
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

/** `fn`'s result once it stops throwing: 20 tries, 100 ms apart. */
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

interface RawConnection {
  execute(sql: string, values: unknown[], cb: (err: Error | null) => void): unknown;
  query(sql: string, cb: (err: Error | null, rows: unknown) => void): unknown;
}

const select1 = (s: Sequelize) => s.query('SELECT 1 AS one', { type: QueryTypes.SELECT });

/** An app whose one route throws what `failure` throws, with its log lines collected. */
function failingApp(failure: () => Promise<unknown>) {
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const pub = { public: true as const, why: 'test' };
  const routes: RouteSpec[] = [{ method: 'get', path: '/work', summary: 'fails', access: pub, handler: async () => ({ body: await failure() }) }];
  const app = createHttpApp({
    config: { bodyLimit: '1kb', trustProxy: false },
    logger,
    passport: new passport.Passport() as unknown as passport.PassportStatic,
    routes,
    readiness: [],
    knownPermissions: new Set(),
  });
  return { app, lines };
}

function expectOutageAnswer(res: supertest.Response) {
  expect(res.status).to.equal(503);
  expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
  expect(res.headers['retry-after']).to.equal(String(DATABASE_RETRY_AFTER_SECONDS));
  expect(res.body).to.include({ status: 503, type: 'https://amt.example/problems/unavailable', dependency: 'database' });
  // No SQL, driver message or stack in the answer.
  expect(JSON.stringify(res.body)).not.to.match(/SELECT|ECONN|PROTOCOL|stack/i);
}

describe('database unavailable: classification and the 503 answer', function () {
  this.timeout(60_000);

  it('connection refused (nothing listening) is unavailable, and answers 503 with Retry-After, logged at warn', async () => {
    const s = sequelizeFor(DEAD_MYSQL, { max: 1, acquire: 2000 });
    try {
      const err = await thrown(() => select1(s));
      expect((err as Error).name).to.equal('SequelizeConnectionRefusedError');
      expect(isDatabaseUnavailable(err)).to.equal(true);
      const { app, lines } = failingApp(() => select1(s));
      const res = await supertest(app).get('/api/v1/work');
      expectOutageAnswer(res);
      const warn = lines.find((l) => l.msg === 'database unavailable');
      expect(warn, 'a warn line').to.not.equal(undefined);
      expect(warn!.level).to.equal(40);
      expect(warn!.dependency).to.equal('database');
      expect(
        lines.filter((l) => l.level >= 50),
        'nothing logged at error',
      ).to.deep.equal([]);
    } finally {
      await s.close();
    }
  });

  it('a pool acquire timeout (every connection busy) is unavailable and answers 503', async () => {
    const s = sequelizeFor(TEST_DATABASE_URL, { max: 1, acquire: 300 });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const holder = s.transaction(async () => held);
      await new Promise((r) => setTimeout(r, 100));
      const err = await thrown(() => select1(s));
      expect((err as Error).name).to.equal('SequelizeConnectionAcquireTimeoutError');
      expect(isDatabaseUnavailable(err)).to.equal(true);
      const { app } = failingApp(() => select1(s));
      expectOutageAnswer(await supertest(app).get('/api/v1/work'));
      release();
      await holder;
    } finally {
      await s.close();
    }
  });

  it("a lock-wait timeout still failing after withTransaction's retries is unavailable (errno 1205)", async () => {
    const s = sequelizeFor(TEST_DATABASE_URL, { max: 4, acquire: 5000 });
    try {
      await s.query('CREATE TABLE IF NOT EXISTS amt_fault_lock (id INT PRIMARY KEY, n INT NOT NULL)');
      await s.query('INSERT IGNORE INTO amt_fault_lock (id, n) VALUES (1, 0)');
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const holder = s.transaction(async (t) => {
        await s.query('SELECT n FROM amt_fault_lock WHERE id = 1 FOR UPDATE', { transaction: t });
        locked();
        await held;
      });
      await isLocked;
      let attempts = 0;
      const err = await thrown(() =>
        withTransaction(
          s,
          async (t) => {
            attempts++;
            await s.query('SET SESSION innodb_lock_wait_timeout = 1', { transaction: t });
            await s.query('UPDATE amt_fault_lock SET n = n + 1 WHERE id = 1', { transaction: t });
          },
          { attempts: 2 },
        ),
      );
      release();
      await holder;
      expect(attempts, 'withTransaction retried first').to.equal(2);
      expect((err as { parent?: { errno?: number } }).parent?.errno).to.equal(1205);
      expect(isDatabaseUnavailable(err)).to.equal(true);
    } finally {
      await s.query('DROP TABLE IF EXISTS amt_fault_lock').catch(() => undefined);
      await s.close();
    }
  });

  it('a connection lost under a statement is unavailable, and the pool serves again once the database is back', async () => {
    const proxy = await FaultProxy.forUrl(TEST_DATABASE_URL).start();
    const s = sequelizeFor(proxy.url(TEST_DATABASE_URL), { max: 2, acquire: 2000 });
    try {
      expect(await select1(s)).to.deep.equal([{ one: 1 }]);
      const slow = s.query('SELECT SLEEP(5) AS s', { type: QueryTypes.SELECT });
      await new Promise((r) => setTimeout(r, 200));
      await proxy.cut();
      const lost = await thrown(() => slow);
      expect(lost).to.be.instanceOf(DatabaseError);
      expect(isDatabaseUnavailable(lost), String(lost)).to.equal(true);
      // While it is cut: refused, also unavailable.
      expect(isDatabaseUnavailable(await thrown(() => select1(s)))).to.equal(true);
      await proxy.heal();
      // No restart: the dead connection is not lent again and new ones are opened. (A connect that
      // failed during the cut may still reject the first acquire after it, so allow a few tries.)
      expect(await eventually(() => select1(s))).to.deep.equal([{ one: 1 }]);
    } finally {
      await s.close();
      await proxy.stop();
    }
  });

  it('a hung database (connection open, no answer) fails the statement within DB_QUERY_TIMEOUT_MS, then recovers', async () => {
    const proxy = await FaultProxy.forUrl(TEST_DATABASE_URL).start();
    const s = sequelizeFor(proxy.url(TEST_DATABASE_URL), { max: 1, acquire: 5000 }, 800);
    try {
      expect(await select1(s)).to.deep.equal([{ one: 1 }]);
      proxy.freeze();
      const started = process.hrtime.bigint();
      const err = await thrown(() => select1(s));
      const waitedMs = Number(process.hrtime.bigint() - started) / 1e6;
      expect(isDatabaseUnavailable(err), String(err)).to.equal(true);
      expect((err as { parent?: { code?: string } }).parent?.code).to.equal('PROTOCOL_SEQUENCE_TIMEOUT');
      // Bounded by the statement timeout (generous margin for a loaded machine), not hanging.
      expect(waitedMs).to.be.lessThan(10_000);
      const { app } = failingApp(() => select1(s));
      await proxy.heal();
      // The frozen connection was destroyed; the next statement gets a fresh one.
      expect(await select1(s)).to.deep.equal([{ one: 1 }]);
      expect((await supertest(app).get('/api/v1/work')).status).to.equal(200);
    } finally {
      await s.close();
      await proxy.stop();
    }
  });

  it('a statement mysql2 refuses before sending it does not leave a timer that later kills the connection', async () => {
    const s = sequelizeFor(TEST_DATABASE_URL, { max: 1, acquire: 2000 }, 300);
    try {
      const cm = s.connectionManager as unknown as { getConnection(): Promise<RawConnection>; releaseConnection(c: RawConnection): void };
      const conn = await cm.getConnection();
      try {
        expect(() => conn.execute('SELECT ?', [undefined], () => undefined)).to.throw(TypeError);
        await new Promise((r) => setTimeout(r, 600));
        const rows = await new Promise((resolve, reject) => conn.query('SELECT 1 AS one', (err, r) => (err ? reject(err) : resolve(r))));
        expect(rows).to.deep.equal([{ one: 1 }]);
      } finally {
        cm.releaseConnection(conn);
      }
    } finally {
      await s.close();
    }
  });

  it('a malformed pool or timeout variable stops the start, named (a NaN timeout would cut every statement at once)', () => {
    let err: unknown;
    try {
      loadConfig({ DB_QUERY_TIMEOUT_MS: 'thirty', DB_POOL_ACQUIRE_MS: '0', DB_CONNECT_TIMEOUT_MS: '5000', DB_POOL_MAX: '20', DB_POOL_IDLE_MS: '10' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).variables).to.have.members(['DB_QUERY_TIMEOUT_MS', 'DB_POOL_ACQUIRE_MS', 'DB_POOL_IDLE_MS']);
  });

  it('a pooled connection is kept a minute idle by default (DB_POOL_IDLE_MS), not closed after a lull of seconds', () => {
    const url = 'mysql://root@127.0.0.1:3306/amt_nothing';
    expect(connectionOptions({ DATABASE_URL: url }).pool?.idle).to.equal(60_000);
    expect(connectionOptions({ DATABASE_URL: url, DB_POOL_IDLE_MS: '300000' }).pool?.idle).to.equal(300_000);
  });

  for (const kind of ['bull', 'in-process'] as const) {
    it(`${kind === 'bull' ? 'a Bull' : 'an in-process'} job failing on a database outage is logged at warn naming the database, not at error`, async () => {
      const s = sequelizeFor(DEAD_MYSQL, { max: 1, acquire: 2000 });
      const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
      const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, cb) => (lines.push(JSON.parse(String(chunk))), cb()) }));
      const queue = kind === 'bull' ? new BullQueue(TEST_REDIS_URL, `amt-test-${randomUUID().slice(0, 8)}`, logger) : new InProcessQueue(logger);
      try {
        let ran = 0;
        queue.register({ name: 'reads-the-database', attempts: 1, handler: async () => void (ran++, await select1(s)) });
        await queue.startWorkers();
        await queue.enqueue('reads-the-database', {});
        await eventually(async () => {
          if (!lines.some((l) => l.msg === 'job failed: database unavailable')) throw new Error('not yet');
        });
        expect(ran).to.equal(1);
        const failed = lines.find((l) => l.msg === 'job failed: database unavailable')!;
        expect(failed.level).to.equal(40);
        expect(failed.dependency).to.equal('database');
        expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).to.deep.equal([]);
      } finally {
        await queue.close();
        await s.close();
      }
    });
  }

  it('bad SQL, a duplicate key and a Redis-style ECONNREFUSED are not database outages', async () => {
    const s = sequelizeFor(TEST_DATABASE_URL, { max: 1, acquire: 2000 });
    try {
      const syntax = await thrown(() => s.query('SELEC 1'));
      expect(syntax).to.be.instanceOf(DatabaseError);
      expect(isDatabaseUnavailable(syntax)).to.equal(false);
      expect(isDatabaseUnavailable(new UniqueConstraintError({ errors: [] }))).to.equal(false);
      expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).to.equal(false);
      const { app } = failingApp(() => s.query('SELEC 1'));
      const res = await supertest(app).get('/api/v1/work');
      expect(res.status).to.equal(500);
      expect(res.headers['retry-after']).to.equal(undefined);
    } finally {
      await s.close();
    }
  });
});
