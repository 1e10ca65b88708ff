import { Op, QueryTypes, UniqueConstraintError, type Sequelize, type Transaction } from 'sequelize';
import { inRegionScope } from '../../platform/auth/principal';
import { addDays, addMonths, type CalendarDate } from '../../platform/dates';
import { withTransaction } from '../../platform/db/transaction';
import { decodeIdCursor, type Paged, pageOf } from '../../platform/http/pagination';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import { Account, AccountCharge, InstallmentSchedule } from '../accounts/models';
import { LEDGER } from '../ledger/chart';
import { JournalEntry } from '../ledger/models';
import { calendarOfRegion } from '../organisation/business-date';
import { nextNumber } from '../organisation/number-sequences';
import type { ScopedActor } from '../../platform/auth/actor';
import { Payment, PaymentReversal } from '../payments/models';
import { lockAccount } from '../accounts/settlement';
import { creditNoteView } from './credit-note.service';
import { AccountInvoice, CreditNote, InvoiceLine, Writeoff, type InvoiceLineType } from './models';

export function invoiceView(i: AccountInvoice) {
  return {
    id: i.id,
    accountId: i.accountId,
    invoiceNumber: i.invoiceNumber,
    currency: i.currency,
    periodStart: i.periodStart,
    periodEnd: i.periodEnd,
    openingBalance: i.openingBalance,
    amount: i.amount,
    tax: i.tax,
    totalAmount: i.totalAmount,
    closingBalance: i.closingBalance,
    dueDate: i.dueDate,
    status: i.status,
    createdAt: i.createdAt.toISOString(),
    ...(i.lines
      ? {
          lines: [...i.lines]
            .sort((a, b) => a.id - b.id)
            .map((l) => ({
              id: l.id,
              lineType: l.lineType,
              description: l.description,
              quantity: l.quantity,
              unitAmount: l.unitAmount,
              amount: l.amount,
              installmentScheduleId: l.installmentScheduleId,
              accountChargeId: l.accountChargeId,
              paymentId: l.paymentId,
            })),
        }
      : {}),
    ...(i.creditNotes ? { creditNotes: [...i.creditNotes].sort((a, b) => a.id - b.id).map(creditNoteView) } : {}),
  };
}

interface DraftLine {
  lineType: InvoiceLineType;
  description: string;
  amount: Decimal;
  installmentScheduleId?: number;
  accountChargeId?: number;
  paymentId?: number;
}

/**
 * Monthly statements. A statement is a document, not a posting: it changes no balance and no
 * ledger. It lists what happened on the account in the month (one per account and month; asking
 * again returns the first one):
 *  - instalments falling due in the month (+), fees and penalties raised in it (+),
 *  - payments received in it (−), reversals of payments approved in it (+), write-offs in it (−);
 * amount = totalAmount = the sum of its lines (tax 0); openingBalance and closingBalance are the
 * account's receivable (ledger 1200, which always equals its balance) before the month's first
 * day and at the end of its last.
 */
export class InvoiceService {
  constructor(private readonly sequelize: Sequelize) {}

  private async visibleAccount(actor: ScopedActor, accountId: number): Promise<Account> {
    const a = await Account.findByPk(accountId, { attributes: ['id', 'regionId', 'accountNumber'] });
    if (!a || !inRegionScope(actor.scope, a.regionId)) throw problems.notFound('account');
    return a;
  }

  async get(actor: ScopedActor, id: number): Promise<AccountInvoice> {
    const invoice = await AccountInvoice.findByPk(id, {
      include: [
        { model: InvoiceLine, as: 'lines' },
        { model: CreditNote, as: 'creditNotes' },
        { model: Account, as: 'account', attributes: ['id', 'regionId'] },
      ],
    });
    if (!invoice || !inRegionScope(actor.scope, invoice.account!.regionId)) throw problems.notFound('invoice');
    return invoice;
  }

