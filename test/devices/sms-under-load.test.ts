import { expect } from 'chai';
import { Op } from 'sequelize';
import { Notification } from '../../src/modules/notifications/models';
import { NotificationDispatcher } from '../../src/modules/notifications/dispatch';
import { enqueueNotification } from '../../src/modules/notifications/outbox';
import type { SmsMessage, SmsProvider, SmsResult } from '../../src/modules/notifications/sms/types';
import { createLogger } from '../../src/platform/logging/logger';
import { loginAs, testRuntime } from '../support/app';
import { createMarket, expectBooksBalanced } from '../support/lending';
import { pay } from '../lending/support';
import { accountWithDevice } from './support';

/** Records every message handed to it; answers at once. */
class RecordingSms implements SmsProvider {
  readonly name = 'recording';
  readonly sent: SmsMessage[] = [];
  async send(message: SmsMessage): Promise<SmsResult> {
    this.sent.push(message);
    return { ok: true, messageId: `m${this.sent.length}`, status: 'Success' };
  }
}

/**
 * Issue 12, defect 9: the SMS send job deadlocked under payment load (its claim against payments
 * inserting their token SMS). Two send workers sweep while payments post to several accounts at
 * once: no payment and no sweep may fail, and every SMS goes out exactly once.
 */
describe('SMS send rounds racing payments', function () {
  this.timeout(120_000);

  it('two workers sweeping while 40 payments post: no failure, every SMS sent once', async () => {
    const rt = await testRuntime();
    const market = await createMarket({ businessDate: '2026-11-20' });
    const { token: admin } = await loginAs('admin');
    const plan = { price: '100000.00', downPayment: '1000.00', duration: 50, frequency: 'weekly' as const, startDate: '2026-11-20' };
    const accounts = [];
    for (let i = 0; i < 5; i++) accounts.push((await accountWithDevice(market, admin, plan)).account);
    const accountIds = accounts.map((a) => a.id);

    const provider = new RecordingSms();
    // batchSize 5: many short claims, so claims and payment inserts interleave as much as possible.
    const dispatchers = [0, 1].map(() => new NotificationDispatcher(rt.sequelize, provider, createLogger('silent'), { batchSize: 5, concurrency: 2 }));
    let paying = true;
    const sweeps = dispatchers.map(async (d) => {
      let rounds = 0;
      while (paying) {
        await d.runOnce();
        rounds++;
      }
      return rounds;
    });

    // 40 payments, 8 in flight at a time (two per account at once, more would only queue on the pool).
    const results: Awaited<ReturnType<typeof pay>>[] = [];
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < 40; i = next++) results.push(await pay(admin, accountIds[i % accountIds.length]!, i < accountIds.length ? '1000.00' : '200.00'));
    };
    try {
      await Promise.all(Array.from({ length: 8 }, lane));
    } finally {
      paying = false;
    }
    const rounds = await Promise.all(sweeps);
    expect(rounds.every((r) => r > 0)).to.equal(true);
    expect(results).to.have.length(40);
    for (const r of results) expect(r.status, JSON.stringify(r.body)).to.equal(201);
    for (const d of dispatchers) await d.drain();

    const sms = await Notification.findAll({ where: { accountId: { [Op.in]: accountIds }, channel: 'sms' } });
    expect(sms.filter((n) => n.templateCode === 'payment_received')).to.have.length(40);
    for (const n of sms) {
      expect(n.status, `notification ${n.id}`).to.equal('sent');
      expect(n.attempts).to.equal(1);
      expect(
        provider.sent.filter((m) => m.to === n.recipient && m.message === n.body),
        `notification ${n.id} sent once`,
      ).to.have.length(1);
    }
    await expectBooksBalanced(accountIds);
  });

  it('a round never waits on a payment still open: it skips the SMS that payment holds or is writing, and sends them after it commits', async function () {
    // A round that waited on the open transaction would sit out innodb_lock_wait_timeout (50 s).
    this.timeout(20_000);
    const rt = await testRuntime();
    const sms = (tag: string) => ({
      channel: 'sms' as const,
      recipient: '+254700000123',
      templateCode: 'token_resend',
      language: 'en',
      variables: { customerName: tag, accountNumber: 'ACC-1', token: '111 222 333' },
    });
    const held = (await enqueueNotification(sms('held'))).notification;
    const free = (await enqueueNotification(sms('free'))).notification;
    const provider = new RecordingSms();
    const dispatcher = new NotificationDispatcher(rt.sequelize, provider, createLogger('silent'));

    // A payment's transaction: it locked one pending SMS and wrote another, and has not committed.
    const payment = await rt.sequelize.transaction();
    let written: Notification;
    try {
      await Notification.findByPk(held.id, { lock: payment.LOCK.UPDATE, transaction: payment });
      written = (await enqueueNotification(sms('written'), payment)).notification;
      const round = await dispatcher.runOnce({ ids: [held.id, free.id, written.id] });
      expect(round).to.deep.equal({ claimed: 1, sent: 1, retried: 0, failed: 0 });
      expect(provider.sent.map((m) => m.message)).to.have.length(1);
      expect(provider.sent[0]!.message).to.contain('free');
    } finally {
      await payment.commit();
    }
    const after = await dispatcher.runOnce({ ids: [held.id, free.id, written.id] });
    expect(after).to.deep.equal({ claimed: 2, sent: 2, retried: 0, failed: 0 });
    const rows = await Notification.findAll({ where: { id: { [Op.in]: [held.id, free.id, written.id] } } });
    expect(rows.map((n) => n.status)).to.deep.equal(['sent', 'sent', 'sent']);
    expect(provider.sent).to.have.length(3);
  });
});
