// Catalogue and pricing (migration 20261124000011): product types, products and their components,
// payment plans, product-on-plan pricing, warranty policies, tax rates and price history.
import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type NonAttribute, type Sequelize } from 'sequelize';
import { moneyColumn, idColumn as id, timestampColumns as timestamps, decimalColumn } from '../../platform/db/attributes';
import type { MoneyString } from '../../platform/money';
import { Employee } from '../access/models';
import { Country } from '../organisation/models';

export const PAYPLAN_FREQUENCIES = ['daily', 'weekly', 'monthly'] as const;
export type PayplanFrequency = (typeof PAYPLAN_FREQUENCIES)[number];

export class ProductType extends Model<InferAttributes<ProductType>, InferCreationAttributes<ProductType>> {
  declare id: CreationOptional<number>;
  declare name: string;
  /** e.g. SOLAR_HOME_SYSTEM, PHONE, E_BIKE. */
  declare code: string;
  declare description: CreationOptional<string | null>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare products?: NonAttribute<Product[]>;
}

export class Product extends Model<InferAttributes<Product>, InferCreationAttributes<Product>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare code: string;
  declare description: CreationOptional<string | null>;
  declare category: CreationOptional<string | null>;
  /** List (cash) price; the price on credit is in productPayplanPricing. */
  declare price: MoneyString;
  declare productTypeId: number;
  /** Months. */
  declare warrantyPeriod: CreationOptional<number | null>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare deletedAt: CreationOptional<Date | null>;
  declare productType?: NonAttribute<ProductType>;
  declare components?: NonAttribute<ProductComponent[]>;
  declare pricing?: NonAttribute<ProductPayplanPricing[]>;
  declare payplans?: NonAttribute<Payplan[]>;
}

/** What a kit contains (panel, battery, lamps...). */
export class ProductComponent extends Model<InferAttributes<ProductComponent>, InferCreationAttributes<ProductComponent>> {
  declare id: CreationOptional<number>;
  declare productId: number;
  declare name: string;
  declare quantity: CreationOptional<number>;
  declare sku: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare product?: NonAttribute<Product>;
}

export class Payplan extends Model<InferAttributes<Payplan>, InferCreationAttributes<Payplan>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare code: string;
  declare description: CreationOptional<string | null>;
  /** Number of instalments after the down payment. */
  declare duration: number;
  /** Percent, DECIMAL(5,2) as a string. */
  declare interestRate: CreationOptional<string>;
  declare downPayment: MoneyString;
  declare installmentAmount: MoneyString;
  declare frequency: PayplanFrequency;
  declare gracePeriodDays: CreationOptional<number>;
  declare daysUntilSuspension: number;
  /** Payment-holiday policy (docs/contract-changes.md): days per holiday, days per year, above how many days a checker approves, credit days granted. */
  declare holidayMaxDays: CreationOptional<number>;
  declare holidayMaxDaysPerYear: CreationOptional<number>;
  declare holidayApprovalAboveDays: CreationOptional<number>;
  declare holidayGrantsCreditDays: CreationOptional<boolean>;
  /** Price of one credit day: days bought = amount / dailyRate. */
  declare dailyRate: MoneyString;
  /** Order in which a payment settles what is owed; null = the default order. */
  declare allocationOrder: CreationOptional<string[] | null>;
  /** Early-payoff discount: percent (DECIMAL(5,2) string) of the principal not yet due on the payoff date; null = none. */
  declare earlyPayoffDiscountPercent: CreationOptional<string | null>;
  /** Early-payoff discount: a fixed amount, capped at that principal; null = none. */
  declare earlyPayoffDiscountAmount: CreationOptional<MoneyString | null>;
  declare countryId: CreationOptional<number | null>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare country?: NonAttribute<Country | null>;
  declare pricing?: NonAttribute<ProductPayplanPricing[]>;
}

/** Which plans a product may be sold on, and at what price. */
export class ProductPayplanPricing extends Model<InferAttributes<ProductPayplanPricing>, InferCreationAttributes<ProductPayplanPricing>> {
  declare id: CreationOptional<number>;
  declare productId: number;
  declare payplanId: number;
  /** Total price on this plan (down payment + all instalments). */
  declare price: MoneyString;
  declare downPayment: MoneyString;
  declare installmentAmount: MoneyString;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare product?: NonAttribute<Product>;
  declare payplan?: NonAttribute<Payplan>;
}

