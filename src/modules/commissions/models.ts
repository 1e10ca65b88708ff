import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { moneyColumn, decimalColumn } from '../../platform/db/attributes';
import type { MoneyString } from '../../platform/money';
import { Employee } from '../access/models';
import { Account } from '../accounts/models';
import { Product } from '../catalogue/models';
import { JournalEntry } from '../ledger/models';
import { CompanyRegion } from '../organisation/models';

export const COMMISSION_EVENTS = ['sale', 'down_payment', 'collection'] as const;
export type CommissionEvent = (typeof COMMISSION_EVENTS)[number];

export const COMMISSION_CALCULATIONS = ['fixed', 'percentage'] as const;
export type CommissionCalculation = (typeof COMMISSION_CALCULATIONS)[number];

/** accrued -> payable -> included (in a payment); or clawed_back / cancelled. */
export const COMMISSION_ENTRY_STATUSES = ['accrued', 'payable', 'included', 'clawed_back', 'cancelled'] as const;
export type CommissionEntryStatus = (typeof COMMISSION_ENTRY_STATUSES)[number];

/** pending -> approved -> paid; or rejected. */
export const COMMISSION_PAYMENT_STATUSES = ['pending', 'approved', 'paid', 'rejected'] as const;
export type CommissionPaymentStatus = (typeof COMMISSION_PAYMENT_STATUSES)[number];

/** One stage of a staged payout: `percent` of the commission, `afterMonths` after the event. */
export interface CommissionStage {
  percent: number;
  afterMonths: number;
  /** Paid only if the account is not in default when the stage falls due. */
  requiresNotDefaulted?: boolean;
}

export class CommissionPlan extends Model<InferAttributes<CommissionPlan>, InferCreationAttributes<CommissionPlan>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare code: string;
  declare description: CreationOptional<string | null>;
  declare validFrom: string;
  declare validTo: CreationOptional<string | null>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare rules?: NonAttribute<CommissionRule[]>;
}

export class CommissionRule extends Model<InferAttributes<CommissionRule>, InferCreationAttributes<CommissionRule>> {
  declare id: CreationOptional<number>;
  declare commissionPlanId: number;
  /** null = any product. */
  declare productId: CreationOptional<number | null>;
  /** null = any region. */
  declare regionId: CreationOptional<number | null>;
  declare eventType: CommissionEvent;
  declare calculation: CommissionCalculation;
  /** For 'fixed': the amount per event. */
  declare amount: CreationOptional<MoneyString | null>;
  /** For 'percentage': percent of the event amount, e.g. '5.0000' = 5 %. */
  declare percentage: CreationOptional<string | null>;
  /** null = paid in one stage (stage 0). */
  declare stages: CreationOptional<CommissionStage[] | null>;
  declare clawbackWithinDays: CreationOptional<number | null>;
  /** Higher wins when several rules match. */
  declare priority: CreationOptional<number>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare plan?: NonAttribute<CommissionPlan>;
  declare product?: NonAttribute<Product | null>;
  declare region?: NonAttribute<CompanyRegion | null>;
}

export class CommissionEntry extends Model<InferAttributes<CommissionEntry>, InferCreationAttributes<CommissionEntry>> {
  declare id: CreationOptional<number>;
  declare employeeId: number;
  declare accountId: CreationOptional<number | null>;
  declare commissionRuleId: CreationOptional<number | null>;
  declare eventType: CommissionEvent;
  /** What earned it, e.g. 'account' (sale) or 'payment'. */
  declare sourceType: string;
  declare sourceId: number;
  /** Index into the rule's stages; 0 when not staged. */
  declare stage: CreationOptional<number>;
  declare amount: MoneyString;
  /** The date this stage is earned (event date + the stage's afterMonths). */
  declare earnedOn: string;
  declare status: CreationOptional<CommissionEntryStatus>;
  declare commissionPaymentId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare employee?: NonAttribute<Employee>;
  declare account?: NonAttribute<Account | null>;
  declare rule?: NonAttribute<CommissionRule | null>;
  declare payment?: NonAttribute<CommissionPayment | null>;
  declare clawback?: NonAttribute<CommissionClawback | null>;
}

export class CommissionPayment extends Model<InferAttributes<CommissionPayment>, InferCreationAttributes<CommissionPayment>> {
  declare id: CreationOptional<number>;
  declare employeeId: number;
  declare amount: MoneyString;
  /** YYYY-MM */
  declare period: string;
  declare status: CreationOptional<CommissionPaymentStatus>;
  declare requestedBy: CreationOptional<number | null>;
  declare approvedBy: CreationOptional<number | null>;
  declare approvedAt: CreationOptional<Date | null>;
  declare rejectionReason: CreationOptional<string | null>;
  declare paidDate: CreationOptional<string | null>;
  declare paidBy: CreationOptional<number | null>;
  declare paymentReference: CreationOptional<string | null>;
  declare journalEntryId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare employee?: NonAttribute<Employee>;
  declare requester?: NonAttribute<Employee | null>;
  declare approver?: NonAttribute<Employee | null>;
  declare payer?: NonAttribute<Employee | null>;
  declare journalEntry?: NonAttribute<JournalEntry | null>;
  declare entries?: NonAttribute<CommissionEntry[]>;
  declare clawbacks?: NonAttribute<CommissionClawback[]>;
}

