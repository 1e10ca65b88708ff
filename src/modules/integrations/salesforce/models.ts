import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { idColumn as id, timestampColumns as timestamps } from '../../../platform/db/attributes';

export const CONFLICT_RESOLUTIONS = ['kept-amt', 'took-salesforce', 'refused'] as const;
export type ConflictResolution = (typeof CONFLICT_RESOLUTIONS)[number];

/** What the inbound pull refused or overruled (migration 20261207140000; docs/salesforce.md). */
export class SalesforceConflict extends Model<InferAttributes<SalesforceConflict>, InferCreationAttributes<SalesforceConflict>> {
  declare id: CreationOptional<number>;
  declare customerId: number;
  declare salesforceId: CreationOptional<string | null>;
  /** AMT's field name (phone, email, preferredLanguage, address, firstName, lastName, dateOfBirth, nationalId). */
  declare field: string;
  declare amtValue: CreationOptional<string | null>;
  declare salesforceValue: CreationOptional<string | null>;
  declare resolution: ConflictResolution;
  declare reason: string;
  declare salesforceModstamp: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export function initSalesforceModels(sequelize: Sequelize): void {
  SalesforceConflict.init(
    {
      id,
      customerId: { type: DataTypes.INTEGER, allowNull: false },
      salesforceId: { type: DataTypes.STRING(18), allowNull: true },
      field: { type: DataTypes.STRING(50), allowNull: false },
      amtValue: { type: DataTypes.STRING(255), allowNull: true },
      salesforceValue: { type: DataTypes.STRING(255), allowNull: true },
      resolution: { type: DataTypes.ENUM(...CONFLICT_RESOLUTIONS), allowNull: false },
      reason: { type: DataTypes.STRING(255), allowNull: false },
      salesforceModstamp: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'salesforceConflicts',
      modelName: 'SalesforceConflict',
      indexes: [{ name: 'salesforceConflicts_customer', fields: ['customerId', 'createdAt'] }],
    },
  );
}
