// @ts-check
'use strict';
const { money, fk, enumOf } = require('./lib/columns');
const { keepingSqliteIndexes } = require('./lib/guards');

const CASE_STATUSES = ['open', 'in_progress', 'promise', 'resolved', 'closed'];
const PROMISE_STATUSES = ['open', 'kept', 'broken', 'cancelled'];

/**
 * Collections as a workflow (issue 15): what the nightly close and the worklist need on the tables
 * that existed unused since 20261124000041.
 *  - collectionCases: `openAccountId` (the account while the case is open, NULL once closed; unique,
 *    so an account has at most one open case however often the close runs), the figures the
 *    worklist orders by (daysPastDue, amountAtRisk, lastContactAt, brokenPromises, priorityScore),
 *    the escalation (escalatedOn, escalationReason) and the status 'repossession_review'.
 *  - promisesToPay: the business date it was made (`promisedOn`: payments from then on count), the
 *    amount paid towards it when judged (`paidAmount`), the payment that kept it (`paymentId`), the
 *    activity it came from, and the status 'partly_kept'.
 *  - collectionActivities: the fieldVisit a visit wrote.
 * On SQLite (demo) an ENUM is TEXT: only the columns are added there.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    const sqlite = queryInterface.sequelize.getDialect() === 'sqlite';
    if (!sqlite) {
      await queryInterface.changeColumn('collectionCases', 'status', enumOf(Sequelize, [...CASE_STATUSES, 'repossession_review'], { defaultValue: 'open' }));
      await queryInterface.changeColumn('promisesToPay', 'status', enumOf(Sequelize, [...PROMISE_STATUSES, 'partly_kept'], { defaultValue: 'open' }));
    }
    await queryInterface.addColumn('collectionCases', 'openAccountId', { type: Sequelize.INTEGER, allowNull: true });
    await queryInterface.addColumn('collectionCases', 'daysPastDue', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 });
    await queryInterface.addColumn('collectionCases', 'amountAtRisk', money(Sequelize, { defaultValue: '0.00' }));
    await queryInterface.addColumn('collectionCases', 'lastContactAt', { type: Sequelize.DATE, allowNull: true });
    await queryInterface.addColumn('collectionCases', 'brokenPromises', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 });
    await queryInterface.addColumn('collectionCases', 'priorityScore', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 });
    await queryInterface.addColumn('collectionCases', 'escalatedOn', { type: Sequelize.DATEONLY, allowNull: true });
    await queryInterface.addColumn('collectionCases', 'escalationReason', { type: Sequelize.STRING(255), allowNull: true });
    await queryInterface.addIndex('collectionCases', ['openAccountId'], { unique: true, name: 'collectionCases_open_account' });
    await queryInterface.addIndex('collectionCases', ['assignedTo', 'priorityScore'], { name: 'collectionCases_assignee_score' });

    await queryInterface.addColumn('promisesToPay', 'promisedOn', { type: Sequelize.DATEONLY, allowNull: true });
    await queryInterface.addColumn('promisesToPay', 'paidAmount', money(Sequelize, { defaultValue: '0.00' }));
    await queryInterface.addColumn('promisesToPay', 'paymentId', fk(Sequelize, 'payments', { allowNull: true, onDelete: 'SET NULL' }));
    await queryInterface.addColumn('promisesToPay', 'collectionActivityId', fk(Sequelize, 'collectionActivities', { allowNull: true, onDelete: 'SET NULL' }));

    await queryInterface.addColumn('collectionActivities', 'fieldVisitId', fk(Sequelize, 'fieldVisits', { allowNull: true, onDelete: 'SET NULL' }));
  },

  async down(queryInterface, Sequelize) {
    const sqlite = queryInterface.sequelize.getDialect() === 'sqlite';
    // SQLite rebuilds a table to drop a column, losing its other indexes: keep them.
    /** @param {string} table @param {string[]} columns */
    const drop = (table, columns) =>
      keepingSqliteIndexes(queryInterface, table, async () => {
        for (const c of columns) await queryInterface.removeColumn(table, c);
      });
    await drop('collectionActivities', ['fieldVisitId']);
    await drop('promisesToPay', ['collectionActivityId', 'paymentId', 'paidAmount', 'promisedOn']);
    // MySQL dropped the foreign key's own index on assignedTo when (assignedTo, priorityScore)
    // could serve it: it comes back, under the name MySQL gave it, before that one goes.
    if (!sqlite) await queryInterface.addIndex('collectionCases', ['assignedTo'], { name: 'assignedTo' });
    await queryInterface.removeIndex('collectionCases', 'collectionCases_assignee_score');
    await queryInterface.removeIndex('collectionCases', 'collectionCases_open_account');
    await drop('collectionCases', [
      'escalationReason',
      'escalatedOn',
      'priorityScore',
      'brokenPromises',
      'lastContactAt',
      'amountAtRisk',
      'daysPastDue',
      'openAccountId',
    ]);
    if (!sqlite) {
      // Rows written since keep their meaning as closely as the old values allow.
      await queryInterface.sequelize.query("UPDATE collectionCases SET status = 'in_progress' WHERE status = 'repossession_review'");
      await queryInterface.sequelize.query("UPDATE promisesToPay SET status = 'broken' WHERE status = 'partly_kept'");
      await queryInterface.changeColumn('collectionCases', 'status', enumOf(Sequelize, CASE_STATUSES, { defaultValue: 'open' }));
      await queryInterface.changeColumn('promisesToPay', 'status', enumOf(Sequelize, PROMISE_STATUSES, { defaultValue: 'open' }));
    }
  },
};
