import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { defineRoute, type RouteSpec } from '../../platform/http/route';
import { MAX_PAYMENT_AMOUNT, instantField, paymentAmountField } from '../../platform/http/schemas';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString } from '../../platform/money';
import { isDatabaseUnavailable } from '../../platform/db/unavailable';
import type { Logger } from '../../platform/logging/logger';
import type { MobileMoneyTransaction } from '../payments/models';
import { acceptsPayments, MobileMoneyService, transactionView, type IncomingTransaction } from './ingestion.service';
import { countryByCode, parseProviderTime, PROVIDER_CODES, PROVIDERS, providerOf, type ProviderCode } from './providers';

/** The scope an API client needs for every provider callback. */
export const CALLBACK_SCOPE = 'mobile-money:callback';

const MONEY = /^\d{1,12}(\.\d{1,2})?$/;
const darajaText = (max: number) => Joi.string().max(max).allow('');
const darajaNumber = Joi.alternatives(Joi.string().max(24), Joi.number());

/** Daraja C2B (validation and confirmation share the shape). Unknown fields are refused (400). */
const c2bFields = {
  TransactionType: darajaText(50),
  TransID: Joi.string()
    .pattern(/^[A-Za-z0-9]{1,100}$/)
    .message('TransID must be 1-100 letters or digits'),
  TransTime: Joi.string()
    .pattern(/^\d{14}$/)
    .message("TransTime must be 'YYYYMMDDHHmmss'"),
  TransAmount: darajaNumber.required(),
  BusinessShortCode: Joi.alternatives(Joi.string().max(20), Joi.number().integer()).required(),
  BillRefNumber: darajaText(100),
  InvoiceNumber: darajaText(100),
  OrgAccountBalance: Joi.alternatives(darajaText(24), Joi.number()),
  ThirdPartyTransID: darajaText(100),
  MSISDN: darajaText(100).description('Payer number; newer Daraja versions send a hash (kept in the raw payload only)'),
  FirstName: darajaText(100),
  MiddleName: darajaText(100),
  LastName: darajaText(100),
};
export interface C2BBody {
  TransactionType?: string;
  TransID?: string;
  TransTime?: string;
  TransAmount: string | number;
  BusinessShortCode: string | number;
  BillRefNumber?: string;
  InvoiceNumber?: string;
  OrgAccountBalance?: string | number;
  ThirdPartyTransID?: string;
  MSISDN?: string;
  FirstName?: string;
  MiddleName?: string;
  LastName?: string;
}
/** The confirmation: a C2B body that names its transaction and time. */
export interface C2BConfirmationBody extends C2BBody {
  TransID: string;
  TransTime: string;
}

/** A Daraja amount as money, or null when it is not a positive amount with at most 2 decimals. */
function darajaAmount(value: string | number): string | null {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? new Decimal(value).toString() : '') : value.trim();
  if (!MONEY.test(text) || new Decimal(text).lessThanOrEqualTo(0) || new Decimal(text).greaterThan(MAX_PAYMENT_AMOUNT)) return null;
  return toMoneyString(text);
}

const accepted = { ResultCode: 0, ResultDesc: 'Accepted' };
const darajaAnswer = Joi.object({ ResultCode: Joi.alternatives(Joi.number(), Joi.string()), ResultDesc: Joi.string() });

export interface GenericCallbackBody {
  transactionId: string;
  amount: string;
  currency: string;
  country?: string;
  accountReference: string;
  msisdn?: string;
  payerName?: string;
  transactionTime: string;
  transactionType?: string;
}

/**
 * Store, then process, answering as the gateway needs during a database outage.
 *
 * Daraja treats its ConfirmationURL call as delivered only on an HTTP 200 acknowledgement
 * ({"ResultCode":0}); an error status, a timeout or no answer leaves it undelivered, and Safaricom
 * may send it again (its retries are best effort, not a promise: a callback still missing later is
 * recovered from the M-Pesa statement upload, which goes through the same idempotent store). So:
 *  - the callback could not be stored (database down): the error reaches the error handler, which
 *    answers 503 problem+json with Retry-After, never a 200 and never a 500, so it is not
 *    acknowledged and may come again;
 *  - it was stored but processing hit the outage: it is ours now, so acknowledge it; the row stays
 *    `received` and the re-drive job (or the next copy of the callback) posts it, once, under its
 *    row lock.
 */
