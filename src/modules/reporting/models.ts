import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { moneyColumn, decimalColumn } from '../../platform/db/attributes';
import type { MoneyString } from '../../platform/money';
import { CompanyRegion, Country } from '../organisation/models';

/** A DECIMAL(7,4) ratio (0.1250 = 12.5 %), read as a four-decimal string on MySQL and SQLite alike. */
const ratioColumn = (field: string, options: { allowNull?: boolean; defaultValue?: string } = {}) => decimalColumn(field, 7, 4, options);

/** Daily portfolio figures per region (regionId null: a country or company total). */
export class ReportSnapshot extends Model<InferAttributes<ReportSnapshot>, InferCreationAttributes<ReportSnapshot>> {
  declare id: CreationOptional<number>;
  declare snapshotDate: string;
  declare regionId: CreationOptional<number | null>;
  declare countryId: CreationOptional<number | null>;
  declare metrics: CreationOptional<Record<string, unknown> | null>;
  /** e.g. { active: 1200, suspended: 80 } */
  declare accountsByStatus: CreationOptional<Record<string, number> | null>;
  declare outstandingBalance: CreationOptional<MoneyString>;
  /** Ratios 0..1 as four-decimal strings. */
  declare par1: CreationOptional<string>;
  declare par30: CreationOptional<string>;
  declare par60: CreationOptional<string>;
  declare par90: CreationOptional<string>;
  /** null when nothing fell due. */
  declare collectionRate: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare region?: NonAttribute<CompanyRegion | null>;
  declare country?: NonAttribute<Country | null>;
}

export function initReportingModels(sequelize: Sequelize): void {
  ReportSnapshot.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      snapshotDate: { type: DataTypes.DATEONLY, allowNull: false },
      regionId: { type: DataTypes.INTEGER, allowNull: true },
      countryId: { type: DataTypes.INTEGER, allowNull: true },
      metrics: { type: DataTypes.JSON, allowNull: true },
      accountsByStatus: { type: DataTypes.JSON, allowNull: true },
      outstandingBalance: moneyColumn('outstandingBalance', { defaultValue: '0.00' }),
      par1: ratioColumn('par1', { defaultValue: '0.0000' }),
      par30: ratioColumn('par30', { defaultValue: '0.0000' }),
      par60: ratioColumn('par60', { defaultValue: '0.0000' }),
      par90: ratioColumn('par90', { defaultValue: '0.0000' }),
      collectionRate: ratioColumn('collectionRate', { allowNull: true }),
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    {
      sequelize,
      tableName: 'reportSnapshots',
      modelName: 'ReportSnapshot',
      indexes: [{ name: 'reportSnapshots_date_region', fields: ['snapshotDate', 'regionId'], unique: true }],
    },
  );
}

export function associateReportingModels(): void {
  ReportSnapshot.belongsTo(CompanyRegion, { foreignKey: 'regionId', as: 'region' });
  ReportSnapshot.belongsTo(Country, { foreignKey: 'countryId', as: 'country' });
}
