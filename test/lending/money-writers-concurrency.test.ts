import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Employee } from '../../src/modules/access/models';
import { Account } from '../../src/modules/accounts/models';
import { MobileMoneyService } from '../../src/modules/mobile-money/ingestion.service';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import { Country } from '../../src/modules/organisation/models';
import { MobileMoneyTransaction, Payment, UnmatchedPayment } from '../../src/modules/payments/models';
import { addDays } from '../../src/platform/dates';
import { api, loginAs, testRuntime } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { createMarket, createPlan, type Market } from '../support/lending';
import { accountWithDevice } from '../devices/support';
import { c2bBody, newCallbackClient, sendAs, transId, type CallbackClient } from '../fakes/mpesa';
import { call, pay } from './support';

const CONFIRM = '/mobile-money/mpesa/confirmation';

interface Outcome {
  what: string;
  status: number;
  body: unknown;
}

/**
 * Issue 12: every money writer against every other, on the same account, at once. Each round
 * prepares what the approvals need (payments to reverse and refund, a charge to waive, money in
 * suspense, a callback stored but never processed as after a crash), moves the business date, then
 * fires at once: POST /payments, M-Pesa confirmations by account number and by device serial, an
 * agent's cash collections, a reversal approval, a refund approval, a fee, a penalty, a waiver,
 * matching from suspense, the re-drive job racing a repeated callback, and the nightly close of
 * the account's country, a statement reconciliation bringing lines AMT missed, an upgrade; the last round adds
 * the write-off approval. After every round the
 * account's books must hold (test/support/books.ts) and every writer's answer must be one it may
 * give (a 409 only where the rules refuse, never a 5xx).
 */
