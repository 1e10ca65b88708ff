import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import pino from 'pino';
import { Op } from 'sequelize';
import { NotificationDispatcher, smsProviderFor } from '../../src/modules/notifications/dispatch';
import { notificationJobs, SEND_JOB } from '../../src/modules/notifications/jobs';
import { Notification } from '../../src/modules/notifications/models';
import { enqueueNotification, NotificationError, renderTemplate } from '../../src/modules/notifications/outbox';
import { AfricasTalkingSms } from '../../src/modules/notifications/sms/africastalking';
import { LogSmsProvider } from '../../src/modules/notifications/sms/log';
import { loadConfig } from '../../src/platform/config';
import { REDACT_PATHS } from '../../src/platform/logging/logger';
import { FakeAfricasTalking } from '../fakes/africastalking';
import { loginAs, testRuntime } from '../support/app';
import { createMarket, type Market } from '../support/lending';
import { call, pay } from '../lending/support';
import { accountWithDevice } from './support';

const CREDENTIALS = { username: 'amt-test', apiKey: 'atsk_0123456789abcdef0123456789abcdef' };
const PLAN = { price: '10000.00', downPayment: '1000.00', duration: 10, frequency: 'weekly' as const, startDate: '2026-11-20' };

function captureLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write: (chunk, _enc, cb) => {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink), lines };
}

/** A pending SMS of our own, with a unique text. */
async function queueSms(to = '+254722000111', text = `hello ${randomUUID()}`) {
  const { notification } = await enqueueNotification({
    channel: 'sms',
    recipient: to,
    templateCode: 'token_resend',
    language: 'en',
    variables: { customerName: 'Amina', accountNumber: 'ACC-1', token: text },
  });
  return notification;
}

/** Moves a retry's sendAfter into the past, as time passing would. */
async function makeDue(id: number) {
  await Notification.update({ sendAfter: new Date(Date.now() - 1000) }, { where: { id } });
}

