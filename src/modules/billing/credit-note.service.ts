import type { Sequelize, Transaction } from 'sequelize';
import type { ScopedActor } from '../../platform/auth/actor';
import { inRegionScope } from '../../platform/auth/principal';
import { withTransaction } from '../../platform/db/transaction';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { Account, type AccountStatus } from '../accounts/models';
import { lockAccount, preparedAccount } from '../accounts/settlement';
import { audit } from '../audit/audit';
import { integrations } from '../integrations/outbox';
import { LEDGER } from '../ledger/chart';
import { postEntry } from '../ledger/journal.service';
import { nextNumber } from '../organisation/number-sequences';
import { AccountInvoice, CreditNote } from './models';

export interface CreditNoteInput {
  amount: MoneyString;
  reason: string;
}

/** A credit note corrects what an account was billed: not once it was written off (nothing is owed any more). */
const CREDITABLE: readonly AccountStatus[] = ['pending', 'active', 'suspended', 'closed', 'repossessed'];

export function creditNoteView(c: CreditNote) {
  return {
    id: c.id,
    accountId: c.accountId,
    invoiceId: c.invoiceId ?? null,
    creditNoteNumber: c.creditNoteNumber,
    amount: c.amount,
    currency: c.currency,
    reason: c.reason,
    journalEntryId: c.journalEntryId ?? null,
    refundId: c.refundId ?? null,
    issuedBy: c.issuedBy ?? null,
    issuedAt: c.issuedAt.toISOString(),
  };
}

export interface CreditNoteHooks {
  /** Runs inside the transaction, just before commit (the idempotent response). */
  beforeCommit?(result: { creditNote: CreditNote; account: Account; invoice: AccountInvoice }, t: Transaction): Promise<void>;
}

/**
 * Credit notes: billing corrections against an invoice (statement), docs/contract-changes.md
 * "Credit notes". A credit note is a credit to the account: Dr 4100 sales revenue (the correction
 * takes back revenue billed) / Cr 2100 customer credit balances, and the account's creditBalance
 * rises by it, in one transaction with the account row locked first. What it credits is owed to
 * the customer: the payoff quote nets it, and a refund of the credit balance pays it out. The
 * credit notes of an invoice never add up to more than its total (409).
 */
export class CreditNoteService {
  constructor(private readonly sequelize: Sequelize) {}

  private async visibleInvoice(actor: ScopedActor, invoiceId: number): Promise<AccountInvoice> {
    const invoice = await AccountInvoice.findByPk(invoiceId, { include: [{ model: Account, as: 'account', attributes: ['id', 'regionId'] }] });
    if (!invoice || !inRegionScope(actor.scope, invoice.account!.regionId)) throw problems.notFound('invoice');
    return invoice;
  }

  async list(actor: ScopedActor, invoiceId: number): Promise<CreditNote[]> {
    await this.visibleInvoice(actor, invoiceId);
    return CreditNote.findAll({ where: { invoiceId }, order: [['id', 'ASC']] });
  }

  async issue(
    actor: ScopedActor,
    invoiceId: number,
    input: CreditNoteInput,
    hooks: CreditNoteHooks = {},
  ): Promise<{ creditNote: CreditNote; account: Account; invoice: AccountInvoice }> {
    const amount = new Decimal(input.amount);
    if (amount.lessThanOrEqualTo(0)) throw problems.validation([{ field: 'amount', in: 'body', message: 'amount must be positive' }]);
    const visible = await this.visibleInvoice(actor, invoiceId);
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(visible.accountId, t);
      if (!CREDITABLE.includes(account.status)) {
        throw problems.conflict(`No credit note can be issued on an account that is ${account.status}.`, 'account-not-creditable', {
          currentStatus: account.status,
        });
      }
      // Read after the lock: every credit note of this invoice is issued under the same account lock.
      const invoice = (await AccountInvoice.findByPk(invoiceId, { transaction: t }))!;
      const earlier = new Decimal((await CreditNote.sum('amount', { where: { invoiceId }, transaction: t })) ?? 0);
      const available = new Decimal(invoice.totalAmount).minus(earlier);
      if (amount.greaterThan(available)) {
        throw problems.conflict(
          `The credit notes of invoice ${invoice.invoiceNumber} may not exceed its total ${invoice.totalAmount}: ${toMoneyString(available.isNegative() ? 0 : available)} is left.`,
          'credit-note-exceeds-invoice',
          { invoiceTotal: invoice.totalAmount, alreadyCredited: toMoneyString(earlier), available: toMoneyString(available.isNegative() ? 0 : available) },
        );
      }
      const { calendar } = await preparedAccount(account, t);
      const businessDate = calendar.businessDate;
      const creditNote = await CreditNote.create(
        {
          accountId: account.id,
          // Gapless numbers are taken late: every issuer of a credit note queues on the sequence row.
          creditNoteNumber: await nextNumber('creditNote', t),
          amount: toMoneyString(amount),
          currency: invoice.currency,
          reason: input.reason,
          invoiceId,
          issuedBy: actor.employeeId,
          issuedAt: new Date(),
        },
        { transaction: t },
      );
      const entry = await postEntry(
        {
          businessDate,
          countryId: calendar.countryId,
          description: `Credit note ${creditNote.creditNoteNumber} on ${invoice.invoiceNumber} (${account.accountNumber})`,
          sourceType: 'credit_note',
          sourceId: creditNote.id,
          accountId: account.id,
          currency: calendar.currency,
          createdBy: actor.employeeId,
          lines: [
            { ledger: LEDGER.salesRevenue, debit: toMoneyString(amount) },
            { ledger: LEDGER.customerCreditBalances, credit: toMoneyString(amount), accountId: account.id },
          ],
        },
        t,
      );
      await creditNote.update({ journalEntryId: entry.id }, { transaction: t });
      account.creditBalance = toMoneyString(new Decimal(account.creditBalance).plus(amount));
      await Account.update({ creditBalance: account.creditBalance }, { where: { id: account.id }, transaction: t });
      await audit.record(t, {
        actor,
        action: 'credit_note.issue',
        entity: 'creditNotes',
        entityId: creditNote.id,
        after: { accountId: account.id, invoiceId, amount: creditNote.amount, reason: input.reason, journalEntryId: entry.id },
      });
      await integrations.enqueue(t, {
        aggregate: 'account',
        id: account.id,
        event: 'account.credit_noted',
        payload: { accountId: account.id, creditNoteId: creditNote.id, invoiceId, amount: creditNote.amount, journalEntryId: entry.id, businessDate },
      });
      const result = { creditNote, account, invoice };
      await hooks.beforeCommit?.(result, t);
      return result;
    });
  }
}