describe('lending: every money writer at once on one account (concurrency)', () => {
  let market: Market;
  let daraja: CallbackClient;
  let maker: string;
  let checker: string;
  let agent: string;

  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    daraja = await newCallbackClient();
    ({ token: maker } = await loginAs('back_office'));
    ({ token: checker } = await loginAs('finance'));
    const a = await loginAs('agent', { regionIds: [market.region.id] });
    agent = a.token;
    // The cash limit is not under test here: collections must not be refused by it.
    await Employee.update({ cashLimit: '10000000.00' }, { where: { id: a.user.employee.id } });
  });

  const ok = (outcomes: Outcome[], allowed: Record<string, number[]>, round: string) => {
    for (const o of outcomes) {
      const kind = o.what.split(' ')[0]!;
      expect(allowed[kind] ?? [], `${round}: ${o.what} answered ${o.status} ${JSON.stringify(o.body)}`).to.include(o.status);
    }
  };
  const as = async (what: string, p: Promise<{ status: number; body: unknown }>): Promise<Outcome> => {
    const res = await p;
    return { what, status: res.status, body: res.body };
  };

  it('rounds of payments, callbacks, cash, reversal, refund, charges, suspense, re-drive, statements and the nightly close, then a write-off: the books hold after each', async function () {
    this.timeout(300_000);
    const rt = await testRuntime();
    const mobileMoney = new MobileMoneyService(rt.sequelize);
    const { account, device } = await accountWithDevice(market, maker, {
      price: '30000.00',
      downPayment: '1000.00',
      duration: 20,
      frequency: 'weekly',
      daysUntilSuspension: 10,
      startDate: '2026-11-20',
    });
    const addOn = await createPlan({ price: '600.00', downPayment: '60.00' });
    let today = '2026-11-20';
    const ROUNDS = Number(process.env.MONEY_RACE_ROUNDS ?? 4); // more to explore: MONEY_RACE_ROUNDS=12
    const seenApprovals: Record<string, number> = {};

    for (let round = 1; round <= ROUNDS + 1; round++) {
      const final = round === ROUNDS + 1;
      const name = final ? `round ${round} (write-off)` : `round ${round}`;

      // --- what this round's approvals act on (sequential, each must succeed) ---
      const p1 = await pay(checker, account.id, '90.00');
      const p2 = await pay(checker, account.id, '110.00');
      expect([p1.status, p2.status], `${name}: preparing payments ${JSON.stringify([p1.body, p2.body])}`).to.deep.equal([201, 201]);
      const reversalReq = await call('post', `/payments/${p1.body.payment.id}/reversal`, maker, { reason: `race ${round}` });
      expect(reversalReq.status, JSON.stringify(reversalReq.body)).to.equal(201);
      const refundReq = await call('post', '/refunds', maker, {
        paymentId: p2.body.payment.id,
        amount: '60.00',
        reason: `race ${round}`,
        method: 'mobile_money',
      });
      expect(refundReq.status, JSON.stringify(refundReq.body)).to.equal(201);
      const toWaive = await call(
        'post',
        `/accounts/${account.id}/charges`,
        maker,
        { chargeType: 'fee', amount: '25.00', description: `to waive ${round}` },
        { 'Idempotency-Key': randomUUID() },
      );
      expect(toWaive.status, JSON.stringify(toWaive.body)).to.equal(201);
      // Money in suspense (a reference nobody has), to be matched to the account during the race.
      const lost = c2bBody({ billRef: `NOBODY${randomUUID().slice(0, 8)}`, amount: '75.00' });
      expect((await sendAs(daraja, CONFIRM, lost)).status).to.equal(200);
      const lostRow = (await MobileMoneyTransaction.findOne({ where: { transactionId: lost.TransID } }))!;
      expect(lostRow.status).to.equal('unmatched');
      const suspended = (await UnmatchedPayment.findOne({ where: { mobileMoneyTransactionId: lostRow.id } }))!;
      // A callback stored but not processed (the process died in between): re-drive and a repeat race for it.
      const stranded = c2bBody({ billRef: account.accountNumber, amount: '65.00' });
      const { row: strandedRow } = await mobileMoney.store({
        provider: 'mpesa',
        transactionId: stranded.TransID,
        amount: '65.00',
        billRefNumber: account.accountNumber,
        transTime: new Date(),
        rawPayload: stranded,
      });
      expect(strandedRow.status).to.equal('received');
      let writeoffId: number | undefined;
      if (final) {
        const w = await call('post', `/accounts/${account.id}/writeoff`, maker, { reason: 'the race is over' });
        expect(w.status, JSON.stringify(w.body)).to.equal(201);
        writeoffId = w.body.id;
      }
      // Days pass (instalments fall due; the catch-up and the close both have work to do).
      today = addDays(today, 5);
      await market.setDate(today);

      // --- the race ---
      // A statement of two M-Pesa lines AMT never heard of, in a window of time of its own (2023).
      const onStatement = [transId(), transId()];
      const statementAt = (minute: number) => new Date(Date.UTC(2023, 5, round, 8, minute, 0)).toISOString();
      const statement = [
        'transactionId,completedAt,amount,accountReference,msisdn',
        ...onStatement.map((id, i) => `${id},${statementAt(i)},55.00,${account.accountNumber},254700000009`),
      ].join('\n');
      const byNumber = Array.from({ length: 3 }, () => c2bBody({ billRef: account.accountNumber, amount: '80.00' }));
      const bySerial = Array.from({ length: 3 }, () => c2bBody({ billRef: device.serialNumber, amount: '70.00' }));
      const writers: Promise<Outcome>[] = [
        ...Array.from({ length: 3 }, (_, i) => as(`payment ${i}`, pay(checker, account.id, '120.00'))),
        ...byNumber.map((b, i) => as(`callback number-${i}`, sendAs(daraja, CONFIRM, b))),
        ...bySerial.map((b, i) => as(`callback serial-${i}`, sendAs(daraja, CONFIRM, b))),
        ...Array.from({ length: 2 }, (_, i) =>
          as(
            `cash ${i}`,
            call('post', '/cash-collections', agent, {
              clientCollectionId: randomUUID(),
              accountId: account.id,
              amount: '100.00',
              collectedAt: new Date().toISOString(),
            }),
          ),
        ),
        as('reversal', call('post', `/payment-reversals/${reversalReq.body.id}/approve`, checker)),
        as('refund', call('post', `/refunds/${refundReq.body.id}/approve`, checker)),
        as(
          'charge fee',
          call(
            'post',
            `/accounts/${account.id}/charges`,
            maker,
            { chargeType: 'fee', amount: '30.00', description: `fee ${round}` },
            { 'Idempotency-Key': randomUUID() },
          ),
        ),
        as(
          'charge penalty',
          call(
            'post',
            `/accounts/${account.id}/charges`,
            maker,
            { chargeType: 'penalty', amount: '45.50', description: `penalty ${round}` },
            { 'Idempotency-Key': randomUUID() },
          ),
        ),
        as('waive', call('post', `/accounts/${account.id}/charges/${toWaive.body.charge.id}/waive`, maker, {})),
        as('match', call('post', `/unmatched-payments/${suspended.id}/match`, checker, { accountId: account.id })),
        as('callback stranded-repeat', sendAs(daraja, CONFIRM, stranded)),
        as(
          'statement',
          (async () =>
            (await api())
              .post('/api/v1/mobile-money/mpesa/statements')
              .set('Authorization', `Bearer ${checker}`)
              .set('Content-Type', 'text/csv')
              .send(statement))(),
        ),
        mobileMoney.redrive({ olderThanMs: 0 }).then(() => ({ what: 'redrive', status: 200, body: null })),
        closeDayInline(rt, market.country.id, today, { partitions: 2, chunkSize: 50 }).then((s) => ({ what: 'close', status: 200, body: s })),
      ];
      if (writeoffId) writers.push(as('writeoff', call('post', `/writeoffs/${writeoffId}/approve`, checker)));
      // An upgrade (issue 16): refused (409) while the account is in arrears or not active, else its price joins the schedule.
      writers.push(
        as(
          'upgrade',
          call(
            'post',
            `/accounts/${account.id}/upgrade`,
            maker,
            { productId: addOn.product.id, payplanId: addOn.payplan.id },
            { 'Idempotency-Key': randomUUID() },
          ),
        ),
      );
      const outcomes = await Promise.all(writers);

      // --- what each writer may answer ---
      ok(
        outcomes,
        {
          payment: [201],
          callback: [200],
          cash: [201],
          // Before the write-off these must pass; racing the write-off they may find it done first.
          reversal: final ? [200, 409] : [200],
          refund: final ? [200, 409] : [200],
          charge: final ? [201, 409] : [201],
          // Payments settle charges first: a payment that wins the race leaves nothing to waive (409 charge-not-open).
          waive: [200, 409],
          match: [200],
          redrive: [200],
          statement: [200],
          close: [200],
          writeoff: [200],
          upgrade: [201, 409],
        },
        name,
      );
      for (const o of outcomes)
        if (o.what === 'reversal' || o.what === 'refund') seenApprovals[`${o.what} ${o.status}`] = (seenApprovals[`${o.what} ${o.status}`] ?? 0) + 1;

      // Every callback of the round ended on this account, posted once.
      const ids = [...[...byNumber, ...bySerial, stranded, lost].map((b) => b.TransID), ...onStatement];
      const rows = await MobileMoneyTransaction.findAll({ where: { transactionId: ids } });
      expect(rows.map((r) => `${r.transactionId} ${r.status} ${r.accountId}`).sort(), name).to.deep.equal(ids.map((id) => `${id} posted ${account.id}`).sort());
      for (const id of ids) expect(await Payment.count({ where: { transactionRef: id } }), `${name}: payments of ${id}`).to.equal(1);
      const reversed = (await Payment.findByPk(p1.body.payment.id))!;
      const reversal = outcomes.find((o) => o.what === 'reversal')!;
      expect(reversed.status, name).to.equal(reversal.status === 200 ? 'reversed' : 'completed');

      // The close moved the business date on by one.
      today = addDays(today, 1);
      expect((await Country.findByPk(market.country.id))!.businessDate, name).to.equal(today);
      await expectAccountBooks(account.id, name);
    }

    const after = (await Account.findByPk(account.id))!;
    expect({ status: after.status, balance: after.balance }).to.deep.equal({ status: 'written_off', balance: '0.00' });
    // The earlier rounds approved every reversal and refund (the guard against a race that refused everything).
    expect(seenApprovals['reversal 200'] ?? 0).to.be.at.least(ROUNDS);
    expect(seenApprovals['refund 200'] ?? 0).to.be.at.least(ROUNDS);
  });

  it('on a paid-off account with credit: reopening by reversal, refunding from credit, overpayments, callbacks, cash, a fee and the close at once', async function () {
    this.timeout(120_000);
    const rt = await testRuntime();
    const { account, device } = await accountWithDevice(market, maker, {
      price: '1000.00',
      downPayment: '100.00',
      duration: 3,
      frequency: 'weekly',
      startDate: '2026-11-20',
    });
    const today = (await Country.findByPk(market.country.id))!.businessDate!;
    // Paid off (closed), then overpaid: 300.00 of credit.
    const down = await pay(checker, account.id, '100.00');
    const rest = await pay(checker, account.id, '900.00');
    const over = await pay(checker, account.id, '300.00');
    expect([down.status, rest.status, over.status]).to.deep.equal([201, 201, 201]);
    expect((await Account.findByPk(account.id))!).to.include({ status: 'closed', balance: '0.00', creditBalance: '300.00' });
    const reversalReq = await call('post', `/payments/${rest.body.payment.id}/reversal`, maker, { reason: 'bounced' });
    const refundReq = await call('post', '/refunds', maker, { paymentId: over.body.payment.id, amount: '250.00', reason: 'overpaid', method: 'mobile_money' });
    expect([reversalReq.status, refundReq.status]).to.deep.equal([201, 201]);
    await expectAccountBooks(account.id, 'before the race');

    const byNumber = c2bBody({ billRef: account.accountNumber, amount: '150.00' });
    const bySerial = c2bBody({ billRef: device.serialNumber, amount: '150.00' });
    const outcomes = await Promise.all([
      as('reversal', call('post', `/payment-reversals/${reversalReq.body.id}/approve`, checker)),
      as('refund', call('post', `/refunds/${refundReq.body.id}/approve`, checker)),
      ...Array.from({ length: 2 }, (_, i) => as(`payment ${i}`, pay(checker, account.id, '200.00'))),
      as('callback number', sendAs(daraja, CONFIRM, byNumber)),
      as('callback serial', sendAs(daraja, CONFIRM, bySerial)),
      as(
        'cash',
        call('post', '/cash-collections', agent, {
          clientCollectionId: randomUUID(),
          accountId: account.id,
          amount: '100.00',
          collectedAt: new Date().toISOString(),
        }),
      ),
      as(
        'charge',
        call(
          'post',
          `/accounts/${account.id}/charges`,
          maker,
          { chargeType: 'fee', amount: '40.00', description: 'reopened fee' },
          { 'Idempotency-Key': randomUUID() },
        ),
      ),
      closeDayInline(rt, market.country.id, today, { partitions: 1, chunkSize: 50 }).then((s) => ({ what: 'close', status: 200, body: s })),
    ]);
    ok(
      outcomes,
      // A fee on a closed account is refused (409); once the reversal reopened it, it is taken.
      { reversal: [200], refund: [200], payment: [201], callback: [200], cash: [201], charge: [201, 409], close: [200] },
      'paid-off race',
    );
    // A callback to the account while it was closed waits in suspense (by design); otherwise it is posted to it.
    const rows = await MobileMoneyTransaction.findAll({ where: { transactionId: [byNumber.TransID, bySerial.TransID] } });
    for (const r of rows) expect(`${r.status} ${r.accountId}`).to.be.oneOf([`posted ${account.id}`, `unmatched ${account.id}`]);
    expect((await Payment.findByPk(rest.body.payment.id))!.status).to.equal('reversed');
    await expectAccountBooks(account.id, 'after the race');
  });
});
