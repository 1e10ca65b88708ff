import { addDays, addMonths, type CalendarDate } from '../../platform/dates';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';

export type Frequency = 'daily' | 'weekly' | 'monthly';

export interface ScheduleInput {
  /** Price of the product on this plan (productPayplanPricing.price). */
  price: MoneyString;
  downPayment: MoneyString;
  /** Number of instalments after the down payment (payplans.duration). */
  installments: number;
  frequency: Frequency;
  /** Flat interest over the whole term, in percent of the financed principal (payplans.interestRate). */
  interestRate: MoneyString;
  /** Sale date in the country's calendar; the down payment falls due on it. */
  startDate: CalendarDate;
  /** Country holidays: a due date on one moves to the next day that is not. */
  holidays?: ReadonlySet<CalendarDate>;
}

export interface ScheduledInstallment {
  /** 0 is the down payment (no row 0 when the plan asks for none). */
  installmentNumber: number;
  dueDate: CalendarDate;
  amount: MoneyString;
}

export interface Schedule {
  /** The down payment (0.00 on a zero-down plan, which has no instalment 0). */
  downPayment: MoneyString;
  principal: MoneyString;
  interest: MoneyString;
  /** What the instalments after the down payment add up to: principal + interest. */
  financedAmount: MoneyString;
  totalPrice: MoneyString;
  rows: ScheduledInstallment[];
}

export function nthDueDate(start: CalendarDate, frequency: Frequency, n: number): CalendarDate {
  switch (frequency) {
    case 'daily':
      return addDays(start, n);
    case 'weekly':
      return addDays(start, 7 * n);
    case 'monthly':
      return addMonths(start, n);
  }
}

function offHolidays(date: CalendarDate, holidays: ReadonlySet<CalendarDate>): CalendarDate {
  let d = date;
  while (holidays.has(d)) d = addDays(d, 1);
  return d;
}

/**
 * The repayment schedule of an account: the down payment, then equal instalments whose rounding
 * remainder lands on the last one, so the instalments sum exactly to the financed amount.
 * A zero-down plan has no down-payment row at all: a 0.00 line would be an "unpaid" instalment
 * that owes nothing (the CHECK installmentSchedules_unpaid_owes refuses it), and there is nothing
 * to wait for, so such an account is active from its opening (AccountService.open).
 */
export function buildSchedule(input: ScheduleInput): Schedule {
  const price = new Decimal(input.price);
  const down = new Decimal(input.downPayment);
  if (!Number.isInteger(input.installments) || input.installments < 1) throw new RangeError('installments must be a positive integer');
  if (down.isNegative() || down.greaterThan(price)) throw new RangeError('down payment must be between 0 and the price');
  const principal = price.minus(down);
  const interest = principal.times(input.interestRate).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  const financed = principal.plus(interest);
  const each = financed.dividedBy(input.installments).toDecimalPlaces(2, Decimal.ROUND_DOWN);
  const last = financed.minus(each.times(input.installments - 1));
  const holidays = input.holidays ?? new Set<CalendarDate>();

  const rows: ScheduledInstallment[] = down.isZero()
    ? []
    : [{ installmentNumber: 0, dueDate: offHolidays(input.startDate, holidays), amount: toMoneyString(down) }];
  for (let n = 1; n <= input.installments; n++) {
    rows.push({
      installmentNumber: n,
      dueDate: offHolidays(nthDueDate(input.startDate, input.frequency, n), holidays),
      amount: toMoneyString(n === input.installments ? last : each),
    });
  }
  return {
    downPayment: toMoneyString(down),
    principal: toMoneyString(principal),
    interest: toMoneyString(interest),
    financedAmount: toMoneyString(financed),
    totalPrice: toMoneyString(down.plus(financed)),
    rows,
  };
}
