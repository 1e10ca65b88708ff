// @ts-check
'use strict';
const { id, enumOf } = require('./lib/columns');
const { dialectOf } = require('./lib/guards');

const ENTITY_TYPES = ['customer', 'account', 'payment', 'token', 'collectionCase', 'repossession'];
const OPS = ['upsert', 'delete'];

/** Customer records: a change to one is a change of the customer (the feed sends the customer with them). */
const CUSTOMER_RECORDS = ['customerAddresses', 'customerContacts', 'nextOfKins', 'customerConsents', 'customerNotes', 'customerDocuments'];

/** Account columns whose change the agent's phone must hear of (not lastNightlyBusinessDate, stamped every night). */
const ACCOUNT_COLUMNS = [
  'accountNumber',
  'customerId',
  'productId',
  'payplanId',
  'regionId',
  'agentId',
  'status',
  'activationDate',
  'expiryDate',
  'totalPrice',
  'downPaymentAmount',
  'financedAmount',
  'balance',
  'creditBalance',
  'daysPastDue',
  'parBucket',
  'creditExpiresAt',
  'closedAt',
];

/**
 * @typedef {{ entityType: string, entityId: string, regionId: string, op: string, when?: string }} LogRow
 * @typedef {{ name: string, table: string, timing: 'AFTER INSERT'|'AFTER UPDATE'|'AFTER DELETE', rows: LogRow[] }} ChangeTrigger
 */

