import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueryTypes, Transaction } from 'sequelize';
import { Account, AccountDevice, InstallmentSchedule } from '../../src/modules/accounts/models';
import { MobileMoneyTransaction, Payment } from '../../src/modules/payments/models';
import { dialect } from '../../src/platform/db/dialect';
import { createSequelize } from '../../src/platform/db/sequelize';
import { Decimal, toMoneyString } from '../../src/platform/money';
import { loginAs, testRuntime } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { TEST_DATABASE_URL } from '../support/env';
import { FaultProxy } from '../support/fault-proxy';
import { createMarket, openAccount, type Market } from '../support/lending';
import { accountWithDevice } from '../devices/support';
import { call, pay } from '../lending/support';
import { c2bBody, newCallbackClient, sendAs, type CallbackClient } from '../fakes/mpesa';

const CONFIRM = '/mobile-money/mpesa/confirmation';
const ACCEPTED = { ResultCode: 0, ResultDesc: 'Accepted' };

/**
 * Issue 12, defect 1: different M-Pesa confirmations racing on one account. Matching the reference
 * is a plain read before the account lock; under REPEATABLE READ that read fixed the snapshot, so
 * every callback settled the same instalment from paidAmount 0. Each connection now runs at READ
 * COMMITTED (src/platform/db/sequelize.ts); these tests fail without it.
 */
