// @ts-check
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');
const { createFourEyes, dropFourEyes, keepingSqliteIndexes } = require('./lib/guards');

const INSTALLMENT_STATUSES = ['pending', 'partial', 'paid', 'overdue', 'waived'];

/**
 * Schedule changes (issue 16): payment holidays, restructures and upgrades replace the open part
 * of an account's schedule. Changed instalment lines are superseded, never edited away:
 *  - installmentSchedules.status gains 'superseded' (the line owes nothing; what was paid on it
 *    stays, with its allocations), supersededAt, supersededByChangeId (the change that replaced
 *    it) and scheduleChangeId (the change that issued a line; null for the opening schedule);
 *  - scheduleChanges records each change: type, status (pending while it waits for a checker,
 *    applied, rejected), business date, parameters (JSON text), the amount the replaced lines
 *    owed (what the new lines carry), who requested and who approved (four-eyes trigger);
 *  - accounts.restructuredAt: the business date of the last restructure (reporting counts
 *    restructured loans apart in PAR);
 *  - payplans: the payment-holiday policy (days per holiday, per year, the threshold above which
 *    a checker approves, whether credit days are granted while it lasts).
 * On SQLite (demo) an ENUM is TEXT: only the columns are added there.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    const sqlite = queryInterface.sequelize.getDialect() === 'sqlite';
    await queryInterface.createTable('scheduleChanges', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      changeType: enumOf(Sequelize, ['holiday', 'restructure', 'upgrade']),
      status: enumOf(Sequelize, ['pending', 'applied', 'rejected'], { defaultValue: 'pending' }),
      businessDate: { type: Sequelize.DATEONLY, allowNull: false },
      parameters: { type: Sequelize.TEXT, allowNull: false },
      reason: { type: Sequelize.TEXT, allowNull: false },
      replacedAmount: money(Sequelize, { allowNull: true }),
      requestedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      approvedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      decidedAt: { type: Sequelize.DATE, allowNull: true },
      rejectionReason: { type: Sequelize.TEXT, allowNull: true },
      appliedAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('scheduleChanges', ['accountId', 'status'], { name: 'scheduleChanges_account_status' });
    await queryInterface.addIndex('scheduleChanges', ['status', 'createdAt'], { name: 'scheduleChanges_status_created' });
    await createFourEyes(queryInterface, 'scheduleChanges', 'requestedBy', 'approvedBy');

    if (!sqlite) {
      await queryInterface.changeColumn(
        'installmentSchedules',
        'status',
        enumOf(Sequelize, [...INSTALLMENT_STATUSES, 'superseded'], { defaultValue: 'pending' }),
      );
    }
    await queryInterface.addColumn('installmentSchedules', 'supersededAt', { type: Sequelize.DATE, allowNull: true });
    await queryInterface.addColumn('installmentSchedules', 'supersededByChangeId', fk(Sequelize, 'scheduleChanges', { allowNull: true, onDelete: 'RESTRICT' }));
    await queryInterface.addColumn('installmentSchedules', 'scheduleChangeId', fk(Sequelize, 'scheduleChanges', { allowNull: true, onDelete: 'RESTRICT' }));

    await queryInterface.addColumn('accounts', 'restructuredAt', { type: Sequelize.DATEONLY, allowNull: true });

    await queryInterface.addColumn('payplans', 'holidayMaxDays', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 30 });
    await queryInterface.addColumn('payplans', 'holidayMaxDaysPerYear', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 60 });
    await queryInterface.addColumn('payplans', 'holidayApprovalAboveDays', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 14 });
    await queryInterface.addColumn('payplans', 'holidayGrantsCreditDays', { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true });
  },

  async down(queryInterface, Sequelize) {
    const sqlite = queryInterface.sequelize.getDialect() === 'sqlite';
    await keepingSqliteIndexes(queryInterface, 'payplans', async () => {
      for (const c of ['holidayGrantsCreditDays', 'holidayApprovalAboveDays', 'holidayMaxDaysPerYear', 'holidayMaxDays'])
        await queryInterface.removeColumn('payplans', c);
    });
    await keepingSqliteIndexes(queryInterface, 'accounts', () => queryInterface.removeColumn('accounts', 'restructuredAt'));
    // Superseded lines owe nothing: going back, they read as waived (still owing nothing).
    await queryInterface.sequelize.query("UPDATE installmentSchedules SET status = 'waived' WHERE status = 'superseded'");
    await keepingSqliteIndexes(queryInterface, 'installmentSchedules', async () => {
      for (const c of ['scheduleChangeId', 'supersededByChangeId', 'supersededAt']) await queryInterface.removeColumn('installmentSchedules', c);
    });
    if (!sqlite) {
      await queryInterface.changeColumn('installmentSchedules', 'status', enumOf(Sequelize, INSTALLMENT_STATUSES, { defaultValue: 'pending' }));
    }
    await dropFourEyes(queryInterface, 'scheduleChanges');
    await queryInterface.dropTable('scheduleChanges');
  },
};
