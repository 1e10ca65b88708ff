import type { Sequelize, Transaction } from 'sequelize';
import type { Account } from '../accounts/models';
import type { MobileMoneyTransaction, Payment } from './models';

/**
 * What other domains do when money moves, inside the same transaction (the account row is
 * locked). Devices turn a posted payment into credit days and a token; a reversal or a refund
 * takes them back. Payments do not know who listens: modules subscribe in their `register(ctx)`.
 */
export interface PaymentPostedEvent {
  payment: Payment;
  account: Account;
  businessDate: string;
  /** Set when the account was paid off by this payment. */
  paidOff: boolean;
  /** The provider's stored transaction this payment posts (mobile money marks it posted, in this transaction). */
  mobileMoneyTransaction?: MobileMoneyTransaction;
}

export interface PaymentReversedEvent {
  payment: Payment;
  account: Account;
  businessDate: string;
  reversedBy: number | null;
}

/** Part of a payment given back to the customer (an approved refund); the payment stays completed. */
export interface PaymentRefundedEvent {
  payment: Payment;
  account: Account;
  businessDate: string;
  refundId: number;
  refundedBy: number | null;
}

/**
 * Given by a caller of payment posting (PostPaymentInput.settleRest): runs in the posting, after
 * the money is allocated and before the account's status is worked out, and may settle what is
 * left otherwise (POST /accounts/:id/payoff waives the quoted discount there), so that a payoff
 * closes the account, and the devices hear `paidOff`, within the payment itself.
 */
export type SettleRest = (account: Account, transaction: Transaction) => Promise<void>;

/** What listeners report back (e.g. { token: '123 456 789', creditDays: 7 }); merged into the API response. */
export type Effects = Record<string, unknown>;

export type PaymentListener<E> = (event: E, transaction: Transaction) => Promise<Effects | void>;

/**
 * Asked before a payment's reversal is requested or approved, in that transaction with the account
 * locked; a throw (an HttpProblem) refuses the reversal. Billing: a payment refunded (or being
 * refunded) in part can no longer be reversed.
 */
export type ReversalGuard = (payment: Payment, transaction: Transaction) => Promise<void>;

/**
 * Where a module subscribes, from its `register(ctx)` (src/platform/context.ts), nowhere else.
 * Listeners are named: registering a name again replaces it, so registration is idempotent.
 */
export interface PaymentEventSubscriptions {
  onPosted(name: string, listener: PaymentListener<PaymentPostedEvent>): void;
  onReversed(name: string, listener: PaymentListener<PaymentReversedEvent>): void;
  onRefunded(name: string, listener: PaymentListener<PaymentRefundedEvent>): void;
  beforeReversal(name: string, guard: ReversalGuard): void;
}

interface Listeners {
  posted: Map<string, PaymentListener<PaymentPostedEvent>>;
  reversed: Map<string, PaymentListener<PaymentReversedEvent>>;
  refunded: Map<string, PaymentListener<PaymentRefundedEvent>>;
  beforeReversal: Map<string, ReversalGuard>;
}

// One set of listeners per runtime, keyed by its Sequelize instance: a test process builds
// several runtimes, and a listener holding one runtime's logger or queue must not run for another.
const byRuntime = new WeakMap<Sequelize, Listeners>();

function listenersOf(sequelize: Sequelize): Listeners {
  let l = byRuntime.get(sequelize);
  if (!l) byRuntime.set(sequelize, (l = { posted: new Map(), reversed: new Map(), refunded: new Map(), beforeReversal: new Map() }));
  return l;
}

/** The subscriptions of the runtime that owns `sequelize`. */
export function paymentSubscriptions(sequelize: Sequelize): PaymentEventSubscriptions {
  const l = listenersOf(sequelize);
  return {
    onPosted: (name, listener) => void l.posted.set(name, listener),
    onReversed: (name, listener) => void l.reversed.set(name, listener),
    onRefunded: (name, listener) => void l.refunded.set(name, listener),
    beforeReversal: (name, guard) => void l.beforeReversal.set(name, guard),
  };
}

async function emit<E>(listeners: Map<string, PaymentListener<E>>, event: E, transaction: Transaction): Promise<Effects> {
  const effects: Effects = {};
  for (const l of listeners.values()) Object.assign(effects, (await l(event, transaction)) ?? {});
  return effects;
}

/** The runtime a transaction belongs to (Sequelize keeps it on the transaction; its types do not say so). */
function runtimeOf(transaction: Transaction): Sequelize {
  return (transaction as unknown as { sequelize: Sequelize }).sequelize;
}

/** Emitted by payments, in the payment's transaction, to the listeners of that transaction's runtime. */
export const paymentEvents = {
  emitPosted: (event: PaymentPostedEvent, transaction: Transaction): Promise<Effects> => emit(listenersOf(runtimeOf(transaction)).posted, event, transaction),
  emitReversed: (event: PaymentReversedEvent, transaction: Transaction): Promise<Effects> =>
    emit(listenersOf(runtimeOf(transaction)).reversed, event, transaction),
  emitRefunded: (event: PaymentRefundedEvent, transaction: Transaction): Promise<Effects> =>
    emit(listenersOf(runtimeOf(transaction)).refunded, event, transaction),
  checkReversal: async (payment: Payment, transaction: Transaction): Promise<void> => {
    for (const guard of listenersOf(runtimeOf(transaction)).beforeReversal.values()) await guard(payment, transaction);
  },
};
