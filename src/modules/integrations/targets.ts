import type { OutboxTarget } from './models';

/**
 * Which systems hear of which outbox event: the one place to say it (callers name the event,
 * never the target). An event maps to one row per target. Adding an event means a line here.
 */
export const OUTBOX_ROUTES = {
  'account.opened': ['salesforce'],
  'account.charge_raised': ['netsuite'],
  'account.charge_waived': ['netsuite'],
  'account.written_off': ['netsuite'],
  'payment.completed': ['netsuite'],
  'payment.reversed': ['netsuite'],
  'refund.approved': ['netsuite'],
  'refund.completed': ['netsuite'],
  // NetSuite: the day journal of a closed business day, and an approved commission payment's vendor bill.
  'ledger.day_closed': ['netsuite'],
  'commission_payment.approved': ['netsuite'],
} as const satisfies Record<string, readonly OutboxTarget[]>;

export type OutboxEvent = keyof typeof OUTBOX_ROUTES;

export function targetsOf(event: OutboxEvent): readonly OutboxTarget[] {
  return OUTBOX_ROUTES[event];
}
