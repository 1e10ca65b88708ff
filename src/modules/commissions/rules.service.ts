import type { Transaction } from 'sequelize';
import { addMonths, type CalendarDate } from '../../platform/dates';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { CommissionPlan, CommissionRule, type CommissionEvent, type CommissionStage } from './models';

/**
 * Which commission rule pays for an event. Plans and rules are reference data: every active rule
 * of every active plan is read once and kept for RULES_TTL_MS (a change applies within that time
 * in every process; `forgetCommissionRules()` applies it at once in this one). Matching then costs
 * the payment hot path no query.
 */
export interface ActiveRule {
  id: number;
  commissionPlanId: number;
  planValidFrom: CalendarDate;
  planValidTo: CalendarDate | null;
  productId: number | null;
  regionId: number | null;
  eventType: CommissionEvent;
  calculation: 'fixed' | 'percentage';
  amount: MoneyString | null;
  percentage: string | null;
  stages: CommissionStage[] | null;
  clawbackWithinDays: number | null;
  priority: number;
}

const RULES_TTL_MS = 30_000;
let cache: { rules: ActiveRule[]; expires: number } | undefined;

/** Forget the cached rules (after changing plans or rules, and in tests). */
export function forgetCommissionRules(): void {
  cache = undefined;
}

function parseStages(raw: unknown): CommissionStage[] | null {
  const value = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  if (!Array.isArray(value) || value.length === 0) return null;
  return value.map((s: CommissionStage) => ({
    percent: Number(s.percent),
    afterMonths: Number(s.afterMonths ?? 0),
    ...(s.requiresNotDefaulted ? { requiresNotDefaulted: true } : {}),
  }));
}

/** Every active rule of every active plan (validity dates are checked per event). */
export async function activeRules(transaction?: Transaction): Promise<ActiveRule[]> {
  if (cache && cache.expires > Date.now()) return cache.rules;
  const rows = await CommissionRule.findAll({
    where: { isActive: true },
    include: [{ model: CommissionPlan, as: 'plan', where: { isActive: true }, attributes: ['id', 'validFrom', 'validTo'] }],
    transaction,
  });
  const rules = rows.map((r) => ({
    id: r.id,
    commissionPlanId: r.commissionPlanId,
    planValidFrom: r.plan!.validFrom,
    planValidTo: r.plan!.validTo ?? null,
    productId: r.productId ?? null,
    regionId: r.regionId ?? null,
    eventType: r.eventType,
    calculation: r.calculation,
    amount: r.amount ?? null,
    percentage: r.percentage ?? null,
    stages: parseStages(r.stages),
    clawbackWithinDays: r.clawbackWithinDays ?? null,
    priority: r.priority ?? 0,
  }));
  cache = { rules, expires: Date.now() + RULES_TTL_MS };
  return rules;
}

/** product + region (3) > product (2) > region (1) > any (0). */
export function specificity(rule: Pick<ActiveRule, 'productId' | 'regionId'>): number {
  return (rule.productId !== null ? 2 : 0) + (rule.regionId !== null ? 1 : 0);
}

export interface RuleQuery {
  eventType: CommissionEvent;
  productId: number;
  regionId: number;
  /** The event's business date: the rule's plan must be valid on it. */
  date: CalendarDate;
}

/**
 * The one rule that pays for an event: among active rules of plans valid on the date whose
 * product and region are the event's or "any", the most specific; then the highest priority;
 * then the newest plan, then the newest rule.
 */
export function pickRule(rules: readonly ActiveRule[], q: RuleQuery): ActiveRule | undefined {
  let best: ActiveRule | undefined;
  for (const r of rules) {
    if (r.eventType !== q.eventType) continue;
    if (r.productId !== null && r.productId !== q.productId) continue;
    if (r.regionId !== null && r.regionId !== q.regionId) continue;
    if (r.planValidFrom > q.date || (r.planValidTo !== null && r.planValidTo < q.date)) continue;
    if (!best || compareRules(r, best) > 0) best = r;
  }
  return best;
}

function compareRules(a: ActiveRule, b: ActiveRule): number {
  return (
    specificity(a) - specificity(b) ||
    a.priority - b.priority ||
    (a.planValidFrom < b.planValidFrom ? -1 : a.planValidFrom > b.planValidFrom ? 1 : 0) ||
    a.commissionPlanId - b.commissionPlanId ||
    a.id - b.id
  );
}

/** What a rule pays for an event of `base` (the sale value, the down payment, the money collected). */
export function commissionAmount(rule: Pick<ActiveRule, 'calculation' | 'amount' | 'percentage'>, base: Decimal.Value): Decimal {
  if (rule.calculation === 'fixed') return new Decimal(rule.amount ?? 0).toDecimalPlaces(2);
  return new Decimal(base)
    .times(rule.percentage ?? 0)
    .dividedBy(100)
    .toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

export interface StagedAmount {
  stage: number;
  amount: MoneyString;
  earnedOn: CalendarDate;
  requiresNotDefaulted: boolean;
}

/**
 * A commission split into its stages: each stage `percent` of the total (rounded to the cent),
 * the last stage taking what rounding left so the stages add up exactly; earned `afterMonths`
 * after the event (month-end safe). An unstaged rule is one stage, earned on the event date.
 */
export function splitStages(total: Decimal, stages: readonly CommissionStage[] | null, eventDate: CalendarDate): StagedAmount[] {
  if (!stages || stages.length === 0) return [{ stage: 0, amount: toMoneyString(total), earnedOn: eventDate, requiresNotDefaulted: false }];
  const percentSum = stages.reduce((acc, s) => acc.plus(s.percent), new Decimal(0));
  const whole = total.times(percentSum).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  let given = new Decimal(0);
  return stages.map((s, i) => {
    const amount = i === stages.length - 1 ? whole.minus(given) : total.times(s.percent).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    given = given.plus(amount);
    return { stage: i, amount: toMoneyString(amount), earnedOn: addMonths(eventDate, s.afterMonths ?? 0), requiresNotDefaulted: !!s.requiresNotDefaulted };
  });
}

/** (ruleId, stage) pairs that are paid only if the account is not in default when they fall due. */
export async function notDefaultedStages(transaction?: Transaction): Promise<{ ruleId: number; stage: number }[]> {
  // Rules retired since an entry was accrued still govern that entry: read them all, not only active ones.
  const rows = await CommissionRule.findAll({ attributes: ['id', 'stages'], transaction });
  const pairs: { ruleId: number; stage: number }[] = [];
  for (const r of rows) {
    (parseStages(r.stages) ?? []).forEach((s, i) => {
      if (s.requiresNotDefaulted) pairs.push({ ruleId: r.id, stage: i });
    });
  }
  return pairs;
}
