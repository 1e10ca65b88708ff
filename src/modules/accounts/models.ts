import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { moneyColumn, idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';
import type { MoneyString } from '../../platform/money';
import { Employee } from '../access/models';
import { Payplan, Product } from '../catalogue/models';
import { Customer } from '../customers/models';
import { JournalEntry, JournalLine } from '../ledger/models';
import { CompanyRegion } from '../organisation/models';
import { Warehouse } from '../organisation/reference.models';

/** pending -> active -> suspended <-> active -> closed / written_off / repossessed. */
export const ACCOUNT_STATUSES = ['pending', 'active', 'suspended', 'closed', 'written_off', 'repossessed'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const PAR_BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'] as const;
export type ParBucket = (typeof PAR_BUCKETS)[number];

export const ACCOUNT_DEVICE_STATUSES = ['active', 'inactive', 'faulty'] as const;
export type AccountDeviceStatus = (typeof ACCOUNT_DEVICE_STATUSES)[number];

/** superseded: replaced by a schedule change (holiday, restructure, upgrade); owes nothing, keeps what was paid on it. */
export const INSTALLMENT_STATUSES = ['pending', 'partial', 'paid', 'overdue', 'waived', 'superseded'] as const;
export type InstallmentStatus = (typeof INSTALLMENT_STATUSES)[number];

/** The instalment statuses that still owe something: every reader of "open lines" uses these. */
export const OPEN_INSTALLMENT_STATUSES = ['pending', 'partial', 'overdue'] as const satisfies readonly InstallmentStatus[];

export const SCHEDULE_CHANGE_TYPES = ['holiday', 'restructure', 'upgrade'] as const;
export type ScheduleChangeType = (typeof SCHEDULE_CHANGE_TYPES)[number];

/** pending: waits for a checker; applied: the schedule was replaced; rejected: nothing changed. */
export const SCHEDULE_CHANGE_STATUSES = ['pending', 'applied', 'rejected'] as const;
export type ScheduleChangeStatus = (typeof SCHEDULE_CHANGE_STATUSES)[number];

export const ACCOUNT_CHARGE_TYPES = ['fee', 'penalty'] as const;
export type AccountChargeType = (typeof ACCOUNT_CHARGE_TYPES)[number];

export const ACCOUNT_CHARGE_STATUSES = ['pending', 'partial', 'paid', 'waived'] as const;
export type AccountChargeStatus = (typeof ACCOUNT_CHARGE_STATUSES)[number];

export const ACCOUNT_TRANSFER_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type AccountTransferStatus = (typeof ACCOUNT_TRANSFER_STATUSES)[number];

export const ACCOUNT_UPGRADE_STATUSES = ['pending', 'completed', 'cancelled'] as const;
export type AccountUpgradeStatus = (typeof ACCOUNT_UPGRADE_STATUSES)[number];

/** scheduled (marked) -> assigned (to a field agent) -> completed (recovered) or failed; cancelled is not used yet. */
export const REPOSSESSION_STATUSES = ['scheduled', 'completed', 'cancelled', 'assigned', 'failed'] as const;
export type RepossessionStatus = (typeof REPOSSESSION_STATUSES)[number];

export const CREDIT_DAY_REASONS = ['payment', 'grant', 'reversal', 'removal', 'manual', 'refund'] as const;
export type CreditDayReason = (typeof CREDIT_DAY_REASONS)[number];

export class Account extends Model<InferAttributes<Account>, InferCreationAttributes<Account>> {
  declare id: CreationOptional<number>;
  declare accountNumber: string;
  declare customerId: number;
  declare productId: number;
  declare payplanId: number;
  declare regionId: number;
  /** The seller (commissions follow it); null for a sale without an agent. */
  declare agentId: CreationOptional<number | null>;
  declare status: CreationOptional<AccountStatus>;
  declare activationDate: CreationOptional<string | null>;
  declare expiryDate: CreationOptional<string | null>;
  declare totalPrice: MoneyString;
  declare downPaymentAmount: MoneyString;
  declare financedAmount: MoneyString;
  /** Outstanding amount still owed. */
  declare balance: MoneyString;
  /** Overpayment held for the customer. */
  declare creditBalance: CreationOptional<MoneyString>;
  declare daysPastDue: CreationOptional<number>;
  declare parBucket: CreationOptional<ParBucket>;
  /** When the device's paid-for use runs out. */
  declare creditExpiresAt: CreationOptional<Date | null>;
  /** Last business date the nightly job processed this account (makes the job re-runnable). */
  declare lastNightlyBusinessDate: CreationOptional<string | null>;
  declare closedAt: CreationOptional<Date | null>;
  /** Business date of the account's last restructure (reported apart in PAR); null: never restructured. */
  declare restructuredAt: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare customer?: NonAttribute<Customer>;
  declare product?: NonAttribute<Product>;
  declare payplan?: NonAttribute<Payplan>;
  declare region?: NonAttribute<CompanyRegion>;
  declare agent?: NonAttribute<Employee | null>;
  declare accountDevices?: NonAttribute<AccountDevice[]>;
  declare installments?: NonAttribute<InstallmentSchedule[]>;
  declare statusHistory?: NonAttribute<AccountStatusHistory[]>;
  declare charges?: NonAttribute<AccountCharge[]>;
  declare notes?: NonAttribute<AccountNote[]>;
  declare creditDayEntries?: NonAttribute<CreditDayEntry[]>;
  declare transfers?: NonAttribute<AccountTransfer[]>;
  declare upgrades?: NonAttribute<AccountUpgrade[]>;
  declare repossessions?: NonAttribute<Repossession[]>;
}

export class AccountDevice extends Model<InferAttributes<AccountDevice>, InferCreationAttributes<AccountDevice>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare deviceId: number;
  /** Copied from devices.serialNumber when linked. */
  declare deviceSerial: string;
  declare deviceType: CreationOptional<string | null>;
  declare status: CreationOptional<AccountDeviceStatus>;
  declare installationDate: CreationOptional<string | null>;
  declare warrantyExpiry: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
}

export class InstallmentSchedule extends Model<InferAttributes<InstallmentSchedule>, InferCreationAttributes<InstallmentSchedule>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  /** 0 is the down payment. */
  declare installmentNumber: number;
  declare dueDate: string;
  declare amount: MoneyString;
  declare paidAmount: CreationOptional<MoneyString>;
  declare status: CreationOptional<InstallmentStatus>;
  declare paidDate: CreationOptional<string | null>;
  /** When a schedule change superseded the line (status superseded), and which change. */
  declare supersededAt: CreationOptional<Date | null>;
  declare supersededByChangeId: CreationOptional<number | null>;
  /** The schedule change that issued the line; null for the opening schedule. */
  declare scheduleChangeId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
}

