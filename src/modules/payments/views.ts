import type { Payment } from './models';

/** How a payment is shown to API clients. */
export function paymentView(p: Payment) {
  return {
    id: p.id,
    accountId: p.accountId,
    amount: p.amount,
    currency: p.currency,
    channel: p.channel,
    transactionRef: p.transactionRef,
    paymentDate: p.paymentDate.toISOString(),
    businessDate: p.businessDate,
    status: p.status,
    receiptNumber: p.receiptNumber,
  };
}
