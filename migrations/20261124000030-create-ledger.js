// @ts-check
// The double-entry ledger: chart of accounts, fiscal periods, journal entries and their lines.
// Every money event posts lines that balance (sum of debits = sum of credits) in the same
// transaction as the business change. Lines are append-only: a mistake is corrected by a reversing
// entry, never by an edit, and the database itself refuses UPDATE and DELETE on journalLines.
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');
const { dialectOf, createGuard, dropGuard } = require('./lib/guards');

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('ledgerAccounts', {
      id: id(Sequelize),
      code: { type: Sequelize.STRING(20), allowNull: false, unique: true },
      name: { type: Sequelize.STRING(255), allowNull: false },
      type: enumOf(Sequelize, ['asset', 'liability', 'equity', 'income', 'expense']),
      normalBalance: enumOf(Sequelize, ['debit', 'credit']),
      description: { type: Sequelize.STRING(255), allowNull: true },
      parentId: fk(Sequelize, 'ledgerAccounts', { allowNull: true, onDelete: 'RESTRICT' }),
      // A control account is only posted to with a sub-ledger: every line carries accountId.
      isControl: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: false },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });

    await queryInterface.createTable('fiscalPeriods', {
      id: id(Sequelize),
      name: { type: Sequelize.STRING(50), allowNull: false },
      startDate: { type: Sequelize.DATEONLY, allowNull: false },
      endDate: { type: Sequelize.DATEONLY, allowNull: false },
      status: enumOf(Sequelize, ['open', 'closed'], { defaultValue: 'open' }),
      closedAt: { type: Sequelize.DATE, allowNull: true },
      closedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      // NULL = a global period (all countries).
      countryId: fk(Sequelize, 'countries', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    // Note: NULL countryId rows are not unique to the database (NULLs are distinct); code that opens
    // global periods checks for an existing one first.
    await queryInterface.addIndex('fiscalPeriods', ['countryId', 'startDate'], {
      unique: true,
      name: 'fiscalPeriods_country_start',
    });
    await queryInterface.addIndex('fiscalPeriods', ['startDate', 'endDate'], { name: 'fiscalPeriods_dates' });

    await queryInterface.createTable('journalEntries', {
      id: id(Sequelize),
      entryNumber: { type: Sequelize.STRING(30), allowNull: false, unique: true },
      businessDate: { type: Sequelize.DATEONLY, allowNull: false },
      fiscalPeriodId: fk(Sequelize, 'fiscalPeriods', { onDelete: 'RESTRICT' }),
      description: { type: Sequelize.STRING(255), allowNull: false },
      // What posted it: 'payment', 'reversal', 'refund', 'writeoff', 'charge', 'remittance', 'manual', ...
      sourceType: { type: Sequelize.STRING(50), allowNull: false },
      sourceId: { type: Sequelize.INTEGER, allowNull: true },
      accountId: fk(Sequelize, 'accounts', { allowNull: true, onDelete: 'RESTRICT' }),
      // An entry is reversed at most once: the reversing entry points at it, uniquely.
      reversalOfId: { ...fk(Sequelize, 'journalEntries', { allowNull: true, onDelete: 'RESTRICT' }), unique: true },
      currency: { type: Sequelize.CHAR(3), allowNull: false },
      // NULL = posted by the system (callback, nightly job).
      createdBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('journalEntries', ['sourceType', 'sourceId'], { name: 'journalEntries_source' });
    await queryInterface.addIndex('journalEntries', ['accountId', 'businessDate'], { name: 'journalEntries_account_date' });
    await queryInterface.addIndex('journalEntries', ['businessDate'], { name: 'journalEntries_business_date' });

    await queryInterface.createTable('journalLines', {
      id: id(Sequelize),
      journalEntryId: fk(Sequelize, 'journalEntries', { onDelete: 'RESTRICT' }),
      ledgerAccountId: fk(Sequelize, 'ledgerAccounts', { onDelete: 'RESTRICT' }),
      // Sub-ledger: the loan account the line belongs to (required on control accounts).
      accountId: fk(Sequelize, 'accounts', { allowNull: true, onDelete: 'RESTRICT' }),
      debit: money(Sequelize, { defaultValue: '0.00' }),
      credit: money(Sequelize, { defaultValue: '0.00' }),
      memo: { type: Sequelize.STRING(255), allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('journalLines', ['journalEntryId'], { name: 'journalLines_entry' });
    await queryInterface.addIndex('journalLines', ['ledgerAccountId'], { name: 'journalLines_ledger_account' });
    await queryInterface.addIndex('journalLines', ['accountId'], { name: 'journalLines_account' });

    const dialect = dialectOf(queryInterface);
    // A line is one-sided and positive: exactly one of debit/credit is > 0, neither is negative.
    const oneSided = '(debit >= 0 AND credit >= 0 AND ((debit > 0 AND credit = 0) OR (debit = 0 AND credit > 0)))';
    if (dialect === 'mysql') {
      await queryInterface.sequelize.query(`ALTER TABLE \`journalLines\` ADD CONSTRAINT \`journalLines_one_sided\` CHECK ${oneSided}`);
    } else {
      // SQLite cannot add a CHECK to an existing table without rebuilding it: a trigger instead.
      await createGuard(queryInterface, {
        name: 'journalLines_one_sided',
        table: 'journalLines',
        timing: 'BEFORE INSERT',
        when: `NOT (NEW.debit >= 0 AND NEW.credit >= 0 AND ((NEW.debit > 0 AND NEW.credit = 0) OR (NEW.debit = 0 AND NEW.credit > 0)))`,
        message: 'journalLines: a line has exactly one of debit or credit above zero, and neither below zero',
      });
    }
    await createGuard(queryInterface, {
      name: 'journalLines_no_update',
      table: 'journalLines',
      timing: 'BEFORE UPDATE',
      message: 'journalLines are append-only: post a reversing entry instead of updating a line',
    });
    await createGuard(queryInterface, {
      name: 'journalLines_no_delete',
      table: 'journalLines',
      timing: 'BEFORE DELETE',
      message: 'journalLines are append-only: post a reversing entry instead of deleting a line',
    });
    // A closed period takes no postings, and an entry belongs to the period covering its date.
    await createGuard(queryInterface, {
      name: 'journalEntries_open_period',
      table: 'journalEntries',
      timing: 'BEFORE INSERT',
      when:
        "NOT EXISTS (SELECT 1 FROM fiscalPeriods fp WHERE fp.id = NEW.fiscalPeriodId AND fp.status = 'open'" +
        ' AND NEW.businessDate >= fp.startDate AND NEW.businessDate <= fp.endDate)',
      message: 'journalEntries: the fiscal period is closed or does not cover the business date',
    });
  },

  async down(queryInterface) {
    await dropGuard(queryInterface, 'journalEntries_open_period');
    await dropGuard(queryInterface, 'journalLines_no_delete');
    await dropGuard(queryInterface, 'journalLines_no_update');
    await dropGuard(queryInterface, 'journalLines_one_sided'); // the SQLite trigger; the MySQL CHECK goes with the table
    if (dialectOf(queryInterface) === 'sqlite') {
      // SQLite's DROP TABLE deletes the rows first, and a RESTRICT self-reference would refuse it.
      await queryInterface.sequelize.query('UPDATE journalEntries SET reversalOfId = NULL WHERE reversalOfId IS NOT NULL');
      await queryInterface.sequelize.query('UPDATE ledgerAccounts SET parentId = NULL WHERE parentId IS NOT NULL');
    }
    await queryInterface.dropTable('journalLines');
    await queryInterface.dropTable('journalEntries');
    await queryInterface.dropTable('fiscalPeriods');
    await queryInterface.dropTable('ledgerAccounts');
  },
};