export class CommissionClawback extends Model<InferAttributes<CommissionClawback>, InferCreationAttributes<CommissionClawback>> {
  declare id: CreationOptional<number>;
  /** Unique: an entry is clawed back at most once. */
  declare commissionEntryId: number;
  declare accountId: number;
  declare employeeId: number;
  declare amount: MoneyString;
  declare reason: string;
  declare clawedBackOn: string;
  /** The payment the amount was deducted from; null until deducted. */
  declare commissionPaymentId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare entry?: NonAttribute<CommissionEntry>;
  declare account?: NonAttribute<Account>;
  declare employee?: NonAttribute<Employee>;
  declare payment?: NonAttribute<CommissionPayment | null>;
}

export class SalesTarget extends Model<InferAttributes<SalesTarget>, InferCreationAttributes<SalesTarget>> {
  declare id: CreationOptional<number>;
  declare employeeId: CreationOptional<number | null>;
  declare regionId: CreationOptional<number | null>;
  /** YYYY-MM */
  declare period: string;
  declare targetUnits: CreationOptional<number>;
  declare targetAmount: CreationOptional<MoneyString>;
  declare achievedUnits: CreationOptional<number>;
  declare achievedAmount: CreationOptional<MoneyString>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare employee?: NonAttribute<Employee | null>;
  declare region?: NonAttribute<CompanyRegion | null>;
}

const id = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true } as const;
const timestamps = { createdAt: DataTypes.DATE, updatedAt: DataTypes.DATE } as const;

export function initCommissionsModels(sequelize: Sequelize): void {
  CommissionPlan.init(
    {
      id,
      name: { type: DataTypes.STRING(255), allowNull: false },
      code: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      description: { type: DataTypes.TEXT, allowNull: true },
      validFrom: { type: DataTypes.DATEONLY, allowNull: false },
      validTo: { type: DataTypes.DATEONLY, allowNull: true },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
    },
    { sequelize, tableName: 'commissionPlans', modelName: 'CommissionPlan', version: true },
  );
  CommissionRule.init(
    {
      id,
      commissionPlanId: { type: DataTypes.INTEGER, allowNull: false },
      productId: { type: DataTypes.INTEGER, allowNull: true },
      regionId: { type: DataTypes.INTEGER, allowNull: true },
      eventType: { type: DataTypes.ENUM(...COMMISSION_EVENTS), allowNull: false },
      calculation: { type: DataTypes.ENUM(...COMMISSION_CALCULATIONS), allowNull: false },
      amount: moneyColumn('amount', { allowNull: true }),
      percentage: decimalColumn('percentage', 7, 4, { allowNull: true }),
      stages: { type: DataTypes.JSON, allowNull: true },
      clawbackWithinDays: { type: DataTypes.INTEGER, allowNull: true },
      priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'commissionRules',
      modelName: 'CommissionRule',
      version: true,
      indexes: [{ name: 'commissionRules_plan_event', fields: ['commissionPlanId', 'eventType'] }],
    },
  );
  CommissionPayment.init(
    {
      id,
      employeeId: { type: DataTypes.INTEGER, allowNull: false },
      amount: moneyColumn('amount'),
      period: { type: DataTypes.STRING(7), allowNull: false },
      status: { type: DataTypes.ENUM(...COMMISSION_PAYMENT_STATUSES), allowNull: false, defaultValue: 'pending' },
      requestedBy: { type: DataTypes.INTEGER, allowNull: true },
      approvedBy: { type: DataTypes.INTEGER, allowNull: true },
      approvedAt: { type: DataTypes.DATE, allowNull: true },
      rejectionReason: { type: DataTypes.TEXT, allowNull: true },
      paidDate: { type: DataTypes.DATEONLY, allowNull: true },
      paidBy: { type: DataTypes.INTEGER, allowNull: true },
      paymentReference: { type: DataTypes.STRING(100), allowNull: true },
      journalEntryId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'commissionPayments',
      modelName: 'CommissionPayment',
      indexes: [
        { name: 'commissionPayments_employee_period', fields: ['employeeId', 'period'], unique: true },
        { name: 'commissionPayments_status_period', fields: ['status', 'period'] },
      ],
    },
  );
  CommissionEntry.init(
    {
      id,
      employeeId: { type: DataTypes.INTEGER, allowNull: false },
      accountId: { type: DataTypes.INTEGER, allowNull: true },
      commissionRuleId: { type: DataTypes.INTEGER, allowNull: true },
      eventType: { type: DataTypes.ENUM(...COMMISSION_EVENTS), allowNull: false },
      sourceType: { type: DataTypes.STRING(50), allowNull: false },
      sourceId: { type: DataTypes.INTEGER, allowNull: false },
      stage: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      amount: moneyColumn('amount'),
      earnedOn: { type: DataTypes.DATEONLY, allowNull: false },
      status: { type: DataTypes.ENUM(...COMMISSION_ENTRY_STATUSES), allowNull: false, defaultValue: 'accrued' },
      commissionPaymentId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'commissionEntries',
      modelName: 'CommissionEntry',
      indexes: [
        {
          name: 'commissionEntries_rule_source_stage_employee',
          fields: ['commissionRuleId', 'sourceType', 'sourceId', 'stage', 'employeeId'],
          unique: true,
        },
        { name: 'commissionEntries_employee_status_earned', fields: ['employeeId', 'status', 'earnedOn'] },
        { name: 'commissionEntries_status_earned', fields: ['status', 'earnedOn'] },
      ],
    },
  );
  CommissionClawback.init(
    {
      id,
      commissionEntryId: { type: DataTypes.INTEGER, allowNull: false, unique: true },
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      employeeId: { type: DataTypes.INTEGER, allowNull: false },
      amount: moneyColumn('amount'),
      reason: { type: DataTypes.STRING(255), allowNull: false },
      clawedBackOn: { type: DataTypes.DATEONLY, allowNull: false },
      commissionPaymentId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'commissionClawbacks',
      modelName: 'CommissionClawback',
      indexes: [{ name: 'commissionClawbacks_employee_payment', fields: ['employeeId', 'commissionPaymentId'] }],
    },
  );
  SalesTarget.init(
    {
      id,
      employeeId: { type: DataTypes.INTEGER, allowNull: true },
      regionId: { type: DataTypes.INTEGER, allowNull: true },
      period: { type: DataTypes.STRING(7), allowNull: false },
      targetUnits: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      targetAmount: moneyColumn('targetAmount', { defaultValue: '0.00' }),
      achievedUnits: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      achievedAmount: moneyColumn('achievedAmount', { defaultValue: '0.00' }),
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'salesTargets',
      modelName: 'SalesTarget',
      indexes: [
        { name: 'salesTargets_employee_region_period', fields: ['employeeId', 'regionId', 'period'], unique: true },
        { name: 'salesTargets_period', fields: ['period'] },
      ],
    },
  );
}

