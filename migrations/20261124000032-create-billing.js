// @ts-check
// Billing: invoices (statements) and their lines, refunds, write-offs and credit notes. Each
// refund and write-off is requested by one employee and approved by another, which the database
// enforces too.
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');
const { createFourEyes, dropFourEyes } = require('./lib/guards');

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('AccountInvoices', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      invoiceNumber: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      currency: { type: Sequelize.CHAR(3), allowNull: false },
      // NULL period = a one-off invoice (e.g. the down payment); otherwise a periodic statement.
      periodStart: { type: Sequelize.DATEONLY, allowNull: true },
      periodEnd: { type: Sequelize.DATEONLY, allowNull: true },
      openingBalance: money(Sequelize, { defaultValue: '0.00' }),
      amount: money(Sequelize),
      tax: money(Sequelize, { defaultValue: '0.00' }),
      totalAmount: money(Sequelize),
      closingBalance: money(Sequelize, { defaultValue: '0.00' }),
      dueDate: { type: Sequelize.DATEONLY, allowNull: false },
      status: enumOf(Sequelize, ['draft', 'sent', 'paid', 'overdue'], { defaultValue: 'draft' }),
      sentAt: { type: Sequelize.DATE, allowNull: true },
      paidAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    // One statement per account and period (a re-run of the invoicing job finds it there).
    await queryInterface.addIndex('AccountInvoices', ['accountId', 'periodStart'], { unique: true, name: 'AccountInvoices_account_period' });
    await queryInterface.addIndex('AccountInvoices', ['status', 'dueDate'], { name: 'AccountInvoices_status_due' });

    await queryInterface.createTable('invoiceLines', {
      id: id(Sequelize),
      invoiceId: fk(Sequelize, 'AccountInvoices', { onDelete: 'RESTRICT' }),
      lineType: enumOf(Sequelize, ['installment', 'charge', 'payment', 'credit_note', 'adjustment']),
      description: { type: Sequelize.STRING(255), allowNull: false },
      quantity: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 1 },
      unitAmount: money(Sequelize),
      amount: money(Sequelize),
      taxAmount: money(Sequelize, { defaultValue: '0.00' }),
      installmentScheduleId: fk(Sequelize, 'installmentSchedules', { allowNull: true, onDelete: 'RESTRICT' }),
      accountChargeId: fk(Sequelize, 'accountCharges', { allowNull: true, onDelete: 'RESTRICT' }),
      paymentId: fk(Sequelize, 'payments', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('invoiceLines', ['invoiceId'], { name: 'invoiceLines_invoice' });

    await queryInterface.createTable('refunds', {
      id: id(Sequelize),
      // What is refunded: a payment, an account's credit balance, or an unmatched payment (no account).
      paymentId: fk(Sequelize, 'payments', { allowNull: true, onDelete: 'RESTRICT' }),
      accountId: fk(Sequelize, 'accounts', { allowNull: true, onDelete: 'RESTRICT' }),
      unmatchedPaymentId: fk(Sequelize, 'unmatchedPayments', { allowNull: true, onDelete: 'RESTRICT' }),
      amount: money(Sequelize),
      currency: { type: Sequelize.CHAR(3), allowNull: false },
      reason: { type: Sequelize.TEXT, allowNull: false },
      method: enumOf(Sequelize, ['mobile_money', 'bank', 'cash']),
      // Phone number or bank account the money goes to.
      destination: { type: Sequelize.STRING(100), allowNull: true },
      // The provider's or bank's reference of the payout, once made.
      payoutReference: { type: Sequelize.STRING(100), allowNull: true },
      status: enumOf(Sequelize, ['pending', 'approved', 'completed', 'rejected'], { defaultValue: 'pending' }),
      requestedBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      approvedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      decidedAt: { type: Sequelize.DATE, allowNull: true },
      rejectionReason: { type: Sequelize.TEXT, allowNull: true },
      refundDate: { type: Sequelize.DATEONLY, allowNull: true },
      journalEntryId: fk(Sequelize, 'journalEntries', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('refunds', ['status', 'createdAt'], { name: 'refunds_status_created' });
    await queryInterface.addIndex('refunds', ['accountId'], { name: 'refunds_account' });
    await queryInterface.addIndex('refunds', ['paymentId'], { name: 'refunds_payment' });

    await queryInterface.createTable('writeoffs', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      amount: money(Sequelize),
      reason: { type: Sequelize.TEXT, allowNull: false },
      status: enumOf(Sequelize, ['pending', 'approved', 'rejected'], { defaultValue: 'pending' }),
      requestedBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      approvedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      decidedAt: { type: Sequelize.DATE, allowNull: true },
      rejectionReason: { type: Sequelize.TEXT, allowNull: true },
      // The business date the write-off took effect (set on approval).
      writeoffDate: { type: Sequelize.DATEONLY, allowNull: true },
      journalEntryId: fk(Sequelize, 'journalEntries', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('writeoffs', ['accountId'], { name: 'writeoffs_account' });
    await queryInterface.addIndex('writeoffs', ['status', 'createdAt'], { name: 'writeoffs_status_created' });

    await queryInterface.createTable('creditNotes', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      creditNoteNumber: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      amount: money(Sequelize),
      currency: { type: Sequelize.CHAR(3), allowNull: false },
      reason: { type: Sequelize.TEXT, allowNull: false },
      invoiceId: fk(Sequelize, 'AccountInvoices', { allowNull: true, onDelete: 'RESTRICT' }),
      refundId: fk(Sequelize, 'refunds', { allowNull: true, onDelete: 'RESTRICT' }),
      journalEntryId: fk(Sequelize, 'journalEntries', { allowNull: true, onDelete: 'RESTRICT' }),
      // NULL = issued by the system.
      issuedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      issuedAt: { type: Sequelize.DATE, allowNull: false },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('creditNotes', ['accountId'], { name: 'creditNotes_account' });

    await createFourEyes(queryInterface, 'refunds', 'requestedBy', 'approvedBy');
    await createFourEyes(queryInterface, 'writeoffs', 'requestedBy', 'approvedBy');
  },

  async down(queryInterface) {
    await dropFourEyes(queryInterface, 'writeoffs');
    await dropFourEyes(queryInterface, 'refunds');
    await queryInterface.dropTable('creditNotes');
    await queryInterface.dropTable('writeoffs');
    await queryInterface.dropTable('refunds');
    await queryInterface.dropTable('invoiceLines');
    await queryInterface.dropTable('AccountInvoices');
  },
};
