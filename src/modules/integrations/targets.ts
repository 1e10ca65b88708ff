import type { OutboxTarget } from './models';

/**
 * Which systems hear of which outbox event: the one place to say it (callers name the event,
 * never the target). An event maps to one row per target. Adding an event means a line here.
 *  - NetSuite (the general ledger) hears of money movements and customers.
 *  - Salesforce (the CRM) keeps each PAYG account's current state and each customer: every money
 *    event, and the nightly close's DPD/status/bucket changes, become an 'account' row for it
 *    (STATE_TRANSFER below), coalesced by the drain into one upsert of the account's state.
 */
export const OUTBOX_ROUTES = {
  'account.opened': ['salesforce'],
  'account.charge_raised': ['netsuite', 'salesforce'],
  'account.charge_waived': ['netsuite', 'salesforce'],
  'account.written_off': ['netsuite', 'salesforce'],
  /** A credit note (billing correction) credited the account: its credit balance rose. */
  'account.credit_noted': ['netsuite', 'salesforce'],
  /** The account changed owner (an approved ownership transfer): the CRM moves it to the new customer. */
  'account.transferred': ['salesforce'],
  /** A payment holiday or restructure replaced the open schedule (DPD, status, maybe a fee). */
  'account.schedule_changed': ['salesforce'],
  /** The nightly close changed the account's DPD, PAR bucket or status (written set-based: close-step.ts). */
  'account.arrears_changed': ['salesforce'],
  'payment.completed': ['netsuite', 'salesforce'],
  'payment.reversed': ['netsuite', 'salesforce'],
  'refund.approved': ['netsuite', 'salesforce'],
  'refund.completed': ['netsuite', 'salesforce'],
  'customer.created': ['netsuite', 'salesforce'],
  'customer.updated': ['netsuite', 'salesforce'],
  /** An operator's re-send or backfill of an account's current state (`amt sync resend|backfill`). */
  'account.resync': ['salesforce'],
  // NetSuite: the day journal of a closed business day, and an approved commission payment's vendor bill.
  'ledger.day_closed': ['netsuite'],
  'commission_payment.approved': ['netsuite'],
} as const satisfies Record<string, readonly OutboxTarget[]>;

export type OutboxEvent = keyof typeof OUTBOX_ROUTES;

export function targetsOf(event: OutboxEvent): readonly OutboxTarget[] {
  return OUTBOX_ROUTES[event];
}

/**
 * Targets that keep an aggregate's current state rather than the event: for them the row is filed
 * under that aggregate (id from the payload's `<aggregate>Id`), so the drain coalesces, e.g., a
 * payment, a charge and a reversal of one account into one upsert of the account.
 */
export const STATE_TRANSFER: { readonly [T in OutboxTarget]?: { readonly [E in OutboxEvent]?: 'account' } } = {
  salesforce: {
    'account.charge_raised': 'account',
    'account.charge_waived': 'account',
    'account.written_off': 'account',
    'account.credit_noted': 'account',
    'account.schedule_changed': 'account',
    'payment.completed': 'account',
    'payment.reversed': 'account',
    'refund.approved': 'account',
    'refund.completed': 'account',
  },
};

/** The aggregate a target's row of `event` is filed under (the event's own when not state transfer). */
export function rowAggregateOf(
  target: OutboxTarget,
  event: OutboxEvent,
  aggregate: string,
  id: number,
  payload: Record<string, unknown>,
): { aggregate: string; id: number } {
  const as = STATE_TRANSFER[target]?.[event];
  if (!as || as === aggregate) return { aggregate, id };
  const ref = payload[`${as}Id`];
  if (typeof ref !== 'number' || !Number.isSafeInteger(ref) || ref < 1) {
    throw new Error(`outbox event ${event} for ${target} needs payload.${as}Id (it is filed under the ${as})`);
  }
  return { aggregate: as, id: ref };
}
