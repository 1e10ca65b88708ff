import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { dateOnlyField, idField, pastInstantField, paymentAmountField } from '../../platform/http/schemas';
import { accountView } from '../accounts/account.service';
import { PAYMENT_CHANNELS, type PaymentChannel } from '../payments/models';
import { paymentView } from '../payments/views';
import { paidOffSchema, payoffQuoteSchema } from './contract-changes.responses';
import { PayoffService, payoffQuoteView, type PaidOff } from './payoff.service';

const idParams = Joi.object<{ id: number }, true>({ id: idField().required() });

interface PayoffBody {
  quoteId: number;
  amount?: string;
  paymentType: string;
  channel: PaymentChannel;
  transactionRef: string;
  paymentDate?: string;
}

function paidOffView(p: PaidOff) {
  return {
    quote: payoffQuoteView(p.quote),
    payment: paymentView(p.posted.payment),
    allocations: p.posted.allocations,
    account: accountView(p.posted.account),
    journalEntryId: p.posted.journalEntryId,
    ...p.posted.effects,
  };
}

export function payoffRoutes(ctx: AppContext): RouteSpec[] {
  const payoffs = new PayoffService(ctx.sequelize);
  const tags = ['contract-changes'];
  return [
    defineRoute({
      method: 'get',
      path: '/accounts/:id/payoff',
      summary: 'Quote the amount that settles an account on a date (early payoff); the quote is kept so paying it can be matched',
      description:
        "What the open instalments and charges owe, less the payplan's early-payoff discount on what falls due after the date, less the credit balance. " +
        'Valid until that date (docs/contract-changes.md).',
      tags,
      access: { permission: 'accounts:payoff' },
      params: idParams,
      query: Joi.object<{ date?: string }, true>({
        date: dateOnlyField().description('The payoff date, from the business date up to 90 days after it; default the business date'),
      }),
      responses: {
        200: { description: 'The quote', schema: payoffQuoteSchema },
        404: { description: "No such account in the caller's regions" },
        409: { description: 'The account is not active or suspended (closed, written off, pending...) or owes nothing' },
      },
      handler: async (req) => ({ body: payoffQuoteView(await payoffs.quote(employeeOf(req), req.valid.params.id, req.valid.query.date)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/accounts/:id/payoff',
      summary: 'Pay a payoff quote: the account is settled and closed, the discount booked, the devices unlocked for good (Idempotency-Key required)',
      description:
        'The payment must be exactly the quoted amount (any other amount is an ordinary POST /payments), while the quote is open, on or before validUntil, ' +
        'and the account unchanged since (no payment, charge or schedule change): otherwise 409 and the quote is marked expired or stale.',
      tags,
      access: { permission: 'accounts:payoff' },
      idempotent: true,
      params: idParams,
      body: Joi.object<PayoffBody, true>({
        quoteId: idField().required(),
        amount: paymentAmountField().description('If given, must equal the quoted amount'),
        paymentType: Joi.string().max(20).required().description('Payment type code, e.g. MPESA, CASH, BANK'),
        channel: Joi.string()
          .valid(...PAYMENT_CHANNELS)
          .required(),
        transactionRef: Joi.string().max(100).required(),
        paymentDate: pastInstantField().description('When the money was received; not in the future'),
      }),
      responses: {
        201: { description: 'Paid: the quote, the payment, where it went, the account (closed) and the DISABLE_PAYG token(s)', schema: paidOffSchema },
        404: { description: "No such account or quote in the caller's regions" },
        409: { description: 'The quote is not open, expired, or stale (the account changed since); the account cannot be paid off' },
      },
      handler: async (req) => {
        const body = req.valid.body;
        const paid = await payoffs.pay(
          employeeOf(req),
          req.valid.params.id,
          {
            quoteId: body.quoteId,
            amount: body.amount,
            paymentTypeCode: body.paymentType,
            channel: body.channel,
            transactionRef: body.transactionRef,
            paymentDate: body.paymentDate ? new Date(body.paymentDate) : undefined,
          },
          (p, t) => req.idempotency!.complete(201, paidOffView(p), t),
        );
        return { status: 201, body: paidOffView(paid), headers: { Location: `/api/v1/payments/${paid.posted.payment.id}` } };
      },
    }),
  ];
}
