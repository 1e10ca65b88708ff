import { randomUUID } from 'node:crypto';
import Joi from 'joi';
import type { Transaction } from 'sequelize';
import { inRegionScope, regionScope } from '../../platform/auth/principal';
import type { AppContext } from '../../platform/context';
import { defineRoute, type RouteSpec } from '../../platform/http/route';
import { idField, pastInstantField, paymentAmountField } from '../../platform/http/schemas';
import { problems } from '../../platform/http/problem';
import { cursorPaginationQuery, pagedResponseSchema } from '../../platform/http/pagination';
import { AccountService, accountView, type AccountPageQuery } from '../accounts/account.service';
import { Account } from '../accounts/models';
import { Payment, PAYMENT_CHANNELS, type PaymentChannel } from './models';
import { PaymentPostingService, type PostedPayment } from './posting.service';
import { paymentView } from './views';
import { paymentDetailSchema, paymentSchema, postedPaymentSchema } from './payments.responses';
import { accountPayments } from './account-payments';

/**
 * The channel each seeded payment type moves money through: an M-Pesa payment posted as cash
 * would debit the wrong ledger. Types added later through /payment-types are not bound.
 */
const CHANNEL_OF_PAYMENT_TYPE: Record<string, PaymentChannel> = {
  MPESA: 'mobile_money',
  AIRTEL: 'mobile_money',
  MTN: 'mobile_money',
  CASH: 'cash',
  BANK: 'bank',
  ADJUSTMENT: 'adjustment',
};

interface PostPaymentBody {
  accountId?: number;
  accountNumber?: string;
  amount: string;
  paymentType: string;
  channel: PaymentChannel;
  transactionRef: string;
  paymentDate?: string;
}

function postedView(p: PostedPayment) {
  return {
    payment: paymentView(p.payment),
    allocations: p.allocations,
    account: accountView(p.account),
    journalEntryId: p.journalEntryId,
    ...p.effects,
  };
}

export function paymentRoutes(ctx: AppContext): RouteSpec[] {
  const posting = new PaymentPostingService(ctx.sequelize);
  const accounts = new AccountService(ctx.sequelize);
  const tags = ['payments'];
  return [
    defineRoute({
      method: 'post',
      path: '/payments',
      summary: 'Post a payment to an account (Idempotency-Key required)',
      description:
        'Allocates the money in the payplan order (charges, overdue, due, future by default); an overpayment beyond payoff stays as credit. ' +
        'Retrying with the same Idempotency-Key and body replays the first response.',
      tags,
      access: { permission: 'payments:write' },
      idempotent: true,
      body: Joi.object<PostPaymentBody, true>({
        accountId: idField(),
        accountNumber: Joi.string().max(50),
        amount: paymentAmountField().required(),
        paymentType: Joi.string()
          .max(20)
          .required()
          .custom((code: string, helpers) => {
            const channel = (helpers.state.ancestors[0] as { channel?: unknown }).channel;
            const expected = CHANNEL_OF_PAYMENT_TYPE[code.toUpperCase()];
            // A channel that is not one at all is the channel field's own error, not this one.
            return expected && (PAYMENT_CHANNELS as readonly unknown[]).includes(channel) && channel !== expected
              ? helpers.message({ custom: `{#label} ${code} is paid through the ${expected} channel, not ${channel}` })
              : code;
          })
          .description('Payment type code, e.g. MPESA, CASH, BANK; the seeded types must come through their own channel'),
        channel: Joi.string()
          .valid(...PAYMENT_CHANNELS)
          .required(),
        transactionRef: Joi.string().max(100).required(),
        paymentDate: pastInstantField().description('When the money was received; not in the future'),
      }).xor('accountId', 'accountNumber'),
      responses: {
        201: {
          description: 'Posted: the payment, its allocations, the account after it, the journal entry and the device token(s)',
          schema: postedPaymentSchema,
        },
        404: { description: "No such account in the caller's regions" },
        409: { description: 'This transactionRef was already used for this payment type, or a request with this Idempotency-Key is still running' },
      },
      handler: async (req) => {
        const body = req.valid.body;
        const scope = regionScope(req.principal);
        let accountId = body.accountId;
        if (accountId === undefined) {
          const found = await Account.findOne({ where: { accountNumber: body.accountNumber! }, attributes: ['id'] });
          if (!found) throw problems.notFound('account');
          accountId = found.id;
        }
        // The answer is built once: stored with the idempotency key (in the transaction), then sent.
        // The receipt number is taken in the COMMIT's round trip (the company-wide lock, held for
        // that round trip alone): the stored answer gets it there too, by SQL in place of a random
        // placeholder, and the answer sent once it has committed.
        let view: ReturnType<typeof postedView> | undefined;
        const storeAnswer = (p: PostedPayment, t: Transaction) => {
          view = postedView(p);
          if (p.receiptNumber !== null) return req.idempotency!.complete(201, view, t);
          const placeholder = `receipt-${randomUUID()}`;
          view.payment.receiptNumber = placeholder;
          return req.idempotency!.complete(201, view, t, { placeholder, value: p.receiptSql });
        };
        const posted = await posting.post(
          {
            accountId,
            scope,
            amount: body.amount,
            paymentTypeCode: body.paymentType,
            channel: body.channel,
            transactionRef: body.transactionRef,
            paymentDate: body.paymentDate ? new Date(body.paymentDate) : undefined,
            createdBy: req.principal!.employeeId,
            receiptAtCommit: true,
          },
          { afterLock: (t) => req.idempotency!.hold(t), beforeCommit: storeAnswer },
        );
        if (view) view.payment.receiptNumber = posted.receiptNumber;
        return { status: 201, body: view ?? postedView(posted), headers: { Location: `/api/v1/payments/${posted.payment.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/payments/:id',
      summary: 'One payment with its allocations',
      responses: {
        200: { description: 'The payment with every allocation, reversed ones included', schema: paymentDetailSchema },
        404: { description: "No such payment in the caller's regions" },
      },
      tags,
      access: { permission: 'payments:read' },
      params: Joi.object<{ id: number }, true>({ id: idField().required() }),
      handler: async (req) => {
        const payment = await Payment.findByPk(req.valid.params.id, { include: [{ association: 'allocations' }] });
        if (!payment || !inRegionScope(regionScope(req.principal), payment.regionId)) throw problems.notFound('payment');
        return {
          body: {
            ...paymentView(payment),
            allocations: (payment.allocations ?? []).map((a) => ({
              kind: a.allocationType,
              installmentScheduleId: a.installmentScheduleId,
              accountChargeId: a.accountChargeId,
              amount: a.amount,
              reversedAt: a.reversedAt ? a.reversedAt.toISOString() : null,
            })),
          },
        };
      },
    }),
    // Listed under accounts in the API; served here because payments sit above accounts.
    defineRoute({
      method: 'get',
      path: '/accounts/:id/payments',
      responses: {
        200: { description: "A page of the account's payments", schema: pagedResponseSchema(paymentSchema) },
        404: { description: "No such account in the caller's regions" },
      },
      summary: 'Payments of an account, oldest first, a page at a time',
      tags: ['accounts'],
      access: { permission: 'payments:read' },
      params: Joi.object<{ id: number }, true>({ id: idField().required() }),
      query: Joi.object<AccountPageQuery, true>(cursorPaginationQuery),
      handler: async (req) => ({ body: await accountPayments(accounts, regionScope(req.principal), req.valid.params.id, req.valid.query) }),
    }),
  ];
}
