// @ts-check
'use strict';
const { createFourEyes, dropFourEyes, keepingSqliteIndexes } = require('./lib/guards');

/**
 * Ownership transfers as a maker-checker workflow (issue 16) on the table that existed unused
 * since 20261124000021: who decided is approvedBy (approval or rejection, as refunds and
 * write-offs), when (decidedAt) and why a rejection (rejectionReason); the database refuses a
 * decider who is the requester, like the other maker-checker tables.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('accountTransfers', 'decidedAt', { type: Sequelize.DATE, allowNull: true });
    await queryInterface.addColumn('accountTransfers', 'rejectionReason', { type: Sequelize.TEXT, allowNull: true });
    await queryInterface.addIndex('accountTransfers', ['status', 'createdAt'], { name: 'accountTransfers_status_created' });
    await createFourEyes(queryInterface, 'accountTransfers', 'requestedBy', 'approvedBy');
  },

  async down(queryInterface) {
    await dropFourEyes(queryInterface, 'accountTransfers');
    await queryInterface.removeIndex('accountTransfers', 'accountTransfers_status_created');
    await keepingSqliteIndexes(queryInterface, 'accountTransfers', async () => {
      await queryInterface.removeColumn('accountTransfers', 'rejectionReason');
      await queryInterface.removeColumn('accountTransfers', 'decidedAt');
    });
  },
};
