// @ts-check
// Money in: payment types, payments and what they settled, every mobile-money callback, suspense
// (unmatched payments), reversals, agents' cash collections and remittances, receipts. Then the
// foreign keys that earlier tables (creditDayEntries, deviceTokens) could not yet declare.
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');
const { createGuard, dropGuard, createFourEyes, dropFourEyes, keepingSqliteIndexes } = require('./lib/guards');

// Columns of earlier tables that point at payments; their FKs are declared here, once payments exists.
const LATE_FKS = [
  { table: 'creditDayEntries', field: 'paymentId', name: 'creditDayEntries_paymentId_fk' },
  { table: 'deviceTokens', field: 'paymentId', name: 'deviceTokens_paymentId_fk' },
];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('paymentTypes', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(100), allowNull: false },
      code: { type: Sequelize.STRING(20), allowNull: false, unique: true },
      description: { type: Sequelize.STRING(255), allowNull: true },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });

    await queryInterface.createTable('payments', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      amount: money(Sequelize),
      currency: { type: Sequelize.CHAR(3), allowNull: false },
      paymentTypeId: fk(Sequelize, 'paymentTypes', { onDelete: 'RESTRICT' }),
      channel: enumOf(Sequelize, ['mobile_money', 'cash', 'bank', 'adjustment']),
      // Provider transaction id, bank reference, or the cash collection's client id: unique per type.
      transactionRef: { type: Sequelize.STRING(100), allowNull: false },
      paymentDate: { type: Sequelize.DATE, allowNull: false },
      businessDate: { type: Sequelize.DATEONLY, allowNull: false },
      status: enumOf(Sequelize, ['pending', 'completed', 'failed', 'reversed'], { defaultValue: 'pending' }),
      completedAt: { type: Sequelize.DATE, allowNull: true },
      paymentMethod: { type: Sequelize.STRING(50), allowNull: true },
      receiptNumber: { type: Sequelize.STRING(50), allowNull: true, unique: true },
      regionId: fk(Sequelize, 'companyRegions', { onDelete: 'RESTRICT' }),
      // NULL = recorded by the system (provider callback).
      createdBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('payments', ['paymentTypeId', 'transactionRef'], { unique: true, name: 'payments_type_ref' });
    await queryInterface.addIndex('payments', ['accountId'], { name: 'payments_account' });
    await queryInterface.addIndex('payments', ['paymentDate'], { name: 'payments_payment_date' });
    await queryInterface.addIndex('payments', ['createdAt'], { name: 'payments_created' });
    await queryInterface.addIndex('payments', ['regionId', 'businessDate'], { name: 'payments_region_business_date' });
    await queryInterface.addIndex('payments', ['status', 'businessDate'], { name: 'payments_status_business_date' });

    await queryInterface.createTable('paymentAllocations', {
      id: id(Sequelize),
      paymentId: fk(Sequelize, 'payments', { onDelete: 'RESTRICT' }),
      allocationType: enumOf(Sequelize, ['charge', 'installment', 'credit_balance']),
      installmentScheduleId: fk(Sequelize, 'installmentSchedules', { allowNull: true, onDelete: 'RESTRICT' }),
      accountChargeId: fk(Sequelize, 'accountCharges', { allowNull: true, onDelete: 'RESTRICT' }),
      amount: money(Sequelize),
      reversedAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('paymentAllocations', ['paymentId'], { name: 'paymentAllocations_payment' });
    await queryInterface.addIndex('paymentAllocations', ['installmentScheduleId'], { name: 'paymentAllocations_installment' });
    await queryInterface.addIndex('paymentAllocations', ['accountChargeId'], { name: 'paymentAllocations_charge' });

    await queryInterface.createTable('mobileMoneyTransactions', {
      id: id(Sequelize),
      provider: { type: Sequelize.STRING(30), allowNull: false },
      transactionId: { type: Sequelize.STRING(100), allowNull: false },
      transactionType: { type: Sequelize.STRING(50), allowNull: true },
      amount: money(Sequelize),
      currency: { type: Sequelize.CHAR(3), allowNull: true },
      msisdn: { type: Sequelize.STRING(20), allowNull: true },
      billRefNumber: { type: Sequelize.STRING(100), allowNull: true },
      businessShortCode: { type: Sequelize.STRING(20), allowNull: true },
      payerName: { type: Sequelize.STRING(255), allowNull: true },
      transTime: { type: Sequelize.DATE, allowNull: true },
      rawPayload: { type: Sequelize.JSON, allowNull: false },
      status: enumOf(Sequelize, ['received', 'matched', 'posted', 'unmatched', 'rejected', 'refunded'], { defaultValue: 'received' }),
      paymentId: fk(Sequelize, 'payments', { allowNull: true, onDelete: 'RESTRICT' }),
      accountId: fk(Sequelize, 'accounts', { allowNull: true, onDelete: 'RESTRICT' }),
      errorMessage: { type: Sequelize.TEXT, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('mobileMoneyTransactions', ['provider', 'transactionId'], {
      unique: true,
      name: 'mobileMoneyTransactions_provider_transaction',
    });
    await queryInterface.addIndex('mobileMoneyTransactions', ['status', 'createdAt'], { name: 'mobileMoneyTransactions_status_created' });
    await queryInterface.addIndex('mobileMoneyTransactions', ['billRefNumber'], { name: 'mobileMoneyTransactions_bill_ref' });
    await queryInterface.addIndex('mobileMoneyTransactions', ['paymentId'], { name: 'mobileMoneyTransactions_payment' });

    await queryInterface.createTable('agentRemittances', {
      id: id(Sequelize),
      agentId: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      amount: money(Sequelize),
      remittedAt: { type: Sequelize.DATE, allowNull: false },
      // How the cash came in: 'bank_deposit', 'mobile_money', 'office_cash', ...
      method: { type: Sequelize.STRING(30), allowNull: false },
      reference: { type: Sequelize.STRING(100), allowNull: true },
      status: enumOf(Sequelize, ['pending', 'confirmed', 'rejected'], { defaultValue: 'pending' }),
      confirmedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      confirmedAt: { type: Sequelize.DATE, allowNull: true },
      notes: { type: Sequelize.TEXT, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('agentRemittances', ['agentId', 'status'], { name: 'agentRemittances_agent_status' });
    await queryInterface.addIndex('agentRemittances', ['status', 'remittedAt'], { name: 'agentRemittances_status_remitted' });

    await queryInterface.createTable('cashCollections', {
      id: id(Sequelize),
      // The phone app's own id for the collection: a retried upload finds the row already there.
      clientCollectionId: { type: Sequelize.STRING(64), allowNull: false, unique: true },
      agentId: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      customerId: fk(Sequelize, 'customers', { onDelete: 'RESTRICT' }),
      amount: money(Sequelize),
      collectedAt: { type: Sequelize.DATE, allowNull: false },
      paymentId: { ...fk(Sequelize, 'payments', { allowNull: true, onDelete: 'RESTRICT' }), unique: true },
      status: enumOf(Sequelize, ['recorded', 'posted', 'remitted', 'cancelled'], { defaultValue: 'recorded' }),
      agentRemittanceId: fk(Sequelize, 'agentRemittances', { allowNull: true, onDelete: 'RESTRICT' }),
      latitude: { type: Sequelize.DECIMAL(10, 7), allowNull: true },
      longitude: { type: Sequelize.DECIMAL(10, 7), allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('cashCollections', ['agentId', 'status'], { name: 'cashCollections_agent_status' });
    await queryInterface.addIndex('cashCollections', ['accountId'], { name: 'cashCollections_account' });
    await queryInterface.addIndex('cashCollections', ['agentRemittanceId'], { name: 'cashCollections_remittance' });

    await queryInterface.createTable('unmatchedPayments', {
      id: id(Sequelize),
      mobileMoneyTransactionId: {
        ...fk(Sequelize, 'mobileMoneyTransactions', { allowNull: true, onDelete: 'RESTRICT' }),
        unique: true,
      },
      cashCollectionId: { ...fk(Sequelize, 'cashCollections', { allowNull: true, onDelete: 'RESTRICT' }), unique: true },
      amount: money(Sequelize),
      reference: { type: Sequelize.STRING(100), allowNull: true },
      msisdn: { type: Sequelize.STRING(20), allowNull: true },
      reason: { type: Sequelize.STRING(255), allowNull: false },
      status: enumOf(Sequelize, ['open', 'matched', 'refunded'], { defaultValue: 'open' }),
      resolvedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      resolvedAt: { type: Sequelize.DATE, allowNull: true },
      resolutionNote: { type: Sequelize.TEXT, allowNull: true },
      accountId: fk(Sequelize, 'accounts', { allowNull: true, onDelete: 'RESTRICT' }),
      paymentId: fk(Sequelize, 'payments', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('unmatchedPayments', ['status', 'createdAt'], { name: 'unmatchedPayments_status_created' });

    await queryInterface.createTable('paymentReversals', {
      id: id(Sequelize),
      paymentId: fk(Sequelize, 'payments', { onDelete: 'RESTRICT' }),
      reason: { type: Sequelize.TEXT, allowNull: false },
      amount: money(Sequelize),
      status: enumOf(Sequelize, ['pending', 'approved', 'rejected'], { defaultValue: 'pending' }),
      requestedBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      approvedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      decidedAt: { type: Sequelize.DATE, allowNull: true },
      journalEntryId: fk(Sequelize, 'journalEntries', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('paymentReversals', ['paymentId'], { name: 'paymentReversals_payment' });
    await queryInterface.addIndex('paymentReversals', ['status', 'createdAt'], { name: 'paymentReversals_status_created' });

    await queryInterface.createTable('receipts', {
      id: id(Sequelize),
      receiptNumber: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      paymentId: fk(Sequelize, 'payments', { onDelete: 'RESTRICT' }),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      amount: money(Sequelize),
      issuedAt: { type: Sequelize.DATE, allowNull: false },
      // How it was delivered: 'sms', 'email', 'print', 'app'.
      channel: { type: Sequelize.STRING(20), allowNull: false },
      sentTo: { type: Sequelize.STRING(255), allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('receipts', ['paymentId'], { name: 'receipts_payment' });
    await queryInterface.addIndex('receipts', ['accountId'], { name: 'receipts_account' });

    // The amount, currency and account of a completed payment never change; a completed payment
    // can only become reversed, and a reversed one stays reversed.
    await createGuard(queryInterface, {
      name: 'payments_settled_fixed',
      table: 'payments',
      timing: 'BEFORE UPDATE',
      when:
        "((OLD.status IN ('completed', 'reversed') AND (NEW.amount <> OLD.amount OR NEW.accountId <> OLD.accountId OR NEW.currency <> OLD.currency))" +
        " OR (OLD.status = 'completed' AND NEW.status NOT IN ('completed', 'reversed'))" +
        " OR (OLD.status = 'reversed' AND NEW.status <> 'reversed'))",
      message: 'payments: a completed payment keeps its amount, currency and account, and can only become reversed',
    });
    await createFourEyes(queryInterface, 'paymentReversals', 'requestedBy', 'approvedBy');
    await createFourEyes(queryInterface, 'agentRemittances', 'agentId', 'confirmedBy');

    for (const l of LATE_FKS) {
      await keepingSqliteIndexes(queryInterface, l.table, () =>
        queryInterface.addConstraint(l.table, {
          type: 'foreign key',
          fields: [l.field],
          name: l.name,
          references: { table: 'payments', field: 'id' },
          // The days a payment bought and the token it produced are audit rows: keep the payment.
          onDelete: 'RESTRICT',
          onUpdate: 'CASCADE',
        }),
      );
    }
  },

  async down(queryInterface) {
    for (const l of [...LATE_FKS].reverse()) {
      await keepingSqliteIndexes(queryInterface, l.table, () => queryInterface.removeConstraint(l.table, l.name));
    }
    await dropFourEyes(queryInterface, 'agentRemittances');
    await dropFourEyes(queryInterface, 'paymentReversals');
    await dropGuard(queryInterface, 'payments_settled_fixed');
    await queryInterface.dropTable('receipts');
    await queryInterface.dropTable('paymentReversals');
    await queryInterface.dropTable('unmatchedPayments');
    await queryInterface.dropTable('cashCollections');
    await queryInterface.dropTable('agentRemittances');
    await queryInterface.dropTable('mobileMoneyTransactions');
    await queryInterface.dropTable('paymentAllocations');
    await queryInterface.dropTable('payments');
    await queryInterface.dropTable('paymentTypes');
  },
};
