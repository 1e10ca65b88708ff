import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { moneyColumn, idColumn as id, timestampColumns as timestamps, decimalColumn } from '../../platform/db/attributes';
import type { MoneyString } from '../../platform/money';
import { Employee } from '../access/models';
import { Account } from '../accounts/models';
import { Customer } from '../customers/models';

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

/**
 * open (no contact yet) -> in_progress (contacted) <-> promise (an open promise to pay) ->
 * repossession_review (escalated by the nightly close) -> closed (account current again, or out of
 * the portfolio). 'resolved' is kept from the original schema and not used. See docs/collections.md.
 */
export const COLLECTION_CASE_STATUSES = ['open', 'in_progress', 'promise', 'resolved', 'closed', 'repossession_review'] as const;
export type CollectionCaseStatus = (typeof COLLECTION_CASE_STATUSES)[number];

export const COLLECTION_ACTIVITY_TYPES = ['call', 'sms', 'visit', 'note'] as const;
export type CollectionActivityType = (typeof COLLECTION_ACTIVITY_TYPES)[number];

export const PROMISE_STATUSES = ['open', 'kept', 'broken', 'cancelled', 'partly_kept'] as const;
export type PromiseStatus = (typeof PROMISE_STATUSES)[number];

export const FIELD_VISIT_PURPOSES = ['installation', 'collection', 'repair', 'repossession', 'kyc'] as const;
export type FieldVisitPurpose = (typeof FIELD_VISIT_PURPOSES)[number];

export class CollectionCase extends Model<InferAttributes<CollectionCase>, InferCreationAttributes<CollectionCase>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  declare assignedTo: CreationOptional<number | null>;
  declare status: CreationOptional<CollectionCaseStatus>;
  declare priority: CreationOptional<Priority>;
  declare openedOn: string;
  declare closedOn: CreationOptional<string | null>;
  declare daysPastDueAtOpen: CreationOptional<number>;
  declare resolution: CreationOptional<string | null>;
  /** The account while the case is open, null once closed (unique: one open case per account). */
  declare openAccountId: CreationOptional<number | null>;
  declare daysPastDue: CreationOptional<number>;
  /** The account's outstanding balance as of the last close. */
  declare amountAtRisk: CreationOptional<MoneyString>;
  declare lastContactAt: CreationOptional<Date | null>;
  declare brokenPromises: CreationOptional<number>;
  /** Higher first on the worklist (collections/priority.ts). */
  declare priorityScore: CreationOptional<number>;
  declare escalatedOn: CreationOptional<string | null>;
  declare escalationReason: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
  declare assignee?: NonAttribute<Employee | null>;
  declare activities?: NonAttribute<CollectionActivity[]>;
  declare promises?: NonAttribute<PromiseToPay[]>;
  declare fieldVisits?: NonAttribute<FieldVisit[]>;
}

export class CollectionActivity extends Model<InferAttributes<CollectionActivity>, InferCreationAttributes<CollectionActivity>> {
  declare id: CreationOptional<number>;
  declare collectionCaseId: number;
  declare activityType: CollectionActivityType;
  /** Free code, e.g. reached, no_answer, wrong_number, promised, refused, paid. */
  declare outcome: CreationOptional<string | null>;
  declare notes: CreationOptional<string | null>;
  declare performedBy: number;
  declare performedAt: Date;
  /** The fieldVisit a visit wrote. */
  declare fieldVisitId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare collectionCase?: NonAttribute<CollectionCase>;
  declare performer?: NonAttribute<Employee>;
}

export class PromiseToPay extends Model<InferAttributes<PromiseToPay>, InferCreationAttributes<PromiseToPay>> {
  declare id: CreationOptional<number>;
  declare collectionCaseId: CreationOptional<number | null>;
  declare accountId: number;
  declare promisedAmount: MoneyString;
  declare promisedDate: string;
  declare status: CreationOptional<PromiseStatus>;
  /** When the promise was judged kept or broken, or was cancelled. */
  declare resolvedOn: CreationOptional<string | null>;
  declare createdBy: CreationOptional<number | null>;
  /** The business date it was made: payments from then until promisedDate count towards it. */
  declare promisedOn: CreationOptional<string | null>;
  /** Paid towards it when judged. */
  declare paidAmount: CreationOptional<MoneyString>;
  /** The payment that kept it. */
  declare paymentId: CreationOptional<number | null>;
  declare collectionActivityId: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare collectionCase?: NonAttribute<CollectionCase | null>;
  declare account?: NonAttribute<Account>;
  declare creator?: NonAttribute<Employee | null>;
}

