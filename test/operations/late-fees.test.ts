import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { Account, AccountCharge, InstallmentSchedule } from '../../src/modules/accounts/models';
import { Payplan } from '../../src/modules/catalogue/models';
import { closeDayInline } from '../../src/modules/operations/close-day.jobs';
import { Decimal } from '../../src/platform/money';
import { testRuntime } from '../support/app';
import { expectAccountBooks } from '../support/books';
import { openAccount, type Market } from '../support/lending';
import { CLOSED, NEXT, freshMarket, payNow } from './support';

type LateFee = Pick<Payplan, 'lateFeeType' | 'lateFeeAmount' | 'lateFeeRate' | 'lateFeeGraceDays' | 'lateFeeCap' | 'lateFeeRepeatDays'>;

/**
 * An account whose instalment 1 (300.00, weekly plan, down payment 100 paid) falls due on the
 * closed day CLOSED and is unpaid: 1 day late at NEXT. Its plan gets the late fee given.
 */
async function lateAccount(market: Market, fee: Partial<LateFee> | null, paid = '100.00'): Promise<Account> {
  const account = await openAccount(market, { startDate: '2026-11-13', price: '1000.00', downPayment: '100.00', duration: 3, daysUntilSuspension: 14 });
  await payNow(account.id, paid);
  if (fee) await Payplan.update({ lateFeeGraceDays: 0, ...fee }, { where: { id: account.payplanId } });
  return account;
}

const lateFees = (accountId: number) => AccountCharge.findAll({ where: { accountId }, order: [['id', 'ASC']] });

async function closeDays(market: Market, first: string, days: number): Promise<Record<string, number>[]> {
  const rt = await testRuntime();
  const out: Record<string, number>[] = [];
  let day = first;
  for (let k = 0; k < days; k++) {
    const s = await closeDayInline(rt, market.country.id, day, { partitions: 1 });
    out.push(s.counts);
    day = s.businessDate;
  }
  return out;
}

