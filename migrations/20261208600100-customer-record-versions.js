// @ts-check
'use strict';

/**
 * Optimistic concurrency for what a field agent edits offline (issue 14): customers.version and
 * nextOfKins.version (model option version: true) are their ETags; PATCH with a stale If-Match is
 * a 412, so a phone's queued edit never silently overwrites a newer one.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('customers', 'version', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 });
    await queryInterface.addColumn('nextOfKins', 'version', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 });
  },
  async down(queryInterface) {
    await queryInterface.removeColumn('nextOfKins', 'version');
    await queryInterface.removeColumn('customers', 'version');
  },
};