export class FieldVisit extends Model<InferAttributes<FieldVisit>, InferCreationAttributes<FieldVisit>> {
  declare id: CreationOptional<number>;
  declare employeeId: number;
  declare customerId: CreationOptional<number | null>;
  declare accountId: CreationOptional<number | null>;
  declare collectionCaseId: CreationOptional<number | null>;
  declare purpose: FieldVisitPurpose;
  /** The day the visit is planned for. */
  declare scheduledFor: string;
  declare visitedAt: CreationOptional<Date | null>;
  /** DECIMAL(10,7) as a string. */
  declare latitude: CreationOptional<string | null>;
  declare longitude: CreationOptional<string | null>;
  declare outcome: CreationOptional<string | null>;
  declare notes: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare employee?: NonAttribute<Employee>;
  declare customer?: NonAttribute<Customer | null>;
  declare account?: NonAttribute<Account | null>;
  declare collectionCase?: NonAttribute<CollectionCase | null>;
  declare photos?: NonAttribute<FieldVisitPhoto[]>;
}

/** A photo taken on a field visit (e.g. an installation): a reference to where it is kept, never the bytes. */
export class FieldVisitPhoto extends Model<InferAttributes<FieldVisitPhoto>, InferCreationAttributes<FieldVisitPhoto>> {
  declare id: CreationOptional<number>;
  declare fieldVisitId: number;
  declare reference: string;
  declare mimeType: string;
  declare sizeBytes: CreationOptional<number | null>;
  declare sha256: CreationOptional<string | null>;
  declare caption: CreationOptional<string | null>;
  declare takenAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare fieldVisit?: NonAttribute<FieldVisit>;
}

export function initCollectionsModels(sequelize: Sequelize): void {
  CollectionCase.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      assignedTo: { type: DataTypes.INTEGER, allowNull: true },
      status: { type: DataTypes.ENUM(...COLLECTION_CASE_STATUSES), allowNull: false, defaultValue: 'open' },
      priority: { type: DataTypes.ENUM(...PRIORITIES), allowNull: false, defaultValue: 'normal' },
      openedOn: { type: DataTypes.DATEONLY, allowNull: false },
      closedOn: { type: DataTypes.DATEONLY, allowNull: true },
      daysPastDueAtOpen: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      resolution: { type: DataTypes.TEXT, allowNull: true },
      openAccountId: { type: DataTypes.INTEGER, allowNull: true },
      daysPastDue: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      amountAtRisk: moneyColumn('amountAtRisk', { defaultValue: '0.00' }),
      lastContactAt: { type: DataTypes.DATE, allowNull: true },
      brokenPromises: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      priorityScore: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      escalatedOn: { type: DataTypes.DATEONLY, allowNull: true },
      escalationReason: { type: DataTypes.STRING(255), allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'collectionCases',
      modelName: 'CollectionCase',
      indexes: [
        { name: 'collectionCases_account_status', fields: ['accountId', 'status'] },
        { name: 'collectionCases_status_assignee', fields: ['status', 'assignedTo'] },
        { name: 'collectionCases_assignee_score', fields: ['assignedTo', 'priorityScore'] },
        { name: 'collectionCases_open_account', unique: true, fields: ['openAccountId'] },
      ],
    },
  );
  CollectionActivity.init(
    {
      id,
      collectionCaseId: { type: DataTypes.INTEGER, allowNull: false },
      activityType: { type: DataTypes.ENUM(...COLLECTION_ACTIVITY_TYPES), allowNull: false },
      outcome: { type: DataTypes.STRING(50), allowNull: true },
      notes: { type: DataTypes.TEXT, allowNull: true },
      performedBy: { type: DataTypes.INTEGER, allowNull: false },
      performedAt: { type: DataTypes.DATE, allowNull: false },
      fieldVisitId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'collectionActivities',
      modelName: 'CollectionActivity',
      indexes: [{ name: 'collectionActivities_case_performed', fields: ['collectionCaseId', 'performedAt'] }],
    },
  );
  PromiseToPay.init(
    {
      id,
      collectionCaseId: { type: DataTypes.INTEGER, allowNull: true },
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      promisedAmount: moneyColumn('promisedAmount'),
      promisedDate: { type: DataTypes.DATEONLY, allowNull: false },
      status: { type: DataTypes.ENUM(...PROMISE_STATUSES), allowNull: false, defaultValue: 'open' },
      resolvedOn: { type: DataTypes.DATEONLY, allowNull: true },
      createdBy: { type: DataTypes.INTEGER, allowNull: true },
      promisedOn: { type: DataTypes.DATEONLY, allowNull: true },
      paidAmount: moneyColumn('paidAmount', { defaultValue: '0.00' }),
      paymentId: { type: DataTypes.INTEGER, allowNull: true },
      collectionActivityId: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'promisesToPay',
      modelName: 'PromiseToPay',
      indexes: [{ name: 'promisesToPay_status_date', fields: ['status', 'promisedDate'] }],
    },
  );
  FieldVisit.init(
    {
      id,
      employeeId: { type: DataTypes.INTEGER, allowNull: false },
      customerId: { type: DataTypes.INTEGER, allowNull: true },
      accountId: { type: DataTypes.INTEGER, allowNull: true },
      collectionCaseId: { type: DataTypes.INTEGER, allowNull: true },
      purpose: { type: DataTypes.ENUM(...FIELD_VISIT_PURPOSES), allowNull: false },
      scheduledFor: { type: DataTypes.DATEONLY, allowNull: false },
      visitedAt: { type: DataTypes.DATE, allowNull: true },
      latitude: decimalColumn('latitude', 10, 7, { allowNull: true }),
      longitude: decimalColumn('longitude', 10, 7, { allowNull: true }),
      outcome: { type: DataTypes.STRING(50), allowNull: true },
      notes: { type: DataTypes.TEXT, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'fieldVisits',
      modelName: 'FieldVisit',
      indexes: [{ name: 'fieldVisits_employee_scheduled', fields: ['employeeId', 'scheduledFor'] }],
    },
  );
  FieldVisitPhoto.init(
    {
      id,
      fieldVisitId: { type: DataTypes.INTEGER, allowNull: false },
      reference: { type: DataTypes.STRING(500), allowNull: false },
      mimeType: { type: DataTypes.STRING(100), allowNull: false },
      sizeBytes: { type: DataTypes.INTEGER, allowNull: true },
      sha256: { type: DataTypes.CHAR(64), allowNull: true },
      caption: { type: DataTypes.STRING(255), allowNull: true },
      takenAt: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'fieldVisitPhotos',
      modelName: 'FieldVisitPhoto',
      indexes: [{ name: 'fieldVisitPhotos_visit', fields: ['fieldVisitId'] }],
    },
  );
}

