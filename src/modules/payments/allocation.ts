import type { CalendarDate } from '../../platform/dates';
import { Decimal } from '../../platform/money';

export type AllocationBucket = 'charges' | 'overdue' | 'due' | 'future';
export const DEFAULT_ALLOCATION_ORDER: readonly AllocationBucket[] = ['charges', 'overdue', 'due', 'future'];

export interface OpenItem {
  kind: 'charge' | 'installment';
  id: number;
  dueDate: CalendarDate;
  /** What is still owed on it. */
  outstanding: Decimal;
  /** Tie-breaker within a bucket (instalment number or charge id). */
  order: number;
}

export interface Allocation {
  kind: 'charge' | 'installment';
  id: number;
  amount: Decimal;
}

function bucketOf(item: OpenItem, businessDate: CalendarDate): AllocationBucket {
  if (item.kind === 'charge') return 'charges';
  if (item.dueDate < businessDate) return 'overdue';
  if (item.dueDate === businessDate) return 'due';
  return 'future';
}

/**
 * Splits a payment over what the account owes, bucket by bucket in the payplan's order, oldest
 * first within a bucket. What is left after everything is paid is the customer's credit.
 */
export function allocate(
  amount: Decimal,
  items: OpenItem[],
  businessDate: CalendarDate,
  order: readonly AllocationBucket[] = DEFAULT_ALLOCATION_ORDER,
): { allocations: Allocation[]; credit: Decimal } {
  let left = amount;
  const allocations: Allocation[] = [];
  const buckets = [...order, ...DEFAULT_ALLOCATION_ORDER.filter((b) => !order.includes(b))];
  for (const bucket of buckets) {
    const inBucket = items
      .filter((i) => bucketOf(i, businessDate) === bucket && i.outstanding.greaterThan(0))
      .sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.order - b.order));
    for (const item of inBucket) {
      if (left.isZero()) break;
      const take = Decimal.min(left, item.outstanding);
      allocations.push({ kind: item.kind, id: item.id, amount: take });
      left = left.minus(take);
    }
  }
  return { allocations, credit: left };
}

export function isAllocationOrder(value: unknown): value is AllocationBucket[] {
  return Array.isArray(value) && value.every((v) => DEFAULT_ALLOCATION_ORDER.includes(v as AllocationBucket));
}
