// @ts-check
'use strict';

/**
 * The outbox drain (issue 13). A worker leases a batch of rows with SELECT ... FOR UPDATE SKIP
 * LOCKED: status 'processing', a random leaseId (the fencing token: only the holder of the row's
 * current leaseId may mark it done, retried or dead), leasedBy (which worker, for operators) and
 * availableAt = the lease's expiry, so a crashed worker's rows are picked up again by the same
 * (target, status, availableAt) index once the lease runs out. 'failed' is the dead status: kept
 * with lastError until an operator retries it. The purge job deletes done rows by
 * (status, processedAt). The old (status, availableAt) index is superseded by the one led by target.
 */
/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('syncOutbox', 'leaseId', { type: Sequelize.CHAR(36), allowNull: true });
    await queryInterface.addColumn('syncOutbox', 'leasedBy', { type: Sequelize.STRING(100), allowNull: true });
    await queryInterface.addIndex('syncOutbox', ['target', 'status', 'availableAt'], { name: 'syncOutbox_target_status_available' });
    await queryInterface.addIndex('syncOutbox', ['status', 'processedAt'], { name: 'syncOutbox_status_processed' });
    await queryInterface.removeIndex('syncOutbox', 'syncOutbox_status_available');
  },
  async down(queryInterface) {
    await queryInterface.addIndex('syncOutbox', ['status', 'availableAt'], { name: 'syncOutbox_status_available' });
    await queryInterface.removeIndex('syncOutbox', 'syncOutbox_status_processed');
    await queryInterface.removeIndex('syncOutbox', 'syncOutbox_target_status_available');
    await queryInterface.removeColumn('syncOutbox', 'leasedBy');
    await queryInterface.removeColumn('syncOutbox', 'leaseId');
  },
};
