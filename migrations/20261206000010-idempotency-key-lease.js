// @ts-check
'use strict';

/**
 * idempotencyKeys get a lease with a fencing token. A request that claims a key writes a random
 * ownerToken and leaseExpiresAt; a retry may take over an in-progress claim only once its lease has
 * expired, by writing a new token; the first request stores its answer only while its token is
 * still on the row (and, inside a payment's transaction, only before its lease runs out), so a
 * taken-over request can never also commit. Rows claimed before this migration have no token:
 * they are treated as expired leases (their requests are long gone). The purge job finds what to
 * delete by the existing expiresAt index.
 */
/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('idempotencyKeys', 'ownerToken', { type: Sequelize.CHAR(36), allowNull: true });
    await queryInterface.addColumn('idempotencyKeys', 'leaseExpiresAt', { type: Sequelize.DATE, allowNull: true });
  },
  async down(queryInterface) {
    await queryInterface.removeColumn('idempotencyKeys', 'leaseExpiresAt');
    await queryInterface.removeColumn('idempotencyKeys', 'ownerToken');
  },
};
