import { expect } from 'chai';
import { Account } from '../../src/modules/accounts/models';
import { DeviceToken } from '../../src/modules/devices/models';
import { JournalEntry } from '../../src/modules/ledger/models';
import { MobileMoneyTransaction, Payment, PaymentType, Receipt, UnmatchedPayment } from '../../src/modules/payments/models';
import { ApiClient } from '../../src/modules/access/clients.models';
import { signBody } from '../../src/platform/http/client-auth';
import { MobileMoneyService } from '../../src/modules/mobile-money/ingestion.service';
import { mobileMoneyModule, REDRIVE_JOB } from '../../src/modules/mobile-money';
import { api, loginAs, testRuntime } from '../support/app';
import { createMarket, expectBooksBalanced, openAccount, type Market } from '../support/lending';
import { accountWithDevice } from '../devices/support';
import { call, entryLines, loginWithPermissions } from '../lending/support';
import { c2bBody, newCallbackClient, sendAs, transId, type CallbackClient } from '../fakes/mpesa';

const CONFIRM = '/mobile-money/mpesa/confirmation';
const VALIDATE = '/mobile-money/mpesa/validation';
const ACCEPTED = { ResultCode: 0, ResultDesc: 'Accepted' };

describe('mobile money: provider callbacks', () => {
  let market: Market;
  let daraja: CallbackClient;
  let adminToken: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    daraja = await newCallbackClient();
    ({ token: adminToken } = await loginAs('admin'));
  });
  beforeEach(() => market.setDate('2026-11-20'));

  const stored = (TransID: string) => MobileMoneyTransaction.count({ where: { provider: 'mpesa', transactionId: TransID } });
  const paymentsOf = (TransID: string) => Payment.count({ where: { transactionRef: TransID } });

  describe('machine authentication (nothing is stored when refused)', () => {
    it('a wrong signature, a missing one, a stale timestamp or an unknown client is 401', async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const cases: [string, () => Promise<{ status: number; body: { type?: string } }>][] = [
        ['forged signature', () => sendAs(daraja, CONFIRM, body, { forge: 'ab'.repeat(32) })],
        ['no credentials', () => sendAs(daraja, CONFIRM, body, { anonymous: true })],
        ['stale timestamp', () => sendAs(daraja, CONFIRM, body, { timestamp: Math.floor(Date.now() / 1000) - 301 })],
        ['unknown client', () => sendAs({ ...daraja, clientId: 'amt_nobody' }, CONFIRM, body)],
        ["another client's secret", async () => sendAs({ ...daraja, secret: (await newCallbackClient()).secret }, CONFIRM, body)],
        ['an employee token', () => sendAs(null, CONFIRM, body, { bearer: adminToken })],
      ];
      const body = c2bBody({ billRef: account.accountNumber });
      for (const [what, send] of cases) {
        const res = await send();
        expect(res.status, what).to.equal(401);
        expect(res.body.type, what).to.match(/unauthenticated$/);
      }
      expect(await stored(body.TransID)).to.equal(0);
      expect(await paymentsOf(body.TransID)).to.equal(0);
    });

    it("a client's concurrent first callbacks read the client once, not once each", async () => {
      const { sequelize } = await testRuntime();
      const fresh = await newCallbackClient();
      const accounts = await Promise.all(Array.from({ length: 10 }, () => openAccount(market, { startDate: '2026-11-20' })));
      let reads = 0;
      sequelize.addHook('beforeQuery', 'count-client-reads', (options: { model?: { tableName?: string }; type?: string }) => {
        if (options.model?.tableName === 'apiClients' && options.type === 'SELECT') reads++;
      });
      try {
        const answers = await Promise.all(accounts.map((a) => sendAs(fresh, CONFIRM, c2bBody({ billRef: a.accountNumber }))));
        expect(answers.map((r) => r.status)).to.deep.equal(accounts.map(() => 200));
      } finally {
        sequelize.removeHook('beforeQuery', 'count-client-reads');
      }
      expect(reads).to.equal(1);
    });

    it('the body is signed as sent: the same signature over another body is 401', async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const body = c2bBody({ billRef: account.accountNumber, amount: '100.00' });
      const ts = Math.floor(Date.now() / 1000);
      const signature = signBody(daraja.secret, ts, JSON.stringify(body));
      const res = await sendAs(daraja, CONFIRM, { ...body, TransAmount: '100000.00' }, { timestamp: ts, forge: signature });
      expect(res.status).to.equal(401);
      expect(await stored(body.TransID)).to.equal(0);
    });

    it('a shared-secret client (Daraja cannot sign) is accepted with its secret, 401 with another', async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const shared = await newCallbackClient({ auth: 'shared-secret' });
      const wrong = c2bBody({ billRef: account.accountNumber });
      expect((await sendAs(shared, CONFIRM, wrong, { forge: 'not-the-secret' })).status).to.equal(401);
      expect(await stored(wrong.TransID)).to.equal(0);
      const right = c2bBody({ billRef: account.accountNumber });
      const res = await sendAs(shared, CONFIRM, right);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(ACCEPTED);
      expect(await paymentsOf(right.TransID)).to.equal(1);
    });

    it('an address outside allowedIps is 403; a CIDR range admits its addresses', async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const ranged = await newCallbackClient({ allowedIps: ['196.201.214.0/24', '2001:db8::1'], ip: '196.201.214.77' });
      const outside = c2bBody({ billRef: account.accountNumber });
      const refused = await sendAs(ranged, CONFIRM, outside, { ip: '196.201.215.1' });
      expect(refused.status).to.equal(403);
      expect(refused.body.type).to.match(/client-address-not-allowed$/);
      expect(await stored(outside.TransID)).to.equal(0);
      const inside = c2bBody({ billRef: account.accountNumber });
      expect((await sendAs(ranged, CONFIRM, inside, { ip: '196.201.214.200' })).status).to.equal(200);
      expect(await paymentsOf(inside.TransID)).to.equal(1);
    });

    it('a client without the callback scope is 403', async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const other = await newCallbackClient({ scopes: ['payments:read'] });
      const body = c2bBody({ billRef: account.accountNumber });
      const res = await sendAs(other, CONFIRM, body);
      expect(res.status).to.equal(403);
      expect(res.body.detail).to.contain('mobile-money:callback');
      expect(await stored(body.TransID)).to.equal(0);
    });

    it('a deactivated client is refused (after the 30-second cache: a fresh client here)', async () => {
      const gone = await newCallbackClient();
      await ApiClient.update({ isActive: false }, { where: { clientId: gone.clientId } });
      const body = c2bBody({ billRef: 'X' });
      expect((await sendAs(gone, CONFIRM, body)).status).to.equal(401);
      expect(await stored(body.TransID)).to.equal(0);
    });
  });

  describe('M-Pesa validation', () => {
    it('accepts a known account, rejects an unknown one with C2B00012 and a bad amount with C2B00013', async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const ok = await sendAs(daraja, VALIDATE, c2bBody({ billRef: account.accountNumber.toLowerCase() }));
      expect(ok.status).to.equal(200);
      expect(ok.body).to.deep.equal(ACCEPTED);
      const unknown = await sendAs(daraja, VALIDATE, c2bBody({ billRef: 'NO-SUCH-ACCOUNT' }));
      expect(unknown.body).to.deep.equal({ ResultCode: 'C2B00012', ResultDesc: 'Rejected' });
      for (const amount of ['0', '-5', '12.345', 'abc']) {
        const bad = await sendAs(daraja, VALIDATE, c2bBody({ billRef: account.accountNumber, amount }));
        expect(bad.body, amount).to.deep.equal({ ResultCode: 'C2B00013', ResultDesc: 'Rejected' });
      }
      expect(await MobileMoneyTransaction.count({ where: { billRefNumber: account.accountNumber } })).to.equal(0);
    });

    it('rejects a closed account with C2B00012', async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      await Account.update({ status: 'closed' }, { where: { id: account.id } });
      const res = await sendAs(daraja, VALIDATE, c2bBody({ billRef: account.accountNumber }));
      expect(res.body.ResultCode).to.equal('C2B00012');
    });
  });

  describe('M-Pesa confirmation', () => {
    it('stores the raw callback, posts the payment (MPESA, ref TransID, by the system) and keeps the books balanced', async () => {
      const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, startDate: '2026-11-20' });
      const body = c2bBody({ billRef: ` ${account.accountNumber} `, amount: '100.00' });
      const res = await sendAs(daraja, CONFIRM, body);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(ACCEPTED);
      const mm = (await MobileMoneyTransaction.findOne({ where: { provider: 'mpesa', transactionId: body.TransID } }))!;
      expect(mm).to.include({
        status: 'posted',
        accountId: account.id,
        amount: '100.00',
        currency: 'KES',
        msisdn: '254708374149',
        payerName: 'John Doe',
        businessShortCode: '600638',
      });
      expect(mm.rawPayload).to.deep.equal(body);
      const payment = (await Payment.findByPk(mm.paymentId!))!;
      expect(payment).to.include({
        accountId: account.id,
        channel: 'mobile_money',
        transactionRef: body.TransID,
        createdBy: null,
        regionId: market.region.id,
        status: 'completed',
      });
      expect(await Receipt.count({ where: { paymentId: payment.id } })).to.equal(1);
      expect((await Account.findByPk(account.id))!.status).to.equal('active');
      expect(await entryLines('payment', payment.id)).to.deep.equal([['1100 Dr 100.00', '1200 Cr 100.00']]);
      await expectBooksBalanced([account.id]);
    });

    it('replayed 50 times concurrently, posts one payment (and mints one token) and answers the same every time', async function () {
      this.timeout(60000);
      const { account, device } = await accountWithDevice(market, adminToken, {
        price: '1000.00',
        downPayment: '100.00',
        duration: 3,
        startDate: '2026-11-20',
      });
      const body = c2bBody({ billRef: account.accountNumber, amount: '250.00' });
      const results = await Promise.all(Array.from({ length: 50 }, () => sendAs(daraja, CONFIRM, body)));
      expect(results.map((r) => r.status).filter((s) => s !== 200)).to.deep.equal([]);
      expect(results.every((r) => JSON.stringify(r.body) === JSON.stringify(ACCEPTED))).to.equal(true);
      expect(await stored(body.TransID)).to.equal(1);
      expect(await paymentsOf(body.TransID)).to.equal(1);
      const payment = (await Payment.findOne({ where: { transactionRef: body.TransID } }))!;
      expect(await DeviceToken.count({ where: { deviceId: device.id, paymentId: payment.id } })).to.equal(1);
      expect((await Account.findByPk(account.id))!.balance).to.equal('750.00');
      // and once more, sequentially, later
      expect((await sendAs(daraja, CONFIRM, body)).body).to.deep.equal(ACCEPTED);
      expect(await paymentsOf(body.TransID)).to.equal(1);
      await expectBooksBalanced([account.id]);
    });

    it('the generic provider endpoint answers every replay with the same stored transaction', async function () {
      this.timeout(60000);
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const body = {
        transactionId: `AT-${transId()}`,
        amount: '300.00',
        currency: 'KES',
        country: market.country.code,
        accountReference: account.accountNumber,
        msisdn: '+256700000001',
        transactionTime: new Date().toISOString(),
      };
      const results = await Promise.all(Array.from({ length: 20 }, () => sendAs(daraja, '/mobile-money/airtel/callbacks', body)));
      expect(
        results.map((r) => r.status).filter((s) => s !== 200),
        JSON.stringify(results[0]!.body),
      ).to.deep.equal([]);
      const first = results[0]!.body;
      expect(first.transaction).to.include({ provider: 'airtel', status: 'posted', accountId: account.id, amount: '300.00', msisdn: '256700000001' });
      expect(results.every((r) => JSON.stringify(r.body) === JSON.stringify(first))).to.equal(true);
      expect(await Payment.count({ where: { transactionRef: body.transactionId } })).to.equal(1);
      const payment = (await Payment.findByPk(first.transaction.paymentId))!;
      expect((await PaymentType.findByPk(payment.paymentTypeId))!.code).to.equal('AIRTEL');
      await expectBooksBalanced([account.id]);
    });

    it('matches a device serial to the account it is actively linked to', async () => {
      const { account, device } = await accountWithDevice(market, adminToken, { startDate: '2026-11-20' });
      const body = c2bBody({ billRef: device.serialNumber, amount: '120.00' });
      expect((await sendAs(daraja, VALIDATE, body)).body).to.deep.equal(ACCEPTED);
      expect((await sendAs(daraja, CONFIRM, body)).status).to.equal(200);
      const mm = (await MobileMoneyTransaction.findOne({ where: { provider: 'mpesa', transactionId: body.TransID } }))!;
      expect(mm).to.include({ status: 'posted', accountId: account.id });
    });

    it('malformed bodies are 400 naming the field, and store nothing', async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const base = c2bBody({ billRef: account.accountNumber });
      const cases: [Record<string, unknown>, string][] = [
        [{ ...base, TransID: undefined }, 'TransID'],
        [{ ...base, TransTime: '2026-11-20 10:00' }, 'TransTime'],
        [{ ...base, TransTime: '20261131100000' }, 'TransTime'],
        [{ ...base, TransAmount: '-100' }, 'TransAmount'],
        [{ ...base, TransAmount: '10.001' }, 'TransAmount'],
        [{ ...base, Surprise: 'x' }, 'Surprise'],
      ];
      for (const [body, field] of cases) {
        const res = await sendAs(daraja, CONFIRM, body);
        expect(res.status, field).to.equal(400);
        expect(
          res.body.errors.map((e: { field: string }) => e.field),
          field,
        ).to.include(field);
      }
      expect(await stored(base.TransID)).to.equal(0);
      const generic = await sendAs(daraja, '/mobile-money/mtn/callbacks', {
        transactionId: 'MTN1',
        amount: '10.00',
        currency: 'UGX',
        accountReference: 'X',
        transactionTime: new Date().toISOString(),
      });
      expect(generic.status).to.equal(400);
      expect(generic.body.errors[0].field).to.equal('country');
      expect(await MobileMoneyTransaction.count({ where: { provider: 'mtn', transactionId: 'MTN1' } })).to.equal(0);
      const badProvider = await sendAs(daraja, '/mobile-money/paypal/callbacks', { transactionId: 'P1' });
      expect(badProvider.status).to.equal(400);
    });

    it('a crash between storing and posting is re-driven exactly once (by the repeat callback or the job)', async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      const rt = await testRuntime();
      const service = new MobileMoneyService(rt.sequelize);
      // Stored, then the process died: the row is `received` with no payment.
      const viaRepeat = c2bBody({ billRef: account.accountNumber, amount: '100.00' });
      const viaJob = c2bBody({ billRef: account.accountNumber, amount: '50.00' });
      for (const b of [viaRepeat, viaJob]) {
        const { row, created } = await service.store({
          provider: 'mpesa',
          transactionId: b.TransID,
          amount: b.TransAmount,
          billRefNumber: b.BillRefNumber,
          rawPayload: b,
        });
        expect(created).to.equal(true);
        expect(row.status).to.equal('received');
      }
      expect(await paymentsOf(viaRepeat.TransID)).to.equal(0);
      // Daraja repeats the callback: it takes the row lock and posts the stored transaction.
      const repeats = await Promise.all([sendAs(daraja, CONFIRM, viaRepeat), sendAs(daraja, CONFIRM, viaRepeat)]);
      expect(repeats.map((r) => r.status)).to.deep.equal([200, 200]);
      expect(await paymentsOf(viaRepeat.TransID)).to.equal(1);
      // The re-drive job picks up what nobody repeated (twice in parallel: still once).
      await MobileMoneyTransaction.update({ createdAt: new Date(Date.now() - 120_000) }, { where: { transactionId: viaJob.TransID }, silent: true });
      const job = mobileMoneyModule.jobs!(rt).find((j) => j.name === REDRIVE_JOB)!;
      await Promise.all([job.handler({ olderThanMs: 60_000 }, { jobId: 'test', attempt: 1, logger: rt.logger }), service.redrive({ olderThanMs: 60_000 })]);
      expect(await paymentsOf(viaJob.TransID)).to.equal(1);
      expect((await MobileMoneyTransaction.findOne({ where: { transactionId: viaJob.TransID } }))!.status).to.equal('posted');
      await expectBooksBalanced([account.id]);
    });
  });

  describe('unmatched payments (suspense)', () => {
    it('an unknown reference goes to suspense (Dr 1100 / Cr 2200); matching it posts to the account out of suspense (Dr 2200 / Cr 1200)', async () => {
      const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 3, startDate: '2026-11-20' });
      const body = c2bBody({ billRef: 'ACC-TYPO-123', amount: '100.00' });
      expect((await sendAs(daraja, CONFIRM, body)).body).to.deep.equal(ACCEPTED);
      const mm = (await MobileMoneyTransaction.findOne({ where: { provider: 'mpesa', transactionId: body.TransID } }))!;
      expect(mm.status).to.equal('unmatched');
      const u = (await UnmatchedPayment.findOne({ where: { mobileMoneyTransactionId: mm.id } }))!;
      expect(u).to.include({ status: 'open', amount: '100.00', reference: 'ACC-TYPO-123', msisdn: '254708374149' });
      expect(await entryLines('unmatched_payment', u.id)).to.deep.equal([['1100 Dr 100.00', '2200 Cr 100.00']]);

      const { token } = await loginAs('finance');
      const list = await call('get', '/unmatched-payments?limit=200', token);
      expect(list.status).to.equal(200);
      expect(list.body.data.find((x: { id: number }) => x.id === u.id)).to.include({
        provider: 'mpesa',
        transactionId: body.TransID,
        status: 'open',
        currency: 'KES',
      });

      const matched = await call('post', `/unmatched-payments/${u.id}/match`, token, { accountId: account.id, note: 'customer called' });
      expect(matched.status).to.equal(200);
      expect(matched.body).to.include({ status: 'matched', accountId: account.id });
      expect(matched.body.account.status).to.equal('active');
      const payment = (await Payment.findByPk(matched.body.paymentId))!;
      expect(payment.transactionRef).to.equal(body.TransID);
      expect(await entryLines('payment', payment.id)).to.deep.equal([['2200 Dr 100.00', '1200 Cr 100.00']]);
      expect((await MobileMoneyTransaction.findByPk(mm.id))!).to.include({ status: 'posted', paymentId: payment.id });

      const again = await call('post', `/unmatched-payments/${u.id}/match`, token, { accountId: account.id });
      expect(again.status).to.equal(409);
      expect(await paymentsOf(body.TransID)).to.equal(1);
      // a repeated callback changes nothing
      expect((await sendAs(daraja, CONFIRM, body)).body).to.deep.equal(ACCEPTED);
      expect(await paymentsOf(body.TransID)).to.equal(1);
      await expectBooksBalanced([account.id]);
    });

    it("a closed account's money waits in suspense; refunding it takes it out (Dr 2200 / Cr 1100)", async () => {
      const account = await openAccount(market, { startDate: '2026-11-20' });
      await Account.update({ status: 'closed' }, { where: { id: account.id } });
      const body = c2bBody({ billRef: account.accountNumber, amount: '75.00' });
      await sendAs(daraja, CONFIRM, body);
      const mm = (await MobileMoneyTransaction.findOne({ where: { provider: 'mpesa', transactionId: body.TransID } }))!;
      expect(mm).to.include({ status: 'unmatched', accountId: account.id });
      const u = (await UnmatchedPayment.findOne({ where: { mobileMoneyTransactionId: mm.id } }))!;
      expect(u.reason).to.match(/closed/);
      const { token } = await loginAs('back_office');
      const bad = await call('post', `/unmatched-payments/${u.id}/refund`, token, { reason: 'x' });
      expect(bad.status).to.equal(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['reason', 'payoutReference']);
      const res = await call('post', `/unmatched-payments/${u.id}/refund`, token, {
        reason: 'account paid off; money sent back',
        payoutReference: 'RVS123XYZ',
      });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ status: 'refunded' });
      expect(await entryLines('unmatched_payment', u.id)).to.deep.equal([
        ['1100 Dr 75.00', '2200 Cr 75.00'],
        ['2200 Dr 75.00', '1100 Cr 75.00'],
      ]);
      expect((await MobileMoneyTransaction.findByPk(mm.id))!.status).to.equal('refunded');
      expect((await call('post', `/unmatched-payments/${u.id}/match`, token, { accountId: account.id })).status).to.equal(409);
      await expectBooksBalanced();
    });

    it('staff routes: 401 without a token, 403 without unmatched:resolve, 404 for an unknown id or an account in another region, 400 naming fields', async () => {
      const body = c2bBody({ billRef: 'NOWHERE-1', amount: '10.00' });
      await sendAs(daraja, CONFIRM, body);
      const mm = (await MobileMoneyTransaction.findOne({ where: { provider: 'mpesa', transactionId: body.TransID } }))!;
      const u = (await UnmatchedPayment.findOne({ where: { mobileMoneyTransactionId: mm.id } }))!;
      expect((await (await api()).get('/api/v1/unmatched-payments')).status).to.equal(401);
      const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
      expect((await call('get', '/unmatched-payments', agent)).status).to.equal(403);
      const { token } = await loginAs('finance');
      expect((await call('post', '/unmatched-payments/999999999/match', token, { accountId: 1 })).status).to.equal(404);
      expect((await call('get', `/unmatched-payments?status=lost`, token)).status).to.equal(400);
      const bad = await call('post', `/unmatched-payments/${u.id}/match`, token, { accountId: 'x', extra: 1 });
      expect(bad.status).to.equal(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).to.have.members(['accountId', 'extra']);
      // a regional resolver cannot post to another region's account
      const other = await createMarket();
      const elsewhere = await openAccount(other, { startDate: '2026-11-20' });
      const regional = await loginWithPermissions(['unmatched:resolve'], [market.region.id]);
      expect((await call('post', `/unmatched-payments/${u.id}/match`, regional.token, { accountId: elsewhere.id })).status).to.equal(404);
      expect((await UnmatchedPayment.findByPk(u.id))!.status).to.equal('open');
      expect(await JournalEntry.count({ where: { sourceType: 'unmatched_payment', sourceId: u.id } })).to.equal(1);
    });
  });

  it('the OpenAPI document describes client authentication on callback routes', async () => {
    const doc = (await (await api()).get('/openapi.json')).body;
    const op = doc.paths['/api/v1/mobile-money/mpesa/confirmation'].post;
    expect(op.security).to.deep.equal([
      { clientId: [], clientSignature: [] },
      { clientId: [], clientSecret: [] },
    ]);
    expect(op['x-access']).to.equal('API client with scope mobile-money:callback');
    expect(doc.components.securitySchemes).to.have.keys(['bearerAuth', 'clientId', 'clientSignature', 'clientSecret']);
    expect(Object.keys(doc.paths['/api/v1/mobile-money/{provider}/statements'].post.requestBody.content)).to.deep.equal(['text/csv']);
  });
});
