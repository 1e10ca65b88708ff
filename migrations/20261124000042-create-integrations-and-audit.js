// @ts-check
// Integrations (NetSuite and Salesforce id maps as in the original schema document, the
// transactional outbox, webhook subscriptions and deliveries), jobs (every nightly run, bulk CSV
// imports), daily portfolio snapshots, and the append-only audit log.
//
// Depends on employees, countries, companyRegions (20261124000001).
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');

const NETSUITE_SYNC_STATUSES = ['pending', 'success', 'failed'];
const OUTBOX_TARGETS = ['netsuite', 'salesforce', 'webhook'];
const OUTBOX_STATUSES = ['pending', 'processing', 'done', 'failed'];
const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'];
const JOB_RUN_STATUSES = ['running', 'succeeded', 'failed'];
const DATA_IMPORT_STATUSES = ['uploaded', 'processing', 'completed', 'failed'];

const APPEND_ONLY_TRIGGERS = [
  { name: 'systemLogs_no_update', event: 'UPDATE' },
  { name: 'systemLogs_no_delete', event: 'DELETE' },
];

/** @param {import('sequelize').QueryInterface} queryInterface */
const isMysql = (queryInterface) => ['mysql', 'mariadb'].includes(queryInterface.sequelize.getDialect());

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    // --- NetSuite and Salesforce (original schema document columns) ----------------------------
    await queryInterface.createTable('netsuiteSync', {
      id: id(Sequelize),
      entityType: { type: Sequelize.STRING(50), allowNull: false },
      entityId: { type: Sequelize.INTEGER, allowNull: false },
      netsuiteId: { type: Sequelize.STRING(100), allowNull: true },
      lastSyncDate: { type: Sequelize.DATE, allowNull: true },
      syncStatus: enumOf(Sequelize, NETSUITE_SYNC_STATUSES, { defaultValue: 'pending' }),
      errorMessage: { type: Sequelize.TEXT, allowNull: true },
      attempts: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      nextAttemptAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('netsuiteSync', ['entityType', 'entityId'], { unique: true, name: 'netsuiteSync_entity' });
    await queryInterface.addIndex('netsuiteSync', ['syncStatus', 'nextAttemptAt'], { name: 'netsuiteSync_status_next_attempt' });

    await queryInterface.createTable('salesforceMapping', {
      id: id(Sequelize),
      localEntity: { type: Sequelize.STRING(50), allowNull: false },
      localId: { type: Sequelize.INTEGER, allowNull: false },
      // NULL until the record has been created in Salesforce.
      salesforceId: { type: Sequelize.STRING(100), allowNull: true },
      salesforceObject: { type: Sequelize.STRING(50), allowNull: false },
      lastSync: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('salesforceMapping', ['localEntity', 'localId'], { unique: true, name: 'salesforceMapping_local' });
    await queryInterface.addIndex('salesforceMapping', ['salesforceObject', 'salesforceId'], {
      unique: true,
      name: 'salesforceMapping_remote',
    });

    // --- transactional outbox and webhooks ------------------------------------------------------
    await queryInterface.createTable('syncOutbox', {
      id: id(Sequelize),
      // e.g. account, payment, customer
      aggregateType: { type: Sequelize.STRING(50), allowNull: false },
      aggregateId: { type: Sequelize.INTEGER, allowNull: false },
      // e.g. payment.completed
      eventType: { type: Sequelize.STRING(100), allowNull: false },
      payload: { type: Sequelize.JSON, allowNull: false },
      target: enumOf(Sequelize, OUTBOX_TARGETS),
      status: enumOf(Sequelize, OUTBOX_STATUSES, { defaultValue: 'pending' }),
      attempts: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      // Not picked up before this instant (back-off after a failure).
      availableAt: { type: Sequelize.DATE, allowNull: false },
      lastError: { type: Sequelize.TEXT, allowNull: true },
      processedAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('syncOutbox', ['status', 'availableAt'], { name: 'syncOutbox_status_available' });
    await queryInterface.addIndex('syncOutbox', ['aggregateType', 'aggregateId'], { name: 'syncOutbox_aggregate' });

    await queryInterface.createTable('webhookSubscriptions', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(255), allowNull: false },
      url: { type: Sequelize.STRING(2048), allowNull: false },
      // Signing secret, encrypted (ciphertext): it must be readable to sign each delivery.
      secret: { type: Sequelize.STRING(512), allowNull: false },
      // Event types delivered, e.g. ["payment.completed","account.status_changed"].
      events: { type: Sequelize.JSON, allowNull: false },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });

    await queryInterface.createTable('webhookDeliveries', {
      id: id(Sequelize),
      webhookSubscriptionId: fk(Sequelize, 'webhookSubscriptions', { onDelete: 'CASCADE' }),
      syncOutboxId: fk(Sequelize, 'syncOutbox', { allowNull: true, onDelete: 'SET NULL' }),
      eventType: { type: Sequelize.STRING(100), allowNull: false },
      payload: { type: Sequelize.JSON, allowNull: false },
      status: enumOf(Sequelize, WEBHOOK_DELIVERY_STATUSES, { defaultValue: 'pending' }),
      responseStatus: { type: Sequelize.INTEGER, allowNull: true },
      attempts: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      lastError: { type: Sequelize.TEXT, allowNull: true },
      nextAttemptAt: { type: Sequelize.DATE, allowNull: true },
      deliveredAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    // One delivery per subscription and outbox event: a re-run of the fan-out never duplicates.
    await queryInterface.addIndex('webhookDeliveries', ['webhookSubscriptionId', 'syncOutboxId'], {
      unique: true,
      name: 'webhookDeliveries_subscription_outbox',
    });
    await queryInterface.addIndex('webhookDeliveries', ['status', 'nextAttemptAt'], { name: 'webhookDeliveries_status_next_attempt' });

    // --- jobs and imports -----------------------------------------------------------------------
    await queryInterface.createTable('jobRuns', {
      id: id(Sequelize),
      jobName: { type: Sequelize.STRING(100), allowNull: false },
      countryId: fk(Sequelize, 'countries', { allowNull: true, onDelete: 'RESTRICT' }),
      businessDate: { type: Sequelize.DATEONLY, allowNull: true },
      // A slice of the work (e.g. a region or an id range). PARTITION is a reserved word in MySQL:
      // quote it in raw SQL.
      partition: { type: Sequelize.STRING(50), allowNull: true },
      status: enumOf(Sequelize, JOB_RUN_STATUSES, { defaultValue: 'running' }),
      startedAt: { type: Sequelize.DATE, allowNull: false },
      finishedAt: { type: Sequelize.DATE, allowNull: true },
      // e.g. {"accounts":1200,"suspended":14}
      counts: { type: Sequelize.JSON, allowNull: true },
      // e.g. [{"accountId":12,"message":"..."}]
      errors: { type: Sequelize.JSON, allowNull: true },
      attempt: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 1 },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('jobRuns', ['jobName', 'businessDate'], { name: 'jobRuns_job_business_date' });
    await queryInterface.addIndex('jobRuns', ['status', 'startedAt'], { name: 'jobRuns_status_started' });

    await queryInterface.createTable('dataImports', {
      id: id(Sequelize),
      // e.g. customers, devices, payments
      importType: { type: Sequelize.STRING(50), allowNull: false },
      fileName: { type: Sequelize.STRING(255), allowNull: false },
      // Where the uploaded file is kept, and its SHA-256 (the same file twice is noticed).
      storageKey: { type: Sequelize.STRING(255), allowNull: true },
      checksum: { type: Sequelize.CHAR(64), allowNull: true },
      status: enumOf(Sequelize, DATA_IMPORT_STATUSES, { defaultValue: 'uploaded' }),
      totalRows: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      processedRows: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      failedRows: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      // e.g. [{"row":7,"field":"phone","message":"invalid"}]
      rowErrors: { type: Sequelize.JSON, allowNull: true },
      uploadedBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      startedAt: { type: Sequelize.DATE, allowNull: true },
      finishedAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('dataImports', ['importType', 'status'], { name: 'dataImports_type_status' });

    // --- reporting ------------------------------------------------------------------------------
    await queryInterface.createTable('reportSnapshots', {
      id: id(Sequelize),
      snapshotDate: { type: Sequelize.DATEONLY, allowNull: false },
      // NULL region = a country (or company) total.
      regionId: fk(Sequelize, 'companyRegions', { allowNull: true, onDelete: 'RESTRICT' }),
      countryId: fk(Sequelize, 'countries', { allowNull: true, onDelete: 'RESTRICT' }),
      metrics: { type: Sequelize.JSON, allowNull: true },
      accountsByStatus: { type: Sequelize.JSON, allowNull: true },
      outstandingBalance: money(Sequelize, { defaultValue: '0.00' }),
      // Ratios 0..1 (0.1250 = 12.5 %).
      par1: { type: Sequelize.DECIMAL(7, 4), allowNull: false, defaultValue: '0.0000' },
      par30: { type: Sequelize.DECIMAL(7, 4), allowNull: false, defaultValue: '0.0000' },
      par60: { type: Sequelize.DECIMAL(7, 4), allowNull: false, defaultValue: '0.0000' },
      par90: { type: Sequelize.DECIMAL(7, 4), allowNull: false, defaultValue: '0.0000' },
      // NULL when nothing fell due.
      collectionRate: { type: Sequelize.DECIMAL(7, 4), allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('reportSnapshots', ['snapshotDate', 'regionId'], {
      unique: true,
      name: 'reportSnapshots_date_region',
    });

    // --- audit (original schema document columns, append-only) ---------------------------------
    await queryInterface.createTable('systemLogs', {
      id: id(Sequelize),
      // The employee who acted; NULL for the system (jobs, gateways).
      userId: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      action: { type: Sequelize.STRING(255), allowNull: false },
      entity: { type: Sequelize.STRING(100), allowNull: false },
      entityId: { type: Sequelize.INTEGER, allowNull: true },
      oldValues: { type: Sequelize.JSON, allowNull: true },
      newValues: { type: Sequelize.JSON, allowNull: true },
      ipAddress: { type: Sequelize.STRING(45), allowNull: true },
      userAgent: { type: Sequelize.TEXT, allowNull: true },
      requestId: { type: Sequelize.STRING(64), allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('systemLogs', ['entity', 'entityId'], { name: 'systemLogs_entity' });
    await queryInterface.addIndex('systemLogs', ['userId', 'createdAt'], { name: 'systemLogs_user_created' });
    if (isMysql(queryInterface)) {
      for (const t of APPEND_ONLY_TRIGGERS) {
        await queryInterface.sequelize.query(
          `CREATE TRIGGER \`${t.name}\` BEFORE ${t.event} ON \`systemLogs\` FOR EACH ROW ` +
            `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'systemLogs is append-only'`,
        );
      }
    }
  },

  async down(queryInterface) {
    if (isMysql(queryInterface)) {
      for (const t of [...APPEND_ONLY_TRIGGERS].reverse()) {
        await queryInterface.sequelize.query(`DROP TRIGGER IF EXISTS \`${t.name}\``);
      }
    }
    await queryInterface.dropTable('systemLogs');
    await queryInterface.dropTable('reportSnapshots');
    await queryInterface.dropTable('dataImports');
    await queryInterface.dropTable('jobRuns');
    await queryInterface.dropTable('webhookDeliveries');
    await queryInterface.dropTable('webhookSubscriptions');
    await queryInterface.dropTable('syncOutbox');
    await queryInterface.dropTable('salesforceMapping');
    await queryInterface.dropTable('netsuiteSync');
  },
};
