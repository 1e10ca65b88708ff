import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { moneyColumn, idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';
import type { MoneyString } from '../../platform/money';
import { Employee } from '../access/models';
import { Account, AccountCharge, InstallmentSchedule } from '../accounts/models';
import { JournalEntry } from '../ledger/models';
import { Payment, UnmatchedPayment } from '../payments/models';

export const INVOICE_STATUSES = ['draft', 'sent', 'paid', 'overdue'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const INVOICE_LINE_TYPES = ['installment', 'charge', 'payment', 'credit_note', 'adjustment'] as const;
export type InvoiceLineType = (typeof INVOICE_LINE_TYPES)[number];

export const REFUND_STATUSES = ['pending', 'approved', 'completed', 'rejected'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const REFUND_METHODS = ['mobile_money', 'bank', 'cash'] as const;
export type RefundMethod = (typeof REFUND_METHODS)[number];

export const WRITEOFF_STATUSES = ['pending', 'approved', 'rejected'] as const;

/** issued (booked), or pending (above the approval threshold: another employee decides) -> issued / rejected. */
export const CREDIT_NOTE_STATUSES = ['issued', 'pending', 'rejected'] as const;
export type CreditNoteStatus = (typeof CREDIT_NOTE_STATUSES)[number];
export type WriteoffStatus = (typeof WRITEOFF_STATUSES)[number];

/**
 * An invoice or periodic statement for an account. (accountId, periodStart) is unique, so a re-run
 * of the invoicing job finds the statement already there; periodStart NULL = a one-off invoice.
 */
export class AccountInvoice extends Model<InferAttributes<AccountInvoice>, InferCreationAttributes<AccountInvoice>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare invoiceNumber: string;
  declare currency: string;
  declare periodStart: CreationOptional<string | null>;
  declare periodEnd: CreationOptional<string | null>;
  declare openingBalance: CreationOptional<MoneyString>;
  /** Before tax. */
  declare amount: MoneyString;
  declare tax: CreationOptional<MoneyString>;
  declare totalAmount: MoneyString;
  declare closingBalance: CreationOptional<MoneyString>;
  declare dueDate: string;
  declare status: CreationOptional<InvoiceStatus>;
  declare sentAt: CreationOptional<Date | null>;
  declare paidAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
  declare lines?: NonAttribute<InvoiceLine[]>;
  declare creditNotes?: NonAttribute<CreditNote[]>;
}

export class InvoiceLine extends Model<InferAttributes<InvoiceLine>, InferCreationAttributes<InvoiceLine>> {
  declare id: CreationOptional<number>;
  declare invoiceId: number;
  declare lineType: InvoiceLineType;
  declare description: string;
  declare quantity: CreationOptional<number>;
  declare unitAmount: MoneyString;
  declare amount: MoneyString;
  declare taxAmount: CreationOptional<MoneyString>;
  declare installmentScheduleId: CreationOptional<number | null>;
  declare accountChargeId: CreationOptional<number | null>;
  declare paymentId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare invoice?: NonAttribute<AccountInvoice>;
  declare installment?: NonAttribute<InstallmentSchedule | null>;
  declare charge?: NonAttribute<AccountCharge | null>;
  declare payment?: NonAttribute<Payment | null>;
}

/**
 * Money paid back: against a payment, an account's credit balance, or an unmatched payment (no
 * account). Requested by one employee, approved by another (database trigger).
 * pending -> approved -> completed, or pending -> rejected.
 */
export class Refund extends Model<InferAttributes<Refund>, InferCreationAttributes<Refund>> {
  declare id: CreationOptional<number>;
  declare paymentId: CreationOptional<number | null>;
  declare accountId: CreationOptional<number | null>;
  declare unmatchedPaymentId: CreationOptional<number | null>;
  declare amount: MoneyString;
  declare currency: string;
  declare reason: string;
  declare method: RefundMethod;
  /** Phone number or bank account the money goes to. */
  declare destination: CreationOptional<string | null>;
  /** The provider's or bank's reference of the payout, once made. */
  declare payoutReference: CreationOptional<string | null>;
  declare status: CreationOptional<RefundStatus>;
  declare requestedBy: number;
  declare approvedBy: CreationOptional<number | null>;
  declare decidedAt: CreationOptional<Date | null>;
  declare rejectionReason: CreationOptional<string | null>;
  /** Business date the money went out. */
  declare refundDate: CreationOptional<string | null>;
  declare journalEntryId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare payment?: NonAttribute<Payment | null>;
  declare account?: NonAttribute<Account | null>;
  declare unmatchedPayment?: NonAttribute<UnmatchedPayment | null>;
  declare requester?: NonAttribute<Employee>;
  declare approver?: NonAttribute<Employee | null>;
  declare journalEntry?: NonAttribute<JournalEntry | null>;
}

/** Debt given up on. Requested by one employee, approved by another (database trigger). */
export class Writeoff extends Model<InferAttributes<Writeoff>, InferCreationAttributes<Writeoff>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare amount: MoneyString;
  declare reason: string;
  declare status: CreationOptional<WriteoffStatus>;
  declare requestedBy: number;
  declare approvedBy: CreationOptional<number | null>;
  declare decidedAt: CreationOptional<Date | null>;
  declare rejectionReason: CreationOptional<string | null>;
  /** Business date the write-off took effect (set on approval). */
  declare writeoffDate: CreationOptional<string | null>;
  declare journalEntryId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
  declare requester?: NonAttribute<Employee>;
  declare approver?: NonAttribute<Employee | null>;
  declare journalEntry?: NonAttribute<JournalEntry | null>;
}

export class CreditNote extends Model<InferAttributes<CreditNote>, InferCreationAttributes<CreditNote>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare creditNoteNumber: string;
  declare amount: MoneyString;
  declare currency: string;
  declare reason: string;
  declare invoiceId: CreationOptional<number | null>;
  declare refundId: CreationOptional<number | null>;
  declare journalEntryId: CreationOptional<number | null>;
  /** NULL = issued by the system. */
  declare issuedBy: CreationOptional<number | null>;
  /** When booked (a pending note: when requested, then when approved). */
  declare issuedAt: Date;
  declare status: CreationOptional<CreditNoteStatus>;
  /** The maker of a note that needed approval (null for one booked at once). */
  declare requestedBy: CreationOptional<number | null>;
  /** Who decided a pending note (approved or rejected). */
  declare approvedBy: CreationOptional<number | null>;
  declare decidedAt: CreationOptional<Date | null>;
  declare rejectionReason: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
  declare invoice?: NonAttribute<AccountInvoice | null>;
  declare refund?: NonAttribute<Refund | null>;
  declare journalEntry?: NonAttribute<JournalEntry | null>;
  declare issuer?: NonAttribute<Employee | null>;
}

