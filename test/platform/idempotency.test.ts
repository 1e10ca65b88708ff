import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Op, QueryTypes, type Sequelize } from 'sequelize';
import { accessModule } from '../../src/modules/access';
import { IdempotencyKey } from '../../src/modules/access/clients.models';
import { IDEMPOTENCY_PURGE_JOB, purgeExpiredIdempotencyKeys, SqlIdempotencyStore } from '../../src/modules/access/idempotency';
import { Account } from '../../src/modules/accounts/models';
import { Payment } from '../../src/modules/payments/models';
import type { ClaimResult, IdempotencyClaim } from '../../src/platform/http/idempotency';
import { HttpProblem } from '../../src/platform/http/problem';
import { createLogger } from '../../src/platform/logging/logger';
import { Decimal } from '../../src/platform/money';
import { api, loginAs, testRuntime } from '../support/app';
import { holdAccountLock, otherTransactions, startApiProcess, stopApiProcess, until, type ApiProcess } from '../support/api-process';
import { createMarket, expectBooksBalanced, openAccount, type Market } from '../support/lending';

// A month ahead, on a whole second (DATETIME keeps seconds): nothing here is expired for the purge.
const T0 = new Date(Math.floor(Date.now() / 1000) * 1000 + 30 * 24 * 3600_000);
const LEASE_MS = 60_000;

/** A store whose clock the test sets. */
function storeAt(clock: { now: Date }, leaseMs = LEASE_MS, retentionMs = 24 * 3600_000) {
  return new SqlIdempotencyStore({ leaseMs, retentionMs, now: () => clock.now });
}
const at = (ms: number) => new Date(T0.getTime() + ms);

function claimed(r: ClaimResult): IdempotencyClaim {
  if (r.kind !== 'claimed') throw new Error(`expected a claim, got ${r.kind}`);
  return r.claim;
}

async function problemOf(work: Promise<unknown>): Promise<HttpProblem> {
  try {
    await work;
  } catch (err) {
    if (err instanceof HttpProblem) return err;
    throw err;
  }
  throw new Error('expected an HttpProblem');
}

