// @ts-check
'use strict';
const { fk, enumOf } = require('./lib/columns');
const { createFourEyes, dropFourEyes, keepingSqliteIndexes } = require('./lib/guards');

const COLUMNS = ['status', 'requestedBy', 'approvedBy', 'decidedAt', 'rejectionReason'];

/**
 * Credit notes above a threshold are maker-checker (issue 16), like refunds and write-offs:
 *  - status: 'issued' (booked: every note before this migration, and one at or below the
 *    threshold), 'pending' (waiting for another employee), 'rejected';
 *  - requestedBy (the maker; issuedBy stays who issued a booked note), approvedBy (who decided),
 *    decidedAt, rejectionReason; the database refuses approvedBy = requestedBy.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('creditNotes', 'status', enumOf(Sequelize, ['issued', 'pending', 'rejected'], { defaultValue: 'issued' }));
    await queryInterface.addColumn('creditNotes', 'requestedBy', fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }));
    await queryInterface.addColumn('creditNotes', 'approvedBy', fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }));
    await queryInterface.addColumn('creditNotes', 'decidedAt', { type: Sequelize.DATE, allowNull: true });
    await queryInterface.addColumn('creditNotes', 'rejectionReason', { type: Sequelize.TEXT, allowNull: true });
    await queryInterface.addIndex('creditNotes', ['status', 'createdAt'], { name: 'creditNotes_status_created' });
    await createFourEyes(queryInterface, 'creditNotes', 'requestedBy', 'approvedBy');
  },

  async down(queryInterface) {
    await dropFourEyes(queryInterface, 'creditNotes');
    await queryInterface.removeIndex('creditNotes', 'creditNotes_status_created');
    await keepingSqliteIndexes(queryInterface, 'creditNotes', async () => {
      for (const c of [...COLUMNS].reverse()) await queryInterface.removeColumn('creditNotes', c);
    });
  },
};
