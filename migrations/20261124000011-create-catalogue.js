// @ts-check
// Catalogue and pricing: product types, products and what a kit contains, payment plans, which
// plans a product may be sold on at what price, warranty policies, tax rates, price history.
//
// Depends on countries and employees (20261124000001).
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');

const PAYPLAN_FREQUENCIES = ['daily', 'weekly', 'monthly'];

/** @param {typeof import('sequelize')} Sequelize */
const referenceColumns = (Sequelize) => ({
  isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
  version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
});

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('productTypes', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(255), allowNull: false },
      code: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      description: { type: Sequelize.TEXT, allowNull: true },
      ...referenceColumns(Sequelize),
      ...timestamps(Sequelize),
    });

    await queryInterface.createTable('products', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(255), allowNull: false },
      code: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      description: { type: Sequelize.TEXT, allowNull: true },
      category: { type: Sequelize.STRING(100), allowNull: true },
      // List (cash) price; the price on credit is in productPayplanPricing.
      price: money(Sequelize),
      productTypeId: fk(Sequelize, 'productTypes', { onDelete: 'RESTRICT' }),
      // Months.
      warrantyPeriod: { type: Sequelize.INTEGER, allowNull: true },
      ...referenceColumns(Sequelize),
      ...timestamps(Sequelize, { paranoid: true }),
    });
    await queryInterface.addIndex('products', ['category'], { name: 'products_category' });

    await queryInterface.createTable('productComponents', {
      id: id(Sequelize),
      productId: fk(Sequelize, 'products', { onDelete: 'CASCADE' }),
      name: { type: Sequelize.STRING(255), allowNull: false },
      quantity: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 1 },
      sku: { type: Sequelize.STRING(100), allowNull: true },
      ...timestamps(Sequelize),
    });

    await queryInterface.createTable('payplans', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(255), allowNull: false },
      code: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      description: { type: Sequelize.TEXT, allowNull: true },
      // Number of instalments after the down payment.
      duration: { type: Sequelize.INTEGER, allowNull: false },
      interestRate: { type: Sequelize.DECIMAL(5, 2), allowNull: false, defaultValue: '0.00' },
      downPayment: money(Sequelize),
      installmentAmount: money(Sequelize),
      frequency: enumOf(Sequelize, PAYPLAN_FREQUENCIES),
      gracePeriodDays: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      daysUntilSuspension: { type: Sequelize.INTEGER, allowNull: false },
      // Price of one credit day (days of device use a payment buys = amount / dailyRate).
      dailyRate: money(Sequelize),
      // Order in which a payment settles what is owed, e.g. ["penalties","fees","installments"].
      allocationOrder: { type: Sequelize.JSON, allowNull: true },
      // A plan is priced in one country's currency; it must not silently become global.
      countryId: fk(Sequelize, 'countries', { allowNull: true, onDelete: 'RESTRICT' }),
      ...referenceColumns(Sequelize),
      ...timestamps(Sequelize),
    });

    await queryInterface.createTable('productPayplanPricing', {
      id: id(Sequelize),
      productId: fk(Sequelize, 'products', { onDelete: 'CASCADE' }),
      payplanId: fk(Sequelize, 'payplans', { onDelete: 'CASCADE' }),
      // Total price on this plan (down payment + all instalments).
      price: money(Sequelize),
      downPayment: money(Sequelize),
      installmentAmount: money(Sequelize),
      ...referenceColumns(Sequelize),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('productPayplanPricing', ['productId', 'payplanId'], {
      unique: true,
      name: 'productPayplanPricing_product_payplan',
    });

    await queryInterface.createTable('warrantyPolicies', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(255), allowNull: false },
      durationMonths: { type: Sequelize.INTEGER, allowNull: false },
      terms: { type: Sequelize.TEXT, allowNull: true },
      // Null: applies to every product type.
      productTypeId: fk(Sequelize, 'productTypes', { allowNull: true, onDelete: 'SET NULL' }),
      ...referenceColumns(Sequelize),
      ...timestamps(Sequelize),
    });

    await queryInterface.createTable('taxRates', {
      id: id(Sequelize),
      countryId: fk(Sequelize, 'countries', { onDelete: 'RESTRICT' }),
      name: { type: Sequelize.STRING(100), allowNull: false },
      // Percent, e.g. 16.0000 for 16 % VAT.
      rate: { type: Sequelize.DECIMAL(7, 4), allowNull: false },
      effectiveFrom: { type: Sequelize.DATEONLY, allowNull: false },
      effectiveTo: { type: Sequelize.DATEONLY, allowNull: true },
      ...referenceColumns(Sequelize),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('taxRates', ['countryId', 'effectiveFrom'], { name: 'taxRates_country_effective' });

    // Audit of price changes: never cascaded away.
    await queryInterface.createTable('priceHistories', {
      id: id(Sequelize),
      productId: fk(Sequelize, 'products', { onDelete: 'RESTRICT' }),
      // Null: the product's list price; otherwise its price on that plan.
      payplanId: fk(Sequelize, 'payplans', { allowNull: true, onDelete: 'RESTRICT' }),
      // Null for the first price.
      oldPrice: money(Sequelize, { allowNull: true }),
      newPrice: money(Sequelize),
      changedBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      effectiveDate: { type: Sequelize.DATEONLY, allowNull: false },
      reason: { type: Sequelize.TEXT, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('priceHistories', ['productId', 'effectiveDate'], { name: 'priceHistories_product_effective' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('priceHistories');
    await queryInterface.dropTable('taxRates');
    await queryInterface.dropTable('warrantyPolicies');
    await queryInterface.dropTable('productPayplanPricing');
    await queryInterface.dropTable('payplans');
    await queryInterface.dropTable('productComponents');
    await queryInterface.dropTable('products');
    await queryInterface.dropTable('productTypes');
  },
};