export function initBillingModels(sequelize: Sequelize): void {
  AccountInvoice.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      invoiceNumber: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      currency: { type: DataTypes.CHAR(3), allowNull: false },
      periodStart: { type: DataTypes.DATEONLY, allowNull: true },
      periodEnd: { type: DataTypes.DATEONLY, allowNull: true },
      openingBalance: moneyColumn('openingBalance', { defaultValue: '0.00' }),
      amount: moneyColumn('amount'),
      tax: moneyColumn('tax', { defaultValue: '0.00' }),
      totalAmount: moneyColumn('totalAmount'),
      closingBalance: moneyColumn('closingBalance', { defaultValue: '0.00' }),
      dueDate: { type: DataTypes.DATEONLY, allowNull: false },
      status: { type: DataTypes.ENUM(...INVOICE_STATUSES), allowNull: false, defaultValue: 'draft' },
      sentAt: { type: DataTypes.DATE, allowNull: true },
      paidAt: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'AccountInvoices',
      modelName: 'AccountInvoice',
      indexes: [
        { name: 'AccountInvoices_account_period', fields: ['accountId', 'periodStart'], unique: true },
        { name: 'AccountInvoices_status_due', fields: ['status', 'dueDate'] },
      ],
    },
  );
  InvoiceLine.init(
    {
      id,
      invoiceId: { type: DataTypes.INTEGER, allowNull: false },
      lineType: { type: DataTypes.ENUM(...INVOICE_LINE_TYPES), allowNull: false },
      description: { type: DataTypes.STRING(255), allowNull: false },
      quantity: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
      unitAmount: moneyColumn('unitAmount'),
      amount: moneyColumn('amount'),
      taxAmount: moneyColumn('taxAmount', { defaultValue: '0.00' }),
      installmentScheduleId: { type: DataTypes.INTEGER, allowNull: true },
      accountChargeId: { type: DataTypes.INTEGER, allowNull: true },
      paymentId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'invoiceLines',
      modelName: 'InvoiceLine',
      indexes: [{ name: 'invoiceLines_invoice', fields: ['invoiceId'] }],
    },
  );
  Refund.init(
    {
      id,
      paymentId: { type: DataTypes.INTEGER, allowNull: true },
      accountId: { type: DataTypes.INTEGER, allowNull: true },
      unmatchedPaymentId: { type: DataTypes.INTEGER, allowNull: true },
      amount: moneyColumn('amount'),
      currency: { type: DataTypes.CHAR(3), allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: false },
      method: { type: DataTypes.ENUM(...REFUND_METHODS), allowNull: false },
      destination: { type: DataTypes.STRING(100), allowNull: true },
      payoutReference: { type: DataTypes.STRING(100), allowNull: true },
      status: { type: DataTypes.ENUM(...REFUND_STATUSES), allowNull: false, defaultValue: 'pending' },
      requestedBy: { type: DataTypes.INTEGER, allowNull: false },
      approvedBy: { type: DataTypes.INTEGER, allowNull: true },
      decidedAt: { type: DataTypes.DATE, allowNull: true },
      rejectionReason: { type: DataTypes.TEXT, allowNull: true },
      refundDate: { type: DataTypes.DATEONLY, allowNull: true },
      journalEntryId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'refunds',
      modelName: 'Refund',
      indexes: [
        { name: 'refunds_status_created', fields: ['status', 'createdAt'] },
        { name: 'refunds_account', fields: ['accountId'] },
        { name: 'refunds_payment', fields: ['paymentId'] },
      ],
      validate: {
        refundsSomething(this: Refund) {
          if (this.accountId == null && this.unmatchedPaymentId == null) {
            throw new Error('a refund is for an account or for an unmatched payment');
          }
        },
      },
    },
  );
  Writeoff.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      amount: moneyColumn('amount'),
      reason: { type: DataTypes.TEXT, allowNull: false },
      status: { type: DataTypes.ENUM(...WRITEOFF_STATUSES), allowNull: false, defaultValue: 'pending' },
      requestedBy: { type: DataTypes.INTEGER, allowNull: false },
      approvedBy: { type: DataTypes.INTEGER, allowNull: true },
      decidedAt: { type: DataTypes.DATE, allowNull: true },
      rejectionReason: { type: DataTypes.TEXT, allowNull: true },
      writeoffDate: { type: DataTypes.DATEONLY, allowNull: true },
      journalEntryId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'writeoffs',
      modelName: 'Writeoff',
      indexes: [
        { name: 'writeoffs_account', fields: ['accountId'] },
        { name: 'writeoffs_status_created', fields: ['status', 'createdAt'] },
      ],
    },
  );
  CreditNote.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      creditNoteNumber: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      amount: moneyColumn('amount'),
      currency: { type: DataTypes.CHAR(3), allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: false },
      invoiceId: { type: DataTypes.INTEGER, allowNull: true },
      refundId: { type: DataTypes.INTEGER, allowNull: true },
      journalEntryId: { type: DataTypes.INTEGER, allowNull: true },
      issuedBy: { type: DataTypes.INTEGER, allowNull: true },
      issuedAt: { type: DataTypes.DATE, allowNull: false },
      status: { type: DataTypes.ENUM(...CREDIT_NOTE_STATUSES), allowNull: false, defaultValue: 'issued' },
      requestedBy: { type: DataTypes.INTEGER, allowNull: true },
      approvedBy: { type: DataTypes.INTEGER, allowNull: true },
      decidedAt: { type: DataTypes.DATE, allowNull: true },
      rejectionReason: { type: DataTypes.TEXT, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'creditNotes',
      modelName: 'CreditNote',
      indexes: [
        { name: 'creditNotes_account', fields: ['accountId'] },
        { name: 'creditNotes_status_created', fields: ['status', 'createdAt'] },
      ],
    },
  );
}

