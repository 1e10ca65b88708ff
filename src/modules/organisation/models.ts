import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { associateOrganisationReferenceModels, initOrganisationReferenceModels } from './reference.models';

export class Country extends Model<InferAttributes<Country>, InferCreationAttributes<Country>> {
  declare id: CreationOptional<number>;
  declare name: string;
  /** ISO 3166-1 alpha-2, e.g. KE. */
  declare code: string;
  declare currency: string;
  declare phoneCode: string;
  /** IANA zone, e.g. Africa/Nairobi: due dates and the nightly close are in this zone. */
  declare timezone: string;
  /** The country's business date, advanced by the nightly close; null until the first close. */
  declare businessDate: CreationOptional<string | null>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class CompanyRegion extends Model<InferAttributes<CompanyRegion>, InferCreationAttributes<CompanyRegion>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare countryId: ForeignKey<number>;
  declare code: string;
  declare managerId: CreationOptional<number | null>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export function initOrganisationModels(sequelize: Sequelize): void {
  Country.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      name: { type: DataTypes.STRING(255), allowNull: false },
      code: { type: DataTypes.STRING(3), allowNull: false, unique: true },
      currency: { type: DataTypes.STRING(3), allowNull: false },
      phoneCode: { type: DataTypes.STRING(10), allowNull: false },
      timezone: { type: DataTypes.STRING(64), allowNull: false },
      businessDate: { type: DataTypes.DATEONLY, allowNull: true },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, tableName: 'countries', version: true, modelName: 'Country' },
  );
  CompanyRegion.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      name: { type: DataTypes.STRING(255), allowNull: false },
      countryId: { type: DataTypes.INTEGER, allowNull: false },
      code: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      managerId: { type: DataTypes.INTEGER, allowNull: true },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, tableName: 'companyRegions', version: true, modelName: 'CompanyRegion' },
  );
  initOrganisationReferenceModels(sequelize);
}

export function associateOrganisationModels(): void {
  Country.hasMany(CompanyRegion, { foreignKey: 'countryId', as: 'regions' });
  CompanyRegion.belongsTo(Country, { foreignKey: 'countryId', as: 'country' });
  associateOrganisationReferenceModels();
}