describe('nightly close: late fees', () => {
  it('raises a fixed fee once per instalment, with its journal entry and the balance, and a second close of the day adds nothing', async () => {
    const rt = await testRuntime();
    const market = await freshMarket();
    await market.setDate(CLOSED);
    const charged = await lateAccount(market, { lateFeeType: 'fixed', lateFeeAmount: '50.00' });
    const twin = await lateAccount(market, null);
    const balanceBefore = (await Account.findByPk(charged.id))!.balance;

    const [counts] = await closeDays(market, CLOSED, 1);
    expect(counts).to.include({ 'lateFees.raised': 1, 'lateFees.accounts': 1 });
    const inst1 = (await InstallmentSchedule.findOne({ where: { accountId: charged.id, installmentNumber: 1 } }))!;
    const fees = await lateFees(charged.id);
    expect(fees.map((c) => [c.chargeType, c.amount, c.status, c.businessDate, c.dueDate, c.installmentScheduleId])).to.deep.equal([
      ['penalty', '50.00', 'pending', NEXT, NEXT, inst1.id],
    ]);
    expect(fees[0]!.description).to.equal(`Late fee: instalment 1 due ${CLOSED}`);
    const after = (await Account.findByPk(charged.id))!;
    expect(after.balance).to.equal(new Decimal(balanceBefore).plus(50).toFixed(2));
    const lines = await rt.sequelize.query<{ code: string; accountId: number | null; debit: string; credit: string }>(
      `SELECT la.code, l.accountId, l.debit, l.credit FROM journalEntries e JOIN journalLines l ON l.journalEntryId = e.id
         JOIN ledgerAccounts la ON la.id = l.ledgerAccountId WHERE e.sourceType = 'charge' AND e.sourceId = ? ORDER BY la.code`,
      { replacements: [fees[0]!.id], type: QueryTypes.SELECT },
    );
    expect(lines.map((l) => [l.code, l.accountId, new Decimal(l.debit).toFixed(2), new Decimal(l.credit).toFixed(2)])).to.deep.equal([
      ['1200', charged.id, '50.00', '0.00'],
      ['4400', null, '0.00', '50.00'],
    ]);
    // DPD, bucket and status as the twin without a late fee: the fee changes no instalment.
    const twinAfter = (await Account.findByPk(twin.id))!;
    expect([after.daysPastDue, after.parBucket, after.status]).to.deep.equal([twinAfter.daysPastDue, twinAfter.parBucket, twinAfter.status]);
    expect(await lateFees(twin.id)).to.deep.equal([]);
    await expectAccountBooks(charged.id, 'after the close');

    // The same day again (a re-run), and the next day (still overdue, no repeat days): nothing more.
    const again = await closeDayInline(rt, market.country.id, CLOSED, { partitions: 2 });
    expect(again.reRun).to.equal(true);
    expect(again.counts).to.include({ 'lateFees.raised': 0 });
    const [next] = await closeDays(market, NEXT, 1);
    expect(next).to.include({ 'lateFees.raised': 0 });
    expect((await lateFees(charged.id)).length).to.equal(1);
    expect((await Account.findByPk(charged.id))!.balance).to.equal(after.balance);
    await expectAccountBooks(charged.id, 'after the re-runs');
  });

  it('waits out the grace days: no fee until the instalment is more than lateFeeGraceDays late', async () => {
    const market = await freshMarket();
    await market.setDate(CLOSED);
    const account = await lateAccount(market, { lateFeeType: 'fixed', lateFeeAmount: '25.00', lateFeeGraceDays: 2 });
    // 1, 2, then 3 days late after each close.
    const counts = await closeDays(market, CLOSED, 3);
    expect(counts.map((c) => c['lateFees.raised'])).to.deep.equal([0, 0, 1]);
    const fees = await lateFees(account.id);
    expect(fees.map((c) => [c.amount, c.businessDate])).to.deep.equal([['25.00', '2026-11-23']]);
    await expectAccountBooks(account.id);
  });

  it('repeats every lateFeeRepeatDays up to the cap, the last fee cut to what the cap leaves', async () => {
    const market = await freshMarket();
    await market.setDate(CLOSED);
    const account = await lateAccount(market, { lateFeeType: 'fixed', lateFeeAmount: '40.00', lateFeeRepeatDays: 1, lateFeeCap: '100.00' });
    await closeDays(market, CLOSED, 5);
    const fees = await lateFees(account.id);
    expect(fees.map((c) => [c.amount, c.businessDate])).to.deep.equal([
      ['40.00', '2026-11-21'],
      ['40.00', '2026-11-22'],
      ['20.00', '2026-11-23'],
    ]);
    await expectAccountBooks(account.id);
  });

  it('a percentage of what the instalment still owes, rounded to the cent', async () => {
    const market = await freshMarket();
    await market.setDate(CLOSED);
    // 117.77 paid: the down payment and 17.77 of instalment 1, which still owes 282.23; 2.5% of it is 7.05575.
    const account = await lateAccount(market, { lateFeeType: 'percentage', lateFeeRate: '2.50' }, '117.77');
    const inst1 = (await InstallmentSchedule.findOne({ where: { accountId: account.id, installmentNumber: 1 } }))!;
    const owed = new Decimal(inst1.amount).minus(inst1.paidAmount);
    expect(owed.toFixed(2)).to.equal('282.23');
    await closeDays(market, CLOSED, 1);
    const fees = await lateFees(account.id);
    expect(fees.map((c) => c.amount)).to.deep.equal([owed.times('2.5').div(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2)]);
    expect(fees[0]!.amount).to.equal('7.06');
    await expectAccountBooks(account.id);
  });

  it('a close raising fees racing payments on the same accounts: one fee per instalment, the books hold', async () => {
    const rt = await testRuntime();
    const market = await freshMarket();
    await market.setDate(CLOSED);
    const accounts: Account[] = [];
    for (let k = 0; k < 6; k++) accounts.push(await lateAccount(market, { lateFeeType: 'fixed', lateFeeAmount: '50.00' }));
    const [close] = await Promise.all([
      closeDayInline(rt, market.country.id, CLOSED, { partitions: 2, chunkSize: 2 }),
      ...accounts.map((a, k) => payNow(a.id, k % 2 ? '120.00' : '30.00')),
    ]);
    expect(close.counts).to.include({ 'lateFees.raised': accounts.length });
    for (const a of accounts) {
      // A payment before the fee left instalment 1 owing (120 or 30 of 300), so every account has its one fee.
      expect((await lateFees(a.id)).map((c) => c.amount)).to.deep.equal(['50.00']);
      await expectAccountBooks(a.id, `account ${a.id}`);
    }
  });

  it('raises nothing on a paid instalment, a pending account or a plan without a late fee', async () => {
    const market = await freshMarket();
    await market.setDate(CLOSED);
    const paidUp = await lateAccount(market, { lateFeeType: 'fixed', lateFeeAmount: '10.00' }, '400.00');
    const pending = await openAccount(market, { startDate: '2026-11-13', price: '1000.00', downPayment: '100.00', duration: 3 });
    await Payplan.update({ lateFeeType: 'fixed', lateFeeAmount: '10.00' }, { where: { id: pending.payplanId } });
    const [counts] = await closeDays(market, CLOSED, 1);
    expect(counts).to.include({ 'lateFees.raised': 0 });
    expect(await lateFees(paidUp.id)).to.deep.equal([]);
    expect(await lateFees(pending.id)).to.deep.equal([]);
  });
});
