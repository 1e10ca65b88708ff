import { expect } from 'chai';
import fc from 'fast-check';
import { addMonths, compareDates, isCalendarDate } from '../../src/platform/dates';
import { Decimal } from '../../src/platform/money';
import { buildSchedule, type Frequency } from '../../src/modules/accounts/schedule';

const cents = (min: number, max: number) => fc.integer({ min, max }).map((c) => new Decimal(c).dividedBy(100).toFixed(2));
const calendarDate = fc
  .date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe('schedule generation', () => {
  it('instalments sum exactly to the financed amount for any plan (property)', () => {
    fc.assert(
      fc.property(
        cents(100_00, 5_000_000_00),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 730 }),
        fc.constantFrom<Frequency>('daily', 'weekly', 'monthly'),
        cents(0, 60_00),
        calendarDate,
        (price, downPct, installments, frequency, interestRate, startDate) => {
          const downPayment = new Decimal(price).times(downPct).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_DOWN).toFixed(2);
          const s = buildSchedule({ price, downPayment, installments, frequency, interestRate, startDate });
          // A zero down payment has no row 0 (a 0.00 "unpaid" line would owe nothing); otherwise row 0 is it.
          const zeroDown = new Decimal(downPayment).isZero();
          const instalments = s.rows.filter((r) => r.installmentNumber > 0);
          expect(s.rows).to.have.length(installments + (zeroDown ? 0 : 1));
          expect(s.rows.map((r) => r.installmentNumber)).to.deep.equal(Array.from({ length: s.rows.length }, (_, k) => k + (zeroDown ? 1 : 0)));
          expect(s.downPayment).to.equal(downPayment);
          if (!zeroDown) expect(s.rows[0]!.amount).to.equal(downPayment);
          const after = instalments.reduce((a, r) => a.plus(r.amount), new Decimal(0));
          expect(after.toFixed(2)).to.equal(s.financedAmount);
          expect(new Decimal(s.downPayment).plus(after).toFixed(2)).to.equal(s.totalPrice);
          // equal instalments, the last absorbing the remainder: never negative, never off by more than n cents
          const first = new Decimal(instalments[0]!.amount);
          for (const r of instalments.slice(0, -1)) expect(r.amount).to.equal(first.toFixed(2));
          const last = new Decimal(s.rows.at(-1)!.amount);
          expect(last.greaterThanOrEqualTo(first)).to.equal(true);
          expect(last.minus(first).lessThan(new Decimal(installments).dividedBy(100))).to.equal(true);
          for (const r of s.rows) expect(r.amount).to.match(/^\d+\.\d{2}$/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('due dates are valid, strictly ordered for weekly and monthly plans, and skip holidays (property)', () => {
    fc.assert(
      fc.property(
        calendarDate,
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom<Frequency>('weekly', 'monthly'),
        fc.array(calendarDate, { maxLength: 40 }),
        (start, n, frequency, hol) => {
          const holidays = new Set(hol);
          const s = buildSchedule({ price: '1000.00', downPayment: '100.00', installments: n, frequency, interestRate: '0', startDate: start, holidays });
          for (const r of s.rows) {
            expect(isCalendarDate(r.dueDate)).to.equal(true);
            expect(holidays.has(r.dueDate)).to.equal(false);
          }
          for (let i = 2; i < s.rows.length; i++) expect(compareDates(s.rows[i - 1]!.dueDate, s.rows[i]!.dueDate)).to.be.at.most(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('monthly plans are month-end safe: 31 Jan + 1 month is the end of February', () => {
    const s = buildSchedule({ price: '1200.00', downPayment: '100.00', installments: 4, frequency: 'monthly', interestRate: '0', startDate: '2027-01-31' });
    expect(s.rows.map((r) => r.dueDate)).to.deep.equal(['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30', '2027-05-31']);
    expect(addMonths('2028-01-31', 1)).to.equal('2028-02-29');
  });

  it('worked example: 10% flat interest, remainder on the last instalment', () => {
    const s = buildSchedule({ price: '10000.00', downPayment: '1000.00', installments: 7, frequency: 'weekly', interestRate: '10', startDate: '2026-11-20' });
    expect(s).to.include({ principal: '9000.00', interest: '900.00', financedAmount: '9900.00', totalPrice: '10900.00' });
    expect(s.rows.map((r) => r.amount)).to.deep.equal(['1000.00', '1414.28', '1414.28', '1414.28', '1414.28', '1414.28', '1414.28', '1414.32']);
    expect(s.rows.map((r) => r.dueDate).slice(0, 3)).to.deep.equal(['2026-11-20', '2026-11-27', '2026-12-04']);
  });

  it('a holiday due date moves to the next day that is not a holiday', () => {
    const s = buildSchedule({
      price: '300.00',
      downPayment: '0.00',
      installments: 3,
      frequency: 'daily',
      interestRate: '0',
      startDate: '2026-12-23',
      holidays: new Set(['2026-12-25', '2026-12-26']),
    });
    expect(s.rows.map((r) => r.dueDate)).to.deep.equal(['2026-12-24', '2026-12-27', '2026-12-27']);
  });

  it('a zero-down plan has no down-payment row: the first row is instalment 1, and the rows sum to the price', () => {
    const s = buildSchedule({ price: '900.00', downPayment: '0.00', installments: 3, frequency: 'weekly', interestRate: '10', startDate: '2026-11-20' });
    expect(s.downPayment).to.equal('0.00');
    expect(s.rows.map((r) => [r.installmentNumber, r.dueDate, r.amount])).to.deep.equal([
      [1, '2026-11-27', '330.00'],
      [2, '2026-12-04', '330.00'],
      [3, '2026-12-11', '330.00'],
    ]);
    expect(s.totalPrice).to.equal('990.00');
  });

  it('refuses impossible plans', () => {
    expect(() =>
      buildSchedule({ price: '100.00', downPayment: '150.00', installments: 3, frequency: 'weekly', interestRate: '0', startDate: '2026-01-01' }),
    ).to.throw(RangeError);
    expect(() =>
      buildSchedule({ price: '100.00', downPayment: '0.00', installments: 0, frequency: 'weekly', interestRate: '0', startDate: '2026-01-01' }),
    ).to.throw(RangeError);
  });
});
