import { expect } from 'chai';
import { calendarOfCountry } from '../../src/modules/organisation/business-date';
import { localDate } from '../../src/platform/dates';
import { createMarket, openAccount } from '../support/lending';

describe('business dates in each country\'s own timezone', () => {
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

  it('before its first close a country\'s business date is today in its own zone', async () => {
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
