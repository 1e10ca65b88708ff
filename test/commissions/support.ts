import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Op } from 'sequelize';
import { AccountService } from '../../src/modules/accounts/account.service';
import type { Account } from '../../src/modules/accounts/models';
import { CommissionEntry, CommissionPlan, CommissionRule, type CommissionStage } from '../../src/modules/commissions/models';
import { forgetCommissionRules } from '../../src/modules/commissions/rules.service';
import { runCommissionNightly } from '../../src/modules/commissions';
import { testRuntime } from '../support/app';
import { createCustomer, createPlan, type Market, type PlanOptions } from '../support/lending';

export interface RuleSpec {
  eventType: 'sale' | 'down_payment' | 'collection';
  calculation?: 'fixed' | 'percentage';
  amount?: string;
  percentage?: string;
  stages?: CommissionStage[] | null;
  clawbackWithinDays?: number | null;
  priority?: number;
  productId?: number | null;
  regionId?: number | null;
  isActive?: boolean;
}

/** A plan of its own with these rules (active at once in this process). */
export async function createCommissionPlan(rules: RuleSpec[], plan: { validFrom?: string; validTo?: string | null; isActive?: boolean } = {}) {
  await testRuntime();
  const p = await CommissionPlan.create({
    code: `CP-${randomUUID().slice(0, 8)}`,
    name: 'Test plan',
    validFrom: plan.validFrom ?? '2026-01-01',
    validTo: plan.validTo ?? null,
    isActive: plan.isActive ?? true,
  });
  const created = await CommissionRule.bulkCreate(
    rules.map((r) => ({
      commissionPlanId: p.id,
      eventType: r.eventType,
      calculation: r.calculation ?? (r.percentage ? 'percentage' : 'fixed'),
      amount: r.amount ?? null,
      percentage: r.percentage ?? null,
      stages: r.stages ?? null,
      clawbackWithinDays: r.clawbackWithinDays ?? null,
      priority: r.priority ?? 0,
      productId: r.productId ?? null,
      regionId: r.regionId ?? null,
      isActive: r.isActive ?? true,
    })),
  );
  forgetCommissionRules();
  return { plan: p, rules: created };
}

/** The staged sale of the default plan, for a region: 50 % now, 25 % after 2 months, 25 % after 5 if not in default. */
export const STAGED = [
  { percent: 50, afterMonths: 0 },
  { percent: 25, afterMonths: 2 },
  { percent: 25, afterMonths: 5, requiresNotDefaulted: true },
];

/** Opens an account sold by `agentId` in the market (pending until its down payment). */
export async function sellAccount(
  market: Market,
  agentId: number | null,
  plan: PlanOptions & { startDate?: string; catalogue?: Awaited<ReturnType<typeof createPlan>> } = {},
): Promise<Account> {
  const rt = await testRuntime();
  const { product, payplan } = plan.catalogue ?? (await createPlan(plan));
  const customer = await createCustomer(market.region.id);
  return new AccountService(rt.sequelize).open(
    { customerId: customer.id, productId: product.id, payplanId: payplan.id, startDate: plan.startDate, agentId },
    { all: true },
    null,
  );
}

/** An employee's entries as compact rows, in a stable order. */
export async function entriesOf(employeeId: number, extra: Record<string, unknown> = {}) {
  const rows = await CommissionEntry.findAll({
    where: { employeeId, ...extra },
    order: [
      ['eventType', 'ASC'],
      ['sourceId', 'ASC'],
      ['stage', 'ASC'],
    ],
  });
  return rows.map((e) => ({ event: e.eventType, stage: e.stage, amount: e.amount, earnedOn: e.earnedOn, status: e.status }));
}

export async function entryStatuses(ids: number[]) {
  const rows = await CommissionEntry.findAll({ where: { id: { [Op.in]: ids } }, order: [['id', 'ASC']] });
  return rows.map((e) => e.status);
}

/** Runs the nightly step (as the close-day orchestration does) and checks it reported numbers. */
export async function nightly(market: Market, businessDate: string) {
  await market.setDate(businessDate);
  const r = await runCommissionNightly(market.country.id, businessDate);
  expect(r).to.include({ countryId: market.country.id, businessDate });
  return r;
}
