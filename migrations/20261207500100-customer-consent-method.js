// @ts-check
'use strict';

/**
 * How a customer gave or withdrew a consent (paper form, the field app, USSD, a call to the call
 * centre): customerConsents already says who (recordedBy) and when (grantedAt/revokedAt).
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('customerConsents', 'method', { type: Sequelize.STRING(30), allowNull: true });
  },
  async down(queryInterface) {
    await queryInterface.removeColumn('customerConsents', 'method');
  },
};