describe("notifications: SMS through Africa's Talking", () => {
  const fake = new FakeAfricasTalking(CREDENTIALS);
  let at: AfricasTalkingSms;
  let quiet: ReturnType<typeof captureLogger>;
  before(async () => {
    await testRuntime();
    await fake.start();
    at = new AfricasTalkingSms({ baseUrl: fake.baseUrl, ...CREDENTIALS, senderId: 'AMT' });
    quiet = captureLogger();
  });
  after(() => fake.stop());

  describe('the client', () => {
    it('posts the documented form with apiKey and Accept headers, and reads the message id from a 101', async () => {
      const r = await at.send({ to: '+254722000111', message: 'Token 123 456 789' });
      expect(r).to.include({ ok: true, status: 'Success' });
      expect((r as { messageId: string }).messageId).to.match(/^ATXid_[0-9a-f]{32}$/);
      const req = fake.requests.at(-1)!;
      expect(req.status).to.equal(201);
      expect(req.headers.apikey).to.equal(CREDENTIALS.apiKey);
      expect(req.headers.accept).to.equal('application/json');
      expect(req.headers['content-type']).to.match(/^application\/x-www-form-urlencoded/);
      expect(req.form).to.deep.equal({ username: 'amt-test', to: '+254722000111', message: 'Token 123 456 789', from: 'AMT' });
    });

    it('a wrong key is a 401 it may retry (after the operator fixes it), reported without the key', async () => {
      const wrong = new AfricasTalkingSms({ baseUrl: fake.baseUrl, username: 'amt-test', apiKey: 'atsk_wrong_key_value' });
      const r = await wrong.send({ to: '+254722000111', message: 'x' });
      expect(r).to.include({ ok: false, permanent: false });
      expect((r as { error: string }).error)
        .to.match(/^401 .*AT_API_KEY/)
        .and.not.contain('atsk_wrong_key_value');
      const wrongUser = await new AfricasTalkingSms({ baseUrl: fake.baseUrl, username: 'someone', apiKey: CREDENTIALS.apiKey }).send({
        to: '+254722000111',
        message: 'x',
      });
      expect(wrongUser).to.include({ ok: false });
    });

    it('an invalid number or a blacklisted one is permanent; 429 carries Retry-After; 5xx, insufficient balance and an unreachable host are retried', async () => {
      expect(await at.send({ to: '0722', message: 'x' })).to.deep.equal({ ok: false, permanent: true, error: '403 InvalidPhoneNumber' });
      fake.failNext({ recipientStatusCode: 406, recipientStatus: 'UserInBlacklist' });
      expect(await at.send({ to: '+254722000111', message: 'x' })).to.deep.equal({ ok: false, permanent: true, error: '406 UserInBlacklist' });
      fake.failNext({ recipientStatusCode: 405, recipientStatus: 'InsufficientBalance' });
      expect(await at.send({ to: '+254722000111', message: 'x' })).to.deep.equal({ ok: false, permanent: false, error: '405 InsufficientBalance' });
      fake.failNext({ http: 429, retryAfterSeconds: 30 });
      expect(await at.send({ to: '+254722000111', message: 'x' })).to.include({ ok: false, permanent: false, retryAfterMs: 30_000 });
      fake.failNext({ http: 503, body: 'Service Unavailable' });
      expect(await at.send({ to: '+254722000111', message: 'x' })).to.deep.equal({
        ok: false,
        permanent: false,
        error: "503 Africa's Talking error: Service Unavailable",
      });
      const down = await new AfricasTalkingSms({ baseUrl: 'http://127.0.0.1:9', ...CREDENTIALS }).send({ to: '+254722000111', message: 'x' });
      expect(down).to.include({ ok: false, permanent: false });
      expect((down as { error: string }).error).to.match(/unreachable/);
    });

    it('the config picks the provider: africastalking with its settings, log by default', () => {
      const config = loadConfig({
        SMS_PROVIDER: 'africastalking',
        AT_USERNAME: 'amt',
        AT_API_KEY: 'atsk_12345678',
        AT_BASE_URL: 'https://api.sandbox.africastalking.com/',
      });
      expect(config.sms).to.deep.equal({
        provider: 'africastalking',
        baseUrl: 'https://api.sandbox.africastalking.com',
        username: 'amt',
        apiKey: 'atsk_12345678',
        senderId: undefined,
      });
      expect(smsProviderFor(config.sms, quiet.logger).name).to.equal('africastalking');
      expect(loadConfig({}).sms).to.deep.equal({ provider: 'log' });
      expect(() => loadConfig({ SMS_PROVIDER: 'africastalking' })).to.throw(/AT_USERNAME[\s\S]*AT_API_KEY/);
    });
  });

  describe('the outbox', () => {
    it('renders the template, refuses a missing variable or template before writing, and a dedupe key makes repeats no-ops', async () => {
      expect(renderTemplate('Hi {{name}}, {{ n }} days', { name: 'Juma', n: 3 })).to.equal('Hi Juma, 3 days');
      expect(() => renderTemplate('Hi {{name}}', {})).to.throw(NotificationError, /name/);
      const count = await Notification.count();
      let err: unknown;
      try {
        await enqueueNotification({ channel: 'sms', recipient: '+254722000111', templateCode: 'no_such_template', language: 'sw', variables: {} });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(NotificationError);
      expect(await Notification.count()).to.equal(count);

      const key = `test:${randomUUID()}`;
      const input = {
        channel: 'sms' as const,
        recipient: '+254722000111',
        templateCode: 'token_resend',
        language: 'fr',
        variables: { customerName: 'Awa', accountNumber: 'ACC-9', token: '111 222 333' },
        dedupeKey: key,
      };
      const first = await enqueueNotification(input);
      const second = await enqueueNotification({ ...input, variables: { ...input.variables, token: '999 999 999' } });
      const racing = await Promise.all([
        enqueueNotification({ ...input, dedupeKey: `${key}:race` }),
        enqueueNotification({ ...input, dedupeKey: `${key}:race` }),
      ]);
      expect(first.created).to.equal(true);
      expect(first.notification.body).to.contain('votre code pour le compte ACC-9 est 111 222 333');
      expect(second).to.include({ created: false });
      expect(second.notification.id).to.equal(first.notification.id);
      expect(await Notification.count({ where: { dedupeKey: key } })).to.equal(1);
      expect(racing.filter((r) => r.created)).to.have.length(1);
      expect(racing[0]!.notification.id).to.equal(racing[1]!.notification.id);
    });

    it('a payment retried with its Idempotency-Key queues one SMS', async () => {
      const market = await createMarket({ businessDate: '2026-11-20' });
      const { token: admin } = await loginAs('admin');
      const { account } = await accountWithDevice(market, admin, PLAN);
      const key = randomUUID();
      const body = {
        accountId: account.id,
        amount: '1000.00',
        paymentType: 'MPESA',
        channel: 'mobile_money',
        transactionRef: `TX${randomUUID().slice(0, 10)}`,
      };
      const a = await call('post', '/payments', admin, body, { 'Idempotency-Key': key });
      const b = await call('post', '/payments', admin, body, { 'Idempotency-Key': key });
      expect([a.status, b.status]).to.deep.equal([201, 201]);
      expect(b.body.token).to.equal(a.body.token);
      expect(await Notification.count({ where: { accountId: account.id, templateCode: 'payment_received' } })).to.equal(1);
    });
  });

  describe('the dispatcher', () => {
    it('sends a pending SMS through the gateway and records provider, message id, attempts and sentAt', async () => {
      const n = await queueSms();
      const d = new NotificationDispatcher((await testRuntime()).sequelize, at, quiet.logger);
      expect(await d.drain({ ids: [n.id] })).to.deep.equal({ claimed: 1, sent: 1, retried: 0, failed: 0 });
      const row = (await Notification.findByPk(n.id))!;
      expect(row).to.include({ status: 'sent', provider: 'africastalking', attempts: 1, lastError: null });
      expect(row.providerMessageId).to.match(/^ATXid_/);
      expect(row.sentAt).to.be.instanceOf(Date);
      expect(fake.sent.filter((s) => s.message === n.body)).to.have.length(1);
      // Nothing more to do the second time.
      expect(await d.drain({ ids: [n.id] })).to.deep.equal({ claimed: 0, sent: 0, retried: 0, failed: 0 });
    });

    it('retries a failure later with back-off (attempts, lastError, sendAfter), then sends', async () => {
      const n = await queueSms();
      const d = new NotificationDispatcher((await testRuntime()).sequelize, at, quiet.logger, { backoffMs: 60_000 });
      fake.failNext({ http: 500 });
      expect(await d.drain({ ids: [n.id] })).to.include({ claimed: 1, retried: 1 });
      const waiting = (await Notification.findByPk(n.id))!;
      expect(waiting).to.include({ status: 'pending', attempts: 1 });
      expect(waiting.lastError).to.match(/^500 /);
      expect(waiting.sendAfter.getTime() - n.sendAfter.getTime()).to.be.greaterThan(50_000);
      // Not due yet: nothing happens.
      expect(await d.drain({ ids: [n.id] })).to.include({ claimed: 0 });
      fake.failNext({ http: 429, retryAfterSeconds: 7200 });
      await makeDue(n.id);
      await d.drain({ ids: [n.id] });
      const limited = (await Notification.findByPk(n.id))!;
      expect(limited).to.include({ status: 'pending', attempts: 2 });
      expect(limited.sendAfter.getTime() - limited.updatedAt.getTime()).to.be.greaterThan(7_000_000); // the gateway's Retry-After wins
      await makeDue(n.id);
      expect(await d.drain({ ids: [n.id] })).to.include({ sent: 1 });
      expect((await Notification.findByPk(n.id))!).to.include({ status: 'sent', attempts: 3, lastError: null });
    });

    it('fails for good after maxAttempts, or at once on a permanent refusal', async () => {
      const n = await queueSms();
      const d = new NotificationDispatcher((await testRuntime()).sequelize, at, quiet.logger, { maxAttempts: 3 });
      fake.failNext({ http: 502, body: 'Bad Gateway' }, 3);
      for (let i = 0; i < 3; i++) {
        await makeDue(n.id);
        await d.drain({ ids: [n.id] });
      }
      expect((await Notification.findByPk(n.id))!).to.include({ status: 'failed', attempts: 3, lastError: "502 Africa's Talking error: Bad Gateway" });
      await makeDue(n.id);
      expect(await d.drain({ ids: [n.id] })).to.include({ claimed: 0 });

      const bad = await queueSms('0722-bad');
      expect(await d.drain({ ids: [bad.id] })).to.include({ failed: 1 });
      expect((await Notification.findByPk(bad.id))!).to.include({ status: 'failed', attempts: 1, lastError: '403 InvalidPhoneNumber' });
    });

    it('several workers draining at once send each message exactly once', async () => {
      const rows = await Promise.all(Array.from({ length: 30 }, () => queueSms()));
      const ids = rows.map((r) => r.id);
      const { sequelize } = await testRuntime();
      const workers = Array.from({ length: 4 }, () => new NotificationDispatcher(sequelize, at, quiet.logger, { batchSize: 5, concurrency: 2 }));
      const reports = await Promise.all(workers.map((w) => w.drain({ ids })));
      expect(reports.reduce((s, r) => s + r.sent, 0)).to.equal(30);
      for (const r of rows)
        expect(
          fake.sent.filter((s) => s.message === r.body),
          `message ${r.id}`,
        ).to.have.length(1);
      expect(await Notification.count({ where: { id: { [Op.in]: ids }, status: 'sent' } })).to.equal(30);
    });

    it('a row a dead worker left in sending is sent again after staleAfterMs', async () => {
      const n = await queueSms();
      await Notification.update({ status: 'sending' }, { where: { id: n.id } });
      const { sequelize } = await testRuntime();
      expect(await new NotificationDispatcher(sequelize, at, quiet.logger).drain({ ids: [n.id] })).to.include({ claimed: 0 });
      expect(await new NotificationDispatcher(sequelize, at, quiet.logger, { staleAfterMs: -1000 }).drain({ ids: [n.id] })).to.include({ sent: 1 });
    });

    it('the log provider (no SMS settings) marks messages sent and logs neither their text nor the full number', async () => {
      const n = await queueSms('+254733123456', '444 555 666');
      const { logger, lines } = captureLogger();
      const d = new NotificationDispatcher((await testRuntime()).sequelize, new LogSmsProvider(logger), logger);
      expect(await d.drain({ ids: [n.id] })).to.include({ sent: 1 });
      expect((await Notification.findByPk(n.id))!).to.include({ status: 'sent', provider: 'log' });
      const out = lines.join('\n');
      expect(out).to.contain('sms (log provider)');
      expect(out).not.to.contain('444 555 666');
      expect(out).not.to.contain('+254733123456');
      expect(out).to.contain('+254******456');
    });

    it('the notifications.send job drains with the configured provider and runs every minute', async () => {
      const rt = await testRuntime();
      const [job] = notificationJobs(rt);
      expect(job!.name).to.equal(SEND_JOB);
      expect(job!.repeat).to.deep.equal([{ key: 'notifications.send:every-minute', cron: '* * * * *', data: {} }]);
      const n = await queueSms();
      const report = await job!.handler({ ids: [n.id] }, { jobId: 'test', attempt: 1, logger: quiet.logger });
      expect(report).to.include({ sent: 1 });
      expect((await Notification.findByPk(n.id))!.provider).to.equal(rt.config.sms.provider);
    });
  });

  it("end to end: a payment's token SMS reaches the gateway in the customer's language", async () => {
    const market: Market = await createMarket({ businessDate: '2026-11-20' });
    const { token: admin } = await loginAs('admin');
    const { account } = await accountWithDevice(market, admin, PLAN);
    const paid = await pay(admin, account.id, '1000.00');
    const sms = (await Notification.findOne({ where: { dedupeKey: `payment_received:${paid.body.payment.id}` } }))!;
    await new NotificationDispatcher((await testRuntime()).sequelize, at, quiet.logger).drain({ ids: [sms.id] });
    const got = fake.sent.find((s) => s.message === sms.body)!;
    expect(got.to).to.equal('+254711000000');
    const t = paid.body.token as string;
    expect(got.message).to.contain(`Token: ${t.slice(0, 3)} ${t.slice(3, 6)} ${t.slice(6)} (20 days)`);
  });
});
