import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';

/**
 * When the nightly close opens and escalates collection cases. Stored in systemSettings under
 * `collections.policy` (JSON), every field optional:
 *
 *   { "openAtDpd": 7, "escalateAtDpd": 60, "escalateAfterBrokenPromises": 2,
 *     "countries": { "KE": { "openAtDpd": 10 } },
 *     "payplans": { "PL-DAILY": { "openAtDpd": 3, "escalateAtDpd": 30 } } }
 *
 * For an account: its payplan's entry (by payplan code) first, then its country's (by country
 * code), then the top level, then DEFAULT_POLICY. Values outside 1..3650 (DPD) or 1..100 (broken
 * promises) are ignored.
 */
export interface CollectionsPolicy {
  /** A case opens when an active or suspended account's DPD reaches this. */
  openAtDpd: number;
  /** An open case moves to repossession review when its account's DPD reaches this. */
  escalateAtDpd: number;
  /** ...or when this many of its promises were broken. */
  escalateAfterBrokenPromises: number;
}

export const DEFAULT_POLICY: CollectionsPolicy = { openAtDpd: 7, escalateAtDpd: 60, escalateAfterBrokenPromises: 2 };
export const POLICY_SETTING = 'collections.policy';

/** A country's policy and the payplans (by id) that override its DPD thresholds. */
export interface CountryPolicy extends CollectionsPolicy {
  payplans: Map<number, Pick<CollectionsPolicy, 'openAtDpd' | 'escalateAtDpd'>>;
}

type Partial3 = Partial<CollectionsPolicy>;

function pick(raw: unknown): Partial3 {
  if (!raw || typeof raw !== 'object') return {};
  const o = raw as Record<string, unknown>;
  const out: Partial3 = {};
  const int = (v: unknown, max: number) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max ? v : undefined);
  const open = int(o.openAtDpd, 3650);
  const esc = int(o.escalateAtDpd, 3650);
  const broken = int(o.escalateAfterBrokenPromises, 100);
  if (open !== undefined) out.openAtDpd = open;
  if (esc !== undefined) out.escalateAtDpd = esc;
  if (broken !== undefined) out.escalateAfterBrokenPromises = broken;
  return out;
}

function parse(value: unknown): Record<string, unknown> {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return {};
    }
  }
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

/** The policy of one country, read in the close's transaction. */
export async function countryPolicy(sequelize: Sequelize, countryId: number, transaction?: Transaction): Promise<CountryPolicy> {
  const rows = await sequelize.query<{ value: unknown }>('SELECT value FROM systemSettings WHERE `key` = ?', {
    replacements: [POLICY_SETTING],
    type: QueryTypes.SELECT,
    transaction,
  });
  const stored = parse(rows[0]?.value);
  const [country] = await sequelize.query<{ code: string }>('SELECT code FROM countries WHERE id = ?', {
    replacements: [countryId],
    type: QueryTypes.SELECT,
    transaction,
  });
  const countries = (stored.countries && typeof stored.countries === 'object' ? stored.countries : {}) as Record<string, unknown>;
  const base: CollectionsPolicy = { ...DEFAULT_POLICY, ...pick(stored), ...(country ? pick(countries[country.code]) : {}) };
  const payplans = new Map<number, Pick<CollectionsPolicy, 'openAtDpd' | 'escalateAtDpd'>>();
  const byCode = (stored.payplans && typeof stored.payplans === 'object' ? stored.payplans : {}) as Record<string, unknown>;
  const codes = Object.keys(byCode).filter((c) => Object.keys(pick(byCode[c])).length > 0);
  if (codes.length) {
    const plans = await sequelize.query<{ id: number; code: string }>('SELECT id, code FROM payplans WHERE code IN (:codes)', {
      replacements: { codes },
      type: QueryTypes.SELECT,
      transaction,
    });
    for (const p of plans) {
      const o = pick(byCode[p.code]);
      payplans.set(Number(p.id), { openAtDpd: o.openAtDpd ?? base.openAtDpd, escalateAtDpd: o.escalateAtDpd ?? base.escalateAtDpd });
    }
  }
  return { ...base, payplans };
}

/**
 * A threshold of the account's payplan as SQL (`CASE <payplanId> WHEN ... END`), with its values
 * bound under `prefix`-named replacements added to `replacements`.
 */
export function thresholdSql(
  policy: CountryPolicy,
  field: 'openAtDpd' | 'escalateAtDpd',
  payplanIdExpr: string,
  replacements: Record<string, unknown>,
  prefix: string,
): string {
  replacements[`${prefix}Default`] = policy[field];
  if (policy.payplans.size === 0) return `:${prefix}Default`;
  let i = 0;
  const whens: string[] = [];
  for (const [payplanId, p] of policy.payplans) {
    replacements[`${prefix}Plan${i}`] = payplanId;
    replacements[`${prefix}Value${i}`] = p[field];
    whens.push(`WHEN :${prefix}Plan${i} THEN :${prefix}Value${i}`);
    i++;
  }
  return `(CASE ${payplanIdExpr} ${whens.join(' ')} ELSE :${prefix}Default END)`;
}
