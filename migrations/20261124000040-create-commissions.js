// @ts-check
// The sales force: commission plans and their rules (per product, region and earning event, with
// staged payouts and a clawback window), one commission entry per earning event and stage,
// monthly commission payments per employee (pending -> approved -> paid), clawbacks of commission
// earned on accounts that default early, and sales targets.
//
// Depends on employees, companyRegions (20261124000001), products, accounts and journalEntries
// (earlier migrations of this series).
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');

const COMMISSION_EVENTS = ['sale', 'down_payment', 'collection'];
const COMMISSION_CALCULATIONS = ['fixed', 'percentage'];
const COMMISSION_ENTRY_STATUSES = ['accrued', 'payable', 'included', 'clawed_back', 'cancelled'];
const COMMISSION_PAYMENT_STATUSES = ['pending', 'approved', 'paid', 'rejected'];

// Four eyes: nobody approves their own commission, nor one they requested.
const FOUR_EYES_TRIGGERS = [
  { name: 'commissionPayments_four_eyes_insert', event: 'INSERT' },
  { name: 'commissionPayments_four_eyes_update', event: 'UPDATE' },
];

/** @param {import('sequelize').QueryInterface} queryInterface */
const isMysql = (queryInterface) => ['mysql', 'mariadb'].includes(queryInterface.sequelize.getDialect());

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    // --- plans and rules (reference data: versioned, retired by isActive) -----------------------
    await queryInterface.createTable('commissionPlans', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(255), allowNull: false },
      code: { type: Sequelize.STRING(50), allowNull: false, unique: true },
      description: { type: Sequelize.TEXT, allowNull: true },
      validFrom: { type: Sequelize.DATEONLY, allowNull: false },
      validTo: { type: Sequelize.DATEONLY, allowNull: true },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });
    await queryInterface.createTable('commissionRules', {
      id: id(Sequelize),
      commissionPlanId: fk(Sequelize, 'commissionPlans', { onDelete: 'CASCADE' }),
      // NULL = any product / any region. A rule for a product or region that is deleted means
      // nothing, so it goes with it (entries that used the rule RESTRICT that delete).
      productId: fk(Sequelize, 'products', { allowNull: true, onDelete: 'CASCADE' }),
      regionId: fk(Sequelize, 'companyRegions', { allowNull: true, onDelete: 'CASCADE' }),
      eventType: enumOf(Sequelize, COMMISSION_EVENTS),
      calculation: enumOf(Sequelize, COMMISSION_CALCULATIONS),
      // fixed: amount per event; percentage: percentage (e.g. 5.0000 = 5 %) of the event amount.
      amount: money(Sequelize, { allowNull: true }),
      percentage: { type: Sequelize.DECIMAL(7, 4), allowNull: true },
      // Staged payout, e.g. [{"percent":50,"afterMonths":0},{"percent":25,"afterMonths":2,
      // "requiresNotDefaulted":true}]; NULL = everything at once.
      stages: { type: Sequelize.JSON, allowNull: true },
      // Commission is taken back if the account defaults within this many days of the sale.
      clawbackWithinDays: { type: Sequelize.INTEGER, allowNull: true },
      // Higher wins when several rules match the same event.
      priority: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('commissionRules', ['commissionPlanId', 'eventType'], {
      name: 'commissionRules_plan_event',
    });

    // --- payments (before entries and clawbacks, which point at them) ---------------------------
    await queryInterface.createTable('commissionPayments', {
      id: id(Sequelize),
      employeeId: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      amount: money(Sequelize),
      // YYYY-MM
      period: { type: Sequelize.STRING(7), allowNull: false },
      status: enumOf(Sequelize, COMMISSION_PAYMENT_STATUSES, { defaultValue: 'pending' }),
      requestedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      approvedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      approvedAt: { type: Sequelize.DATE, allowNull: true },
      rejectionReason: { type: Sequelize.TEXT, allowNull: true },
      paidDate: { type: Sequelize.DATEONLY, allowNull: true },
      paidBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      paymentReference: { type: Sequelize.STRING(100), allowNull: true },
      journalEntryId: fk(Sequelize, 'journalEntries', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('commissionPayments', ['employeeId', 'period'], {
      unique: true,
      name: 'commissionPayments_employee_period',
    });
    await queryInterface.addIndex('commissionPayments', ['status', 'period'], {
      name: 'commissionPayments_status_period',
    });
    if (isMysql(queryInterface)) {
      for (const t of FOUR_EYES_TRIGGERS) {
        await queryInterface.sequelize.query(
          `CREATE TRIGGER \`${t.name}\` BEFORE ${t.event} ON \`commissionPayments\` FOR EACH ROW BEGIN ` +
            `IF NEW.approvedBy IS NOT NULL AND (NEW.approvedBy = NEW.employeeId OR NEW.approvedBy = NEW.requestedBy) THEN ` +
            `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'commissionPayments: approvedBy must differ from employeeId and requestedBy'; ` +
            `END IF; END`,
        );
      }
    }

    // --- entries: one per earning event, rule, stage and employee ------------------------------
    await queryInterface.createTable('commissionEntries', {
      id: id(Sequelize),
      employeeId: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      accountId: fk(Sequelize, 'accounts', { allowNull: true, onDelete: 'RESTRICT' }),
      commissionRuleId: fk(Sequelize, 'commissionRules', { allowNull: true, onDelete: 'RESTRICT' }),
      eventType: enumOf(Sequelize, COMMISSION_EVENTS),
      // What earned it, e.g. 'account' (sale), 'payment' (down payment, collection).
      sourceType: { type: Sequelize.STRING(50), allowNull: false },
      sourceId: { type: Sequelize.INTEGER, allowNull: false },
      // Index into the rule's stages (0 when the rule is not staged).
      stage: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      amount: money(Sequelize),
      // The date the stage is earned (event date + the stage's afterMonths).
      earnedOn: { type: Sequelize.DATEONLY, allowNull: false },
      status: enumOf(Sequelize, COMMISSION_ENTRY_STATUSES, { defaultValue: 'accrued' }),
      commissionPaymentId: fk(Sequelize, 'commissionPayments', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    // A re-run of the accrual never accrues twice.
    await queryInterface.addIndex('commissionEntries', ['commissionRuleId', 'sourceType', 'sourceId', 'stage', 'employeeId'], {
      unique: true,
      name: 'commissionEntries_rule_source_stage_employee',
    });
    await queryInterface.addIndex('commissionEntries', ['employeeId', 'status', 'earnedOn'], {
      name: 'commissionEntries_employee_status_earned',
    });
    await queryInterface.addIndex('commissionEntries', ['status', 'earnedOn'], {
      name: 'commissionEntries_status_earned',
    });

    await queryInterface.createTable('commissionClawbacks', {
      id: id(Sequelize),
      // One clawback per entry: a re-run of the clawback job never takes back twice.
      commissionEntryId: { ...fk(Sequelize, 'commissionEntries', { onDelete: 'RESTRICT' }), unique: true },
      accountId: fk(Sequelize, 'accounts', { onDelete: 'RESTRICT' }),
      employeeId: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      amount: money(Sequelize),
      reason: { type: Sequelize.STRING(255), allowNull: false },
      clawedBackOn: { type: Sequelize.DATEONLY, allowNull: false },
      // The payment the amount was deducted from; NULL until deducted.
      commissionPaymentId: fk(Sequelize, 'commissionPayments', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('commissionClawbacks', ['employeeId', 'commissionPaymentId'], {
      name: 'commissionClawbacks_employee_payment',
    });

    await queryInterface.createTable('salesTargets', {
      id: id(Sequelize),
      // Per employee, per region, or both.
      employeeId: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'CASCADE' }),
      regionId: fk(Sequelize, 'companyRegions', { allowNull: true, onDelete: 'CASCADE' }),
      // YYYY-MM
      period: { type: Sequelize.STRING(7), allowNull: false },
      targetUnits: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      targetAmount: money(Sequelize, { defaultValue: '0.00' }),
      achievedUnits: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      achievedAmount: money(Sequelize, { defaultValue: '0.00' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('salesTargets', ['employeeId', 'regionId', 'period'], {
      unique: true,
      name: 'salesTargets_employee_region_period',
    });
    await queryInterface.addIndex('salesTargets', ['period'], { name: 'salesTargets_period' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('salesTargets');
    await queryInterface.dropTable('commissionClawbacks');
    await queryInterface.dropTable('commissionEntries');
    if (isMysql(queryInterface)) {
      for (const t of [...FOUR_EYES_TRIGGERS].reverse()) {
        await queryInterface.sequelize.query(`DROP TRIGGER IF EXISTS \`${t.name}\``);
      }
    }
    await queryInterface.dropTable('commissionPayments');
    await queryInterface.dropTable('commissionRules');
    await queryInterface.dropTable('commissionPlans');
  },
};