export function associateBillingModels(): void {
  AccountInvoice.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Account.hasMany(AccountInvoice, { foreignKey: 'accountId', as: 'invoices' });
  AccountInvoice.hasMany(InvoiceLine, { foreignKey: 'invoiceId', as: 'lines' });
  AccountInvoice.hasMany(CreditNote, { foreignKey: 'invoiceId', as: 'creditNotes' });

  InvoiceLine.belongsTo(AccountInvoice, { foreignKey: 'invoiceId', as: 'invoice' });
  InvoiceLine.belongsTo(InstallmentSchedule, { foreignKey: 'installmentScheduleId', as: 'installment' });
  InvoiceLine.belongsTo(AccountCharge, { foreignKey: 'accountChargeId', as: 'charge' });
  InvoiceLine.belongsTo(Payment, { foreignKey: 'paymentId', as: 'payment' });

  Refund.belongsTo(Payment, { foreignKey: 'paymentId', as: 'payment' });
  Refund.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Refund.belongsTo(UnmatchedPayment, { foreignKey: 'unmatchedPaymentId', as: 'unmatchedPayment' });
  Refund.belongsTo(Employee, { foreignKey: 'requestedBy', as: 'requester' });
  Refund.belongsTo(Employee, { foreignKey: 'approvedBy', as: 'approver' });
  Refund.belongsTo(JournalEntry, { foreignKey: 'journalEntryId', as: 'journalEntry' });

  Writeoff.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Account.hasMany(Writeoff, { foreignKey: 'accountId', as: 'writeoffs' });
  Writeoff.belongsTo(Employee, { foreignKey: 'requestedBy', as: 'requester' });
  Writeoff.belongsTo(Employee, { foreignKey: 'approvedBy', as: 'approver' });
  Writeoff.belongsTo(JournalEntry, { foreignKey: 'journalEntryId', as: 'journalEntry' });

  CreditNote.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  CreditNote.belongsTo(AccountInvoice, { foreignKey: 'invoiceId', as: 'invoice' });
  CreditNote.belongsTo(Refund, { foreignKey: 'refundId', as: 'refund' });
  CreditNote.belongsTo(JournalEntry, { foreignKey: 'journalEntryId', as: 'journalEntry' });
  CreditNote.belongsTo(Employee, { foreignKey: 'issuedBy', as: 'issuer' });
}
