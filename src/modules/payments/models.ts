import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { moneyColumn, idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';
import type { MoneyString } from '../../platform/money';
import { Employee } from '../access/models';
import { Account, AccountCharge, CreditDayEntry, InstallmentSchedule } from '../accounts/models';
import { JournalEntry } from '../ledger/models';
import { CompanyRegion } from '../organisation/models';

export const PAYMENT_STATUSES = ['pending', 'completed', 'failed', 'reversed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const PAYMENT_CHANNELS = ['mobile_money', 'cash', 'bank', 'adjustment'] as const;
export type PaymentChannel = (typeof PAYMENT_CHANNELS)[number];

export const ALLOCATION_TYPES = ['charge', 'installment', 'credit_balance'] as const;
export type AllocationType = (typeof ALLOCATION_TYPES)[number];

export const MOBILE_MONEY_STATUSES = ['received', 'matched', 'posted', 'unmatched', 'rejected', 'refunded'] as const;
export type MobileMoneyStatus = (typeof MOBILE_MONEY_STATUSES)[number];

export const UNMATCHED_PAYMENT_STATUSES = ['open', 'matched', 'refunded'] as const;
export type UnmatchedPaymentStatus = (typeof UNMATCHED_PAYMENT_STATUSES)[number];

export const PAYMENT_REVERSAL_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type PaymentReversalStatus = (typeof PAYMENT_REVERSAL_STATUSES)[number];

/** Usual receipts.channel values (the column is VARCHAR(20)). */
export const RECEIPT_CHANNELS = ['sms', 'email', 'print', 'app'] as const;

/** Reference data: MPESA, AIRTEL, MTN, CASH, BANK, ADJUSTMENT (seeders/20261124000140-reference-payment-types.js). */
export class PaymentType extends Model<InferAttributes<PaymentType>, InferCreationAttributes<PaymentType>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare code: string;
  declare description: CreationOptional<string | null>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/**
 * Money received for an account. The amount, currency and account of a completed payment never
 * change, a completed payment can only become reversed, and a reversed one stays reversed (database
 * trigger payments_settled_fixed). (paymentTypeId, transactionRef) is unique: a provider's
 * transaction is recorded once.
 */
export class Payment extends Model<InferAttributes<Payment>, InferCreationAttributes<Payment>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare amount: MoneyString;
  declare currency: string;
  declare paymentTypeId: number;
  declare channel: PaymentChannel;
  /** Provider transaction id, bank reference, or the cash collection's clientCollectionId. */
  declare transactionRef: string;
  /** When the money moved. */
  declare paymentDate: Date;
  /** The country's business date the payment is booked on. */
  declare businessDate: string;
  declare status: CreationOptional<PaymentStatus>;
  declare completedAt: CreationOptional<Date | null>;
  /** Free text kept from the original schema (e.g. 'paybill', 'stk_push'). */
  declare paymentMethod: CreationOptional<string | null>;
  declare receiptNumber: CreationOptional<string | null>;
  /** Copied from the account: region scoping without a join. */
  declare regionId: number;
  /** NULL = recorded by the system (provider callback). */
  declare createdBy: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
  declare paymentType?: NonAttribute<PaymentType>;
  declare region?: NonAttribute<CompanyRegion>;
  declare creator?: NonAttribute<Employee | null>;
  declare allocations?: NonAttribute<PaymentAllocation[]>;
  declare reversals?: NonAttribute<PaymentReversal[]>;
  declare receipts?: NonAttribute<Receipt[]>;
  declare mobileMoneyTransactions?: NonAttribute<MobileMoneyTransaction[]>;
}

/** What a payment settled: an instalment, a charge, or the account's credit balance (overpayment). */
export class PaymentAllocation extends Model<InferAttributes<PaymentAllocation>, InferCreationAttributes<PaymentAllocation>> {
  declare id: CreationOptional<number>;
  declare paymentId: number;
  declare allocationType: AllocationType;
  /** Set when allocationType = 'installment'. */
  declare installmentScheduleId: CreationOptional<number | null>;
  /** Set when allocationType = 'charge'. */
  declare accountChargeId: CreationOptional<number | null>;
  declare amount: MoneyString;
  /** Set when the payment is reversed and this allocation undone. */
  declare reversedAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare payment?: NonAttribute<Payment>;
  declare installment?: NonAttribute<InstallmentSchedule | null>;
  declare charge?: NonAttribute<AccountCharge | null>;
}

/** Every mobile-money provider callback, raw, once per (provider, transactionId). */
export class MobileMoneyTransaction extends Model<InferAttributes<MobileMoneyTransaction>, InferCreationAttributes<MobileMoneyTransaction>> {
  declare id: CreationOptional<number>;
  /** e.g. 'mpesa', 'airtel', 'mtn'. */
  declare provider: string;
  declare transactionId: string;
  declare transactionType: CreationOptional<string | null>;
  declare amount: MoneyString;
  declare currency: CreationOptional<string | null>;
  declare msisdn: CreationOptional<string | null>;
  /** The account number the customer typed. */
  declare billRefNumber: CreationOptional<string | null>;
  declare businessShortCode: CreationOptional<string | null>;
  declare payerName: CreationOptional<string | null>;
  declare transTime: CreationOptional<Date | null>;
  declare rawPayload: unknown;
  declare status: CreationOptional<MobileMoneyStatus>;
  declare paymentId: CreationOptional<number | null>;
  declare accountId: CreationOptional<number | null>;
  declare errorMessage: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare payment?: NonAttribute<Payment | null>;
  declare account?: NonAttribute<Account | null>;
  declare unmatchedPayment?: NonAttribute<UnmatchedPayment | null>;
}

/** Suspense: money received that could not be matched to an account, until matched by hand or refunded. */
export class UnmatchedPayment extends Model<InferAttributes<UnmatchedPayment>, InferCreationAttributes<UnmatchedPayment>> {
  declare id: CreationOptional<number>;
  declare mobileMoneyTransactionId: CreationOptional<number | null>;
  declare cashCollectionId: CreationOptional<number | null>;
  declare amount: MoneyString;
  declare reference: CreationOptional<string | null>;
  declare msisdn: CreationOptional<string | null>;
  declare reason: string;
  declare status: CreationOptional<UnmatchedPaymentStatus>;
  declare resolvedBy: CreationOptional<number | null>;
  declare resolvedAt: CreationOptional<Date | null>;
  declare resolutionNote: CreationOptional<string | null>;
  /** The account it was matched to. */
  declare accountId: CreationOptional<number | null>;
  /** The payment created when it was matched. */
  declare paymentId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare mobileMoneyTransaction?: NonAttribute<MobileMoneyTransaction | null>;
  declare resolver?: NonAttribute<Employee | null>;
  declare account?: NonAttribute<Account | null>;
  declare payment?: NonAttribute<Payment | null>;
}

/** A request to reverse a payment: requested by one employee, approved by another (database trigger). */
export class PaymentReversal extends Model<InferAttributes<PaymentReversal>, InferCreationAttributes<PaymentReversal>> {
  declare id: CreationOptional<number>;
  declare paymentId: number;
  declare reason: string;
  declare amount: MoneyString;
  declare status: CreationOptional<PaymentReversalStatus>;
  declare requestedBy: number;
  declare approvedBy: CreationOptional<number | null>;
  declare decidedAt: CreationOptional<Date | null>;
  /** The reversing entry, once approved and posted. */
  declare journalEntryId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare payment?: NonAttribute<Payment>;
  declare requester?: NonAttribute<Employee>;
  declare approver?: NonAttribute<Employee | null>;
  declare journalEntry?: NonAttribute<JournalEntry | null>;
}

export class Receipt extends Model<InferAttributes<Receipt>, InferCreationAttributes<Receipt>> {
  declare id: CreationOptional<number>;
  declare receiptNumber: string;
  declare paymentId: number;
  declare accountId: number;
  declare amount: MoneyString;
  declare issuedAt: Date;
  /** How it was delivered: see RECEIPT_CHANNELS. */
  declare channel: string;
  declare sentTo: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare payment?: NonAttribute<Payment>;
  declare account?: NonAttribute<Account>;
}

export function initPaymentsModels(sequelize: Sequelize): void {
  PaymentType.init(
    {
      id,
      name: { type: DataTypes.STRING(100), allowNull: false },
      code: { type: DataTypes.STRING(20), allowNull: false, unique: true },
      description: { type: DataTypes.STRING(255), allowNull: true },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
    },
    { sequelize, tableName: 'paymentTypes', modelName: 'PaymentType', version: true },
  );
  Payment.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      amount: moneyColumn('amount'),
      currency: { type: DataTypes.CHAR(3), allowNull: false },
      paymentTypeId: { type: DataTypes.INTEGER, allowNull: false },
      channel: { type: DataTypes.ENUM(...PAYMENT_CHANNELS), allowNull: false },
      transactionRef: { type: DataTypes.STRING(100), allowNull: false },
      paymentDate: { type: DataTypes.DATE, allowNull: false },
      businessDate: { type: DataTypes.DATEONLY, allowNull: false },
      status: { type: DataTypes.ENUM(...PAYMENT_STATUSES), allowNull: false, defaultValue: 'pending' },
      completedAt: { type: DataTypes.DATE, allowNull: true },
      paymentMethod: { type: DataTypes.STRING(50), allowNull: true },
      receiptNumber: { type: DataTypes.STRING(50), allowNull: true, unique: true },
      regionId: { type: DataTypes.INTEGER, allowNull: false },
      createdBy: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'payments',
      modelName: 'Payment',
      indexes: [
        { name: 'payments_type_ref', fields: ['paymentTypeId', 'transactionRef'], unique: true },
        { name: 'payments_account', fields: ['accountId'] },
        { name: 'payments_payment_date', fields: ['paymentDate'] },
        { name: 'payments_created', fields: ['createdAt'] },
        { name: 'payments_region_business_date', fields: ['regionId', 'businessDate'] },
        { name: 'payments_status_business_date', fields: ['status', 'businessDate'] },
      ],
    },
  );
  PaymentAllocation.init(
    {
      id,
      paymentId: { type: DataTypes.INTEGER, allowNull: false },
      allocationType: { type: DataTypes.ENUM(...ALLOCATION_TYPES), allowNull: false },
      installmentScheduleId: { type: DataTypes.INTEGER, allowNull: true },
      accountChargeId: { type: DataTypes.INTEGER, allowNull: true },
      amount: moneyColumn('amount'),
      reversedAt: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'paymentAllocations',
      modelName: 'PaymentAllocation',
      indexes: [
        { name: 'paymentAllocations_payment', fields: ['paymentId'] },
        { name: 'paymentAllocations_installment', fields: ['installmentScheduleId'] },
        { name: 'paymentAllocations_charge', fields: ['accountChargeId'] },
      ],
      validate: {
        targetMatchesType(this: PaymentAllocation) {
          const hasInstallment = this.installmentScheduleId != null;
          const hasCharge = this.accountChargeId != null;
          const ok =
            (this.allocationType === 'installment' && hasInstallment && !hasCharge) ||
            (this.allocationType === 'charge' && hasCharge && !hasInstallment) ||
            (this.allocationType === 'credit_balance' && !hasInstallment && !hasCharge);
          if (!ok) throw new Error(`a '${this.allocationType}' allocation must point at exactly its own kind of target`);
        },
      },
    },
  );
  MobileMoneyTransaction.init(
    {
      id,
      provider: { type: DataTypes.STRING(30), allowNull: false },
      transactionId: { type: DataTypes.STRING(100), allowNull: false },
      transactionType: { type: DataTypes.STRING(50), allowNull: true },
      amount: moneyColumn('amount'),
      currency: { type: DataTypes.CHAR(3), allowNull: true },
      msisdn: { type: DataTypes.STRING(20), allowNull: true },
      billRefNumber: { type: DataTypes.STRING(100), allowNull: true },
      businessShortCode: { type: DataTypes.STRING(20), allowNull: true },
      payerName: { type: DataTypes.STRING(255), allowNull: true },
      transTime: { type: DataTypes.DATE, allowNull: true },
      rawPayload: { type: DataTypes.JSON, allowNull: false },
      status: { type: DataTypes.ENUM(...MOBILE_MONEY_STATUSES), allowNull: false, defaultValue: 'received' },
      paymentId: { type: DataTypes.INTEGER, allowNull: true },
      accountId: { type: DataTypes.INTEGER, allowNull: true },
      errorMessage: { type: DataTypes.TEXT, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'mobileMoneyTransactions',
      modelName: 'MobileMoneyTransaction',
      indexes: [
        { name: 'mobileMoneyTransactions_provider_transaction', fields: ['provider', 'transactionId'], unique: true },
        { name: 'mobileMoneyTransactions_status_created', fields: ['status', 'createdAt'] },
        { name: 'mobileMoneyTransactions_bill_ref', fields: ['billRefNumber'] },
        { name: 'mobileMoneyTransactions_payment', fields: ['paymentId'] },
      ],
    },
  );
  UnmatchedPayment.init(
    {
      id,
      mobileMoneyTransactionId: { type: DataTypes.INTEGER, allowNull: true, unique: true },
      cashCollectionId: { type: DataTypes.INTEGER, allowNull: true, unique: true },
      amount: moneyColumn('amount'),
      reference: { type: DataTypes.STRING(100), allowNull: true },
      msisdn: { type: DataTypes.STRING(20), allowNull: true },
      reason: { type: DataTypes.STRING(255), allowNull: false },
      status: { type: DataTypes.ENUM(...UNMATCHED_PAYMENT_STATUSES), allowNull: false, defaultValue: 'open' },
      resolvedBy: { type: DataTypes.INTEGER, allowNull: true },
      resolvedAt: { type: DataTypes.DATE, allowNull: true },
      resolutionNote: { type: DataTypes.TEXT, allowNull: true },
      accountId: { type: DataTypes.INTEGER, allowNull: true },
      paymentId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'unmatchedPayments',
      modelName: 'UnmatchedPayment',
      indexes: [{ name: 'unmatchedPayments_status_created', fields: ['status', 'createdAt'] }],
    },
  );
  PaymentReversal.init(
    {
      id,
      paymentId: { type: DataTypes.INTEGER, allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: false },
      amount: moneyColumn('amount'),
      status: { type: DataTypes.ENUM(...PAYMENT_REVERSAL_STATUSES), allowNull: false, defaultValue: 'pending' },
      requestedBy: { type: DataTypes.INTEGER, allowNull: false },
      approvedBy: { type: DataTypes.INTEGER, allowNull: true },
      decidedAt: { type: DataTypes.DATE, allowNull: true },
      journalEntryId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'paymentReversals',
      modelName: 'PaymentReversal',
      indexes: [
        { name: 'paymentReversals_payment', fields: ['paymentId'] },
        { name: 'paymentReversals_status_created', fields: ['status', 'createdAt'] },
      ],
    },
  );
  Receipt.init(
    {
      id,
      receiptNumber: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      paymentId: { type: DataTypes.INTEGER, allowNull: false },
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      amount: moneyColumn('amount'),
      issuedAt: { type: DataTypes.DATE, allowNull: false },
      channel: { type: DataTypes.STRING(20), allowNull: false },
      sentTo: { type: DataTypes.STRING(255), allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'receipts',
      modelName: 'Receipt',
      indexes: [
        { name: 'receipts_payment', fields: ['paymentId'] },
        { name: 'receipts_account', fields: ['accountId'] },
      ],
    },
  );
}

export function associatePaymentsModels(): void {
  PaymentType.hasMany(Payment, { foreignKey: 'paymentTypeId', as: 'payments' });

  Payment.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Account.hasMany(Payment, { foreignKey: 'accountId', as: 'payments' });
  Payment.belongsTo(PaymentType, { foreignKey: 'paymentTypeId', as: 'paymentType' });
  Payment.belongsTo(CompanyRegion, { foreignKey: 'regionId', as: 'region' });
  Payment.belongsTo(Employee, { foreignKey: 'createdBy', as: 'creator' });
  Payment.hasMany(PaymentAllocation, { foreignKey: 'paymentId', as: 'allocations' });
  Payment.hasMany(PaymentReversal, { foreignKey: 'paymentId', as: 'reversals' });
  Payment.hasMany(Receipt, { foreignKey: 'paymentId', as: 'receipts' });
  Payment.hasMany(MobileMoneyTransaction, { foreignKey: 'paymentId', as: 'mobileMoneyTransactions' });

  PaymentAllocation.belongsTo(Payment, { foreignKey: 'paymentId', as: 'payment' });
  PaymentAllocation.belongsTo(InstallmentSchedule, { foreignKey: 'installmentScheduleId', as: 'installment' });
  InstallmentSchedule.hasMany(PaymentAllocation, { foreignKey: 'installmentScheduleId', as: 'allocations' });
  PaymentAllocation.belongsTo(AccountCharge, { foreignKey: 'accountChargeId', as: 'charge' });
  AccountCharge.hasMany(PaymentAllocation, { foreignKey: 'accountChargeId', as: 'allocations' });

  MobileMoneyTransaction.belongsTo(Payment, { foreignKey: 'paymentId', as: 'payment' });
  MobileMoneyTransaction.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  MobileMoneyTransaction.hasOne(UnmatchedPayment, { foreignKey: 'mobileMoneyTransactionId', as: 'unmatchedPayment' });

  UnmatchedPayment.belongsTo(MobileMoneyTransaction, { foreignKey: 'mobileMoneyTransactionId', as: 'mobileMoneyTransaction' });
  UnmatchedPayment.belongsTo(Employee, { foreignKey: 'resolvedBy', as: 'resolver' });
  UnmatchedPayment.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  UnmatchedPayment.belongsTo(Payment, { foreignKey: 'paymentId', as: 'payment' });

  PaymentReversal.belongsTo(Payment, { foreignKey: 'paymentId', as: 'payment' });
  PaymentReversal.belongsTo(Employee, { foreignKey: 'requestedBy', as: 'requester' });
  PaymentReversal.belongsTo(Employee, { foreignKey: 'approvedBy', as: 'approver' });
  PaymentReversal.belongsTo(JournalEntry, { foreignKey: 'journalEntryId', as: 'journalEntry' });

  Receipt.belongsTo(Payment, { foreignKey: 'paymentId', as: 'payment' });
  Receipt.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });

  // Links an earlier table (accounts module) holds to payments; devices, above payments, declare theirs.
  CreditDayEntry.belongsTo(Payment, { foreignKey: 'paymentId', as: 'payment' });
}
