// @ts-check
'use strict';
const { money } = require('./lib/columns');

/**
 * employees.cashLimit: the most cash a field agent may carry (collected, not yet in a confirmed
 * remittance) before collections and sales are refused. NULL = the system default (systemSettings
 * 'agentCashLimit', else the built-in default).
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('employees', 'cashLimit', money(Sequelize, { allowNull: true }));
  },
  async down(queryInterface) {
    await queryInterface.removeColumn('employees', 'cashLimit');
  },
};
