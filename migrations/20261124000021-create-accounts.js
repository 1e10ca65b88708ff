// @ts-check
// Accounts: the financing contract and what hangs off it (devices, instalment schedule, status
// history, charges, notes, ownership transfers, upgrades, repossessions, credit days).
//
// Depends on customers, products, payplans, warehouses (20261124000010..12), devices
// (20261124000020), employees and companyRegions. Money rows (installmentSchedules,
// accountCharges, creditDayEntries, accountStatusHistories) are RESTRICT on accounts: an account is
// never deleted while its money history exists. creditDayEntries.paymentId is plain INTEGER NULL:
// the payments migration adds its constraint.
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');
const { keepingSqliteIndexes } = require('./lib/guards');

const ACCOUNT_STATUSES = ['pending', 'active', 'suspended', 'closed', 'written_off', 'repossessed'];
const PAR_BUCKETS = ['current', '1-30', '31-60', '61-90', '90+'];
const INSTALLMENT_STATUSES = ['pending', 'partial', 'paid', 'overdue', 'waived'];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('accounts', {
      id: id(Sequelize),
      accountNumber: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      customerId: fk(Sequelize, 'customers', { onDelete: 'RESTRICT' }),
      productId: fk(Sequelize, 'products', { onDelete: 'RESTRICT' }),
      payplanId: fk(Sequelize, 'payplans', { onDelete: 'RESTRICT' }),
      regionId: fk(Sequelize, 'companyRegions', { onDelete: 'RESTRICT' }),
      // The seller (commissions follow it); null for sales without an agent.
      agentId: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      status: enumOf(Sequelize, ACCOUNT_STATUSES, { defaultValue: 'pending' }),
      activationDate: { type: Sequelize.DATEONLY, allowNull: true },
      expiryDate: { type: Sequelize.DATEONLY, allowNull: true },
      totalPrice: money(Sequelize),
      downPaymentAmount: money(Sequelize),
      financedAmount: money(Sequelize),
      // Outstanding amount still owed.
      balance: money(Sequelize),
      // Overpayment held for the customer.
      creditBalance: money(Sequelize, { defaultValue: '0.00' }),
      daysPastDue: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      parBucket: enumOf(Sequelize, PAR_BUCKETS, { defaultValue: 'current' }),
      creditExpiresAt: { type: Sequelize.DATE, allowNull: true },
      lastNightlyBusinessDate: { type: Sequelize.DATEONLY, allowNull: true },
      closedAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('accounts', ['customerId'], { name: 'accounts_customer' });
    await queryInterface.addIndex('accounts', ['status'], { name: 'accounts_status' });
    await queryInterface.addIndex('accounts', ['activationDate'], { name: 'accounts_activation' });
    await queryInterface.addIndex('accounts', ['regionId', 'status'], { name: 'accounts_region_status' });

    await queryInterface.createTable('accountDevices', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'CASCADE' }),
      deviceId: fk(Sequelize, 'devices', { onDelete: 'RESTRICT' }),
      // Copied from devices.serialNumber when linked (the original schema's column).
      deviceSerial: { type: Sequelize.STRING(100), allowNull: false },
      deviceType: { type: Sequelize.STRING(50), allowNull: true },
      status: enumOf(Sequelize, ['active', 'inactive', 'faulty'], { defaultValue: 'active' }),
      installationDate: { type: Sequelize.DATEONLY, allowNull: true },
      warrantyExpiry: { type: Sequelize.DATEONLY, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('accountDevices', ['accountId', 'deviceId'], { unique: true, name: 'accountDevices_account_device' });
    await queryInterface.addIndex('accountDevices', ['deviceId', 'status'], { name: 'accountDevices_device_status' });

    await queryInterface.createTable('installmentSchedules', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      // 0 is the down payment.
      installmentNumber: { type: Sequelize.INTEGER, allowNull: false },
      dueDate: { type: Sequelize.DATEONLY, allowNull: false },
      amount: money(Sequelize),
      paidAmount: money(Sequelize, { defaultValue: '0.00' }),
      status: enumOf(Sequelize, INSTALLMENT_STATUSES, { defaultValue: 'pending' }),
      paidDate: { type: Sequelize.DATEONLY, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('installmentSchedules', ['accountId', 'installmentNumber'], {
      unique: true,
      name: 'installmentSchedules_account_number',
    });
    await queryInterface.addIndex('installmentSchedules', ['status', 'dueDate'], { name: 'installmentSchedules_status_due' });

    await queryInterface.createTable('accountStatusHistories', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      previousStatus: { type: Sequelize.STRING(50), allowNull: true },
      newStatus: { type: Sequelize.STRING(50), allowNull: false },
      reason: { type: Sequelize.TEXT, allowNull: true },
      // Null when the system (e.g. the nightly job) made the change.
      changedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      changedAt: { type: Sequelize.DATE, allowNull: false },
      businessDate: { type: Sequelize.DATEONLY, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('accountStatusHistories', ['accountId', 'changedAt'], { name: 'accountStatusHistories_account_changed' });

    await queryInterface.createTable('accountCharges', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      chargeType: enumOf(Sequelize, ['fee', 'penalty']),
      description: { type: Sequelize.STRING(255), allowNull: false },
      amount: money(Sequelize),
      paidAmount: money(Sequelize, { defaultValue: '0.00' }),
      status: enumOf(Sequelize, ['pending', 'partial', 'paid', 'waived'], { defaultValue: 'pending' }),
      dueDate: { type: Sequelize.DATEONLY, allowNull: false },
      businessDate: { type: Sequelize.DATEONLY, allowNull: true },
      createdBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('accountCharges', ['accountId', 'status'], { name: 'accountCharges_account_status' });

    await queryInterface.createTable('accountNotes', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'CASCADE' }),
      note: { type: Sequelize.TEXT, allowNull: false },
      createdBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('accountNotes', ['accountId', 'createdAt'], { name: 'accountNotes_account_created' });

    await queryInterface.createTable('accountTransfers', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      fromCustomerId: fk(Sequelize, 'customers', { onDelete: 'RESTRICT' }),
      toCustomerId: fk(Sequelize, 'customers', { onDelete: 'RESTRICT' }),
      reason: { type: Sequelize.TEXT, allowNull: true },
      status: enumOf(Sequelize, ['pending', 'approved', 'rejected'], { defaultValue: 'pending' }),
      requestedBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      approvedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      transferredAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('accountTransfers', ['accountId'], { name: 'accountTransfers_account' });

    await queryInterface.createTable('accountUpgrades', {
      id: id(Sequelize),
      fromAccountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      toAccountId: fk(Sequelize, 'accounts', { allowNull: true, onDelete: 'RESTRICT' }),
      fromProductId: fk(Sequelize, 'products', { onDelete: 'RESTRICT' }),
      toProductId: fk(Sequelize, 'products', { onDelete: 'RESTRICT' }),
      // What the old account contributes towards the new one.
      creditAmount: money(Sequelize),
      status: enumOf(Sequelize, ['pending', 'completed', 'cancelled'], { defaultValue: 'pending' }),
      requestedBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      completedAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('accountUpgrades', ['fromAccountId'], { name: 'accountUpgrades_from_account' });

    await queryInterface.createTable('repossessions', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      deviceId: fk(Sequelize, 'devices', { allowNull: true, onDelete: 'RESTRICT' }),
      reason: { type: Sequelize.TEXT, allowNull: true },
      status: enumOf(Sequelize, ['scheduled', 'completed', 'cancelled'], { defaultValue: 'scheduled' }),
      scheduledFor: { type: Sequelize.DATEONLY, allowNull: false },
      repossessedAt: { type: Sequelize.DATE, allowNull: true },
      performedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      // Where the recovered device was taken.
      warehouseId: fk(Sequelize, 'warehouses', { allowNull: true, onDelete: 'RESTRICT' }),
      // Free text, e.g. good, damaged, missing_parts.
      condition: { type: Sequelize.STRING(50), allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('repossessions', ['accountId'], { name: 'repossessions_account' });
    await queryInterface.addIndex('repossessions', ['status', 'scheduledFor'], { name: 'repossessions_status_scheduled' });

    await queryInterface.createTable('creditDayEntries', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      deviceId: fk(Sequelize, 'devices', { allowNull: true, onDelete: 'RESTRICT' }),
      // Signed: positive days bought or granted, negative days removed or reversed.
      days: { type: Sequelize.INTEGER, allowNull: false },
      reason: enumOf(Sequelize, ['payment', 'grant', 'reversal', 'removal', 'manual']),
      // FK to payments added by the payments migration.
      paymentId: { type: Sequelize.INTEGER, allowNull: true },
      note: { type: Sequelize.TEXT, allowNull: true },
      createdBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      // The account's credit expiry after this entry.
      creditExpiresAt: { type: Sequelize.DATE, allowNull: false },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('creditDayEntries', ['accountId', 'createdAt'], { name: 'creditDayEntries_account_created' });
    await queryInterface.addIndex('creditDayEntries', ['paymentId'], { name: 'creditDayEntries_payment' });

    // deviceTokens (20261124000020) was created before accounts existed.
    await keepingSqliteIndexes(queryInterface, 'deviceTokens', () =>
      queryInterface.addConstraint('deviceTokens', {
        type: 'foreign key',
        fields: ['accountId'],
        name: 'deviceTokens_accountId_fk',
        references: { table: 'accounts', field: 'id' },
        onDelete: 'RESTRICT',
        onUpdate: 'CASCADE',
      }),
    );
  },

  async down(queryInterface) {
    await keepingSqliteIndexes(queryInterface, 'deviceTokens', () => queryInterface.removeConstraint('deviceTokens', 'deviceTokens_accountId_fk'));
    await queryInterface.dropTable('creditDayEntries');
    await queryInterface.dropTable('repossessions');
    await queryInterface.dropTable('accountUpgrades');
    await queryInterface.dropTable('accountTransfers');
    await queryInterface.dropTable('accountNotes');
    await queryInterface.dropTable('accountCharges');
    await queryInterface.dropTable('accountStatusHistories');
    await queryInterface.dropTable('installmentSchedules');
    await queryInterface.dropTable('accountDevices');
    await queryInterface.dropTable('accounts');
  },
};
