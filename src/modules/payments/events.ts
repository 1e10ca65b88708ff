import type { Transaction } from 'sequelize';
import type { Account } from '../accounts/models';
import type { Payment } from './models';

/**
 * What other domains do when money moves, inside the same transaction (the account row is
 * locked). Devices turn a posted payment into credit days and a token; a reversal or a refund
 * takes them back. Payments do not know who listens: modules register at start-up.
 */
export interface PaymentPostedEvent {
  payment: Payment;
  account: Account;
  businessDate: string;
  /** Set when the account was paid off by this payment. */
  paidOff: boolean;
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

/** What listeners report back (e.g. { token: '123 456 789', creditDays: 7 }); merged into the API response. */
export type Effects = Record<string, unknown>;

type Listener<E> = (event: E, transaction: Transaction) => Promise<Effects | void>;

const posted: Listener<PaymentPostedEvent>[] = [];
const reversed: Listener<PaymentReversedEvent>[] = [];
const refunded: Listener<PaymentRefundedEvent>[] = [];

export const paymentEvents = {
  onPosted(listener: Listener<PaymentPostedEvent>): void {
    posted.push(listener);
  },
  onReversed(listener: Listener<PaymentReversedEvent>): void {
    reversed.push(listener);
  },
  onRefunded(listener: Listener<PaymentRefundedEvent>): void {
    refunded.push(listener);
  },
  async emitPosted(event: PaymentPostedEvent, transaction: Transaction): Promise<Effects> {
    const effects: Effects = {};
    for (const l of posted) Object.assign(effects, (await l(event, transaction)) ?? {});
    return effects;
  },
  async emitReversed(event: PaymentReversedEvent, transaction: Transaction): Promise<Effects> {
    const effects: Effects = {};
    for (const l of reversed) Object.assign(effects, (await l(event, transaction)) ?? {});
    return effects;
  },
  async emitRefunded(event: PaymentRefundedEvent, transaction: Transaction): Promise<Effects> {
    const effects: Effects = {};
    for (const l of refunded) Object.assign(effects, (await l(event, transaction)) ?? {});
    return effects;
  },
};
