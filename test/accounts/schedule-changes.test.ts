import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { Account, CreditDayEntry, InstallmentSchedule } from '../../src/modules/accounts/models';
import { Payplan } from '../../src/modules/catalogue/models';
import { DeviceToken } from '../../src/modules/devices/models';
import { Decimal } from '../../src/platform/money';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import { loginAs, testRuntime } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { createMarket, openAccount, type Market } from '../support/lending';
import { accountWithDevice } from '../devices/support';
import { call, entryLines, loginWithPermissions, pay } from '../lending/support';
import { expectRejectedOnce } from '../support/approvals';

/**
 * Issue 16, schedule changes: payment holidays and restructures supersede the open lines (never
 * edited away) and append new ones carrying exactly what was owed; DPD follows the new schedule;
 * maker-checker through the approvals kit; the books hold after each change and under races.
 */
describe('accounts: schedule changes (payment holidays, restructures)', () => {
  let market: Market;
  let maker: string; // back office: accounts:reschedule
  let checker: string; // finance: accounts:reschedule:approve, payments
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    ({ token: maker } = await loginAs('back_office'));
    ({ token: checker } = await loginAs('finance'));
  });
  beforeEach(() => market.setDate('2026-11-20'));

  const holiday = (accountId: number, body: object, token = maker, key: string = randomUUID()) =>
    call('post', `/accounts/${accountId}/payment-holiday`, token, body, { 'Idempotency-Key': key });
  const restructure = (accountId: number, body: object, token = maker, key: string = randomUUID()) =>
    call('post', `/accounts/${accountId}/restructure`, token, body, { 'Idempotency-Key': key });
  const schedule = async (accountId: number) => {
    const res = await call('get', `/accounts/${accountId}/schedule`, maker);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body as {
      lines: {
        id: number;
        installmentNumber: number;
        dueDate: string;
        amount: string;
        paidAmount: string;
        status: string;
        superseded: boolean;
        scheduleChangeId: number | null;
        supersededByChangeId: number | null;
      }[];
      changes: { id: number; changeType: string; status: string; replacedAmount: string | null }[];
    };
  };
  const openOwed = (lines: { amount: string; paidAmount: string; status: string }[]) =>
    lines
      .filter((l) => ['pending', 'partial', 'overdue'].includes(l.status))
      .reduce((s, l) => s.plus(l.amount).minus(l.paidAmount), new Decimal(0))
      .toFixed(2);

  /** Weekly plan: 100 down, 4 x 225 from 2026-11-27. Down payment and part of instalment 1 paid. */
  async function runningAccount(options: { daysUntilSuspension?: number } = {}) {
    const account = await openAccount(market, {
      price: '1000.00',
      downPayment: '100.00',
      duration: 4,
      frequency: 'weekly',
      startDate: '2026-11-20',
      ...options,
    });
    expect((await pay(checker, account.id, '100.00')).status).to.equal(201);
    expect((await pay(checker, account.id, '50.00')).status).to.equal(201);
    return account;
  }

  it('a holiday within the threshold applies at once: lines superseded (paid part kept), re-issued N days later, DPD 0, credit days granted', async () => {
    const { account } = await accountWithDevice(market, maker, {
      price: '1000.00',
      downPayment: '100.00',
      duration: 4,
      frequency: 'weekly',
      startDate: '2026-11-20',
    });
    expect((await pay(checker, account.id, '100.00')).status).to.equal(201);
    const partial = await pay(checker, account.id, '50.00');
    await market.setDate('2026-12-01'); // instalment 1 (2026-11-27) is 4 days late
    expect((await pay(checker, account.id, '10.00')).status).to.equal(201); // the catch-up sees DPD 4
    expect((await Account.findByPk(account.id))!.daysPastDue).to.equal(4);
    const creditBefore = (await Account.findByPk(account.id))!.creditExpiresAt!;

    const key = randomUUID();
    const res = await holiday(account.id, { days: 10, reason: 'harvest failed' }, maker, key);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ changeType: 'holiday', status: 'applied', replacedAmount: '840.00', businessDate: '2026-12-01' });
    const replay = await holiday(account.id, { days: 10, reason: 'harvest failed' }, maker, key);
    expect(replay.status).to.equal(201);
    expect(replay.headers['idempotent-replayed']).to.equal('true');

    const s = await schedule(account.id);
    expect(s.lines.map((l) => [l.installmentNumber, l.dueDate, l.amount, l.paidAmount, l.status])).to.deep.equal([
      [0, '2026-11-20', '100.00', '100.00', 'paid'],
      [1, '2026-11-27', '225.00', '60.00', 'superseded'],
      [2, '2026-12-04', '225.00', '0.00', 'superseded'],
      [3, '2026-12-11', '225.00', '0.00', 'superseded'],
      [4, '2026-12-18', '225.00', '0.00', 'superseded'],
      // The late line lands on the day the holiday ends; the others move 10 days.
      [5, '2026-12-11', '165.00', '0.00', 'pending'],
      [6, '2026-12-14', '225.00', '0.00', 'pending'],
      [7, '2026-12-21', '225.00', '0.00', 'pending'],
      [8, '2026-12-28', '225.00', '0.00', 'pending'],
    ]);
    expect(s.lines.filter((l) => l.superseded).every((l) => l.supersededByChangeId === res.body.id)).to.equal(true);
    expect(s.lines.slice(5).every((l) => l.scheduleChangeId === res.body.id)).to.equal(true);
    expect(openOwed(s.lines)).to.equal('840.00');
    const after = (await Account.findByPk(account.id))!;
    expect(after).to.include({ daysPastDue: 0, parBucket: 'current', status: 'active', balance: '840.00' });
    // The payplan's default policy grants the days: credit runs 10 days longer, and the device got its token.
    expect(after.creditExpiresAt!.getTime() - creditBefore.getTime()).to.equal(10 * 86_400_000);
    expect(await CreditDayEntry.count({ where: { accountId: account.id, reason: 'grant', days: 10 } })).to.equal(1);
    expect(await DeviceToken.count({ where: { accountId: account.id, tokenType: 'ADD_TIME', value: 10, source: 'system' } })).to.equal(1);
    await expectAccountBooks(account.id, 'after the holiday');

    // Nothing falls due while the holiday lasts: the nightly catch-up on 2026-12-10 finds no arrears.
    await market.setDate('2026-12-10');
    expect((await pay(checker, account.id, '5.00')).status).to.equal(201);
    expect((await Account.findByPk(account.id))!.daysPastDue).to.equal(0);

    // Reversing a payment that paid part of a superseded line: what is owed again is a new line.
    const r = await call('post', `/payments/${partial.body.payment.id}/reversal`, maker, { reason: 'bounced' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect((await call('post', `/payment-reversals/${r.body.id}/approve`, checker)).status).to.equal(200);
    const s2 = await schedule(account.id);
    const reissued = s2.lines.at(-1)!;
    expect(reissued).to.include({ installmentNumber: 9, dueDate: '2026-12-10', amount: '50.00', status: 'pending', scheduleChangeId: res.body.id });
    expect(s2.lines[1]).to.include({ status: 'superseded', paidAmount: '10.00' });
    await expectAccountBooks(account.id, 'after reversing a payment on a superseded line');
  });

  it('holiday limits: per holiday and per year (409), above the threshold maker-checker (202, maker = checker 403), one pending change at a time', async () => {
    const account = await runningAccount();
    const payplan = (await Payplan.findByPk(account.payplanId))!;
    await payplan.update({ holidayMaxDays: 20, holidayMaxDaysPerYear: 30, holidayApprovalAboveDays: 7, holidayGrantsCreditDays: false });

    const tooLong = await holiday(account.id, { days: 21, reason: 'travel' });
    expect(tooLong.status).to.equal(409);
    expect(tooLong.body).to.include({ field: 'days', limit: 20 });
    expect(tooLong.body.type).to.match(/holiday-limit-exceeded/);
    const credit = await holiday(account.id, { days: 5, reason: 'travel', grantCreditDays: true });
    expect(credit.status).to.equal(409);
    expect(credit.body.type).to.match(/holiday-credit-not-allowed/);

    const big = await holiday(account.id, { days: 14, reason: 'hospital stay' });
    expect(big.status, JSON.stringify(big.body)).to.equal(202);
    expect(big.body).to.include({ status: 'pending', replacedAmount: null });
    expect((await schedule(account.id)).lines.some((l) => l.superseded)).to.equal(false);
    const second = await holiday(account.id, { days: 3, reason: 'again' });
    expect(second.status).to.equal(409);
    expect(second.body.type).to.match(/schedule-change-pending/);

    const own = await call('post', `/schedule-changes/${big.body.id}/approve`, maker);
    expect(own.status).to.equal(403); // back office lacks the approve permission
    const { token: both } = await loginWithPermissions(['accounts:read', 'accounts:reschedule', 'accounts:reschedule:approve'], [market.region.id]);
    const mine = await holiday((await runningAccount()).id, { days: 20, reason: 'own request' }, both); // above the default threshold (14)
    expect(mine.status).to.equal(202);
    const self = await call('post', `/schedule-changes/${mine.body.id}/approve`, both);
    expect(self.status).to.equal(403);
    expect(self.body.type).to.match(/four-eyes/);

    const inbox = await call('get', '/approvals?limit=100', checker);
    expect(inbox.body.data.some((i: { kind: string; id: number }) => i.kind === 'schedule_change' && i.id === big.body.id)).to.equal(true);
    const ok = await call('post', `/schedule-changes/${big.body.id}/approve`, checker);
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    expect(ok.body).to.include({ status: 'applied', replacedAmount: '850.00' });
    expect((await call('post', `/schedule-changes/${big.body.id}/approve`, checker)).status).to.equal(409);
    await expectAccountBooks(account.id, 'after the approved holiday');

    // 14 of the 30 days a year are used: 17 more are refused, 16 pass.
    const year = await holiday(account.id, { days: 17, reason: 'more' });
    expect(year.status).to.equal(409);
    expect(year.body).to.include({ limit: 30, used: 14 });
    const rejectMe = await holiday(account.id, { days: 16, reason: 'more' });
    expect(rejectMe.status).to.equal(202);
    const rejected = await call('post', `/schedule-changes/${rejectMe.body.id}/reject`, checker, { reason: 'not justified' });
    expect(rejected.status).to.equal(200);
    expect(rejected.body).to.include({ status: 'rejected', rejectionReason: 'not justified' });
    await expectRejectedOnce(
      { path: '/schedule-changes', action: 'schedule_change.reject', entity: 'scheduleChanges' },
      rejectMe.body.id,
      'not justified',
      checker,
    );
  });

  it('a restructure of an account in arrears: requested (202), approved by another employee, DPD drops to 0, fee folded in with its journal lines, flagged restructured', async () => {
    const account = await runningAccount({ daysUntilSuspension: 5 });
    await market.setDate('2026-12-20'); // lines 1-4 due 11-27 .. 12-18: 23 days past due, suspended
    expect((await pay(checker, account.id, '1.00')).status).to.equal(201);
    expect((await Account.findByPk(account.id))!).to.include({ status: 'suspended', daysPastDue: 23 });

    const req = await restructure(account.id, { term: 6, frequency: 'monthly', fee: '30.00', fromDate: '2027-01-05', reason: 'lost job, smaller instalments' });
    expect(req.status, JSON.stringify(req.body)).to.equal(202);
    expect(req.body).to.include({ changeType: 'restructure', status: 'pending' });
    expect(req.body.parameters).to.deep.equal({ frequency: 'monthly', fromDate: '2027-01-05', term: 6, fee: '30.00' });
    const self = await call('post', `/schedule-changes/${req.body.id}/reject`, maker, { reason: 'mine' });
    expect(self.status).to.equal(403);

    const ok = await call('post', `/schedule-changes/${req.body.id}/approve`, checker);
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    expect(ok.body).to.include({ status: 'applied', replacedAmount: '849.00' });
    const s = await schedule(account.id);
    const fresh = s.lines.filter((l) => l.scheduleChangeId === req.body.id);
    expect(fresh.map((l) => [l.dueDate, l.amount])).to.deep.equal([
      ['2027-01-05', '146.50'],
      ['2027-02-05', '146.50'],
      ['2027-03-05', '146.50'],
      ['2027-04-05', '146.50'],
      ['2027-05-05', '146.50'],
      ['2027-06-05', '146.50'],
    ]);
    expect(s.lines.filter((l) => l.superseded).map((l) => l.installmentNumber)).to.deep.equal([1, 2, 3, 4]);
    const after = (await Account.findByPk(account.id))!;
    expect(after).to.include({ status: 'active', daysPastDue: 0, parBucket: 'current', balance: '879.00', restructuredAt: '2026-12-20' });
    expect(await entryLines('schedule_change', req.body.id)).to.deep.equal([['1200 Dr 30.00', '4300 Cr 30.00']]);
    const view = await call('get', `/accounts/${account.id}`, maker);
    expect(view.body.restructuredAt).to.equal('2026-12-20');
    await expectAccountBooks(account.id, 'after the restructure');

    // By instalment amount: 879 in lines of 300 = 300, 300, 279, weekly from the business date.
    const again = await restructure(account.id, { installmentAmount: '300.00', fromDate: '2026-12-20', reason: 'back to weekly' });
    expect(again.status, JSON.stringify(again.body)).to.equal(202);
    expect((await call('post', `/schedule-changes/${again.body.id}/approve`, checker)).status).to.equal(200);
    const lines = (await schedule(account.id)).lines.filter((l) => l.scheduleChangeId === again.body.id);
    expect(lines.map((l) => [l.dueDate, l.amount])).to.deep.equal([
      ['2026-12-20', '300.00'],
      ['2026-12-27', '300.00'],
      ['2027-01-03', '279.00'],
    ]);
    await expectAccountBooks(account.id, 'after the second restructure');
    // Paying everything closes the account on the new schedule.
    expect((await pay(checker, account.id, '879.00')).status).to.equal(201);
    expect((await Account.findByPk(account.id))!).to.include({ status: 'closed', balance: '0.00' });
    await expectAccountBooks(account.id, 'paid off after restructures');
  });

  it('the portfolio report counts restructured accounts apart (count, outstanding, PAR of restructured loans)', async () => {
    const own = await createMarket({ businessDate: '2026-11-20' });
    const open = async () => {
      const a = await openAccount(own, { price: '1000.00', downPayment: '100.00', duration: 4, frequency: 'weekly', startDate: '2026-11-20' });
      expect((await pay(checker, a.id, '100.00')).status).to.equal(201);
      return a;
    };
    const [late, restructured] = [await open(), await open()];
    await own.setDate('2026-12-05'); // both 8 days late on instalment 1
    const req = await restructure(restructured.id, { term: 5, fromDate: '2026-12-10', reason: 'reported apart' });
    expect((await call('post', `/schedule-changes/${req.body.id}/approve`, checker)).status).to.equal(200);
    await closeDayInline(await testRuntime(), own.country.id, '2026-12-05');
    const res = await call('get', `/reports/portfolio?date=2026-12-05&regionId=${own.region.id}`, checker);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const row = res.body.data[0];
    // Both owe 900; only the account left in arrears counts in PAR; the restructured one is current.
    expect(row).to.include({ outstandingBalance: '1800.00', par1: '0.5000' });
    expect(row.restructured).to.deep.equal({ accounts: 1, outstandingBalance: '900.00', par1: '0.0000', par30: '0.0000', par60: '0.0000', par90: '0.0000' });
    expect((await Account.findByPk(late.id))!.daysPastDue).to.be.greaterThan(0);
  });

  it('4xx: illegal state 409, bad input 400 naming the field (nothing written), another region 404, missing permission 403', async () => {
    const pending = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 4, startDate: '2026-11-20' });
    const r1 = await holiday(pending.id, { days: 5, reason: 'not started' });
    expect(r1.status).to.equal(409);
    expect(r1.body.type).to.match(/account-not-reschedulable/);
    const closed = await openAccount(market, { price: '500.00', downPayment: '100.00', duration: 2, startDate: '2026-11-20' });
    await pay(checker, closed.id, '500.00');
    expect((await restructure(closed.id, { term: 3, fromDate: '2026-12-01', reason: 'closed' })).status).to.equal(409);
    expect((await holiday(closed.id, { days: 5, reason: 'closed' })).status).to.equal(409);

    const account = await runningAccount();
    const bad = async (body: object, field: string, how = restructure) => {
      const res = await how(account.id, body);
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(JSON.stringify(res.body.errors)).to.include(field);
    };
    await bad({ days: 0, reason: 'zero' }, 'days', holiday);
    await bad({ days: 5 }, 'reason', holiday);
    await bad({ days: 'x', reason: 'text days' }, 'days', holiday);
    await bad({ term: 3, installmentAmount: '100.00', fromDate: '2026-12-01', reason: 'both' }, 'installmentAmount');
    await bad({ fromDate: '2026-12-01', reason: 'neither' }, 'term');
    await bad({ term: 3, fromDate: '2026-11-19', reason: 'in the past' }, 'fromDate');
    await bad({ term: 3, fromDate: '2026-12-01', fee: '-1', reason: 'negative fee' }, 'fee');
    await bad({ term: 3, frequency: 'yearly', fromDate: '2026-12-01', reason: 'frequency' }, 'frequency');
    await bad({ installmentAmount: '0.01', fromDate: '2026-12-01', reason: 'too many lines' }, 'installmentAmount');
    const s = await schedule(account.id);
    expect(s.changes).to.deep.equal([]);
    expect(s.lines.some((l) => l.superseded)).to.equal(false);

    // A balance of 0.05 splits into at most 5 lines; a request that was buildable may not be at approval.
    const tiny = await runningAccount();
    expect((await pay(checker, tiny.id, '849.95')).status).to.equal(201);
    const split = await restructure(tiny.id, { term: 6, fromDate: '2026-12-01', reason: 'too fine' });
    expect(split.status).to.equal(400);
    expect(JSON.stringify(split.body.errors)).to.include('term');
    const five = await restructure(tiny.id, { term: 5, fromDate: '2026-12-01', reason: 'cent by cent' });
    expect(five.status, JSON.stringify(five.body)).to.equal(202);
    expect((await pay(checker, tiny.id, '0.02')).status).to.equal(201);
    const late = await call('post', `/schedule-changes/${five.body.id}/approve`, checker);
    expect(late.status).to.equal(409);
    expect(late.body.type).to.match(/restructure-not-buildable/);
    expect((await schedule(tiny.id)).lines.some((l) => l.superseded)).to.equal(false);

    const other = await createMarket();
    const { token: regional } = await loginWithPermissions(['accounts:read', 'accounts:reschedule', 'accounts:reschedule:approve'], [other.region.id]);
    expect((await holiday(account.id, { days: 5, reason: 'other region' }, regional)).status).to.equal(404);
    expect((await call('get', `/accounts/${account.id}/schedule`, regional)).status).to.equal(404);
    const req = await restructure(account.id, { term: 3, fromDate: '2026-12-01', reason: 'for the 404' });
    expect((await call('post', `/schedule-changes/${req.body.id}/approve`, regional)).status).to.equal(404);
    expect((await call('get', `/schedule-changes/${req.body.id}`, regional)).status).to.equal(404);

    const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await holiday(account.id, { days: 5, reason: 'agent' }, agent)).status).to.equal(403);
    expect((await restructure(account.id, { term: 3, fromDate: '2026-12-01', reason: 'agent' }, agent)).status).to.equal(403);
    expect((await call('post', `/schedule-changes/${req.body.id}/approve`, agent)).status).to.equal(403);
    expect((await holiday(account.id, { days: 5, reason: 'no key' }, maker, '')).status).to.be.oneOf([400, 428]);
  });

  it('holidays and restructure approvals race payments, a reversal approval and a fee on the same account: every answer is allowed, the books hold', async function () {
    this.timeout(120_000);
    const { sequelize } = await testRuntime();
    const account = await runningAccount();
    for (let round = 0; round < 3; round++) {
      await market.setDate(['2026-12-01', '2026-12-15', '2027-01-10'][round]!);
      // A payment to reverse during the race (it paid lines the restructure may supersede).
      const toReverse = await pay(checker, account.id, '15.00');
      const reversal = await call('post', `/payments/${toReverse.body.payment.id}/reversal`, maker, { reason: `race ${round}` });
      expect(reversal.status, JSON.stringify(reversal.body)).to.equal(201);
      const req = await restructure(account.id, { term: 4, fromDate: ['2026-12-05', '2026-12-20', '2027-01-15'][round]!, reason: `round ${round}` });
      expect(req.status, JSON.stringify(req.body)).to.equal(202);
      const outcomes = await Promise.all([
        call('post', `/schedule-changes/${req.body.id}/approve`, checker),
        pay(checker, account.id, '40.00'),
        pay(checker, account.id, '25.50'),
        holiday(account.id, { days: 3, reason: `race ${round}` }),
        pay(checker, account.id, '10.00'),
        call('post', `/payment-reversals/${reversal.body.id}/approve`, checker),
        call(
          'post',
          `/accounts/${account.id}/charges`,
          maker,
          { chargeType: 'fee', amount: '7.00', description: `race ${round}` },
          { 'Idempotency-Key': randomUUID() },
        ),
      ]);
      const [approve, p1, p2, h, p3, rev, fee] = outcomes;
      expect(rev!.status, JSON.stringify(rev!.body)).to.equal(200);
      expect(fee!.status, JSON.stringify(fee!.body)).to.equal(201);
      expect(approve!.status, JSON.stringify(approve!.body)).to.equal(200);
      for (const p of [p1, p2, p3]) expect(p!.status, JSON.stringify(p!.body)).to.equal(201);
      // The holiday either came first (refused: the restructure is pending) or after it (applied).
      expect(h!.status, JSON.stringify(h!.body)).to.be.oneOf([201, 409]);
      await expectAccountBooks(account.id, `round ${round}`);
      const [dup] = await sequelize.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM installmentSchedules WHERE accountId = ? GROUP BY installmentNumber HAVING COUNT(*) > 1',
        { replacements: [account.id], type: QueryTypes.SELECT },
      );
      expect(dup, 'installment numbers stay unique').to.equal(undefined);
    }
    expect(await InstallmentSchedule.count({ where: { accountId: account.id, status: 'superseded' } })).to.be.greaterThan(4);
  });
});
