import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Sequelize } from 'sequelize';
import { IdempotencyKey } from '../../src/modules/access/clients.models';
import { Account } from '../../src/modules/accounts/models';
import { Payment } from '../../src/modules/payments/models';
import { EXIT_ABORTED_REQUESTS, EXIT_DRAINED } from '../../src/platform/http/drain';
import { Decimal } from '../../src/platform/money';
import { api, loginAs, testRuntime } from '../support/app';
import { holdAccountLock, otherTransactions, startApiProcess, stopApiProcess, until, type ApiProcess } from '../support/api-process';
import { createMarket, expectBooksBalanced, openAccount, type Market } from '../support/lending';

/** The API stopped with SIGTERM while a payment is held inside its transaction (a row lock the test holds). */
describe('API shutdown with requests in flight', function () {
  this.timeout(120_000);
  let sequelize: Sequelize;
  let market: Market;
  let token: string;
  let child: ApiProcess | undefined;
  before(async () => {
    sequelize = (await testRuntime()).sequelize;
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token } = await loginAs('finance'));
  });
  afterEach(() => stopApiProcess(child));

  function payment(accountId: number) {
    return { accountId, amount: '1000.00', paymentType: 'MPESA', channel: 'mobile_money', transactionRef: `TERM${randomUUID().slice(0, 8)}` };
  }

  function send(url: string, key: string, body: object) {
    return fetch(`${url}/api/v1/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
  }

  it('at SHUTDOWN_TIMEOUT_MS a request still in its transaction is rolled back, its key released, and answered 503; exit code 3', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    child = await startApiProcess({ SHUTDOWN_TIMEOUT_MS: '500' });
    const key = `term-${randomUUID()}`;
    const body = payment(account.id);
    const hold = await holdAccountLock(sequelize, account.id);
    const answer = send(child.url, key, body);
    await until('the payment to wait for the account lock', async () => (await otherTransactions(sequelize, hold.threadId)).waiting === 1 || undefined);

    child.child.kill('SIGTERM');
    const res = await answer; // an answer, not a reset connection
    expect(res.status).to.equal(503);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect(Number(res.headers.get('retry-after'))).to.be.at.least(1);
    const problem = (await res.json()) as { status: number; type: string; instance: string };
    expect(problem).to.include({ status: 503, instance: '/api/v1/payments' });
    expect(problem.type).to.match(/shutting-down$/);
    expect(await child.exited).to.deep.equal({ code: EXIT_ABORTED_REQUESTS, signal: null });

    // While the test still holds the account lock, the payment's transaction is already gone:
    // rolled back by the shutdown, not left waiting for the lock (or for a timeout).
    expect(await otherTransactions(sequelize, hold.threadId)).to.deep.equal({ open: 0, waiting: 0 });
    expect(await IdempotencyKey.count({ where: { idempotencyKey: key } }), 'the key was released').to.equal(0);
    await hold.transaction.rollback();
    expect(await Payment.count({ where: { accountId: account.id } })).to.equal(0);

    // The client's retry (same key, same body) runs at once on another instance, and posts once.
    const retry = await (await api()).post('/api/v1/payments').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send(body);
    expect(retry.status, JSON.stringify(retry.body)).to.equal(201);
    expect(await Payment.count({ where: { accountId: account.id } })).to.equal(1);
    expect((await Account.findByPk(account.id))!.balance).to.equal(new Decimal(account.balance).minus('1000.00').toFixed(2));
    await expectBooksBalanced([account.id]);
  });

  it('takes no new connections once stopping, lets a request that finishes in time answer, and exits 0', async () => {
    const account = await openAccount(market, { startDate: '2026-11-20' });
    child = await startApiProcess({ SHUTDOWN_TIMEOUT_MS: '60000' });
    const key = `drain-${randomUUID()}`;
    const body = payment(account.id);
    const hold = await holdAccountLock(sequelize, account.id);
    const answer = send(child.url, key, body);
    await until('the payment to wait for the account lock', async () => (await otherTransactions(sequelize, hold.threadId)).waiting === 1 || undefined);

    child.child.kill('SIGTERM');
    // The listener closes: a new connection is refused (the load balancer moves on).
    await until('the listener to close', async () =>
      fetch(`${child!.url}/healthz`).then(
        () => false,
        (err: { cause?: { code?: string } }) => err.cause?.code === 'ECONNREFUSED',
      ),
    );
    expect(child.child.exitCode, 'still finishing the payment').to.equal(null);

    await hold.transaction.commit();
    const res = await answer;
    expect(res.status).to.equal(201);
    expect(await child.exited).to.deep.equal({ code: EXIT_DRAINED, signal: null });
    expect(await Payment.count({ where: { accountId: account.id, transactionRef: body.transactionRef } })).to.equal(1);
    const replay = await (await api()).post('/api/v1/payments').set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send(body);
    expect(replay.status).to.equal(201);
    expect(replay.headers['idempotent-replayed']).to.equal('true');
    await expectBooksBalanced([account.id]);
  });
});