  async list(actor: ScopedActor, accountId: number, q: { limit: number; cursor?: string }): Promise<Paged<AccountInvoice>> {
    await this.visibleAccount(actor, accountId);
    const rows = await AccountInvoice.findAll({
      where: { accountId, ...(q.cursor ? { id: { [Op.lt]: decodeIdCursor(q.cursor) } } : {}) },
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }

  /** The statement of `period` ('YYYY-MM'): the existing one, or a new one (created: true). */
  async generate(actor: ScopedActor, accountId: number, period: string): Promise<{ invoice: AccountInvoice; created: boolean }> {
    const account = await this.visibleAccount(actor, accountId);
    const periodStart: CalendarDate = `${period}-01`;
    const periodEnd = addDays(addMonths(periodStart, 1), -1);
    const existing = await this.find(accountId, periodStart);
    if (existing) return { invoice: existing, created: false };
    const calendar = await calendarOfRegion(account.regionId);
    if (periodStart > calendar.businessDate) {
      throw problems.unprocessable(`The period ${period} has not started yet (business date ${calendar.businessDate}).`, 'period-not-started');
    }
    try {
      const id = await withTransaction(this.sequelize, async (t) => {
        // The account lock first: the lines and both balances are then read with no payment of
        // this account committing in between, so the statement agrees with itself.
        await lockAccount(accountId, t);
        const lines = await this.lines(accountId, periodStart, periodEnd, t);
        const total = lines.reduce((s, l) => s.plus(l.amount), new Decimal(0));
        const [opening, closing] = await Promise.all([
          this.receivable(accountId, periodStart, 'before', t),
          this.receivable(accountId, periodEnd, 'through', t),
        ]);
        const invoice = await AccountInvoice.create(
          {
            accountId,
            invoiceNumber: await nextNumber('invoice', t),
            currency: calendar.currency,
            periodStart,
            periodEnd,
            openingBalance: opening,
            amount: toMoneyString(total),
            tax: '0.00',
            totalAmount: toMoneyString(total),
            closingBalance: closing,
            dueDate: periodEnd,
            status: 'draft',
          },
          { transaction: t },
        );
        await InvoiceLine.bulkCreate(
          lines.map((l) => ({
            invoiceId: invoice.id,
            lineType: l.lineType,
            description: l.description.slice(0, 255),
            quantity: 1,
            unitAmount: toMoneyString(l.amount),
            amount: toMoneyString(l.amount),
            installmentScheduleId: l.installmentScheduleId ?? null,
            accountChargeId: l.accountChargeId ?? null,
            paymentId: l.paymentId ?? null,
          })),
          { transaction: t },
        );
        return invoice.id;
      });
      return {
        invoice: (await AccountInvoice.findByPk(id, {
          include: [
            { model: InvoiceLine, as: 'lines' },
            { model: CreditNote, as: 'creditNotes' },
          ],
        }))!,
        created: true,
      };
    } catch (err) {
      // Two requests for the same statement at once: the unique (accountId, periodStart) keeps one.
      if (err instanceof UniqueConstraintError) {
        const again = await this.find(accountId, periodStart);
        if (again) return { invoice: again, created: false };
      }
      throw err;
    }
  }

  private find(accountId: number, periodStart: CalendarDate): Promise<AccountInvoice | null> {
    return AccountInvoice.findOne({
      where: { accountId, periodStart },
      include: [
        { model: InvoiceLine, as: 'lines' },
        { model: CreditNote, as: 'creditNotes' },
      ],
    });
  }

  private async lines(accountId: number, from: CalendarDate, to: CalendarDate, t: Transaction): Promise<DraftLine[]> {
    const inPeriod = { [Op.between]: [from, to] };
    const [installments, charges, payments, reversals, writeoffs] = await Promise.all([
      // Superseded lines were replaced by a schedule change: the lines that replaced them are billed.
      InstallmentSchedule.findAll({
        where: { accountId, dueDate: inPeriod, status: { [Op.ne]: 'superseded' } },
        order: [['installmentNumber', 'ASC']],
        transaction: t,
      }),
      AccountCharge.findAll({ where: { accountId, businessDate: inPeriod }, order: [['id', 'ASC']], transaction: t }),
      Payment.findAll({ where: { accountId, businessDate: inPeriod, status: { [Op.in]: ['completed', 'reversed'] } }, order: [['id', 'ASC']], transaction: t }),
      PaymentReversal.findAll({
        where: { status: 'approved' },
        include: [
          { model: Payment, as: 'payment', where: { accountId }, attributes: ['id', 'transactionRef', 'receiptNumber'] },
          { model: JournalEntry, as: 'journalEntry', where: { businessDate: inPeriod }, attributes: ['id', 'businessDate'] },
        ],
        order: [['id', 'ASC']],
        transaction: t,
      }),
      Writeoff.findAll({ where: { accountId, status: 'approved', writeoffDate: inPeriod }, order: [['id', 'ASC']], transaction: t }),
    ]);
    const out: DraftLine[] = [];
    for (const i of installments) {
      const what = i.installmentNumber === 0 ? 'Down payment' : `Instalment ${i.installmentNumber}`;
      out.push({
        lineType: 'installment',
        description: `${what} due ${i.dueDate}${i.status === 'waived' ? ' (waived)' : ''}`,
        amount: new Decimal(i.amount),
        installmentScheduleId: i.id,
      });
    }
    for (const c of charges) {
      out.push({
        lineType: 'charge',
        description: `${c.chargeType === 'fee' ? 'Fee' : 'Penalty'}: ${c.description}`,
        amount: new Decimal(c.amount),
        accountChargeId: c.id,
      });
    }
    for (const p of payments) {
      out.push({
        lineType: 'payment',
        description: `Payment ${p.receiptNumber ?? p.transactionRef} received ${p.businessDate}`,
        amount: new Decimal(p.amount).negated(),
        paymentId: p.id,
      });
    }
    for (const r of reversals) {
      out.push({
        lineType: 'adjustment',
        description: `Payment ${r.payment!.receiptNumber ?? r.payment!.transactionRef} reversed ${r.journalEntry!.businessDate}`,
        amount: new Decimal(r.amount),
        paymentId: r.paymentId,
      });
    }
    for (const w of writeoffs) {
      out.push({ lineType: 'adjustment', description: `Balance written off ${w.writeoffDate}`, amount: new Decimal(w.amount).negated() });
    }
    return out;
  }

  /** The account's receivable (ledger 1200) before `date` or through it. */
  private async receivable(accountId: number, date: CalendarDate, which: 'before' | 'through', t: Transaction): Promise<MoneyString> {
    const [row] = await this.sequelize.query<{ amount: string | number | null }>(
      `SELECT SUM(l.debit) - SUM(l.credit) AS amount
         FROM journalLines l
         JOIN journalEntries e ON e.id = l.journalEntryId
         JOIN ledgerAccounts la ON la.id = l.ledgerAccountId
        WHERE la.code = :code AND l.accountId = :accountId AND e.businessDate ${which === 'before' ? '<' : '<='} :date`,
      { replacements: { code: LEDGER.loansReceivable, accountId, date }, type: QueryTypes.SELECT, transaction: t },
    );
    return toMoneyString(row?.amount ?? 0);
  }
}