export function associateCommissionsModels(): void {
  CommissionPlan.hasMany(CommissionRule, { foreignKey: 'commissionPlanId', as: 'rules' });
  CommissionRule.belongsTo(CommissionPlan, { foreignKey: 'commissionPlanId', as: 'plan' });
  CommissionRule.belongsTo(Product, { foreignKey: 'productId', as: 'product' });
  CommissionRule.belongsTo(CompanyRegion, { foreignKey: 'regionId', as: 'region' });

  CommissionEntry.belongsTo(Employee, { foreignKey: 'employeeId', as: 'employee' });
  Employee.hasMany(CommissionEntry, { foreignKey: 'employeeId', as: 'commissionEntries' });
  CommissionEntry.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Account.hasMany(CommissionEntry, { foreignKey: 'accountId', as: 'commissionEntries' });
  CommissionEntry.belongsTo(CommissionRule, { foreignKey: 'commissionRuleId', as: 'rule' });
  CommissionRule.hasMany(CommissionEntry, { foreignKey: 'commissionRuleId', as: 'entries' });
  CommissionEntry.belongsTo(CommissionPayment, { foreignKey: 'commissionPaymentId', as: 'payment' });
  CommissionEntry.hasOne(CommissionClawback, { foreignKey: 'commissionEntryId', as: 'clawback' });

  CommissionPayment.belongsTo(Employee, { foreignKey: 'employeeId', as: 'employee' });
  Employee.hasMany(CommissionPayment, { foreignKey: 'employeeId', as: 'commissionPayments' });
  CommissionPayment.belongsTo(Employee, { foreignKey: 'requestedBy', as: 'requester' });
  CommissionPayment.belongsTo(Employee, { foreignKey: 'approvedBy', as: 'approver' });
  CommissionPayment.belongsTo(Employee, { foreignKey: 'paidBy', as: 'payer' });
  CommissionPayment.belongsTo(JournalEntry, { foreignKey: 'journalEntryId', as: 'journalEntry' });
  CommissionPayment.hasMany(CommissionEntry, { foreignKey: 'commissionPaymentId', as: 'entries' });
  CommissionPayment.hasMany(CommissionClawback, { foreignKey: 'commissionPaymentId', as: 'clawbacks' });

  CommissionClawback.belongsTo(CommissionEntry, { foreignKey: 'commissionEntryId', as: 'entry' });
  CommissionClawback.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  CommissionClawback.belongsTo(Employee, { foreignKey: 'employeeId', as: 'employee' });
  CommissionClawback.belongsTo(CommissionPayment, { foreignKey: 'commissionPaymentId', as: 'payment' });

  SalesTarget.belongsTo(Employee, { foreignKey: 'employeeId', as: 'employee' });
  Employee.hasMany(SalesTarget, { foreignKey: 'employeeId', as: 'salesTargets' });
  SalesTarget.belongsTo(CompanyRegion, { foreignKey: 'regionId', as: 'region' });
}