export function associateCollectionsModels(): void {
  CollectionCase.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Account.hasMany(CollectionCase, { foreignKey: 'accountId', as: 'collectionCases' });
  CollectionCase.belongsTo(Employee, { foreignKey: 'assignedTo', as: 'assignee' });
  CollectionCase.hasMany(CollectionActivity, { foreignKey: 'collectionCaseId', as: 'activities' });
  CollectionCase.hasMany(PromiseToPay, { foreignKey: 'collectionCaseId', as: 'promises' });
  CollectionCase.hasMany(FieldVisit, { foreignKey: 'collectionCaseId', as: 'fieldVisits' });

  CollectionActivity.belongsTo(CollectionCase, { foreignKey: 'collectionCaseId', as: 'collectionCase' });
  CollectionActivity.belongsTo(Employee, { foreignKey: 'performedBy', as: 'performer' });

  PromiseToPay.belongsTo(CollectionCase, { foreignKey: 'collectionCaseId', as: 'collectionCase' });
  PromiseToPay.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Account.hasMany(PromiseToPay, { foreignKey: 'accountId', as: 'promisesToPay' });
  PromiseToPay.belongsTo(Employee, { foreignKey: 'createdBy', as: 'creator' });

  FieldVisit.belongsTo(Employee, { foreignKey: 'employeeId', as: 'employee' });
  FieldVisit.hasMany(FieldVisitPhoto, { foreignKey: 'fieldVisitId', as: 'photos' });
  FieldVisitPhoto.belongsTo(FieldVisit, { foreignKey: 'fieldVisitId', as: 'fieldVisit' });
  Employee.hasMany(FieldVisit, { foreignKey: 'employeeId', as: 'fieldVisits' });
  FieldVisit.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  Customer.hasMany(FieldVisit, { foreignKey: 'customerId', as: 'fieldVisits' });
  FieldVisit.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  Account.hasMany(FieldVisit, { foreignKey: 'accountId', as: 'fieldVisits' });
  FieldVisit.belongsTo(CollectionCase, { foreignKey: 'collectionCaseId', as: 'collectionCase' });
}