/** One change of an account's schedule (a payment holiday, a restructure, an upgrade): schedule-change.ts. */
export class ScheduleChange extends Model<InferAttributes<ScheduleChange>, InferCreationAttributes<ScheduleChange>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare changeType: ScheduleChangeType;
  declare status: CreationOptional<ScheduleChangeStatus>;
  /** The business date it was requested on, then the one it was applied on. */
  declare businessDate: string;
  /** The change's own parameters (days, frequency, term, fee...). */
  declare parameters: Record<string, unknown>;
  declare reason: string;
  /** What the superseded lines still owed when it was applied: exactly what the new lines carry. */
  declare replacedAmount: CreationOptional<MoneyString | null>;
  declare requestedBy: number | null;
  declare approvedBy: CreationOptional<number | null>;
  declare decidedAt: CreationOptional<Date | null>;
  declare rejectionReason: CreationOptional<string | null>;
  declare appliedAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
}

export class AccountStatusHistory extends Model<InferAttributes<AccountStatusHistory>, InferCreationAttributes<AccountStatusHistory>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  /** Null for the account's first status. */
  declare previousStatus: CreationOptional<string | null>;
  declare newStatus: string;
  declare reason: CreationOptional<string | null>;
  /** Null when the system (e.g. the nightly job) made the change. */
  declare changedBy: CreationOptional<number | null>;
  declare changedAt: Date;
  declare businessDate: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
  declare changer?: NonAttribute<Employee | null>;
}

