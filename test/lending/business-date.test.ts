import { expect } from 'chai';
import { Account, InstallmentSchedule } from '../../src/modules/accounts/models';
import { calendarOfCountry } from '../../src/modules/organisation/business-date';
import { localDate } from '../../src/platform/dates';
import { payNow } from '../operations/support';
import { createMarket, openAccount } from '../support/lending';

describe("business dates in each country's own timezone", () => {
  it('the suite runs in a non-UTC process timezone', () => {
    expect(process.env.TZ).to.equal('Asia/Kolkata');
    expect(new Date('2026-11-24T22:30:00Z').getTimezoneOffset()).to.equal(-330);
  });

  it('one instant is a different calendar day in Lagos than in Nairobi (and in the process zone)', () => {
    const instant = new Date('2026-11-24T22:30:00Z');
    expect(localDate(instant, 'Africa/Lagos')).to.equal('2026-11-24');
    expect(localDate(instant, 'Africa/Nairobi')).to.equal('2026-11-25');
    expect(localDate(instant, 'Asia/Kolkata')).to.equal('2026-11-25');
  });

  it("before its first close a country's business date is today in its own zone", async () => {
    const lagos = await createMarket({ timezone: 'Africa/Lagos', currency: 'NGN' });
    await lagos.country.update({ businessDate: null });
    const calendar = await calendarOfCountry(lagos.country.id);
    expect(calendar.businessDate).to.equal(localDate(new Date(), 'Africa/Lagos'));
    expect(calendar.currency).to.equal('NGN');
  });

  it('an account opened in Lagos has due dates on Lagos calendar days, whatever the process zone', async () => {
    const lagos = await createMarket({ timezone: 'Africa/Lagos', currency: 'NGN', businessDate: '2026-11-30' });
    const account = await openAccount(lagos, { price: '300.00', downPayment: '100.00', duration: 2, frequency: 'monthly' });
    expect(account.lastNightlyBusinessDate).to.equal('2026-11-30');
    expect(account.expiryDate).to.equal('2027-01-30');
  });
});

describe('accounts opened after the fact (start date before the business date)', () => {
  it('get the nightly steps they missed at once: instalments due before the business date are overdue, DPD and bucket follow', async () => {
    const market = await createMarket({ businessDate: '2026-11-20' });
    const account = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 4, frequency: 'weekly', startDate: '2026-10-30' });
    // Still pending (down payment unpaid): no arrears yet (docs/nightly-close.md), though its
    // instalments are flagged; once the down payment is in, DPD counts from the oldest unpaid one.
    expect(account).to.include({ status: 'pending', daysPastDue: 0, parBucket: 'current', lastNightlyBusinessDate: '2026-11-20' });
    const installments = await InstallmentSchedule.findAll({ where: { accountId: account.id }, order: [['installmentNumber', 'ASC']] });
    // Down payment 30 Oct, then 6, 13, 20, 27 Nov: three fell due before 20 Nov; 20 Nov itself is due, not late.
    expect(installments.map((i) => [i.dueDate, i.status])).to.deep.equal([
      ['2026-10-30', 'overdue'],
      ['2026-11-06', 'overdue'],
      ['2026-11-13', 'overdue'],
      ['2026-11-20', 'pending'],
      ['2026-11-27', 'pending'],
    ]);
    const stored = (await Account.findByPk(account.id))!;
    expect(stored).to.include({ daysPastDue: 0, parBucket: 'current', lastNightlyBusinessDate: '2026-11-20' });
    await payNow(account.id, '100.00');
    const paid = (await Account.findByPk(account.id))!;
    expect(paid).to.include({ status: 'active', daysPastDue: 14, parBucket: '1-30', lastNightlyBusinessDate: '2026-11-20' });

    const onTime = await openAccount(market, { price: '1000.00', downPayment: '100.00', duration: 4, startDate: '2026-11-20' });
    expect(onTime).to.include({ daysPastDue: 0, parBucket: 'current', lastNightlyBusinessDate: '2026-11-20' });
  });
});
