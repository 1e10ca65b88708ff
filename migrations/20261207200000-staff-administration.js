// @ts-check
'use strict';
const { id, timestamps, fk } = require('./lib/columns');

/**
 * Staff administration (issue 14):
 *  - employees.version: optimistic concurrency for PATCH /employees/:id (the ETag; 412 when stale).
 *  - employees.sessionEpoch: carried in every access token (claim `se`); raising it (deactivation,
 *    a password change or reset) refuses every access token issued before, from the next request.
 *  - refreshTokens.sessionEpoch: the employee's epoch when the token was issued; a refresh with a
 *    token of an older epoch is refused, so a token a login or refresh wrote while a deactivation
 *    committed can never come back to life on reactivation.
 *  - passwordResetTokens: admin-issued one-time reset tokens, stored as SHA-256 only, short-lived,
 *    single use (usedAt).
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('employees', 'version', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 });
    await queryInterface.addColumn('employees', 'sessionEpoch', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 });
    await queryInterface.addColumn('refreshTokens', 'sessionEpoch', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 });
    await queryInterface.createTable('passwordResetTokens', {
      id: id(Sequelize),
      employeeId: fk(Sequelize, 'employees', { onDelete: 'CASCADE' }),
      tokenHash: { type: Sequelize.CHAR(64), allowNull: false, unique: true },
      expiresAt: { type: Sequelize.DATE, allowNull: false },
      usedAt: { type: Sequelize.DATE, allowNull: true },
      createdById: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'SET NULL' }),
      ...timestamps(Sequelize),
    });
  },
  async down(queryInterface) {
    await queryInterface.dropTable('passwordResetTokens');
    await queryInterface.removeColumn('refreshTokens', 'sessionEpoch');
    await queryInterface.removeColumn('employees', 'sessionEpoch');
    await queryInterface.removeColumn('employees', 'version');
  },
};
