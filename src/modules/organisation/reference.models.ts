// Reference data around the organisation: areas, warehouses, holidays, exchange rates, system
// settings and gapless number sequences (migration 20261124000010).
import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { idColumn as id, timestampColumns as timestamps } from '../../platform/db/attributes';
import { Decimal } from '../../platform/money';
import { CompanyRegion, Country } from './models';

export class Area extends Model<InferAttributes<Area>, InferCreationAttributes<Area>> {
  declare id: CreationOptional<number>;
  declare regionId: number;
  declare name: string;
  declare code: string;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare region?: NonAttribute<CompanyRegion>;
  declare warehouses?: NonAttribute<Warehouse[]>;
}

export class Warehouse extends Model<InferAttributes<Warehouse>, InferCreationAttributes<Warehouse>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare code: string;
  declare regionId: number;
  declare areaId: CreationOptional<number | null>;
  declare address: CreationOptional<string | null>;
  declare capacity: CreationOptional<number | null>;
  /** Set when this row is a field agent's own stock location (what the agent carries); one per agent. */
  declare employeeId: CreationOptional<number | null>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare region?: NonAttribute<CompanyRegion>;
  declare area?: NonAttribute<Area | null>;
}

/** A public holiday: a due date falling on one moves to the next working day. */
export class Holiday extends Model<InferAttributes<Holiday>, InferCreationAttributes<Holiday>> {
  declare id: CreationOptional<number>;
  declare countryId: number;
  declare date: string; // DATEONLY
  declare name: string;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare country?: NonAttribute<Country>;
}

export class ExchangeRate extends Model<InferAttributes<ExchangeRate>, InferCreationAttributes<ExchangeRate>> {
  declare id: CreationOptional<number>;
  declare fromCurrency: string;
  declare toCurrency: string;
  /** 1 fromCurrency = rate toCurrency; DECIMAL(18,8), read as a string. */
  declare rate: string;
  declare effectiveDate: string; // DATEONLY
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class SystemSetting extends Model<InferAttributes<SystemSetting>, InferCreationAttributes<SystemSetting>> {
  declare id: CreationOptional<number>;
  declare key: string;
  declare value: unknown;
  declare description: CreationOptional<string | null>;
  declare updatedBy: CreationOptional<number | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/**
 * A gapless counter ('account', 'receipt', 'invoice'...). Inside the business transaction:
 * `findOne({ where: { name }, lock: transaction.LOCK.UPDATE, transaction })`, format
 * `prefix + String(nextValue).padStart(padding, '0')`, then increment nextValue. A rollback gives
 * the number back, so numbers have neither gaps nor collisions.
 */
export class NumberSequence extends Model<InferAttributes<NumberSequence>, InferCreationAttributes<NumberSequence>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare prefix: CreationOptional<string>;
  /** BIGINT; read back as a number on every dialect. */
  declare nextValue: CreationOptional<number>;
  declare padding: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

const reference = {
  isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
  version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
} as const;

export function initOrganisationReferenceModels(sequelize: Sequelize): void {
  Area.init(
    {
      id,
      regionId: { type: DataTypes.INTEGER, allowNull: false },
      name: { type: DataTypes.STRING(255), allowNull: false },
      code: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      ...reference,
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'areas',
      modelName: 'Area',
      version: true,
      indexes: [{ fields: ['regionId', 'name'], name: 'areas_region_name' }],
    },
  );
  Warehouse.init(
    {
      id,
      name: { type: DataTypes.STRING(255), allowNull: false },
      code: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      regionId: { type: DataTypes.INTEGER, allowNull: false },
      areaId: { type: DataTypes.INTEGER, allowNull: true },
      address: { type: DataTypes.TEXT, allowNull: true },
      capacity: { type: DataTypes.INTEGER, allowNull: true },
      employeeId: { type: DataTypes.INTEGER, allowNull: true },
      ...reference,
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'warehouses',
      modelName: 'Warehouse',
      version: true,
      indexes: [{ name: 'warehouses_employee', fields: ['employeeId'], unique: true }],
    },
  );
  Holiday.init(
    {
      id,
      countryId: { type: DataTypes.INTEGER, allowNull: false },
      date: { type: DataTypes.DATEONLY, allowNull: false },
      name: { type: DataTypes.STRING(255), allowNull: false },
      ...reference,
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'holidays',
      modelName: 'Holiday',
      version: true,
      indexes: [{ unique: true, fields: ['countryId', 'date'], name: 'holidays_country_date' }],
    },
  );
  ExchangeRate.init(
    {
      id,
      fromCurrency: { type: DataTypes.STRING(3), allowNull: false },
      toCurrency: { type: DataTypes.STRING(3), allowNull: false },
      rate: {
        type: DataTypes.DECIMAL(18, 8),
        allowNull: false,
        get(this: ExchangeRate) {
          const raw = this.getDataValue('rate') as unknown;
          return raw === null || raw === undefined ? raw : new Decimal(raw as string).toFixed(8);
        },
      },
      effectiveDate: { type: DataTypes.DATEONLY, allowNull: false },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'exchangeRates',
      modelName: 'ExchangeRate',
      indexes: [{ unique: true, fields: ['fromCurrency', 'toCurrency', 'effectiveDate'], name: 'exchangeRates_pair_date' }],
    },
  );
  SystemSetting.init(
    {
      id,
      key: { type: DataTypes.STRING(100), allowNull: false, unique: true },
      value: { type: DataTypes.JSON, allowNull: false },
      description: { type: DataTypes.TEXT, allowNull: true },
      updatedBy: { type: DataTypes.INTEGER, allowNull: true },
      ...timestamps,
    },
    { sequelize, tableName: 'systemSettings', modelName: 'SystemSetting' },
  );
  NumberSequence.init(
    {
      id,
      name: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      prefix: { type: DataTypes.STRING(20), allowNull: false, defaultValue: '' },
      nextValue: {
        type: DataTypes.BIGINT,
        allowNull: false,
        defaultValue: 1,
        get(this: NumberSequence) {
          const raw = this.getDataValue('nextValue') as unknown;
          return raw === null || raw === undefined ? raw : Number(raw);
        },
      },
      padding: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 6 },
      ...timestamps,
    },
    { sequelize, tableName: 'numberSequences', modelName: 'NumberSequence' },
  );
}

export function associateOrganisationReferenceModels(): void {
  CompanyRegion.hasMany(Area, { foreignKey: 'regionId', as: 'areas' });
  Area.belongsTo(CompanyRegion, { foreignKey: 'regionId', as: 'region' });
  CompanyRegion.hasMany(Warehouse, { foreignKey: 'regionId', as: 'warehouses' });
  Warehouse.belongsTo(CompanyRegion, { foreignKey: 'regionId', as: 'region' });
  Area.hasMany(Warehouse, { foreignKey: 'areaId', as: 'warehouses' });
  Warehouse.belongsTo(Area, { foreignKey: 'areaId', as: 'area' });
  Country.hasMany(Holiday, { foreignKey: 'countryId', as: 'holidays' });
  Holiday.belongsTo(Country, { foreignKey: 'countryId', as: 'country' });
}
