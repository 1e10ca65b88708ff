import type { Transaction } from 'sequelize';
import { localDate, type CalendarDate } from '../../platform/dates';
import { CompanyRegion, Country } from './models';

/**
 * Each country keeps its own business date, separate from the wall clock: the nightly close
 * advances it. Until a country's first close it is today's date in the country's timezone.
 */
export interface CountryCalendar {
  countryId: number;
  code: string;
  currency: string;
  timezone: string;
  businessDate: CalendarDate;
}

const regionCountry = new Map<number, number>();

export async function calendarOfCountry(countryId: number, transaction?: Transaction): Promise<CountryCalendar> {
  const c = await Country.findByPk(countryId, { attributes: ['id', 'code', 'currency', 'timezone', 'businessDate'], transaction });
  if (!c) throw new Error(`country ${countryId} not found`);
  return { countryId: c.id, code: c.code, currency: c.currency, timezone: c.timezone, businessDate: c.businessDate ?? localDate(new Date(), c.timezone) };
}

/** The calendar of the country a region belongs to (regions never change country). */
export async function calendarOfRegion(regionId: number, transaction?: Transaction): Promise<CountryCalendar> {
  let countryId = regionCountry.get(regionId);
  if (countryId === undefined) {
    const region = await CompanyRegion.findByPk(regionId, { attributes: ['id', 'countryId'], transaction });
    if (!region) throw new Error(`region ${regionId} not found`);
    countryId = region.countryId as number;
    regionCountry.set(regionId, countryId);
  }
  return calendarOfCountry(countryId, transaction);
}

const STATIC_TTL_MS = 30_000;
const countryStatics = new Map<number, { value: Omit<CountryCalendar, 'businessDate'>; expires: number }>();

/**
 * A region's calendar when the caller has just read the business date itself (the payment path
 * reads it in the same statement that locks the account): code, currency and timezone are
 * reference data, cached briefly; the business date is never cached.
 */
export async function calendarWithBusinessDate(regionId: number, businessDate: CalendarDate | null, transaction?: Transaction): Promise<CountryCalendar> {
  const countryId = regionCountry.get(regionId);
  const hit = countryId === undefined ? undefined : countryStatics.get(countryId);
  if (hit && hit.expires > Date.now()) {
    return { ...hit.value, businessDate: businessDate ?? localDate(new Date(), hit.value.timezone) };
  }
  const fresh = await calendarOfRegion(regionId, transaction);
  const { businessDate: _read, ...value } = fresh;
  countryStatics.set(fresh.countryId, { value, expires: Date.now() + STATIC_TTL_MS });
  return { ...value, businessDate: businessDate ?? localDate(new Date(), value.timezone) };
}

/** Sets a country's business date (the nightly close, and tests that move time). */
export async function setBusinessDate(countryId: number, date: CalendarDate, transaction?: Transaction): Promise<void> {
  await Country.update({ businessDate: date }, { where: { id: countryId }, transaction });
}
