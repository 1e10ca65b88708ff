// @ts-check
'use strict';
const { stamped } = require('./lib/env');

/**
 * The ledger account an early-payoff discount is booked to (issue 16): Dr 5500 / Cr 1200 for the
 * receivable the customer no longer pays. Idempotent (ignoreDuplicates on the unique code).
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.bulkInsert(
      'ledgerAccounts',
      stamped([
        {
          code: '5500',
          name: 'Early payoff discounts allowed',
          type: 'expense',
          normalBalance: 'debit',
          description: "Receivable given up when a customer pays an account off early at the payplan's discount",
          parentId: null,
          isControl: false,
          isActive: true,
          version: 0,
        },
      ]),
      { ignoreDuplicates: true },
    );
  },
  async down(queryInterface) {
    // Refused by the database (RESTRICT) once journal lines use it.
    await queryInterface.bulkDelete('ledgerAccounts', { code: ['5500'] });
  },
};
