// @ts-check
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');
const { createFourEyes, dropFourEyes, keepingSqliteIndexes } = require('./lib/guards');

const TICKET_STATUSES = ['open', 'pending', 'resolved', 'closed'];
const CHANNELS = ['agent', 'back_office', 'call_centre'];
const SWAP_KINDS = ['warranty', 'paid'];

/**
 * After-sales support (issue 15) and the device swap (issue 16) on the tables that existed unused
 * since 20261124000041:
 *  - supportTickets: status 'in_progress' (open -> in_progress -> resolved -> closed; 'pending'
 *    stays for rows written before), `channel` (who raised it: an agent, back office, the call
 *    centre), `slaDueAt` (the category's SLA from when it was opened), `assignedAt`, `resolution`;
 *    index (status, slaDueAt) for the overdue filter.
 *  - deviceSwaps (new): one row per swap of an account's device, warranty (free) or paid (its fee
 *    an account charge): the old and new unit, where each came from and went, the token that
 *    carried the remaining credit days.
 *  - warrantyClaims: `deviceSwapId` (the swap an approval made); four-eyes: decidedBy is never
 *    submittedBy.
 * On SQLite (demo) an ENUM is TEXT: the status list is not changed there.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    const sqlite = queryInterface.sequelize.getDialect() === 'sqlite';
    if (!sqlite) {
      await queryInterface.changeColumn('supportTickets', 'status', enumOf(Sequelize, [...TICKET_STATUSES, 'in_progress'], { defaultValue: 'open' }));
    }
    await queryInterface.addColumn('supportTickets', 'channel', enumOf(Sequelize, CHANNELS, { defaultValue: 'back_office' }));
    await queryInterface.addColumn('supportTickets', 'slaDueAt', { type: Sequelize.DATE, allowNull: true });
    await queryInterface.addColumn('supportTickets', 'assignedAt', { type: Sequelize.DATE, allowNull: true });
    await queryInterface.addColumn('supportTickets', 'resolution', { type: Sequelize.TEXT, allowNull: true });
    await queryInterface.addIndex('supportTickets', ['status', 'slaDueAt'], { name: 'supportTickets_status_sla' });

    await queryInterface.createTable('deviceSwaps', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      kind: enumOf(Sequelize, SWAP_KINDS),
      oldDeviceId: fk(Sequelize, 'devices', { onDelete: 'RESTRICT' }),
      newDeviceId: fk(Sequelize, 'devices', { onDelete: 'RESTRICT' }),
      // Where the new unit came from, and where the old one went (the same stock location).
      fromWarehouseId: fk(Sequelize, 'warehouses', { onDelete: 'RESTRICT' }),
      returnWarehouseId: fk(Sequelize, 'warehouses', { onDelete: 'RESTRICT' }),
      reason: { type: Sequelize.STRING(255), allowNull: false },
      creditDays: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      deviceTokenId: fk(Sequelize, 'deviceTokens', { allowNull: true, onDelete: 'RESTRICT' }),
      fee: money(Sequelize, { allowNull: true }),
      accountChargeId: fk(Sequelize, 'accountCharges', { allowNull: true, onDelete: 'RESTRICT' }),
      createdBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('deviceSwaps', ['accountId'], { name: 'deviceSwaps_account' });

    await queryInterface.addColumn('warrantyClaims', 'deviceSwapId', fk(Sequelize, 'deviceSwaps', { allowNull: true, onDelete: 'RESTRICT' }));
    await createFourEyes(queryInterface, 'warrantyClaims', 'submittedBy', 'decidedBy');
  },

  async down(queryInterface, Sequelize) {
    const sqlite = queryInterface.sequelize.getDialect() === 'sqlite';
    await dropFourEyes(queryInterface, 'warrantyClaims');
    await keepingSqliteIndexes(queryInterface, 'warrantyClaims', () => queryInterface.removeColumn('warrantyClaims', 'deviceSwapId'));
    await queryInterface.dropTable('deviceSwaps');
    await queryInterface.removeIndex('supportTickets', 'supportTickets_status_sla');
    await keepingSqliteIndexes(queryInterface, 'supportTickets', async () => {
      for (const c of ['resolution', 'assignedAt', 'slaDueAt', 'channel']) await queryInterface.removeColumn('supportTickets', c);
    });
    if (!sqlite) {
      // Rows written since keep their meaning as closely as the old values allow.
      await queryInterface.sequelize.query("UPDATE supportTickets SET status = 'pending' WHERE status = 'in_progress'");
      await queryInterface.changeColumn('supportTickets', 'status', enumOf(Sequelize, TICKET_STATUSES, { defaultValue: 'open' }));
    }
  },
};