export class WarrantyPolicy extends Model<InferAttributes<WarrantyPolicy>, InferCreationAttributes<WarrantyPolicy>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare durationMonths: number;
  declare terms: CreationOptional<string | null>;
  /** Null: applies to every product type. */
  declare productTypeId: CreationOptional<number | null>;
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare productType?: NonAttribute<ProductType | null>;
}

export class TaxRate extends Model<InferAttributes<TaxRate>, InferCreationAttributes<TaxRate>> {
  declare id: CreationOptional<number>;
  declare countryId: number;
  declare name: string;
  /** Percent, DECIMAL(7,4) as a string, e.g. '16.0000'. */
  declare rate: string;
  declare effectiveFrom: string; // DATEONLY
  declare effectiveTo: CreationOptional<string | null>; // DATEONLY
  declare isActive: CreationOptional<boolean>;
  declare version: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare country?: NonAttribute<Country>;
}

/** Audit of price changes (append-only). */
export class PriceHistory extends Model<InferAttributes<PriceHistory>, InferCreationAttributes<PriceHistory>> {
  declare id: CreationOptional<number>;
  declare productId: number;
  /** Null: the product's list price; otherwise its price on that plan. */
  declare payplanId: CreationOptional<number | null>;
  declare oldPrice: CreationOptional<MoneyString | null>;
  declare newPrice: MoneyString;
  declare changedBy: number;
  declare effectiveDate: string; // DATEONLY
  declare reason: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare product?: NonAttribute<Product>;
  declare payplan?: NonAttribute<Payplan | null>;
  declare changer?: NonAttribute<Employee>;
}

const reference = {
  isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
  version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
} as const;

export function initCatalogueModels(sequelize: Sequelize): void {
  ProductType.init(
    {
      id,
      name: { type: DataTypes.STRING(255), allowNull: false },
      code: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      description: { type: DataTypes.TEXT, allowNull: true },
      ...reference,
      ...timestamps,
    },
    { sequelize, tableName: 'productTypes', modelName: 'ProductType', version: true },
  );
  Product.init(
    {
      id,
      name: { type: DataTypes.STRING(255), allowNull: false },
      code: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      description: { type: DataTypes.TEXT, allowNull: true },
      category: { type: DataTypes.STRING(100), allowNull: true },
      price: moneyColumn('price'),
      productTypeId: { type: DataTypes.INTEGER, allowNull: false },
      warrantyPeriod: { type: DataTypes.INTEGER, allowNull: true },
      ...reference,
      ...timestamps,
      deletedAt: { type: DataTypes.DATE, allowNull: true },
    },
    {
      sequelize,
      tableName: 'products',
      modelName: 'Product',
      version: true,
      paranoid: true,
      indexes: [{ fields: ['category'], name: 'products_category' }],
    },
  );
  ProductComponent.init(
    {
      id,
      productId: { type: DataTypes.INTEGER, allowNull: false },
      name: { type: DataTypes.STRING(255), allowNull: false },
      quantity: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
      sku: { type: DataTypes.STRING(100), allowNull: true },
      ...timestamps,
    },
    { sequelize, tableName: 'productComponents', modelName: 'ProductComponent' },
  );
  Payplan.init(
    {
      id,
      name: { type: DataTypes.STRING(255), allowNull: false },
      code: { type: DataTypes.STRING(50), allowNull: false, unique: true },
      description: { type: DataTypes.TEXT, allowNull: true },
      duration: { type: DataTypes.INTEGER, allowNull: false },
      interestRate: decimalColumn('interestRate', 5, 2, { defaultValue: '0.00' }),
      downPayment: moneyColumn('downPayment'),
      installmentAmount: moneyColumn('installmentAmount'),
      frequency: { type: DataTypes.ENUM(...PAYPLAN_FREQUENCIES), allowNull: false },
      gracePeriodDays: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      daysUntilSuspension: { type: DataTypes.INTEGER, allowNull: false },
      holidayMaxDays: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 30 },
      holidayMaxDaysPerYear: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 60 },
      holidayApprovalAboveDays: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 14 },
      holidayGrantsCreditDays: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      dailyRate: moneyColumn('dailyRate'),
      allocationOrder: { type: DataTypes.JSON, allowNull: true },
      earlyPayoffDiscountPercent: decimalColumn('earlyPayoffDiscountPercent', 5, 2, { allowNull: true }),
      earlyPayoffDiscountAmount: moneyColumn('earlyPayoffDiscountAmount', { allowNull: true }),
      countryId: { type: DataTypes.INTEGER, allowNull: true },
      ...reference,
      ...timestamps,
    },
    { sequelize, tableName: 'payplans', modelName: 'Payplan', version: true },
  );
  ProductPayplanPricing.init(
    {
      id,
      productId: { type: DataTypes.INTEGER, allowNull: false },
      payplanId: { type: DataTypes.INTEGER, allowNull: false },
      price: moneyColumn('price'),
      downPayment: moneyColumn('downPayment'),
      installmentAmount: moneyColumn('installmentAmount'),
      ...reference,
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'productPayplanPricing',
      modelName: 'ProductPayplanPricing',
      version: true,
      indexes: [{ unique: true, fields: ['productId', 'payplanId'], name: 'productPayplanPricing_product_payplan' }],
    },
  );
  WarrantyPolicy.init(
    {
      id,
      name: { type: DataTypes.STRING(255), allowNull: false },
      durationMonths: { type: DataTypes.INTEGER, allowNull: false },
      terms: { type: DataTypes.TEXT, allowNull: true },
      productTypeId: { type: DataTypes.INTEGER, allowNull: true },
      ...reference,
      ...timestamps,
    },
    { sequelize, tableName: 'warrantyPolicies', modelName: 'WarrantyPolicy', version: true },
  );
  TaxRate.init(
    {
      id,
      countryId: { type: DataTypes.INTEGER, allowNull: false },
      name: { type: DataTypes.STRING(100), allowNull: false },
      rate: decimalColumn('rate', 7, 4),
      effectiveFrom: { type: DataTypes.DATEONLY, allowNull: false },
      effectiveTo: { type: DataTypes.DATEONLY, allowNull: true },
      ...reference,
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'taxRates',
      modelName: 'TaxRate',
      version: true,
      indexes: [{ fields: ['countryId', 'effectiveFrom'], name: 'taxRates_country_effective' }],
    },
  );
  PriceHistory.init(
    {
      id,
      productId: { type: DataTypes.INTEGER, allowNull: false },
      payplanId: { type: DataTypes.INTEGER, allowNull: true },
      oldPrice: moneyColumn('oldPrice', { allowNull: true }),
      newPrice: moneyColumn('newPrice'),
      changedBy: { type: DataTypes.INTEGER, allowNull: false },
      effectiveDate: { type: DataTypes.DATEONLY, allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: true },
      ...timestamps,
    },
    {
      sequelize,
      tableName: 'priceHistories',
      modelName: 'PriceHistory',
      indexes: [{ fields: ['productId', 'effectiveDate'], name: 'priceHistories_product_effective' }],
    },
  );
}

