import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { moneyColumn, idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';
import type { MoneyString } from '../../platform/money';
import { Account } from '../accounts/models';

/** open -> paid (POST /accounts/:id/payoff); expired or stale when a payment of it was refused. */
export const PAYOFF_QUOTE_STATUSES = ['open', 'paid', 'expired', 'stale'] as const;
export type PayoffQuoteStatus = (typeof PAYOFF_QUOTE_STATUSES)[number];

/** A payoff quote given (GET /accounts/:id/payoff), kept so that paying it can be matched (docs/contract-changes.md). */
export class PayoffQuote extends Model<InferAttributes<PayoffQuote>, InferCreationAttributes<PayoffQuote>> {
  declare id: CreationOptional<number>;
  declare accountId: number;
  /** The business date the quote was given on. */
  declare businessDate: string;
  /** The date the quote settles the account on (its discount counts what falls due after it). */
  declare payoffDate: string;
  /** The last business date it may be paid on. */
  declare validUntil: string;
  /** What the open instalments and charges owed when quoted. */
  declare outstanding: MoneyString;
  declare discount: MoneyString;
  declare creditApplied: MoneyString;
  /** outstanding - discount - creditApplied: what the customer pays. */
  declare amount: MoneyString;
  declare status: CreationOptional<PayoffQuoteStatus>;
  /** sha256 of the open items (id, amount, paid) and the credit balance when quoted: a change since makes the quote stale. */
  declare stateHash: string;
  declare paymentId: CreationOptional<number | null>;
  /** The discount's journal entry (Dr 5500 / Cr 1200), when there was a discount. */
  declare journalEntryId: CreationOptional<number | null>;
  declare paidAt: CreationOptional<Date | null>;
  declare createdBy: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare account?: NonAttribute<Account>;
}

export function initContractChangesModels(sequelize: Sequelize): void {
  PayoffQuote.init(
    {
      id,
      accountId: { type: DataTypes.INTEGER, allowNull: false },
      businessDate: { type: DataTypes.DATEONLY, allowNull: false },
      payoffDate: { type: DataTypes.DATEONLY, allowNull: false },
      validUntil: { type: DataTypes.DATEONLY, allowNull: false },
      outstanding: moneyColumn('outstanding'),
      discount: moneyColumn('discount'),
      creditApplied: moneyColumn('creditApplied'),
      amount: moneyColumn('amount'),
      status: { type: DataTypes.ENUM(...PAYOFF_QUOTE_STATUSES), allowNull: false, defaultValue: 'open' },
      stateHash: { type: DataTypes.CHAR(64), allowNull: false },
      paymentId: { type: DataTypes.INTEGER, allowNull: true },
      journalEntryId: { type: DataTypes.INTEGER, allowNull: true },
      paidAt: { type: DataTypes.DATE, allowNull: true },
      createdBy: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    { sequelize, tableName: 'payoffQuotes', modelName: 'PayoffQuote', indexes: [{ name: 'payoffQuotes_account_status', fields: ['accountId', 'status'] }] },
  );
}

export function associateContractChangesModels(): void {
  PayoffQuote.belongsTo(Account, { foreignKey: 'accountId', as: 'account' });
}
