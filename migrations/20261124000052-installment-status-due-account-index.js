// @ts-check
'use strict';

/**
 * installmentSchedules (status, dueDate) becomes (status, dueDate, accountId). The nightly close
 * works account range by account range: with accountId in the index, a chunk's unpaid past-due
 * instalments are picked out of the index itself (index condition pushdown) and only those rows
 * are read, instead of every instalment of the status and date range. Everything that used the
 * old index (the overdue flags, reminders, collection figures) reads the same prefix.
 * The new index is built before the old one is dropped, so no query is left without one.
 *
 * With it, on MySQL/MariaDB, the CHECK installmentSchedules_unpaid_owes: an instalment whose status
 * says it is unpaid (pending, partial, overdue) owes something (amount > paidAmount), as
 * installmentStatus() in src/modules/accounts/arrears.ts always sets it. The close relies on it
 * to find the unpaid past-due instalments from the index alone, without reading each row's
 * amounts. (SQLite, the demo, keeps reading them.)
 */
const CHECK = 'installmentSchedules_unpaid_owes';
const isMysql = (/** @type {import('sequelize').QueryInterface} */ queryInterface) => ['mysql', 'mariadb'].includes(queryInterface.sequelize.getDialect());

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    await queryInterface.addIndex('installmentSchedules', ['status', 'dueDate', 'accountId'], { name: 'installmentSchedules_status_due_account' });
    await queryInterface.removeIndex('installmentSchedules', 'installmentSchedules_status_due');
    if (isMysql(queryInterface)) {
      await queryInterface.sequelize.query(
        `ALTER TABLE installmentSchedules ADD CONSTRAINT ${CHECK} CHECK (status NOT IN ('pending', 'partial', 'overdue') OR amount > paidAmount)`,
      );
    }
  },
  async down(queryInterface) {
    if (isMysql(queryInterface)) await queryInterface.sequelize.query(`ALTER TABLE installmentSchedules DROP CONSTRAINT ${CHECK}`);
    await queryInterface.addIndex('installmentSchedules', ['status', 'dueDate'], { name: 'installmentSchedules_status_due' });
    await queryInterface.removeIndex('installmentSchedules', 'installmentSchedules_status_due_account');
  },
};
