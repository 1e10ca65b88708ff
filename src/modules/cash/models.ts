import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { moneyColumn, idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';
import { Decimal, type MoneyString } from '../../platform/money';
import { Employee } from '../access/models';
import { Account } from '../accounts/models';
import { Customer } from '../customers/models';
import { Payment, UnmatchedPayment } from '../payments/models';

/**
 * The cash module's tables: cashCollections and agentRemittances. Cash sits above payments (a
 * collection is posted as a cash payment), so the links payments' tables have to these are
 * declared and typed here (associateCashModels, and by module augmentation below).
 */
declare module '../payments/models' {
  interface Payment {
    cashCollection?: NonAttribute<CashCollection | null>;
  }
  interface UnmatchedPayment {
    cashCollection?: NonAttribute<CashCollection | null>;
  }
}

export const CASH_COLLECTION_STATUSES = ['recorded', 'posted', 'remitted', 'cancelled'] as const;
export type CashCollectionStatus = (typeof CASH_COLLECTION_STATUSES)[number];

export const AGENT_REMITTANCE_STATUSES = ['pending', 'confirmed', 'rejected'] as const;
export type AgentRemittanceStatus = (typeof AGENT_REMITTANCE_STATUSES)[number];

/** Cash an agent took from a customer, uploaded by the phone app (clientCollectionId makes retries safe). */
export class CashCollection extends Model<InferAttributes<CashCollection>, InferCreationAttributes<CashCollection>> {
  declare id: CreationOptional<number>;
  declare clientCollectionId: string;
  declare agentId: number;
  declare accountId: number;
  declare customerId: number;
  declare amount: MoneyString;
  declare collectedAt: Date;
  /** The payment posted for it (unique: one payment per collection). */
  declare paymentId: CreationOptional<number | null>;
  declare status: CreationOptional<CashCollectionStatus>;
  declare agentRemittanceId: CreationOptional<number | null>;
  /** DECIMAL(10,7), read as a string. */
  declare latitude: CreationOptional<string | null>;
  declare longitude: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare agent?: NonAttribute<Employee>;
  declare account?: NonAttribute<Account>;
  declare customer?: NonAttribute<Customer>;
  declare payment?: NonAttribute<Payment | null>;
  declare remittance?: NonAttribute<AgentRemittance | null>;
}

/** Cash an agent handed in; confirmed by someone other than the agent (database trigger). */
export class AgentRemittance extends Model<InferAttributes<AgentRemittance>, InferCreationAttributes<AgentRemittance>> {
  declare id: CreationOptional<number>;
  declare agentId: number;
  declare amount: MoneyString;
  declare remittedAt: Date;
  /** e.g. 'bank_deposit', 'mobile_money', 'office_cash'. */
  declare method: string;
  declare reference: CreationOptional<string | null>;
  declare status: CreationOptional<AgentRemittanceStatus>;
  declare confirmedBy: CreationOptional<number | null>;
  declare confirmedAt: CreationOptional<Date | null>;
  declare notes: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare agent?: NonAttribute<Employee>;
  declare confirmer?: NonAttribute<Employee | null>;
  declare collections?: NonAttribute<CashCollection[]>;
}

/** DECIMAL(10,7) read as a 7-decimal string on MySQL and SQLite alike (SQLite would return a number). */
function coordinateColumn(field: 'latitude' | 'longitude') {
  return {
    type: DataTypes.DECIMAL(10, 7),
    allowNull: true,
    get(this: CashCollection): string | null {
      const raw = this.getDataValue(field) as unknown;
      return raw === null || raw === undefined ? null : new Decimal(raw as string).toFixed(7);
    },
  };
}

export function initCashModels(sequelize: Sequelize): void {
  CashCollection.init(
    {
      id,
      clientCollectionId: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      agentId: { type: DataTypes.INTEGER, allowNull: false },
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      amount: moneyColumn('amount'),
      collectedAt: { type: DataTypes.DATE, allowNull: false },
      paymentId: { type: DataTypes.INTEGER, allowNull: true, unique: true },
      status: { type: DataTypes.ENUM(...CASH_COLLECTION_STATUSES), allowNull: false, defaultValue: 'recorded' },
      agentRemittanceId: { type: DataTypes.INTEGER, allowNull: true },
      latitude: coordinateColumn('latitude'),
      longitude: coordinateColumn('longitude'),
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'cashCollections',
      modelName: 'CashCollection',
      indexes: [
        { name: 'cashCollections_agent_status', fields: ['agentId', 'status'] },
        { name: 'cashCollections_account', fields: ['accountId'] },
        { name: 'cashCollections_remittance', fields: ['agentRemittanceId'] },
      ],
    },
  );
  AgentRemittance.init(
    {
      id,
      agentId: { type: DataTypes.INTEGER, allowNull: false },
      amount: moneyColumn('amount'),
      remittedAt: { type: DataTypes.DATE, allowNull: false },
      method: { type: DataTypes.STRING(30), allowNull: false },
      reference: { type: DataTypes.STRING(100), allowNull: true },
      status: { type: DataTypes.ENUM(...AGENT_REMITTANCE_STATUSES), allowNull: false, defaultValue: 'pending' },
      confirmedBy: { type: DataTypes.INTEGER, allowNull: true },
      confirmedAt: { type: DataTypes.DATE, allowNull: true },
      notes: { type: DataTypes.TEXT, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'agentRemittances',
      modelName: 'AgentRemittance',
      indexes: [
        { name: 'agentRemittances_agent_status', fields: ['agentId', 'status'] },
        { name: 'agentRemittances_status_remitted', fields: ['status', 'remittedAt'] },
      ],
    },
  );
}

export function associateCashModels(): void {
  Payment.hasOne(CashCollection, { foreignKey: 'paymentId', as: 'cashCollection' });
  UnmatchedPayment.belongsTo(CashCollection, { foreignKey: 'cashCollectionId', as: 'cashCollection' });
  CashCollection.belongsTo(Employee, { foreignKey: 'agentId', as: 'agent' });
  CashCollection.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
  CashCollection.belongsTo(Customer, { foreignKey: 'customerId', as: 'customer' });
  CashCollection.belongsTo(Payment, { foreignKey: 'paymentId', as: 'payment' });
  CashCollection.belongsTo(AgentRemittance, { foreignKey: 'agentRemittanceId', as: 'remittance' });

  AgentRemittance.belongsTo(Employee, { foreignKey: 'agentId', as: 'agent' });
  AgentRemittance.belongsTo(Employee, { foreignKey: 'confirmedBy', as: 'confirmer' });
  AgentRemittance.hasMany(CashCollection, { foreignKey: 'agentRemittanceId', as: 'collections' });
}