describe('idempotency keys: leases, fencing and expiry', () => {
  let sequelize: Sequelize;
  before(async () => {
    sequelize = (await testRuntime()).sequelize;
  });
  const scope = () => `test ${randomUUID()}`;
  const row = (s: string) => IdempotencyKey.findOne({ where: { scope: s } });

  describe('the store', () => {
    it('a claimed key is 409 with Retry-After while its lease runs, 422 with another body, and taken over only once the lease has run out', async () => {
      const clock = { now: T0 };
      const store = storeAt(clock);
      const s = scope();
      claimed(await store.claim(s, 'key-00000001', 'hash-a'));
      const first = (await row(s))!;
      expect(first.status).to.equal('in_progress');
      expect(first.leaseExpiresAt!.getTime()).to.equal(at(LEASE_MS).getTime());

      clock.now = at(LEASE_MS - 1000);
      const busy = await problemOf(store.claim(s, 'key-00000001', 'hash-a'));
      expect(busy.status).to.equal(409);
      expect(busy.type).to.match(/idempotency-in-progress$/);
      expect(busy.headers['Retry-After']).to.equal('1');
      expect((await problemOf(store.claim(s, 'key-00000001', 'hash-b'))).status).to.equal(422);
      expect((await row(s))!.ownerToken).to.equal(first.ownerToken);

      clock.now = at(LEASE_MS + 1000);
      claimed(await store.claim(s, 'key-00000001', 'hash-a'));
      const taken = (await row(s))!;
      expect(taken.id).to.equal(first.id);
      expect(taken.ownerToken).to.be.a('string').and.not.equal(first.ownerToken);
      expect(taken.leaseExpiresAt!.getTime()).to.equal(at(2 * LEASE_MS + 1000).getTime());
      // The retry now holds a fresh lease: a third caller waits again.
      expect((await problemOf(store.claim(s, 'key-00000001', 'hash-a'))).status).to.equal(409);
    });

    it('of two retries racing for an expired claim, exactly one takes it over', async () => {
      const clock = { now: T0 };
      const store = storeAt(clock);
      const s = scope();
      claimed(await store.claim(s, 'key-00000002', 'h'));
      clock.now = at(LEASE_MS + 1000);
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => store.claim(s, 'key-00000002', 'h')));
      const won = results.filter((r) => r.status === 'fulfilled' && r.value.kind === 'claimed');
      const lost = results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as HttpProblem).status);
      expect(won).to.have.length(1);
      expect(lost).to.deep.equal(Array(7).fill(409));
    });

    it('the first request cannot commit after a retry took its key over: its transaction rolls back, the retry answers', async () => {
      const clock = { now: T0 };
      const store = storeAt(clock);
      const s = scope();
      const first = claimed(await store.claim(s, 'key-00000003', 'h'));
      clock.now = at(LEASE_MS + 1000);
      const retry = claimed(await store.claim(s, 'key-00000003', 'h'));

      const marker = `marker ${randomUUID()}`;
      const lost = await problemOf(
        sequelize.transaction(async (t) => {
          // Stands for the payment the first request wrote in its transaction.
          await IdempotencyKey.create({ scope: marker, idempotencyKey: 'marker-0001', requestHash: 'm', expiresAt: T0 }, { transaction: t });
          await first.complete(201, { paymentId: 1 }, t);
        }),
      );
      expect(lost.status).to.equal(409);
      expect(lost.type).to.match(/idempotency-lease-lost$/);
      expect(await IdempotencyKey.count({ where: { scope: marker } }), 'the first request wrote nothing').to.equal(0);
      expect(first.completed).to.equal(false);

      // Its release (the router's reaction to the error) does not free the retry's claim.
      await first.release();
      expect((await row(s))!.status).to.equal('in_progress');

      await sequelize.transaction((t) => retry.complete(201, { paymentId: 2 }, t));
      const replay = await store.claim(s, 'key-00000003', 'h');
      expect(replay).to.deep.equal({ kind: 'replay', status: 201, body: { paymentId: 2 } });
      // Answered keys are kept for the retention from the answer.
      expect((await row(s))!.expiresAt.getTime()).to.equal(at(LEASE_MS + 1000 + 24 * 3600_000).getTime());
    });

    it('a request whose lease has run out cannot commit even if nobody took its key over; the key stays claimable', async () => {
      const clock = { now: T0 };
      const store = storeAt(clock);
      const s = scope();
      const first = claimed(await store.claim(s, 'key-00000004', 'h'));
      clock.now = at(LEASE_MS);
      const lost = await problemOf(sequelize.transaction((t) => first.complete(201, { late: true }, t)));
      expect(lost.type).to.match(/idempotency-lease-lost$/);
      expect((await row(s))!.status).to.equal('in_progress');
      claimed(await store.claim(s, 'key-00000004', 'h'));
    });

    it('a retry arriving while the first request commits its answer waits for that commit and replays it', async () => {
      const clock = { now: T0 };
      const store = storeAt(clock);
      const s = scope();
      const first = claimed(await store.claim(s, 'key-00000005', 'h'));
      const t = await sequelize.transaction();
      const [{ threadId }] = await sequelize.query<{ threadId: number }>('SELECT CONNECTION_ID() AS threadId', { transaction: t, type: QueryTypes.SELECT });
      await first.complete(201, { paymentId: 5 }, t); // within the lease: the row is now locked by t
      // The retry's clock says the lease has run out (a slow commit, or a skewed host).
      const late = storeAt({ now: at(LEASE_MS + 5000) });
      const retry = late.claim(s, 'key-00000005', 'h');
      await until('the retry to wait for the first request', async () => (await otherTransactions(sequelize, Number(threadId))).waiting > 0 || undefined);
      await t.commit();
      expect(await retry).to.deep.equal({ kind: 'replay', status: 201, body: { paymentId: 5 } });
    });

    it('release frees the key after the handler failed, so a retry runs at once', async () => {
      const store = storeAt({ now: T0 });
      const s = scope();
      const first = claimed(await store.claim(s, 'key-00000006', 'h'));
      await problemOf(
        sequelize.transaction(async () => {
          throw new HttpProblem(503, 'the work failed');
        }),
      );
      await first.release();
      expect(await row(s)).to.equal(null);
      claimed(await store.claim(s, 'key-00000006', 'h'));
    });
  });

  describe('the purge', () => {
    it('deletes expired answered keys and long-dead claims, in batches, never a live claim or an unexpired key; running it twice at once is safe', async () => {
      const DAY = 24 * 3600_000;
      const old = { now: new Date(Date.now() - 3 * DAY) };
      const s = scope();
      const expiredAnswered = storeAt(old, LEASE_MS, DAY);
      const keys = ['purge-answered-1', 'purge-answered-2', 'purge-answered-3'];
      for (const k of keys) await claimed(await expiredAnswered.claim(s, k, 'h')).complete(200, { k });
      claimed(await expiredAnswered.claim(s, 'purge-dead-claim', 'h')); // in progress, lease long gone
      // Past its retention but its lease still runs (taken over recently): alive.
      claimed(await storeAt(old, 5 * DAY, DAY).claim(s, 'purge-live-claim', 'h'));
      const recent = storeAt({ now: new Date() });
      await claimed(await recent.claim(s, 'purge-fresh-answer', 'h')).complete(200, {});
      claimed(await recent.claim(s, 'purge-fresh-claim', 'h'));

      const runs = await Promise.all([purgeExpiredIdempotencyKeys({ batchSize: 2 }), purgeExpiredIdempotencyKeys({ batchSize: 2 })]);
      expect(runs[0]!.deleted + runs[1]!.deleted).to.equal(4);
      const left = (await IdempotencyKey.findAll({ where: { scope: s } })).map((k) => k.idempotencyKey).sort();
      expect(left).to.deep.equal(['purge-fresh-answer', 'purge-fresh-claim', 'purge-live-claim']);
      expect((await purgeExpiredIdempotencyKeys()).deleted).to.equal(0);
    });

    it('is a repeatable job of the access module', async () => {
      const rt = await testRuntime();
      const job = accessModule.jobs!(rt).find((j) => j.name === IDEMPOTENCY_PURGE_JOB)!;
      expect(job.repeat).to.deep.equal([{ key: 'idempotency-purge', cron: '*/15 * * * *', data: { batchSize: 1000 } }]);
      const s = scope();
      await claimed(await storeAt({ now: new Date(Date.now() - 3 * 24 * 3600_000) }, LEASE_MS, 3600_000).claim(s, 'purge-by-job', 'h')).complete(200, {});
      const result = (await job.handler({ batchSize: 10 }, { jobId: '1', attempt: 1, logger: createLogger('silent') })) as { deleted: number };
      expect(result.deleted).to.be.at.least(1);
      expect(await IdempotencyKey.count({ where: { scope: s } })).to.equal(0);
    });
  });

  describe('a request killed mid-transaction', function () {
    this.timeout(120_000);
    let market: Market;
    let child: ApiProcess | undefined;
    before(async () => {
      market = await createMarket({ businessDate: '2026-11-20' });
    });
    afterEach(() => stopApiProcess(child));

    it('leaves its key to a retry once the lease has run out: exactly one payment', async () => {
      const { user, token } = await loginAs('finance');
      const account = await openAccount(market, { startDate: '2026-11-20' });
      child = await startApiProcess({ IDEMPOTENCY_LEASE_SECONDS: '2' });
      const key = `kill-${randomUUID()}`;
      const body = {
        accountId: account.id,
        amount: '1000.00',
        paymentType: 'MPESA',
        channel: 'mobile_money',
        transactionRef: `KILL${randomUUID().slice(0, 8)}`,
      };

      // The payment blocks on the account row inside its transaction (its first statement).
      const hold = await holdAccountLock(sequelize, account.id);
      const first = fetch(`${child.url}/api/v1/payments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      }).then(
        (r) => r.status,
        () => 'no answer',
      );
      await until('the payment to wait for the account lock', async () => (await otherTransactions(sequelize, hold.threadId)).waiting === 1 || undefined);
      const claim = (await IdempotencyKey.findOne({ where: { idempotencyKey: key } }))!;
      expect(claim.status).to.equal('in_progress');
      expect(claim.scope).to.contain(`employee:${user.employee.id}`);

      child.child.kill('SIGKILL');
      expect(await child.exited).to.deep.equal({ code: null, signal: 'SIGKILL' });
      expect(await first).to.equal('no answer');
      await hold.transaction.rollback();

      // Retries (against another process: this one) are 409 until the dead request's lease runs
      // out, then one takes the key over and posts.
      const statuses: number[] = [];
      const posted = await until('a retry to post', async () => {
        const r = await (await api()).post('/api/v1/payments').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send(body);
        statuses.push(r.status);
        if (r.status === 409) {
          expect(r.body.type).to.match(/idempotency-in-progress$/);
          expect(Number(r.headers['retry-after'])).to.be.within(1, 2);
          return undefined;
        }
        return r;
      });
      expect(posted.status, JSON.stringify(posted.body)).to.equal(201);
      expect(statuses.slice(0, -1).every((s) => s === 409)).to.equal(true);

      const replay = await (await api()).post('/api/v1/payments').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send(body);
      expect(replay.status).to.equal(201);
      expect(replay.headers['idempotent-replayed']).to.equal('true');
      expect(replay.body).to.deep.equal(posted.body);

      expect(await Payment.count({ where: { transactionRef: body.transactionRef } })).to.equal(1);
      expect(await Payment.count({ where: { accountId: account.id } })).to.equal(1);
      expect((await Account.findByPk(account.id))!.balance).to.equal(new Decimal(account.balance).minus('1000.00').toFixed(2));
      expect(await IdempotencyKey.count({ where: { idempotencyKey: key, status: 'completed', responseStatus: 201, id: { [Op.eq]: claim.id } } })).to.equal(1);
      await expectBooksBalanced([account.id]);
    });
  });
});
