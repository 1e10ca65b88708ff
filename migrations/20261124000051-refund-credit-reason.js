// @ts-check
'use strict';
const { enumOf } = require('./lib/columns');

const REASONS = ['payment', 'grant', 'reversal', 'removal', 'manual'];
const SOURCES = ['payment', 'manual', 'resend', 'reversal', 'system'];

/**
 * A refund of a payment takes back the credit days that money bought, like a reversal does:
 * creditDayEntries.reason and deviceTokens.source gain 'refund'. On SQLite (demo) an ENUM is a
 * plain TEXT column, so there is nothing to change there.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    if (queryInterface.sequelize.getDialect() === 'sqlite') return;
    await queryInterface.changeColumn('creditDayEntries', 'reason', enumOf(Sequelize, [...REASONS, 'refund']));
    await queryInterface.changeColumn('deviceTokens', 'source', enumOf(Sequelize, [...SOURCES, 'refund']));
  },
  async down(queryInterface, Sequelize) {
    if (queryInterface.sequelize.getDialect() === 'sqlite') return;
    // Rows written since keep their meaning as closely as the old values allow.
    await queryInterface.sequelize.query("UPDATE creditDayEntries SET reason = 'reversal' WHERE reason = 'refund'");
    await queryInterface.sequelize.query("UPDATE deviceTokens SET source = 'reversal' WHERE source = 'refund'");
    await queryInterface.changeColumn('creditDayEntries', 'reason', enumOf(Sequelize, REASONS));
    await queryInterface.changeColumn('deviceTokens', 'source', enumOf(Sequelize, SOURCES));
  },
};
