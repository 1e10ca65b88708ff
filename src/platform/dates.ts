/**
 * Calendar dates ('YYYY-MM-DD') for due dates and business dates. They are days in a country's
 * calendar, not instants, so arithmetic happens on the date itself and never passes through the
 * process's timezone.
 */
export type CalendarDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parts(date: CalendarDate): [number, number, number] {
  const m = ISO_DATE.exec(date);
  if (!m) throw new Error(`not a calendar date: ${date}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function fromUtc(ms: number): CalendarDate {
  return new Date(ms).toISOString().slice(0, 10);
}

export function isCalendarDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const [y, m, d] = parts(value);
  return fromUtc(Date.UTC(y, m - 1, d)) === value;
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  const [y, m, d] = parts(date);
  return fromUtc(Date.UTC(y, m - 1, d + days));
}

function daysInMonth(year: number, month1: number): number {
  return new Date(Date.UTC(year, month1, 0)).getUTCDate();
}

/**
 * Month arithmetic that is safe at month end: 31 Jan + 1 month = 28 (or 29) Feb, and always
 * computed from the anchor so 31 Jan + 2 months is 31 Mar, not 28 Mar.
 */
export function addMonths(date: CalendarDate, months: number): CalendarDate {
  const [y, m, d] = parts(date);
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month1 = (total % 12) + 1;
  return fromUtc(Date.UTC(year, month1 - 1, Math.min(d, daysInMonth(year, month1))));
}

/** Whole days from a to b (positive when b is later). */
export function daysBetween(a: CalendarDate, b: CalendarDate): number {
  const [ay, am, ad] = parts(a);
  const [by, bm, bd] = parts(b);
  return Math.round((Date.UTC(by, bm - 1, bd) - Date.UTC(ay, am - 1, ad)) / 86_400_000);
}

/** The calendar date an instant falls on in an IANA timezone (e.g. Africa/Nairobi). */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The last date worked out per zone, and the minute (since the epoch) it holds for. */
const lastLocalDate = new Map<string, { minute: number; date: CalendarDate }>();

export function localDate(instant: Date, timeZone: string): CalendarDate {
  // A zone's date changes on a whole minute (offsets are whole minutes): within one minute the
  // answer is the last one (formatting costs ~20 us, and every payment asks for today).
  const minute = Math.floor(instant.getTime() / 60_000);
  const last = lastLocalDate.get(timeZone);
  if (last && last.minute === minute) return last.date;
  let f = formatters.get(timeZone);
  if (!f) {
    // Building a formatter is costly; one per zone serves every call.
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  const date = f.format(instant);
  lastLocalDate.set(timeZone, { minute, date });
  return date;
}

export function compareDates(a: CalendarDate, b: CalendarDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
