import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { idColumn as id, timestampColumns as timestamps } from '../../../platform/db/attributes';

export const NETSUITE_JOURNAL_STATUSES = ['sending', 'sent'] as const;
export type NetsuiteJournalStatus = (typeof NETSUITE_JOURNAL_STATUSES)[number];

/** The NetSuite subsidiary (internal id) a country books into (reference data). */
export class NetsuiteSubsidiary extends Model<InferAttributes<NetsuiteSubsidiary>, InferCreationAttributes<NetsuiteSubsidiary>> {
  declare id: CreationOptional<number>;
  declare countryId: number;
  declare subsidiaryId: string;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** The chart mapping: an AMT ledger code's NetSuite GL account (internal id), per country (reference data). */
export class NetsuiteAccountMapping extends Model<InferAttributes<NetsuiteAccountMapping>, InferCreationAttributes<NetsuiteAccountMapping>> {
  declare id: CreationOptional<number>;
  declare countryId: number;
  declare ledgerCode: string;
  declare netsuiteAccountId: string;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** A country's day journal as sent to NetSuite: its lines and their hash, kept to refuse a changed day. */
export class NetsuiteJournal extends Model<InferAttributes<NetsuiteJournal>, InferCreationAttributes<NetsuiteJournal>> {
  declare id: CreationOptional<number>;
  declare countryId: number;
  declare businessDate: string;
  declare externalId: string;
  declare linesHash: string;
  declare lines: unknown[];
  declare status: CreationOptional<NetsuiteJournalStatus>;
  declare netsuiteId: CreationOptional<string | null>;
  declare sentAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export function initNetsuiteModels(sequelize: Sequelize): void {
  NetsuiteSubsidiary.init(
    {
      id,
      countryId: { type: DataTypes.INTEGER, allowNull: false },
      subsidiaryId: { type: DataTypes.STRING(50), allowNull: false },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'netsuiteSubsidiaries',
      modelName: 'NetsuiteSubsidiary',
      version: true,
      indexes: [{ name: 'netsuiteSubsidiaries_country', fields: ['countryId'], unique: true }],
    },
  );
  NetsuiteAccountMapping.init(
    {
      id,
      countryId: { type: DataTypes.INTEGER, allowNull: false },
      ledgerCode: { type: DataTypes.STRING(20), allowNull: false },
      netsuiteAccountId: { type: DataTypes.STRING(50), allowNull: false },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'netsuiteAccountMappings',
      modelName: 'NetsuiteAccountMapping',
      version: true,
      indexes: [{ name: 'netsuiteAccountMappings_country_code', fields: ['countryId', 'ledgerCode'], unique: true }],
    },
  );
  NetsuiteJournal.init(
    {
      id,
      countryId: { type: DataTypes.INTEGER, allowNull: false },
      businessDate: { type: DataTypes.DATEONLY, allowNull: false },
      externalId: { type: DataTypes.STRING(100), allowNull: false },
      linesHash: { type: DataTypes.CHAR(64), allowNull: false },
      lines: { type: DataTypes.JSON, allowNull: false },
      status: { type: DataTypes.ENUM(...NETSUITE_JOURNAL_STATUSES), allowNull: false, defaultValue: 'sending' },
      netsuiteId: { type: DataTypes.STRING(100), allowNull: true },
      sentAt: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'netsuiteJournals',
      modelName: 'NetsuiteJournal',
      indexes: [{ name: 'netsuiteJournals_country_date', fields: ['countryId', 'businessDate'], unique: true }],
    },
  );
}