describe('mobile money: different confirmations racing on one account', () => {
  let market: Market;
  let daraja: CallbackClient;
  let adminToken: string;
  let checkerToken: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    daraja = await newCallbackClient();
    ({ token: adminToken } = await loginAs('admin'));
    ({ token: checkerToken } = await loginAs('finance'));
  });

  const paidOnSchedule = async (accountId: number) =>
    (await InstallmentSchedule.findAll({ where: { accountId } })).reduce((s, i) => s.plus(i.paidAmount), new Decimal(0)).toFixed(2);

  it("every connection of the app's pool runs at READ COMMITTED", async () => {
    const { sequelize } = await testRuntime();
    expect(dialect(sequelize).mysql, 'the suite runs on MariaDB').to.equal(true);
    // Several transactions at once hold several pooled connections; each reports its own session level.
    const levels = await Promise.all(
      Array.from({ length: 6 }, () =>
        sequelize.transaction(async (t: Transaction) => {
          const [row] = await sequelize.query<{ level: string; id: number }>('SELECT @@tx_isolation AS level, CONNECTION_ID() AS id, SLEEP(0.05) AS s', {
            type: QueryTypes.SELECT,
            transaction: t,
          });
          return row!;
        }),
      ),
    );
    expect(new Set(levels.map((l) => l.id)).size, 'distinct pooled connections').to.be.greaterThan(1);
    expect([...new Set(levels.map((l) => l.level))]).to.deep.equal(['READ-COMMITTED']);
    const [plain] = await sequelize.query<{ level: string }>('SELECT @@tx_isolation AS level', { type: QueryTypes.SELECT });
    expect(plain!.level).to.equal('READ-COMMITTED');
  });

  it('a connection the pool opens after the database was lost runs at READ COMMITTED too', async function () {
    this.timeout(60_000);
    const proxy = await FaultProxy.forUrl(TEST_DATABASE_URL).start();
    const sequelize = createSequelize({ databaseUrl: proxy.url(TEST_DATABASE_URL) }, { logging: false, pool: { max: 1, min: 0 } });
    const session = async () =>
      (await sequelize.query<{ level: string; id: number }>('SELECT @@tx_isolation AS level, CONNECTION_ID() AS id', { type: QueryTypes.SELECT }))[0]!;
    try {
      const before = await session();
      expect(before.level).to.equal('READ-COMMITTED');
      await proxy.cut();
      await sequelize.query('SELECT 1').catch(() => undefined); // the pool finds its connection gone
      await proxy.heal();
      let after: { level: string; id: number } | undefined;
      for (let i = 0; !after; i++) {
        after = await session().catch((err: unknown) => {
          expect(i, `reconnecting: ${String(err)}`).to.be.below(100);
          return sleep(50).then(() => undefined);
        });
      }
      expect(after.id, 'a new connection').to.not.equal(before.id);
      expect(after.level).to.equal('READ-COMMITTED');
    } finally {
      await sequelize.close();
      await proxy.stop();
    }
  });

  it('20 different confirmations of 150.00 to one pending account at once: all 3,000.00 settle the schedule and activate it', async function () {
    this.timeout(120_000);
    const account = await openAccount(market, { price: '10000.00', downPayment: '1000.00', duration: 10, startDate: '2026-11-20' });
    expect(account.status).to.equal('pending');
    const bodies = Array.from({ length: 20 }, () => c2bBody({ billRef: account.accountNumber, amount: '150.00' }));
    const answers = await Promise.all(bodies.map((b) => sendAs(daraja, CONFIRM, b)));
    expect(answers.map((r) => r.status)).to.deep.equal(Array(20).fill(200));
    expect(answers.every((r) => JSON.stringify(r.body) === JSON.stringify(ACCEPTED))).to.equal(true);

    const stored = await MobileMoneyTransaction.findAll({ where: { transactionId: bodies.map((b) => b.TransID) } });
    expect(stored.map((m) => m.status)).to.deep.equal(Array(20).fill('posted'));
    expect(await Payment.count({ where: { accountId: account.id, status: 'completed' } })).to.equal(20);
    expect(await paidOnSchedule(account.id)).to.equal('3000.00');
    const after = (await Account.findByPk(account.id))!;
    expect(after.status).to.equal('active');
    expect(after.balance).to.equal('7000.00');
    expect(after.creditBalance).to.equal('0.00');
    await expectAccountBooks(account.id);
  });

  it('by account number, by device serial and POST /payments at once, past the whole price: paid off, the rest is credit, never negative', async function () {
    this.timeout(120_000);
    const { account, device } = await accountWithDevice(market, adminToken, { price: '1000.00', downPayment: '100.00', duration: 3, startDate: '2026-11-20' });
    // 8 x 50 by number + 8 x 50 by serial + 8 x 50 by POST /payments = 1,200.00 on a 1,000.00 account.
    const byNumber = Array.from({ length: 8 }, () => c2bBody({ billRef: account.accountNumber, amount: '50.00' }));
    const bySerial = Array.from({ length: 8 }, () => c2bBody({ billRef: device.serialNumber, amount: '50.00' }));
    const results = await Promise.all([
      ...[...byNumber, ...bySerial].map((b) => sendAs(daraja, CONFIRM, b)),
      ...Array.from({ length: 8 }, () => pay(checkerToken, account.id, '50.00')),
    ]);
    expect(results.slice(0, 16).map((r) => r.status)).to.deep.equal(Array(16).fill(200));
    expect(
      results.slice(16).map((r) => r.status),
      JSON.stringify(results.slice(16).map((r) => r.body)),
    ).to.deep.equal(Array(8).fill(201));
    // Which request takes the account lock after the payoff is a race: POST /payments then adds
    // to the credit, a confirmation finds the account closed and waits in suspense (by design:
    // REFUSING_STATUSES). Either way every confirmation is stored and settled exactly once.
    const stored = await MobileMoneyTransaction.findAll({ where: { transactionId: [...byNumber, ...bySerial].map((b) => b.TransID) } });
    const suspended = stored.filter((m) => m.status === 'unmatched');
    expect(suspended.map((m) => m.errorMessage)).to.deep.equal(Array(suspended.length).fill('the account is closed (paid off)'));
    expect(stored.every((m) => ['posted', 'unmatched'].includes(m.status) && m.accountId === account.id)).to.equal(true);
    expect(suspended.length).to.be.at.most(4); // at most 4 x 50.00 arrive once 1,000.00 is paid
    expect(await Payment.count({ where: { accountId: account.id, status: 'completed' } })).to.equal(24 - suspended.length);
    expect(await paidOnSchedule(account.id)).to.equal('1000.00');
    const after = (await Account.findByPk(account.id))!;
    expect({ status: after.status, balance: after.balance, creditBalance: after.creditBalance }).to.deep.equal({
      status: 'closed',
      balance: '0.00',
      creditBalance: toMoneyString(new Decimal('200.00').minus(50 * suspended.length)),
    });
    await expectAccountBooks(account.id);
  });

  it('distinct confirmations and a keyed staff payment, each sent several times at once: each posts exactly once', async function () {
    this.timeout(120_000);
    const account = await openAccount(market, { price: '2000.00', downPayment: '200.00', duration: 4, startDate: '2026-11-20' });
    const bodies = Array.from({ length: 6 }, () => c2bBody({ billRef: account.accountNumber, amount: '100.00' }));
    const key = randomUUID();
    const staff = () =>
      call(
        'post',
        '/payments',
        checkerToken,
        { accountId: account.id, amount: '100.00', paymentType: 'MPESA', channel: 'mobile_money', transactionRef: `TX-${key.slice(0, 12)}` },
        { 'Idempotency-Key': key },
      );
    // Each confirmation sent three times and one keyed staff payment sent five times, all at once.
    const results = await Promise.all([...bodies.flatMap((b) => [b, b, b]).map((b) => sendAs(daraja, CONFIRM, b)), ...Array.from({ length: 5 }, staff)]);
    expect(results.slice(0, 18).every((r) => r.status === 200)).to.equal(true);
    const staffStatuses = results.slice(18).map((r) => r.status);
    expect(staffStatuses.filter((s) => s === 201 || s === 200).length, JSON.stringify(staffStatuses)).to.be.greaterThan(0);
    expect(
      staffStatuses.every((s) => [200, 201, 409].includes(s)),
      JSON.stringify(staffStatuses),
    ).to.equal(true);
    expect(await Payment.count({ where: { accountId: account.id, status: 'completed' } })).to.equal(7);
    expect(await paidOnSchedule(account.id)).to.equal('700.00');
    expect((await Account.findByPk(account.id))!.balance).to.equal('1300.00');
    await expectAccountBooks(account.id);
  });

  it('a device moved to another account while its callback waits for the lock: the money follows the device (matched again under the lock)', async function () {
    this.timeout(90_000);
    const { sequelize } = await testRuntime();
    const { account: first, device } = await accountWithDevice(market, adminToken, {
      price: '1000.00',
      downPayment: '100.00',
      duration: 3,
      startDate: '2026-11-20',
    });
    const second = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, startDate: '2026-11-20' });
    const [{ db }] = await sequelize.query<{ db: string }>('SELECT DATABASE() AS db', { type: QueryTypes.SELECT });
    // The callback's locking read of the first account, in progress (blocked) on another connection of our database.
    const waitingOnLocks = async () =>
      (
        await sequelize.query<{ n: number }>(
          `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
            WHERE DB = ? AND COMMAND = 'Query' AND ID <> CONNECTION_ID() AND INFO LIKE ?`,
          { replacements: [db, `%FROM \`accounts\`%\`id\` = ${first.id} %FOR UPDATE%`], type: QueryTypes.SELECT },
        )
      )[0]!.n;

    // Someone holds the first account; the callback matches the serial to it, then waits for its lock.
    const holder = await sequelize.transaction();
    const body = c2bBody({ billRef: device.serialNumber, amount: '100.00' });
    let answer: ReturnType<typeof sendAs> | undefined;
    try {
      await Account.findByPk(first.id, { lock: holder.LOCK.UPDATE, transaction: holder });
      answer = sendAs(daraja, CONFIRM, body);
      // Polled (not slept on): on a loaded machine the request may take a while to get there.
      for (let i = 0; Number(await waitingOnLocks()) === 0; i++) {
        expect(i, 'the callback reached the account lock').to.be.below(1200);
        await sleep(25);
      }
      // Meanwhile the device is moved to the second account, and the holder lets go.
      await AccountDevice.update({ status: 'inactive' }, { where: { accountId: first.id, deviceId: device.id }, transaction: holder });
      await AccountDevice.create({ accountId: second.id, deviceId: device.id, deviceSerial: device.serialNumber, status: 'active' }, { transaction: holder });
      await holder.commit();
    } catch (err) {
      await holder.rollback();
      await answer;
      throw err;
    }

    expect((await answer!).status).to.equal(200);
    const mm = (await MobileMoneyTransaction.findOne({ where: { transactionId: body.TransID } }))!;
    expect({ status: mm.status, accountId: mm.accountId }).to.deep.equal({ status: 'posted', accountId: second.id });
    expect(await Payment.count({ where: { accountId: first.id } })).to.equal(0);
    expect((await Account.findByPk(second.id))!.status).to.equal('active');
    await expectAccountBooks(first.id);
    await expectAccountBooks(second.id);
  });
});
