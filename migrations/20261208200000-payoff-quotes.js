// @ts-check
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');
const { keepingSqliteIndexes } = require('./lib/guards');

const QUOTE_STATUSES = ['open', 'paid', 'expired', 'stale'];

/**
 * Early payoff (issue 16).
 *  - payplans.earlyPayoffDiscountPercent: the discount on a payoff, as a percentage of the principal
 *    not yet due on the payoff date (instalments falling due after it); or
 *    payplans.earlyPayoffDiscountAmount: a fixed amount, capped at that principal. Both null: no
 *    discount (a payplan carries at most one of them; the reference resource refuses both).
 *  - payoffQuotes: each quote given (GET /accounts/:id/payoff), so that paying it can be matched:
 *    what was owed, the discount, the credit balance applied and the amount to pay, the date it is
 *    for and the last date it may be paid, and a hash of the account's open items and credit
 *    balance when quoted (any payment, charge or change since makes the quote stale).
 *    open -> paid (POST /accounts/:id/payoff), or expired / stale when a payment of it was refused.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn('payplans', 'earlyPayoffDiscountPercent', { type: Sequelize.DECIMAL(5, 2), allowNull: true });
    await queryInterface.addColumn('payplans', 'earlyPayoffDiscountAmount', money(Sequelize, { allowNull: true }));
    await queryInterface.createTable('payoffQuotes', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      // The business date the quote was given on, and the date it settles the account on.
      businessDate: { type: Sequelize.DATEONLY, allowNull: false },
      payoffDate: { type: Sequelize.DATEONLY, allowNull: false },
      validUntil: { type: Sequelize.DATEONLY, allowNull: false },
      outstanding: money(Sequelize),
      discount: money(Sequelize),
      creditApplied: money(Sequelize),
      amount: money(Sequelize),
      status: enumOf(Sequelize, QUOTE_STATUSES, { defaultValue: 'open' }),
      stateHash: { type: Sequelize.CHAR(64), allowNull: false },
      paymentId: fk(Sequelize, 'payments', { allowNull: true, onDelete: 'RESTRICT' }),
      journalEntryId: fk(Sequelize, 'journalEntries', { allowNull: true, onDelete: 'RESTRICT' }),
      paidAt: { type: Sequelize.DATE, allowNull: true },
      createdBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('payoffQuotes', ['accountId', 'status'], { name: 'payoffQuotes_account_status' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('payoffQuotes');
    await keepingSqliteIndexes(queryInterface, 'payplans', async () => {
      await queryInterface.removeColumn('payplans', 'earlyPayoffDiscountAmount');
      await queryInterface.removeColumn('payplans', 'earlyPayoffDiscountPercent');
    });
  },
};
