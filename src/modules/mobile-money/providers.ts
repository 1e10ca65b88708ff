import type { Transaction } from 'sequelize';
import { isCalendarDate } from '../../platform/dates';
import { problems } from '../../platform/http/problem';
import { Country } from '../organisation/models';

/**
 * The mobile-money providers AMT takes money from. Each maps to its payment type (reference data
 * MPESA, AIRTEL, MTN). A provider with a home country (M-Pesa through Daraja: Kenya) books money it
 * cannot match in that country's suspense; the others name the country in each callback.
 * `utcOffset` is how the provider writes local times without an offset (Daraja's TransTime
 * 'YYYYMMDDHHmmss' and statement times are East Africa Time, which has no daylight saving).
 */
export interface ProviderSpec {
  code: ProviderCode;
  label: string;
  paymentType: string;
  country: string | null;
  currency: string | null;
  utcOffset: string | null;
}

export const PROVIDER_CODES = ['mpesa', 'airtel', 'mtn'] as const;
export type ProviderCode = (typeof PROVIDER_CODES)[number];

export const PROVIDERS: Record<ProviderCode, ProviderSpec> = {
  mpesa: { code: 'mpesa', label: 'M-Pesa', paymentType: 'MPESA', country: 'KE', currency: 'KES', utcOffset: '+03:00' },
  airtel: { code: 'airtel', label: 'Airtel Money', paymentType: 'AIRTEL', country: null, currency: null, utcOffset: null },
  mtn: { code: 'mtn', label: 'MTN Mobile Money', paymentType: 'MTN', country: null, currency: null, utcOffset: null },
};

export function providerOf(code: string): ProviderSpec {
  const p = PROVIDERS[code as ProviderCode];
  if (!p) throw problems.notFound('mobile-money provider');
  return p;
}

const countries = new Map<string, { id: number; currency: string }>();
/** A country by code (cached; countries are reference data). */
export async function countryByCode(code: string, transaction?: Transaction): Promise<{ id: number; currency: string } | null> {
  const key = code.toUpperCase();
  let hit = countries.get(key);
  if (!hit) {
    const c = await Country.findOne({ where: { code: key }, attributes: ['id', 'currency'], transaction });
    if (!c) return null;
    hit = { id: c.id, currency: c.currency };
    countries.set(key, hit);
  }
  return hit;
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const YMD_HMS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;
const DMY_HMS = /^(\d{2})[-/](\d{2})[-/](\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * A provider's time as an instant. ISO 8601 with an offset (or Z) is taken as written; local forms
 * ('YYYYMMDDHHmmss', 'YYYY-MM-DD HH:mm[:ss]', 'DD-MM-YYYY HH:mm[:ss]', also with '/') are read in
 * the provider's offset, and refused (null) for a provider without one. Impossible dates are null.
 */
export function parseProviderTime(text: string, utcOffset: string | null): Date | null {
  const s = text.trim();
  if (ISO_WITH_OFFSET.test(s)) {
    const d = new Date(s);
    // Date reads 2026-02-30 as 2 March: the written calendar date must exist.
    return Number.isNaN(d.getTime()) || !isCalendarDate(s.slice(0, 10)) ? null : d;
  }
  let parts: [string, string, string, string, string, string | undefined] | null = null;
  let m = COMPACT.exec(s);
  if (m) parts = [m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]];
  else if ((m = YMD_HMS.exec(s))) parts = [m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]];
  else if ((m = DMY_HMS.exec(s))) parts = [m[3]!, m[2]!, m[1]!, m[4]!, m[5]!, m[6]];
  if (!parts || !utcOffset) return null;
  const [y, mo, d, h, mi, sec] = parts;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${sec ?? '00'}${utcOffset}`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  // Refuse rolled-over dates (e.g. 31 April): the local wall time must read back the same.
  const offsetMs = (utcOffset.startsWith('-') ? -1 : 1) * (Number(utcOffset.slice(1, 3)) * 60 + Number(utcOffset.slice(4, 6))) * 60_000;
  const back = new Date(date.getTime() + offsetMs).toISOString();
  if (back.slice(0, 10) !== `${y}-${mo}-${d}` || back.slice(11, 16) !== `${h}:${mi}`) return null;
  return date;
}
