// @ts-check
'use strict';

const { id, timestamps, fk, enumOf } = require('./lib/columns');

/**
 * Salesforce sync state (issue 13).
 * - salesforceMapping.sentState: the customer's contact and identity fields as AMT last agreed them
 *   with Salesforce (written when an upsert is confirmed, and when an inbound change is applied).
 *   The inbound pull compares Salesforce's values with it: equal means Salesforce did not change
 *   the field (AMT's own write coming back is not an edit), different means the call centre did.
 * - salesforceConflicts: what the inbound pull refused or overruled (a KYC-verified identity field
 *   edited in Salesforce, a field both sides changed since the last sync, a change the customer
 *   rules refuse), with both values (a national ID's value is never stored) and the rule applied.
 */
/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('salesforceMapping', 'sentState', { type: Sequelize.JSON, allowNull: true });
    await queryInterface.createTable('salesforceConflicts', {
      id: id(Sequelize),
      customerId: fk(Sequelize, 'customers', { onDelete: 'CASCADE' }),
      salesforceId: { type: Sequelize.STRING(18), allowNull: true },
      field: { type: Sequelize.STRING(50), allowNull: false },
      amtValue: { type: Sequelize.STRING(255), allowNull: true },
      salesforceValue: { type: Sequelize.STRING(255), allowNull: true },
      resolution: enumOf(Sequelize, ['kept-amt', 'took-salesforce', 'refused']),
      reason: { type: Sequelize.STRING(255), allowNull: false },
      salesforceModstamp: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('salesforceConflicts', ['customerId', 'createdAt'], { name: 'salesforceConflicts_customer' });
  },
  async down(queryInterface) {
    await queryInterface.dropTable('salesforceConflicts');
    await queryInterface.removeColumn('salesforceMapping', 'sentState');
  },
};
