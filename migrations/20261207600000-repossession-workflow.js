// @ts-check
'use strict';
const { money, fk, enumOf } = require('./lib/columns');
const { keepingSqliteIndexes } = require('./lib/guards');

const STATUSES = ['scheduled', 'completed', 'cancelled'];

/**
 * Repossession as a workflow (issue 15) on the table that existed unused since 20261124000021:
 * marked (scheduled) -> assigned to a field agent -> completed (recovered) or failed.
 *  - status gains 'assigned' and 'failed';
 *  - assignedTo / assignedBy / assignedAt: the field agent and who assigned them;
 *  - fieldVisitId: the visit (GPS, photos) that recorded the outcome;
 *  - failureReason; recoveredValue (what the ledger booked for the unit), journalEntryId (that
 *    entry), writeoffId (the write-off requested for the rest), deviceTokenId (the lock token).
 * `condition` (existing) holds the grade: good, refurbishable, faulty.
 * On SQLite (demo) an ENUM is TEXT: only the columns are added there.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    const sqlite = queryInterface.sequelize.getDialect() === 'sqlite';
    if (!sqlite) {
      await queryInterface.changeColumn('repossessions', 'status', enumOf(Sequelize, [...STATUSES, 'assigned', 'failed'], { defaultValue: 'scheduled' }));
    }
    await queryInterface.addColumn('repossessions', 'assignedTo', fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }));
    await queryInterface.addColumn('repossessions', 'assignedBy', fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }));
    await queryInterface.addColumn('repossessions', 'assignedAt', { type: Sequelize.DATE, allowNull: true });
    await queryInterface.addColumn('repossessions', 'fieldVisitId', fk(Sequelize, 'fieldVisits', { allowNull: true, onDelete: 'SET NULL' }));
    await queryInterface.addColumn('repossessions', 'failureReason', { type: Sequelize.TEXT, allowNull: true });
    await queryInterface.addColumn('repossessions', 'recoveredValue', money(Sequelize, { allowNull: true }));
    await queryInterface.addColumn('repossessions', 'journalEntryId', fk(Sequelize, 'journalEntries', { allowNull: true, onDelete: 'RESTRICT' }));
    await queryInterface.addColumn('repossessions', 'writeoffId', fk(Sequelize, 'writeoffs', { allowNull: true, onDelete: 'RESTRICT' }));
    await queryInterface.addColumn('repossessions', 'deviceTokenId', fk(Sequelize, 'deviceTokens', { allowNull: true, onDelete: 'RESTRICT' }));
    await queryInterface.addIndex('repossessions', ['assignedTo', 'status'], { name: 'repossessions_assignee_status' });
  },

  async down(queryInterface, Sequelize) {
    const sqlite = queryInterface.sequelize.getDialect() === 'sqlite';
    // MySQL dropped the foreign key's own index on assignedTo when (assignedTo, status) could serve it.
    if (!sqlite) await queryInterface.addIndex('repossessions', ['assignedTo'], { name: 'assignedTo' });
    await queryInterface.removeIndex('repossessions', 'repossessions_assignee_status');
    await keepingSqliteIndexes(queryInterface, 'repossessions', async () => {
      for (const c of [
        'deviceTokenId',
        'writeoffId',
        'journalEntryId',
        'recoveredValue',
        'failureReason',
        'fieldVisitId',
        'assignedAt',
        'assignedBy',
        'assignedTo',
      ])
        await queryInterface.removeColumn('repossessions', c);
    });
    if (!sqlite) {
      // Rows written since keep their meaning as closely as the old values allow.
      await queryInterface.sequelize.query("UPDATE repossessions SET status = 'scheduled' WHERE status = 'assigned'");
      await queryInterface.sequelize.query("UPDATE repossessions SET status = 'cancelled' WHERE status = 'failed'");
      await queryInterface.changeColumn('repossessions', 'status', enumOf(Sequelize, STATUSES, { defaultValue: 'scheduled' }));
    }
  },
};