export class AccountCharge extends Model<InferAttributes<AccountCharge>, InferCreationAttributes<AccountCharge>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare chargeType: AccountChargeType;
  declare description: string;
  declare amount: MoneyString;
  declare paidAmount: CreationOptional<MoneyString>;
  declare status: CreationOptional<AccountChargeStatus>;
  declare dueDate: string;
  declare businessDate: CreationOptional<string | null>;
  declare createdBy: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
  declare creator?: NonAttribute<Employee | null>;
}

export class AccountNote extends Model<InferAttributes<AccountNote>, InferCreationAttributes<AccountNote>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare note: string;
  declare createdBy: number;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
  declare creator?: NonAttribute<Employee>;
}

export class AccountTransfer extends Model<InferAttributes<AccountTransfer>, InferCreationAttributes<AccountTransfer>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare fromCustomerId: number;
  declare toCustomerId: number;
  declare reason: CreationOptional<string | null>;
  declare status: CreationOptional<AccountTransferStatus>;
  declare requestedBy: number;
  declare approvedBy: CreationOptional<number | null>;
  declare transferredAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
  declare fromCustomer?: NonAttribute<Customer>;
  declare toCustomer?: NonAttribute<Customer>;
  declare requester?: NonAttribute<Employee>;
  declare approver?: NonAttribute<Employee | null>;
}

export class AccountUpgrade extends Model<InferAttributes<AccountUpgrade>, InferCreationAttributes<AccountUpgrade>> {
  declare id: CreationOptional<number>;
  declare fromAccountId: number;
  declare toAccountId: CreationOptional<number | null>;
  declare fromProductId: number;
  declare toProductId: number;
  /** What the old account contributes towards the new one. */
  declare creditAmount: MoneyString;
  declare status: CreationOptional<AccountUpgradeStatus>;
  declare requestedBy: number;
  declare completedAt: CreationOptional<Date | null>;
  /** An upgrade in place (POST /accounts/:id/upgrade): the device attached, the new product's price and down payment. */
  declare deviceId: CreationOptional<number | null>;
  declare price: CreationOptional<MoneyString | null>;
  declare downPayment: CreationOptional<MoneyString | null>;
  declare businessDate: CreationOptional<string | null>;
  declare reason: CreationOptional<string | null>;
  /** The combined schedule (scheduleChanges, changeType 'upgrade') and the added receivable's journal entry. */
  declare scheduleChangeId: CreationOptional<number | null>;
  declare journalEntryId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare fromAccount?: NonAttribute<Account>;
  declare toAccount?: NonAttribute<Account | null>;
  declare fromProduct?: NonAttribute<Product>;
  declare toProduct?: NonAttribute<Product>;
  declare requester?: NonAttribute<Employee>;
}

export class Repossession extends Model<InferAttributes<Repossession>, InferCreationAttributes<Repossession>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare deviceId: CreationOptional<number | null>;
  declare reason: CreationOptional<string | null>;
  declare status: CreationOptional<RepossessionStatus>;
  declare scheduledFor: string;
  declare repossessedAt: CreationOptional<Date | null>;
  declare performedBy: CreationOptional<number | null>;
  /** Where the recovered device was taken. */
  declare warehouseId: CreationOptional<number | null>;
  /** The grade of the recovered unit: good, refurbishable, faulty (repossession/repossession.service.ts). */
  declare condition: CreationOptional<string | null>;
  /** The field agent the repossession is assigned to, who assigned it and when. */
  declare assignedTo: CreationOptional<number | null>;
  declare assignedBy: CreationOptional<number | null>;
  declare assignedAt: CreationOptional<Date | null>;
  /** The visit (GPS, photos) that recorded the outcome. */
  declare fieldVisitId: CreationOptional<number | null>;
  declare failureReason: CreationOptional<string | null>;
  /** What the ledger booked for the recovered unit (Dr 1300 / Cr 1200). */
  declare recoveredValue: CreationOptional<MoneyString | null>;
  declare journalEntryId: CreationOptional<number | null>;
  /** The write-off requested for what remained owed. */
  declare writeoffId: CreationOptional<number | null>;
  /** The token that locked the device (SET_TIME 0). */
  declare deviceTokenId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
  declare performer?: NonAttribute<Employee | null>;
  declare warehouse?: NonAttribute<Warehouse | null>;
}

