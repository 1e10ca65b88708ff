import type { Transaction } from 'sequelize';
import { Payplan } from './models';

/** What the money paths need of a payplan on every payment. */
export type PayplanTerms = Pick<Payplan, 'daysUntilSuspension' | 'allocationOrder' | 'dailyRate'>;

const PAYPLAN_TTL_MS = 30_000;
const payplans = new Map<number, { terms: PayplanTerms; expires: number }>();
/** A payplan's terms, cached briefly (reference data; a change applies within PAYPLAN_TTL_MS). */
export async function payplanTerms(id: number, transaction?: Transaction): Promise<PayplanTerms> {
  const hit = payplans.get(id);
  if (hit && hit.expires > Date.now()) return hit.terms;
  const p = await Payplan.findByPk(id, { attributes: ['id', 'daysUntilSuspension', 'allocationOrder', 'dailyRate'], transaction });
  if (!p) throw new Error(`payplan ${id} not found`);
  const terms = { daysUntilSuspension: p.daysUntilSuspension, allocationOrder: p.allocationOrder, dailyRate: p.dailyRate };
  payplans.set(id, { terms, expires: Date.now() + PAYPLAN_TTL_MS });
  return terms;
}
