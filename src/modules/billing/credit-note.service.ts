import { Op, type Sequelize, type Transaction } from 'sequelize';
import {
  fourEyesRefusal,
  refuseOwnRequest,
  rejectPending,
  type Decider,
  type InboxAfter,
  type PendingItem,
  pendingInScope,
} from '../../platform/approvals/kit';
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
import { SystemSetting } from '../organisation/reference.models';
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
    status: c.status ?? 'issued',
    issuedBy: c.issuedBy ?? null,
    issuedAt: c.issuedAt.toISOString(),
    requestedBy: c.requestedBy ?? null,
    approvedBy: c.approvedBy ?? null,
    decidedAt: c.decidedAt ? c.decidedAt.toISOString() : null,
    rejectionReason: c.rejectionReason ?? null,
  };
}

/** Above this amount a credit note waits for another employee (systemSettings 'creditNotes.approvalThreshold' overrides). */
export const DEFAULT_CREDIT_NOTE_APPROVAL_THRESHOLD: MoneyString = '5000.00';
export const CREDIT_NOTE_THRESHOLD_SETTING = 'creditNotes.approvalThreshold';

/** The threshold: the setting ("5000.00" or 5000) when set and valid, else the default. */
export async function creditNoteApprovalThreshold(transaction?: Transaction): Promise<Decimal> {
  const s = await SystemSetting.findOne({ where: { key: CREDIT_NOTE_THRESHOLD_SETTING }, attributes: ['value'], transaction });
  const v = s?.value as unknown;
  const text = typeof v === 'number' || typeof v === 'string' ? String(v) : null;
  return new Decimal(text !== null && /^\d{1,12}(\.\d{1,2})?$/.test(text) ? text : DEFAULT_CREDIT_NOTE_APPROVAL_THRESHOLD);
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
 * the customer (a refund takes from the credit balance first). The credit notes of an invoice,
 * issued or pending, never add up to more than its total (409). Above the approval threshold a
 * note is pending until another employee approves it (then booked) or rejects it (maker-checker).
 */
export class CreditNoteService {
  constructor(private readonly sequelize: Sequelize) {}

  private async visibleInvoice(actor: ScopedActor, invoiceId: number): Promise<AccountInvoice> {
    const invoice = await AccountInvoice.findByPk(invoiceId, { include: [{ model: Account, as: 'account', attributes: ['id', 'regionId'] }] });
    if (!invoice || !inRegionScope(actor.scope, invoice.account!.regionId)) throw problems.notFound('invoice');
    return invoice;
  }

  private async visibleNote(actor: ScopedActor, id: number): Promise<CreditNote> {
    const note = await CreditNote.findByPk(id, { include: [{ model: Account, as: 'account', attributes: ['id', 'regionId'] }] });
    if (!note || !inRegionScope(actor.scope, note.account!.regionId)) throw problems.notFound('credit note');
    return note;
  }

  async get(actor: ScopedActor, id: number): Promise<CreditNote> {
    return this.visibleNote(actor, id);
  }

  async list(actor: ScopedActor, invoiceId: number): Promise<CreditNote[]> {
    await this.visibleInvoice(actor, invoiceId);
    return CreditNote.findAll({ where: { invoiceId }, order: [['id', 'ASC']] });
  }

  /**
   * Issues a credit note: booked at once up to the approval threshold, else pending for another
   * employee. A pending note holds its part of the invoice (the limit counts it) until rejected.
   */
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
      checkCreditable(account);
      // Read after the lock: every credit note of this invoice is issued under the same account lock.
      const invoice = (await AccountInvoice.findByPk(invoiceId, { transaction: t }))!;
      const earlier = new Decimal((await CreditNote.sum('amount', { where: { invoiceId, status: { [Op.in]: ['issued', 'pending'] } }, transaction: t })) ?? 0);
      const available = Decimal.max(new Decimal(invoice.totalAmount).minus(earlier), 0);
      if (amount.greaterThan(available)) {
        throw problems.conflict(
          `The credit notes of invoice ${invoice.invoiceNumber} may not exceed its total ${invoice.totalAmount}: ${toMoneyString(available)} is left.`,
          'credit-note-exceeds-invoice',
          { invoiceTotal: invoice.totalAmount, alreadyCredited: toMoneyString(earlier), available: toMoneyString(available) },
        );
      }
      const needsApproval = amount.greaterThan(await creditNoteApprovalThreshold(t));
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
          status: needsApproval ? 'pending' : 'issued',
          requestedBy: needsApproval ? actor.employeeId : null,
        },
        { transaction: t },
      );
      if (needsApproval) {
        await audit.record(t, {
          actor,
          action: 'credit_note.request',
          entity: 'creditNotes',
          entityId: creditNote.id,
          after: { accountId: account.id, invoiceId, amount: creditNote.amount, reason: input.reason },
        });
      } else {
        await this.book(actor, creditNote, account, invoice, t);
        await audit.record(t, {
          actor,
          action: 'credit_note.issue',
          entity: 'creditNotes',
          entityId: creditNote.id,
          after: { accountId: account.id, invoiceId, amount: creditNote.amount, reason: input.reason, journalEntryId: creditNote.journalEntryId },
        });
      }
      const result = { creditNote, account, invoice };
      await hooks.beforeCommit?.(result, t);
      return result;
    });
  }

  /** The money of a note, in the caller's transaction with the account locked: Dr 4100 / Cr 2100, the credit balance, the outbox row. */
  private async book(actor: ScopedActor, creditNote: CreditNote, account: Account, invoice: AccountInvoice, t: Transaction): Promise<void> {
    const { calendar } = await preparedAccount(account, t);
    const businessDate = calendar.businessDate;
    const amount = toMoneyString(creditNote.amount);
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
          { ledger: LEDGER.salesRevenue, debit: amount },
          { ledger: LEDGER.customerCreditBalances, credit: amount, accountId: account.id },
        ],
      },
      t,
    );
    creditNote.journalEntryId = entry.id;
    await CreditNote.update({ journalEntryId: entry.id }, { where: { id: creditNote.id }, transaction: t });
    account.creditBalance = toMoneyString(new Decimal(account.creditBalance).plus(amount));
    await Account.update({ creditBalance: account.creditBalance }, { where: { id: account.id }, transaction: t });
    await integrations.enqueue(t, {
      aggregate: 'account',
      id: account.id,
      event: 'account.credit_noted',
      payload: { accountId: account.id, creditNoteId: creditNote.id, invoiceId: invoice.id, amount, journalEntryId: entry.id, businessDate },
    });
  }

  /** Pending credit notes the decider may decide (the approvals inbox): in scope, not their own. */
  async pending(decider: Decider, after: InboxAfter | undefined, limit: number): Promise<PendingItem[]> {
    const rows = await pendingInScope(CreditNote, { model: Account, as: 'account', attributes: ['id', 'regionId'] }, decider, after, limit);
    return rows.map((c) => ({
      id: c.id,
      amount: c.amount,
      requestedBy: c.requestedBy ?? null,
      requestedAt: c.createdAt,
      regionId: c.account!.regionId,
      accountId: c.accountId,
      employeeId: null,
    }));
  }

  private async lockedPending(id: number, t: Transaction): Promise<CreditNote> {
    const note = (await CreditNote.findByPk(id, { lock: t.LOCK.UPDATE, transaction: t }))!;
    if (note.status !== 'pending') throw problems.conflict(`This credit note is already ${note.status}.`, 'already-decided', { currentStatus: note.status });
    return note;
  }

  async approve(actor: ScopedActor, id: number): Promise<CreditNote> {
    const visible = await this.visibleNote(actor, id);
    refuseOwnRequest(visible.requestedBy ?? null, actor, 'credit note');
    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(visible.accountId, t);
      const note = await this.lockedPending(id, t);
      checkCreditable(account);
      const invoice = (await AccountInvoice.findByPk(note.invoiceId!, { transaction: t }))!;
      await note
        .update({ status: 'issued', approvedBy: actor.employeeId, decidedAt: new Date(), issuedAt: new Date() }, { transaction: t })
        .catch(fourEyesRefusal('You requested this credit note; another employee must approve it (maker-checker).'));
      await this.book(actor, note, account, invoice, t);
      await audit.record(t, {
        actor,
        action: 'credit_note.approve',
        entity: 'creditNotes',
        entityId: note.id,
        before: { status: 'pending' },
        after: { status: 'issued', journalEntryId: note.journalEntryId },
      });
      return note;
    });
  }

  async reject(actor: ScopedActor, id: number, reason: string): Promise<CreditNote> {
    const visible = await this.visibleNote(actor, id);
    return rejectPending(this.sequelize, audit, {
      model: CreditNote,
      id,
      what: 'credit note',
      requestedBy: visible.requestedBy ?? null,
      actor,
      reason,
      action: 'credit_note.reject',
      lockFirst: (t) => lockAccount(visible.accountId, t),
    });
  }
}

function checkCreditable(account: Account): void {
  if (!CREDITABLE.includes(account.status)) {
    throw problems.conflict(`No credit note can be issued on an account that is ${account.status}.`, 'account-not-creditable', {
      currentStatus: account.status,
    });
  }
}