export function associateCatalogueModels(): void {
  ProductType.hasMany(Product, { foreignKey: 'productTypeId', as: 'products' });
  Product.belongsTo(ProductType, { foreignKey: 'productTypeId', as: 'productType' });
  Product.hasMany(ProductComponent, { foreignKey: 'productId', as: 'components' });
  ProductComponent.belongsTo(Product, { foreignKey: 'productId', as: 'product' });

  Product.hasMany(ProductPayplanPricing, { foreignKey: 'productId', as: 'pricing' });
  ProductPayplanPricing.belongsTo(Product, { foreignKey: 'productId', as: 'product' });
  Payplan.hasMany(ProductPayplanPricing, { foreignKey: 'payplanId', as: 'pricing' });
  ProductPayplanPricing.belongsTo(Payplan, { foreignKey: 'payplanId', as: 'payplan' });
  Product.belongsToMany(Payplan, { through: { model: ProductPayplanPricing, unique: false }, foreignKey: 'productId', otherKey: 'payplanId', as: 'payplans' });
  Payplan.belongsToMany(Product, { through: { model: ProductPayplanPricing, unique: false }, foreignKey: 'payplanId', otherKey: 'productId', as: 'products' });
  Payplan.belongsTo(Country, { foreignKey: 'countryId', as: 'country' });

  ProductType.hasMany(WarrantyPolicy, { foreignKey: 'productTypeId', as: 'warrantyPolicies' });
  WarrantyPolicy.belongsTo(ProductType, { foreignKey: 'productTypeId', as: 'productType' });

  TaxRate.belongsTo(Country, { foreignKey: 'countryId', as: 'country' });

  Product.hasMany(PriceHistory, { foreignKey: 'productId', as: 'priceHistories' });
  PriceHistory.belongsTo(Product, { foreignKey: 'productId', as: 'product' });
  PriceHistory.belongsTo(Payplan, { foreignKey: 'payplanId', as: 'payplan' });
  PriceHistory.belongsTo(Employee, { foreignKey: 'changedBy', as: 'changer' });
}
