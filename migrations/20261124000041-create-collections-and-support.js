// @ts-check
// Collections (cases, calls and visits, promises to pay), communication (notification templates
// per language and channel, the SMS/e-mail outbox with delivery status) and after-sales (support
// tickets and their comments, warranty claims, field visits).
//
// Depends on employees (20261124000001), customers, accounts, devices and warrantyPolicies
// (earlier migrations of this series).
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');

const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const COLLECTION_CASE_STATUSES = ['open', 'in_progress', 'promise', 'resolved', 'closed'];
const COLLECTION_ACTIVITY_TYPES = ['call', 'sms', 'visit', 'note'];
const PROMISE_STATUSES = ['open', 'kept', 'broken', 'cancelled'];
const NOTIFICATION_CHANNELS = ['sms', 'email'];
const NOTIFICATION_STATUSES = ['pending', 'sending', 'sent', 'delivered', 'failed'];
const TICKET_STATUSES = ['open', 'pending', 'resolved', 'closed'];
const WARRANTY_CLAIM_STATUSES = ['submitted', 'approved', 'rejected', 'repaired', 'replaced'];
const FIELD_VISIT_PURPOSES = ['installation', 'collection', 'repair', 'repossession', 'kyc'];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    // --- collections ----------------------------------------------------------------------------
    await queryInterface.createTable('collectionCases', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      assignedTo: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'SET NULL' }),
      status: enumOf(Sequelize, COLLECTION_CASE_STATUSES, { defaultValue: 'open' }),
      priority: enumOf(Sequelize, PRIORITIES, { defaultValue: 'normal' }),
      openedOn: { type: Sequelize.DATEONLY, allowNull: false },
      closedOn: { type: Sequelize.DATEONLY, allowNull: true },
      daysPastDueAtOpen: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      resolution: { type: Sequelize.TEXT, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('collectionCases', ['accountId', 'status'], { name: 'collectionCases_account_status' });
    await queryInterface.addIndex('collectionCases', ['status', 'assignedTo'], { name: 'collectionCases_status_assignee' });

    await queryInterface.createTable('collectionActivities', {
      id: id(Sequelize),
      collectionCaseId: fk(Sequelize, 'collectionCases', { onDelete: 'CASCADE' }),
      activityType: enumOf(Sequelize, COLLECTION_ACTIVITY_TYPES),
      // Free code, e.g. reached, no_answer, wrong_number, promised, refused, paid.
      outcome: { type: Sequelize.STRING(50), allowNull: true },
      notes: { type: Sequelize.TEXT, allowNull: true },
      performedBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      performedAt: { type: Sequelize.DATE, allowNull: false },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('collectionActivities', ['collectionCaseId', 'performedAt'], {
      name: 'collectionActivities_case_performed',
    });

    await queryInterface.createTable('promisesToPay', {
      id: id(Sequelize),
      collectionCaseId: fk(Sequelize, 'collectionCases', { allowNull: true, onDelete: 'SET NULL' }),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      promisedAmount: money(Sequelize),
      promisedDate: { type: Sequelize.DATEONLY, allowNull: false },
      status: enumOf(Sequelize, PROMISE_STATUSES, { defaultValue: 'open' }),
      // When the promise was judged kept or broken, or cancelled.
      resolvedOn: { type: Sequelize.DATEONLY, allowNull: true },
      createdBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('promisesToPay', ['status', 'promisedDate'], { name: 'promisesToPay_status_date' });

    // --- communication --------------------------------------------------------------------------
    await queryInterface.createTable('notificationTemplates', {
      id: id(Sequelize),
      // e.g. payment_received, reminder_due
      code: { type: Sequelize.STRING(100), allowNull: false },
      // e.g. en, sw, fr (customers.preferredLanguage)
      language: { type: Sequelize.STRING(10), allowNull: false },
      channel: enumOf(Sequelize, NOTIFICATION_CHANNELS),
      subject: { type: Sequelize.STRING(255), allowNull: true },
      // Text with {{placeholders}}.
      body: { type: Sequelize.TEXT, allowNull: false },
      description: { type: Sequelize.STRING(255), allowNull: true },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('notificationTemplates', ['code', 'language', 'channel'], {
      unique: true,
      name: 'notificationTemplates_code_language_channel',
    });

    await queryInterface.createTable('notifications', {
      id: id(Sequelize),
      customerId: fk(Sequelize, 'customers', { allowNull: true, onDelete: 'SET NULL' }),
      employeeId: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'SET NULL' }),
      accountId: fk(Sequelize, 'accounts', { allowNull: true, onDelete: 'SET NULL' }),
      channel: enumOf(Sequelize, NOTIFICATION_CHANNELS),
      // Phone number (E.164) or e-mail address.
      recipient: { type: Sequelize.STRING(255), allowNull: false },
      templateCode: { type: Sequelize.STRING(100), allowNull: true },
      subject: { type: Sequelize.STRING(255), allowNull: true },
      body: { type: Sequelize.TEXT, allowNull: false },
      status: enumOf(Sequelize, NOTIFICATION_STATUSES, { defaultValue: 'pending' }),
      provider: { type: Sequelize.STRING(50), allowNull: true },
      providerMessageId: { type: Sequelize.STRING(191), allowNull: true },
      attempts: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      lastError: { type: Sequelize.TEXT, allowNull: true },
      // Not sent before this instant (quiet hours, retries with back-off).
      sendAfter: { type: Sequelize.DATE, allowNull: false },
      sentAt: { type: Sequelize.DATE, allowNull: true },
      deliveredAt: { type: Sequelize.DATE, allowNull: true },
      // e.g. reminder:<accountId>:<date>: a nightly re-run never sends twice.
      dedupeKey: { type: Sequelize.STRING(191), allowNull: true, unique: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('notifications', ['status', 'sendAfter'], { name: 'notifications_status_send_after' });
    await queryInterface.addIndex('notifications', ['provider', 'providerMessageId'], { name: 'notifications_provider_message' });

    // --- after-sales ----------------------------------------------------------------------------
    await queryInterface.createTable('supportTickets', {
      id: id(Sequelize),
      ticketNumber: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      customerId: fk(Sequelize, 'customers', { onDelete: 'RESTRICT' }),
      accountId: fk(Sequelize, 'accounts', { allowNull: true, onDelete: 'SET NULL' }),
      deviceId: fk(Sequelize, 'devices', { allowNull: true, onDelete: 'SET NULL' }),
      // Free code, e.g. device_fault, token, payment, account, complaint, other.
      category: { type: Sequelize.STRING(50), allowNull: false },
      subject: { type: Sequelize.STRING(255), allowNull: false },
      description: { type: Sequelize.TEXT, allowNull: true },
      status: enumOf(Sequelize, TICKET_STATUSES, { defaultValue: 'open' }),
      priority: enumOf(Sequelize, PRIORITIES, { defaultValue: 'normal' }),
      assignedTo: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'SET NULL' }),
      openedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'SET NULL' }),
      resolvedAt: { type: Sequelize.DATE, allowNull: true },
      closedAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('supportTickets', ['status', 'priority'], { name: 'supportTickets_status_priority' });
    await queryInterface.addIndex('supportTickets', ['assignedTo', 'status'], { name: 'supportTickets_assignee_status' });

    await queryInterface.createTable('ticketComments', {
      id: id(Sequelize),
      supportTicketId: fk(Sequelize, 'supportTickets', { onDelete: 'CASCADE' }),
      authorId: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'SET NULL' }),
      body: { type: Sequelize.TEXT, allowNull: false },
      // Internal notes are never shown to the customer.
      isInternal: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: false },
      ...timestamps(Sequelize),
    });

    await queryInterface.createTable('warrantyClaims', {
      id: id(Sequelize),
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      deviceId: fk(Sequelize, 'devices', { onDelete: 'RESTRICT' }),
      warrantyPolicyId: fk(Sequelize, 'warrantyPolicies', { allowNull: true, onDelete: 'SET NULL' }),
      supportTicketId: fk(Sequelize, 'supportTickets', { allowNull: true, onDelete: 'SET NULL' }),
      issue: { type: Sequelize.TEXT, allowNull: false },
      status: enumOf(Sequelize, WARRANTY_CLAIM_STATUSES, { defaultValue: 'submitted' }),
      submittedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'SET NULL' }),
      decidedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      decidedAt: { type: Sequelize.DATE, allowNull: true },
      resolution: { type: Sequelize.TEXT, allowNull: true },
      // The unit handed over when the claim ends in 'replaced'.
      replacementDeviceId: fk(Sequelize, 'devices', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('warrantyClaims', ['status'], { name: 'warrantyClaims_status' });

    await queryInterface.createTable('fieldVisits', {
      id: id(Sequelize),
      employeeId: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      customerId: fk(Sequelize, 'customers', { allowNull: true, onDelete: 'SET NULL' }),
      accountId: fk(Sequelize, 'accounts', { allowNull: true, onDelete: 'SET NULL' }),
      collectionCaseId: fk(Sequelize, 'collectionCases', { allowNull: true, onDelete: 'SET NULL' }),
      purpose: enumOf(Sequelize, FIELD_VISIT_PURPOSES),
      // The day the visit is planned for.
      scheduledFor: { type: Sequelize.DATEONLY, allowNull: false },
      visitedAt: { type: Sequelize.DATE, allowNull: true },
      latitude: { type: Sequelize.DECIMAL(10, 7), allowNull: true },
      longitude: { type: Sequelize.DECIMAL(10, 7), allowNull: true },
      outcome: { type: Sequelize.STRING(50), allowNull: true },
      notes: { type: Sequelize.TEXT, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('fieldVisits', ['employeeId', 'scheduledFor'], { name: 'fieldVisits_employee_scheduled' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('fieldVisits');
    await queryInterface.dropTable('warrantyClaims');
    await queryInterface.dropTable('ticketComments');
    await queryInterface.dropTable('supportTickets');
    await queryInterface.dropTable('notifications');
    await queryInterface.dropTable('notificationTemplates');
    await queryInterface.dropTable('promisesToPay');
    await queryInterface.dropTable('collectionActivities');
    await queryInterface.dropTable('collectionCases');
  },
};
