import type { Transaction } from 'sequelize';
import { TtlCache } from '../../platform/ttl-cache';
import { Payplan } from './models';

/** What the money paths need of a payplan on every payment. */
export type PayplanTerms = Pick<Payplan, 'daysUntilSuspension' | 'allocationOrder' | 'dailyRate'>;

export const PAYPLAN_TTL_MS = 30_000;
const payplans = new TtlCache<number, PayplanTerms>(PAYPLAN_TTL_MS);
/** A payplan's terms, cached briefly (reference data; a change applies within PAYPLAN_TTL_MS). */
export function payplanTerms(id: number, transaction?: Transaction): Promise<PayplanTerms> {
  return payplans.get(id, async () => {
    const p = await Payplan.findByPk(id, { attributes: ['id', 'daysUntilSuspension', 'allocationOrder', 'dailyRate'], transaction });
    if (!p) throw new Error(`payplan ${id} not found`);
    return { daysUntilSuspension: p.daysUntilSuspension, allocationOrder: p.allocationOrder, dailyRate: p.dailyRate };
  });
}
