// @ts-check
'use strict';
const { timestamps } = require('./lib/columns');

/**
 * changeLogHorizon: one row saying how far the nightly prune has cut the change log (issue 14,
 * docs/offline-sync.md, "How long the log is kept"). The prune raises `prunedThroughId` (and
 * commits it) before it deletes a single row up to it, so a feed that reads the horizon after its
 * rows always knows when a row after its cursor may be gone: a cursor below the horizon is
 * answered 410 (do a full sync), never a page with holes.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('changeLogHorizon', {
      // Always 1: the table holds one row.
      id: { type: Sequelize.INTEGER, primaryKey: true, allowNull: false },
      // changeLog rows with id <= this may be deleted: cursors below it are stale.
      prunedThroughId: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      // The changedAt cutoff of the last prune (rows older than it were deleted).
      prunedBefore: { type: Sequelize.DATE(3), allowNull: true },
      ...timestamps(Sequelize),
    });
    const now = new Date();
    await queryInterface.bulkInsert('changeLogHorizon', [{ id: 1, prunedThroughId: 0, prunedBefore: null, createdAt: now, updatedAt: now }]);
  },

  async down(queryInterface) {
    await queryInterface.dropTable('changeLogHorizon');
  },
};
