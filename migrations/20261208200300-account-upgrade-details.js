// @ts-check
'use strict';
const { money, fk } = require('./lib/columns');
const { keepingSqliteIndexes } = require('./lib/guards');

/**
 * Upgrades as POST /accounts/:id/upgrade makes them (issue 16), on the table that existed unused
 * since the first schema: the product is added to the same account (toAccountId stays null), so
 * the row also says what was added and how:
 *  - deviceId: the new product's device attached to the account (null: an accessory without one);
 *  - price, downPayment: what the new product costs on its plan, and the part owed at once;
 *  - businessDate, reason;
 *  - scheduleChangeId: the combined schedule (scheduleChanges, changeType 'upgrade');
 *  - journalEntryId: the added receivable (Dr 1200 / Cr 4100).
 * All nullable: rows written before carry none of them.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('accountUpgrades', 'deviceId', fk(Sequelize, 'devices', { allowNull: true, onDelete: 'RESTRICT' }));
    await queryInterface.addColumn('accountUpgrades', 'price', money(Sequelize, { allowNull: true }));
    await queryInterface.addColumn('accountUpgrades', 'downPayment', money(Sequelize, { allowNull: true }));
    await queryInterface.addColumn('accountUpgrades', 'businessDate', { type: Sequelize.DATEONLY, allowNull: true });
    await queryInterface.addColumn('accountUpgrades', 'reason', { type: Sequelize.TEXT, allowNull: true });
    await queryInterface.addColumn('accountUpgrades', 'scheduleChangeId', fk(Sequelize, 'scheduleChanges', { allowNull: true, onDelete: 'RESTRICT' }));
    await queryInterface.addColumn('accountUpgrades', 'journalEntryId', fk(Sequelize, 'journalEntries', { allowNull: true, onDelete: 'RESTRICT' }));
  },

  async down(queryInterface) {
    await keepingSqliteIndexes(queryInterface, 'accountUpgrades', async () => {
      for (const c of ['journalEntryId', 'scheduleChangeId', 'reason', 'businessDate', 'downPayment', 'price', 'deviceId'])
        await queryInterface.removeColumn('accountUpgrades', c);
    });
  },
};