/**
 * The agents' change feed (issue 14, docs/offline-sync.md): one append-only changeLog row per
 * change of what a field agent's phone keeps (customers and their records, accounts with their
 * schedule and balance, payments, tokens, collection cases, repossessions), with the region it
 * belongs to, written by triggers in the SAME transaction as the change. Triggers rather than a
 * call in each writer: the payment path (issue 17 cuts its round trips) gains no statement, the
 * nightly close's set-based UPDATEs are covered row by row, and no writer can forget it.
 * A move to another region writes a 'delete' for the old region; a retired (soft-deleted)
 * customer a 'delete'. MySQL/MariaDB and SQLite (the demo) alike.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    const mysql = dialectOf(queryInterface) === 'mysql';
    await queryInterface.createTable('changeLog', {
      id: id(Sequelize),
      entityType: enumOf(Sequelize, ENTITY_TYPES),
      entityId: { type: Sequelize.INTEGER, allowNull: false },
      // No foreign keys: a log row outlives what it names (a deleted row, a region moved away from).
      regionId: { type: Sequelize.INTEGER, allowNull: true },
      op: enumOf(Sequelize, OPS),
      changedAt: { type: Sequelize.DATE(3), allowNull: false },
    });
    await queryInterface.addIndex('changeLog', ['regionId', 'id'], { name: 'changeLog_region_position' });
    await queryInterface.addIndex('changeLog', ['changedAt'], { name: 'changeLog_changedAt' });
    for (const trigger of triggers(mysql)) await createChangeTrigger(queryInterface, mysql, trigger);
  },

  async down(queryInterface) {
    const mysql = dialectOf(queryInterface) === 'mysql';
    for (const { name } of triggers(mysql)) {
      await queryInterface.sequelize.query(mysql ? `DROP TRIGGER IF EXISTS \`${name}\`` : `DROP TRIGGER IF EXISTS "${name}"`);
    }
    await queryInterface.dropTable('changeLog');
  },
};

/** @param {boolean} mysql @returns {ChangeTrigger[]} */
function triggers(mysql) {
  /** NULL-safe "differs" of a column between OLD and NEW. @param {string} c */
  const differs = (c) => (mysql ? `NOT (NEW.${c} <=> OLD.${c})` : `NEW.${c} IS NOT OLD.${c}`);
  const regionOfAccount = (/** @type {string} */ ref) => `(SELECT a.regionId FROM accounts a WHERE a.id = ${ref})`;
  const regionOfCustomer = (/** @type {string} */ ref) => `(SELECT c.regionId FROM customers c WHERE c.id = ${ref})`;
  const upsert = `'upsert'`;
  /** @type {ChangeTrigger[]} */
  const out = [];

  // Customers: created, changed, retired (deletedAt) or moved to another region.
  const customerOp = `CASE WHEN NEW.deletedAt IS NULL THEN 'upsert' ELSE 'delete' END`;
  out.push({
    name: 'changeLog_customers_insert',
    table: 'customers',
    timing: 'AFTER INSERT',
    rows: [{ entityType: 'customer', entityId: 'NEW.id', regionId: 'NEW.regionId', op: customerOp }],
  });
  out.push({
    name: 'changeLog_customers_update',
    table: 'customers',
    timing: 'AFTER UPDATE',
    rows: [
      { entityType: 'customer', entityId: 'NEW.id', regionId: 'NEW.regionId', op: customerOp },
      { entityType: 'customer', entityId: 'NEW.id', regionId: 'OLD.regionId', op: `'delete'`, when: differs('regionId') },
    ],
  });
  out.push({
    name: 'changeLog_customers_delete',
    table: 'customers',
    timing: 'AFTER DELETE',
    rows: [{ entityType: 'customer', entityId: 'OLD.id', regionId: 'OLD.regionId', op: `'delete'` }],
  });
  for (const table of CUSTOMER_RECORDS) {
    for (const [timing, ref] of /** @type {const} */ ([
      ['AFTER INSERT', 'NEW'],
      ['AFTER UPDATE', 'NEW'],
      ['AFTER DELETE', 'OLD'],
    ])) {
      out.push({
        name: `changeLog_${table}_${timing.slice(6).toLowerCase()}`,
        table,
        timing,
        rows: [{ entityType: 'customer', entityId: `${ref}.customerId`, regionId: regionOfCustomer(`${ref}.customerId`), op: upsert }],
      });
    }
  }

  // Accounts: opened, their state changed (status, balance, DPD...), or moved to another region.
  out.push({
    name: 'changeLog_accounts_insert',
    table: 'accounts',
    timing: 'AFTER INSERT',
    rows: [{ entityType: 'account', entityId: 'NEW.id', regionId: 'NEW.regionId', op: upsert }],
  });
  out.push({
    name: 'changeLog_accounts_update',
    table: 'accounts',
    timing: 'AFTER UPDATE',
    rows: [
      { entityType: 'account', entityId: 'NEW.id', regionId: 'NEW.regionId', op: upsert, when: ACCOUNT_COLUMNS.map(differs).join(' OR ') },
      { entityType: 'account', entityId: 'NEW.id', regionId: 'OLD.regionId', op: `'delete'`, when: differs('regionId') },
    ],
  });
  // Its schedule: instalments added or removed (a restructure), or their due date or amount changed.
  // What a payment or the nightly close changes in them (paidAmount, status) changes the account's balance or DPD too.
  for (const [timing, ref] of /** @type {const} */ ([
    ['AFTER INSERT', 'NEW'],
    ['AFTER DELETE', 'OLD'],
  ])) {
    out.push({
      name: `changeLog_installmentSchedules_${timing.slice(6).toLowerCase()}`,
      table: 'installmentSchedules',
      timing,
      rows: [{ entityType: 'account', entityId: `${ref}.accountId`, regionId: regionOfAccount(`${ref}.accountId`), op: upsert }],
    });
  }
  out.push({
    name: 'changeLog_installmentSchedules_update',
    table: 'installmentSchedules',
    timing: 'AFTER UPDATE',
    rows: [
      {
        entityType: 'account',
        entityId: 'NEW.accountId',
        regionId: regionOfAccount('NEW.accountId'),
        op: upsert,
        when: ['dueDate', 'amount', 'installmentNumber'].map(differs).join(' OR '),
      },
    ],
  });

  // Payments: posted, then reversed or otherwise changed in status.
  out.push({
    name: 'changeLog_payments_insert',
    table: 'payments',
    timing: 'AFTER INSERT',
    rows: [{ entityType: 'payment', entityId: 'NEW.id', regionId: 'NEW.regionId', op: upsert }],
  });
  out.push({
    name: 'changeLog_payments_update',
    table: 'payments',
    timing: 'AFTER UPDATE',
    rows: [
      {
        entityType: 'payment',
        entityId: 'NEW.id',
        regionId: 'NEW.regionId',
        op: upsert,
        when: ['status', 'receiptNumber', 'completedAt'].map(differs).join(' OR '),
      },
    ],
  });

  // Tokens of an account (a device's tokens with no account are not an agent's).
  out.push({
    name: 'changeLog_deviceTokens_insert',
    table: 'deviceTokens',
    timing: 'AFTER INSERT',
    rows: [{ entityType: 'token', entityId: 'NEW.id', regionId: regionOfAccount('NEW.accountId'), op: upsert, when: 'NEW.accountId IS NOT NULL' }],
  });

  // Tasks: collection cases and repossessions (the feed hands them to the agent they are assigned to).
  for (const [table, entityType] of [
    ['collectionCases', 'collectionCase'],
    ['repossessions', 'repossession'],
  ]) {
    for (const timing of /** @type {const} */ (['AFTER INSERT', 'AFTER UPDATE'])) {
      out.push({
        name: `changeLog_${table}_${timing.slice(6).toLowerCase()}`,
        table,
        timing,
        rows: [{ entityType, entityId: 'NEW.id', regionId: regionOfAccount('NEW.accountId'), op: upsert }],
      });
    }
  }
  return out;
}

/**
 * One trigger: a single INSERT ... SELECT of its rows (each under its own condition), which both
 * dialects read. @param {import('sequelize').QueryInterface} qi @param {boolean} mysql @param {ChangeTrigger} t
 */
async function createChangeTrigger(qi, mysql, { name, table, timing, rows }) {
  const now = mysql ? 'NOW(3)' : `strftime('%Y-%m-%d %H:%M:%f +00:00', 'now')`;
  const from = mysql ? ' FROM DUAL' : '';
  const selects = rows.map((r) => `SELECT '${r.entityType}', ${r.entityId}, ${r.regionId}, ${r.op}, ${now}${from}${r.when ? ` WHERE ${r.when}` : ''}`);
  const insert = `INSERT INTO changeLog (entityType, entityId, regionId, op, changedAt) ${selects.join(' UNION ALL ')}`;
  if (mysql) await qi.sequelize.query(`CREATE TRIGGER \`${name}\` ${timing} ON \`${table}\` FOR EACH ROW ${insert}`);
  else await qi.sequelize.query(`CREATE TRIGGER "${name}" ${timing} ON "${table}" FOR EACH ROW BEGIN ${insert}; END`);
}
