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
 * Items are put in that order once and taken until the money runs out: an item's `outstanding`
 * is read only when the money reaches it (a payment's items compute it on first read).
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
  const rank = (item: OpenItem) => buckets.indexOf(bucketOf(item, businessDate));
  const ordered = items
    .map((item) => ({ item, rank: rank(item) }))
    .sort((a, b) => a.rank - b.rank || (a.item.dueDate < b.item.dueDate ? -1 : a.item.dueDate > b.item.dueDate ? 1 : a.item.order - b.item.order));
  for (const { item } of ordered) {
    if (left.isZero()) break;
    const owed = item.outstanding;
    if (!owed.greaterThan(0)) continue;
    const take = Decimal.min(left, owed);
    allocations.push({ kind: item.kind, id: item.id, amount: take });
    left = left.minus(take);
  }
  return { allocations, credit: left };
}

export function isAllocationOrder(value: unknown): value is AllocationBucket[] {
  return Array.isArray(value) && value.every((v) => DEFAULT_ALLOCATION_ORDER.includes(v as AllocationBucket));
}