export class CreditDayEntry extends Model<InferAttributes<CreditDayEntry>, InferCreationAttributes<CreditDayEntry>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare deviceId: CreationOptional<number | null>;
  /** Signed: positive days bought or granted, negative days removed or reversed. */
  declare days: number;
  declare reason: CreditDayReason;
  declare paymentId: CreationOptional<number | null>;
  declare note: CreationOptional<string | null>;
  declare createdBy: CreationOptional<number | null>;
  /** The account's credit expiry after this entry. */
  declare creditExpiresAt: Date;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
  declare creator?: NonAttribute<Employee | null>;
}

export function initAccountsModels(sequelize: Sequelize): void {
  Account.init(
    {
      id,
      accountNumber: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      productId: { type: DataTypes.INTEGER, allowNull: false },
      payplanId: { type: DataTypes.INTEGER, allowNull: false },
      regionId: { type: DataTypes.INTEGER, allowNull: false },
      agentId: { type: DataTypes.INTEGER, allowNull: true },
      status: { type: DataTypes.ENUM(...ACCOUNT_STATUSES), allowNull: false, defaultValue: 'pending' },
      activationDate: { type: DataTypes.DATEONLY, allowNull: true },
      expiryDate: { type: DataTypes.DATEONLY, allowNull: true },
      totalPrice: moneyColumn('totalPrice'),
      downPaymentAmount: moneyColumn('downPaymentAmount'),
      financedAmount: moneyColumn('financedAmount'),
      balance: moneyColumn('balance'),
      creditBalance: moneyColumn('creditBalance', { defaultValue: '0.00' }),
      daysPastDue: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      parBucket: { type: DataTypes.ENUM(...PAR_BUCKETS), allowNull: false, defaultValue: 'current' },
      creditExpiresAt: { type: DataTypes.DATE, allowNull: true },
      lastNightlyBusinessDate: { type: DataTypes.DATEONLY, allowNull: true },
      closedAt: { type: DataTypes.DATE, allowNull: true },
      restructuredAt: { type: DataTypes.DATEONLY, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'accounts',
      modelName: 'Account',
      indexes: [
        { name: 'accounts_customer', fields: ['customerId'] },
        { name: 'accounts_status', fields: ['status'] },
        { name: 'accounts_activation', fields: ['activationDate'] },
        { name: 'accounts_region_status', fields: ['regionId', 'status'] },
      ],
    },
  );
  AccountDevice.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      deviceId: { type: DataTypes.INTEGER, allowNull: false },
      deviceSerial: { type: DataTypes.STRING(100), allowNull: false },
      deviceType: { type: DataTypes.STRING(50), allowNull: true },
      status: { type: DataTypes.ENUM(...ACCOUNT_DEVICE_STATUSES), allowNull: false, defaultValue: 'active' },
      installationDate: { type: DataTypes.DATEONLY, allowNull: true },
      warrantyExpiry: { type: DataTypes.DATEONLY, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'accountDevices',
      modelName: 'AccountDevice',
      indexes: [
        { name: 'accountDevices_account_device', fields: ['accountId', 'deviceId'], unique: true },
        { name: 'accountDevices_device_status', fields: ['deviceId', 'status'] },
      ],
    },
  );
  InstallmentSchedule.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      installmentNumber: { type: DataTypes.INTEGER, allowNull: false },
      dueDate: { type: DataTypes.DATEONLY, allowNull: false },
      amount: moneyColumn('amount'),
      paidAmount: moneyColumn('paidAmount', { defaultValue: '0.00' }),
      status: { type: DataTypes.ENUM(...INSTALLMENT_STATUSES), allowNull: false, defaultValue: 'pending' },
      paidDate: { type: DataTypes.DATEONLY, allowNull: true },
      supersededAt: { type: DataTypes.DATE, allowNull: true },
      supersededByChangeId: { type: DataTypes.INTEGER, allowNull: true },
      scheduleChangeId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'installmentSchedules',
      modelName: 'InstallmentSchedule',
      indexes: [
        { name: 'installmentSchedules_account_number', fields: ['accountId', 'installmentNumber'], unique: true },
        { name: 'installmentSchedules_status_due_account', fields: ['status', 'dueDate', 'accountId'] },
      ],
    },
  );
  ScheduleChange.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      changeType: { type: DataTypes.ENUM(...SCHEDULE_CHANGE_TYPES), allowNull: false },
      status: { type: DataTypes.ENUM(...SCHEDULE_CHANGE_STATUSES), allowNull: false, defaultValue: 'pending' },
      businessDate: { type: DataTypes.DATEONLY, allowNull: false },
      parameters: {
        type: DataTypes.TEXT,
        allowNull: false,
        get(this: ScheduleChange) {
          const raw = this.getDataValue('parameters') as unknown;
          return typeof raw === 'string' ? (JSON.parse(raw) as Record<string, unknown>) : raw;
        },
        set(this: ScheduleChange, v: Record<string, unknown>) {
          this.setDataValue('parameters', JSON.stringify(v) as unknown as Record<string, unknown>);
        },
      },
      reason: { type: DataTypes.TEXT, allowNull: false },
      replacedAmount: moneyColumn('replacedAmount', { allowNull: true }),
      requestedBy: { type: DataTypes.INTEGER, allowNull: true },
      approvedBy: { type: DataTypes.INTEGER, allowNull: true },
      decidedAt: { type: DataTypes.DATE, allowNull: true },
      rejectionReason: { type: DataTypes.TEXT, allowNull: true },
      appliedAt: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'scheduleChanges',
      modelName: 'ScheduleChange',
      indexes: [
        { name: 'scheduleChanges_account_status', fields: ['accountId', 'status'] },
        { name: 'scheduleChanges_status_created', fields: ['status', 'createdAt'] },
      ],
    },
  );
  AccountStatusHistory.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      previousStatus: { type: DataTypes.STRING(50), allowNull: true },
      newStatus: { type: DataTypes.STRING(50), allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: true },
      changedBy: { type: DataTypes.INTEGER, allowNull: true },
      changedAt: { type: DataTypes.DATE, allowNull: false },
      businessDate: { type: DataTypes.DATEONLY, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'accountStatusHistories',
      modelName: 'AccountStatusHistory',
      indexes: [{ name: 'accountStatusHistories_account_changed', fields: ['accountId', 'changedAt'] }],
    },
  );
  AccountCharge.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      chargeType: { type: DataTypes.ENUM(...ACCOUNT_CHARGE_TYPES), allowNull: false },
      description: { type: DataTypes.STRING(255), allowNull: false },
      amount: moneyColumn('amount'),
      paidAmount: moneyColumn('paidAmount', { defaultValue: '0.00' }),
      status: { type: DataTypes.ENUM(...ACCOUNT_CHARGE_STATUSES), allowNull: false, defaultValue: 'pending' },
      dueDate: { type: DataTypes.DATEONLY, allowNull: false },
      businessDate: { type: DataTypes.DATEONLY, allowNull: true },
      createdBy: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'accountCharges',
      modelName: 'AccountCharge',
      indexes: [{ name: 'accountCharges_account_status', fields: ['accountId', 'status'] }],
    },
  );
  AccountNote.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      note: { type: DataTypes.TEXT, allowNull: false },
      createdBy: { type: DataTypes.INTEGER, allowNull: false },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'accountNotes',
      modelName: 'AccountNote',
      indexes: [{ name: 'accountNotes_account_created', fields: ['accountId', 'createdAt'] }],
    },
  );
  AccountTransfer.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      fromCustomerId: { type: DataTypes.INTEGER, allowNull: false },
      toCustomerId: { type: DataTypes.INTEGER, allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: true },
      status: { type: DataTypes.ENUM(...ACCOUNT_TRANSFER_STATUSES), allowNull: false, defaultValue: 'pending' },
      requestedBy: { type: DataTypes.INTEGER, allowNull: false },
      approvedBy: { type: DataTypes.INTEGER, allowNull: true },
      transferredAt: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'accountTransfers',
      modelName: 'AccountTransfer',
      indexes: [{ name: 'accountTransfers_account', fields: ['accountId'] }],
    },
  );
  AccountUpgrade.init(
    {
      id,
      fromAccountId: { type: DataTypes.INTEGER, allowNull: false },
      toAccountId: { type: DataTypes.INTEGER, allowNull: true },
      fromProductId: { type: DataTypes.INTEGER, allowNull: false },
      toProductId: { type: DataTypes.INTEGER, allowNull: false },
      creditAmount: moneyColumn('creditAmount'),
      status: { type: DataTypes.ENUM(...ACCOUNT_UPGRADE_STATUSES), allowNull: false, defaultValue: 'pending' },
      requestedBy: { type: DataTypes.INTEGER, allowNull: false },
      completedAt: { type: DataTypes.DATE, allowNull: true },
      deviceId: { type: DataTypes.INTEGER, allowNull: true },
      price: moneyColumn('price', { allowNull: true }),
      downPayment: moneyColumn('downPayment', { allowNull: true }),
      businessDate: { type: DataTypes.DATEONLY, allowNull: true },
      reason: { type: DataTypes.TEXT, allowNull: true },
      scheduleChangeId: { type: DataTypes.INTEGER, allowNull: true },
      journalEntryId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'accountUpgrades',
      modelName: 'AccountUpgrade',
      indexes: [{ name: 'accountUpgrades_from_account', fields: ['fromAccountId'] }],
    },
  );
  Repossession.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      deviceId: { type: DataTypes.INTEGER, allowNull: true },
      reason: { type: DataTypes.TEXT, allowNull: true },
      status: { type: DataTypes.ENUM(...REPOSSESSION_STATUSES), allowNull: false, defaultValue: 'scheduled' },
      scheduledFor: { type: DataTypes.DATEONLY, allowNull: false },
      repossessedAt: { type: DataTypes.DATE, allowNull: true },
      performedBy: { type: DataTypes.INTEGER, allowNull: true },
      warehouseId: { type: DataTypes.INTEGER, allowNull: true },
      condition: { type: DataTypes.STRING(50), allowNull: true },
      assignedTo: { type: DataTypes.INTEGER, allowNull: true },
      assignedBy: { type: DataTypes.INTEGER, allowNull: true },
      assignedAt: { type: DataTypes.DATE, allowNull: true },
      fieldVisitId: { type: DataTypes.INTEGER, allowNull: true },
      failureReason: { type: DataTypes.TEXT, allowNull: true },
      recoveredValue: moneyColumn('recoveredValue', { allowNull: true }),
      journalEntryId: { type: DataTypes.INTEGER, allowNull: true },
      writeoffId: { type: DataTypes.INTEGER, allowNull: true },
      deviceTokenId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'repossessions',
      modelName: 'Repossession',
      indexes: [
        { name: 'repossessions_account', fields: ['accountId'] },
        { name: 'repossessions_status_scheduled', fields: ['status', 'scheduledFor'] },
        { name: 'repossessions_assignee_status', fields: ['assignedTo', 'status'] },
      ],
    },
  );
  CreditDayEntry.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      deviceId: { type: DataTypes.INTEGER, allowNull: true },
      days: { type: DataTypes.INTEGER, allowNull: false },
      reason: { type: DataTypes.ENUM(...CREDIT_DAY_REASONS), allowNull: false },
      paymentId: { type: DataTypes.INTEGER, allowNull: true },
      note: { type: DataTypes.TEXT, allowNull: true },
      createdBy: { type: DataTypes.INTEGER, allowNull: true },
      creditExpiresAt: { type: DataTypes.DATE, allowNull: false },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'creditDayEntries',
      modelName: 'CreditDayEntry',
      indexes: [
        { name: 'creditDayEntries_account_created', fields: ['accountId', 'createdAt'] },
        { name: 'creditDayEntries_payment', fields: ['paymentId'] },
      ],
    },
  );
}

