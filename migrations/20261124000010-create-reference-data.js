// @ts-check
// Reference data around the organisation (areas, warehouses, holidays, exchange rates, settings,
// gapless number sequences) and machine access (API clients, idempotency keys).
//
// Depends on countries, companyRegions and employees (20261124000001).
'use strict';
const { id, timestamps, fk, enumOf } = require('./lib/columns');

const IDEMPOTENCY_STATUSES = ['in_progress', 'completed'];

/** @param {typeof import('sequelize')} Sequelize */
const referenceColumns = (Sequelize) => ({
  isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
  version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
});

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    // --- places ---------------------------------------------------------------------------------
    await queryInterface.createTable('areas', {
      id: id(Sequelize),
      regionId: fk(Sequelize, 'companyRegions', { onDelete: 'RESTRICT' }),
      name: { type: Sequelize.STRING(255), allowNull: false },
      code: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      ...referenceColumns(Sequelize),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('areas', ['regionId', 'name'], { name: 'areas_region_name' });

    await queryInterface.createTable('warehouses', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(255), allowNull: false },
      code: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      regionId: fk(Sequelize, 'companyRegions', { onDelete: 'RESTRICT' }),
      // A warehouse outlives a re-drawn area: the link is dropped, not the warehouse.
      areaId: fk(Sequelize, 'areas', { allowNull: true, onDelete: 'SET NULL' }),
      address: { type: Sequelize.TEXT, allowNull: true },
      capacity: { type: Sequelize.INTEGER, allowNull: true },
      ...referenceColumns(Sequelize),
      ...timestamps(Sequelize),
    });

    // Public holidays per country: a due date falling on one moves to the next working day.
    await queryInterface.createTable('holidays', {
      id: id(Sequelize),
      countryId: fk(Sequelize, 'countries', { onDelete: 'CASCADE' }),
      date: { type: Sequelize.DATEONLY, allowNull: false },
      name: { type: Sequelize.STRING(255), allowNull: false },
      ...referenceColumns(Sequelize),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('holidays', ['countryId', 'date'], { unique: true, name: 'holidays_country_date' });

    // --- money reference ------------------------------------------------------------------------
    await queryInterface.createTable('exchangeRates', {
      id: id(Sequelize),
      fromCurrency: { type: Sequelize.STRING(3), allowNull: false },
      toCurrency: { type: Sequelize.STRING(3), allowNull: false },
      // 1 unit of fromCurrency = rate units of toCurrency.
      rate: { type: Sequelize.DECIMAL(18, 8), allowNull: false },
      effectiveDate: { type: Sequelize.DATEONLY, allowNull: false },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('exchangeRates', ['fromCurrency', 'toCurrency', 'effectiveDate'], {
      unique: true,
      name: 'exchangeRates_pair_date',
    });

    // --- settings and sequences -----------------------------------------------------------------
    await queryInterface.createTable('systemSettings', {
      id: id(Sequelize),
      key: { type: Sequelize.STRING(100), allowNull: false, unique: true },
      value: { type: Sequelize.JSON, allowNull: false },
      description: { type: Sequelize.TEXT, allowNull: true },
      updatedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'SET NULL' }),
      ...timestamps(Sequelize),
    });

    // Gapless numbers (account, receipt, invoice...): read with SELECT ... FOR UPDATE inside the
    // business transaction, use nextValue, increment; a rollback gives the number back.
    await queryInterface.createTable('numberSequences', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      prefix: { type: Sequelize.STRING(20), allowNull: false, defaultValue: '' },
      nextValue: { type: Sequelize.BIGINT, allowNull: false, defaultValue: 1 },
      padding: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 6 },
      ...timestamps(Sequelize),
    });

    // --- machine access -------------------------------------------------------------------------
    await queryInterface.createTable('apiClients', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(255), allowNull: false },
      clientId: { type: Sequelize.STRING(100), allowNull: false, unique: true },
      // Hash of the client secret; the secret itself is shown once and never stored.
      secretHash: { type: Sequelize.STRING(255), allowNull: false },
      allowedIps: { type: Sequelize.JSON, allowNull: true },
      scopes: { type: Sequelize.JSON, allowNull: true },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      lastUsedAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });

    await queryInterface.createTable('idempotencyKeys', {
      id: id(Sequelize),
      // Who asked and what for, e.g. 'apiClient:7:POST /payments' or 'employee:3:POST /refunds'.
      scope: { type: Sequelize.STRING(100), allowNull: false },
      idempotencyKey: { type: Sequelize.STRING(255), allowNull: false },
      // SHA-256 of the canonical request: the same key with another body is refused.
      requestHash: { type: Sequelize.CHAR(64), allowNull: false },
      status: enumOf(Sequelize, IDEMPOTENCY_STATUSES, { defaultValue: 'in_progress' }),
      responseStatus: { type: Sequelize.INTEGER, allowNull: true },
      responseBody: { type: Sequelize.JSON, allowNull: true },
      expiresAt: { type: Sequelize.DATE, allowNull: false },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('idempotencyKeys', ['scope', 'idempotencyKey'], {
      unique: true,
      name: 'idempotencyKeys_scope_key',
    });
    await queryInterface.addIndex('idempotencyKeys', ['expiresAt'], { name: 'idempotencyKeys_expires' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('idempotencyKeys');
    await queryInterface.dropTable('apiClients');
    await queryInterface.dropTable('numberSequences');
    await queryInterface.dropTable('systemSettings');
    await queryInterface.dropTable('exchangeRates');
    await queryInterface.dropTable('holidays');
    await queryInterface.dropTable('warehouses');
    await queryInterface.dropTable('areas');
  },
};