async function storeThenProcess(service: MobileMoneyService, tx: IncomingTransaction, logger: Logger): Promise<MobileMoneyTransaction> {
  const { row } = await service.store(tx);
  if (row.status !== 'received') return row;
  try {
    return await service.processSafely(row.id, row.billRefNumber);
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    logger.warn(
      { provider: tx.provider, mobileMoneyTransactionId: row.id },
      'mobile-money transaction stored; processing left to re-drive (database unavailable)',
    );
    return row;
  }
}

export function callbackRoutes(ctx: AppContext): RouteSpec[] {
  const service = new MobileMoneyService(ctx.sequelize, ctx.logger);
  const tags = ['mobile-money'];
  const access = { client: CALLBACK_SCOPE };
  return [
    defineRoute({
      method: 'post',
      path: '/mobile-money/mpesa/validation',
      summary: 'M-Pesa C2B validation (Daraja ValidationURL): may this payment be taken?',
      description:
        'Answers Daraja\'s shape: {"ResultCode":0,"ResultDesc":"Accepted"}, or ResultCode "C2B00012" (invalid account number: no account or device with that ' +
        'reference, or its account is closed or repossessed) or "C2B00013" (invalid amount: not a positive amount with at most 2 decimals, or above the maximum per payment). Stores nothing.',
      tags,
      access,
      body: Joi.object<C2BBody, true>(c2bFields),
      responses: { 200: { description: 'Daraja result', schema: darajaAnswer } },
      handler: async (req) => {
        const b = req.valid.body;
        if (!darajaAmount(b.TransAmount)) return { body: { ResultCode: 'C2B00013', ResultDesc: 'Rejected' } };
        if (!(await acceptsPayments(b.BillRefNumber))) return { body: { ResultCode: 'C2B00012', ResultDesc: 'Rejected' } };
        return { body: accepted };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/mobile-money/mpesa/confirmation',
      summary: 'M-Pesa C2B confirmation (Daraja ConfirmationURL): the money has moved',
      description:
        'Stores the callback raw (once per TransID: a repeat, sequential or concurrent, posts nothing more and gets the same answer), then matches ' +
        'BillRefNumber to an account number or the serial of a device linked to an account and posts the payment (MPESA, transactionRef = TransID); ' +
        'a payment it cannot match waits in suspense (GET /unmatched-payments). TransTime is East Africa Time. Always {"ResultCode":0,"ResultDesc":"Accepted"} once stored; ' +
        'when it cannot be stored (database unavailable) a 503 problem+json with Retry-After, so it is not acknowledged and may be sent again.',
      tags,
      access,
      body: Joi.object<C2BConfirmationBody, true>({ ...c2bFields, TransID: c2bFields.TransID.required(), TransTime: c2bFields.TransTime.required() }),
      responses: { 200: { description: 'Accepted (stored; posted or in suspense)', schema: darajaAnswer } },
      handler: async (req) => {
        const b = req.valid.body;
        const amount = darajaAmount(b.TransAmount);
        if (!amount)
          throw problems.validation([
            { field: 'TransAmount', in: 'body', message: `TransAmount must be a positive amount with at most 2 decimals, at most ${MAX_PAYMENT_AMOUNT}` },
          ]);
        const transTime = parseProviderTime(b.TransTime, PROVIDERS.mpesa.utcOffset);
        if (!transTime) throw problems.validation([{ field: 'TransTime', in: 'body', message: "TransTime is not a valid 'YYYYMMDDHHmmss' time" }]);
        const msisdn = b.MSISDN && /^\+?\d{6,15}$/.test(b.MSISDN) ? b.MSISDN.replace(/^\+/, '') : null;
        const tx: IncomingTransaction = {
          provider: 'mpesa',
          transactionId: b.TransID,
          transactionType: b.TransactionType || 'Pay Bill',
          amount,
          currency: PROVIDERS.mpesa.currency,
          msisdn,
          billRefNumber: b.BillRefNumber ?? null,
          businessShortCode: String(b.BusinessShortCode),
          payerName: [b.FirstName, b.MiddleName, b.LastName].filter(Boolean).join(' ') || null,
          transTime,
          rawPayload: b as unknown as Record<string, unknown>,
        };
        await storeThenProcess(service, tx, ctx.logger);
        return { body: accepted };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/mobile-money/:provider/callbacks',
      summary: "A provider payment notification in AMT's own JSON shape (gateways for Airtel, MTN, or M-Pesa)",
      description:
        'Body: transactionId (the provider\'s id, unique per provider), amount ("1500.00"), currency (ISO 4217), country (the country code of the ' +
        'collection account; optional for mpesa, whose home is KE), accountReference (account number or device serial the payer typed; may be empty), ' +
        'msisdn, payerName, transactionTime (ISO 8601 with offset), transactionType. Stored raw first, then posted or parked in suspense exactly as the ' +
        'M-Pesa confirmation; a repeat gets the same answer and posts nothing more.',
      tags,
      access,
      params: Joi.object<{ provider: ProviderCode }, true>({
        provider: Joi.string()
          .valid(...PROVIDER_CODES)
          .required(),
      }),
      body: Joi.object<GenericCallbackBody, true>({
        transactionId: Joi.string()
          .pattern(/^[A-Za-z0-9._-]{1,100}$/)
          .required(),
        amount: paymentAmountField().required(),
        currency: Joi.string()
          .pattern(/^[A-Z]{3}$/)
          .required(),
        country: Joi.string().pattern(/^[A-Z0-9]{2,3}$/),
        accountReference: Joi.string().max(100).allow('').required(),
        msisdn: Joi.string().pattern(/^\+?\d{6,15}$/),
        payerName: Joi.string().max(255),
        transactionTime: instantField().required(),
        transactionType: Joi.string().max(50),
      }),
      responses: {
        200: {
          description: 'Accepted: the stored transaction (status posted, unmatched, or received when processing is deferred)',
          schema: Joi.object({ accepted: Joi.boolean(), transaction: Joi.object().unknown(true) }),
        },
      },
      handler: async (req) => {
        const provider = providerOf(req.valid.params.provider);
        const b = req.valid.body;
        if (new Decimal(b.amount).lessThanOrEqualTo(0)) throw problems.validation([{ field: 'amount', in: 'body', message: 'amount must be positive' }]);
        const transTime = parseProviderTime(b.transactionTime, null);
        if (!transTime)
          throw problems.validation([
            { field: 'transactionTime', in: 'body', message: 'transactionTime must be ISO 8601 with an offset, e.g. 2026-11-20T14:05:00+03:00' },
          ]);
        const country = b.country ?? provider.country;
        if (!country) throw problems.validation([{ field: 'country', in: 'body', message: `country is required for ${provider.code}` }]);
        if (!(await countryByCode(country))) throw problems.validation([{ field: 'country', in: 'body', message: `unknown country ${country}` }]);
        const transaction = await storeThenProcess(
          service,
          {
            provider: provider.code,
            transactionId: b.transactionId,
            transactionType: b.transactionType ?? null,
            amount: toMoneyString(b.amount),
            currency: b.currency,
            msisdn: b.msisdn?.replace(/^\+/, '') ?? null,
            billRefNumber: b.accountReference,
            payerName: b.payerName ?? null,
            transTime,
            rawPayload: { ...b, country },
          },
          ctx.logger,
        );
        return { body: { accepted: true, transaction: transactionView(transaction) } };
      },
    }),
  ];
}