export function associateAccountsModels(): void {
  Account.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  Customer.hasMany(Account, { foreignKey: 'customerId', as: 'accounts' });
  Account.belongsTo(Product, { foreignKey: 'productId', as: 'product' });
  Product.hasMany(Account, { foreignKey: 'productId', as: 'accounts' });
  Account.belongsTo(Payplan, { foreignKey: 'payplanId', as: 'payplan' });
  Payplan.hasMany(Account, { foreignKey: 'payplanId', as: 'accounts' });
  Account.belongsTo(CompanyRegion, { foreignKey: 'regionId', as: 'region' });
  CompanyRegion.hasMany(Account, { foreignKey: 'regionId', as: 'accounts' });
  Account.belongsTo(Employee, { foreignKey: 'agentId', as: 'agent' });
  Employee.hasMany(Account, { foreignKey: 'agentId', as: 'soldAccounts' });

  Account.hasMany(AccountDevice, { foreignKey: 'accountId', as: 'accountDevices' });
  AccountDevice.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });

  Account.hasMany(InstallmentSchedule, { foreignKey: 'accountId', as: 'installments' });
  InstallmentSchedule.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });

  Account.hasMany(ScheduleChange, { foreignKey: 'accountId', as: 'scheduleChanges' });
  ScheduleChange.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });

  Account.hasMany(AccountStatusHistory, { foreignKey: 'accountId', as: 'statusHistory' });
  AccountStatusHistory.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  AccountStatusHistory.belongsTo(Employee, { foreignKey: 'changedBy', as: 'changer' });

  Account.hasMany(AccountCharge, { foreignKey: 'accountId', as: 'charges' });
  AccountCharge.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  AccountCharge.belongsTo(Employee, { foreignKey: 'createdBy', as: 'creator' });

  Account.hasMany(AccountNote, { foreignKey: 'accountId', as: 'notes' });
  AccountNote.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  AccountNote.belongsTo(Employee, { foreignKey: 'createdBy', as: 'creator' });

  Account.hasMany(AccountTransfer, { foreignKey: 'accountId', as: 'transfers' });
  AccountTransfer.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  AccountTransfer.belongsTo(Customer, { foreignKey: 'fromCustomerId', as: 'fromCustomer' });
  AccountTransfer.belongsTo(Customer, { foreignKey: 'toCustomerId', as: 'toCustomer' });
  AccountTransfer.belongsTo(Employee, { foreignKey: 'requestedBy', as: 'requester' });
  AccountTransfer.belongsTo(Employee, { foreignKey: 'approvedBy', as: 'approver' });

  Account.hasMany(AccountUpgrade, { foreignKey: 'fromAccountId', as: 'upgrades' });
  AccountUpgrade.belongsTo(Account, { foreignKey: 'fromAccountId', as: 'fromAccount' });
  AccountUpgrade.belongsTo(Account, { foreignKey: 'toAccountId', as: 'toAccount' });
  AccountUpgrade.belongsTo(Product, { foreignKey: 'fromProductId', as: 'fromProduct' });
  AccountUpgrade.belongsTo(Product, { foreignKey: 'toProductId', as: 'toProduct' });
  AccountUpgrade.belongsTo(Employee, { foreignKey: 'requestedBy', as: 'requester' });

  Account.hasMany(Repossession, { foreignKey: 'accountId', as: 'repossessions' });
  Repossession.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Repossession.belongsTo(Employee, { foreignKey: 'performedBy', as: 'performer' });
  Repossession.belongsTo(Warehouse, { foreignKey: 'warehouseId', as: 'warehouse' });

  Account.hasMany(CreditDayEntry, { foreignKey: 'accountId', as: 'creditDayEntries' });
  CreditDayEntry.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  CreditDayEntry.belongsTo(Employee, { foreignKey: 'createdBy', as: 'creator' });

  // The ledger sits below accounts: its entries' and lines' sub-ledger links are declared here.
  JournalEntry.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  JournalLine.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
}
