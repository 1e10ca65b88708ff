// @ts-check
'use strict';

const { id, timestamps, fk, enumOf } = require('./lib/columns');
const { dialectOf, keepingSqliteIndexes } = require('./lib/guards');

/**
 * NetSuite sync (issue 13):
 * - netsuiteSubsidiaries: the NetSuite subsidiary (internal id) each country books into;
 * - netsuiteAccountMappings: the chart mapping, per country, of an AMT ledger code to the
 *   NetSuite GL account (internal id) its day totals are posted to;
 * - netsuiteJournals: what was sent as the day journal of a country (external id
 *   amt-je-{country}-{date}): the lines and their SHA-256, written before the request, marked sent
 *   once NetSuite confirmed it. A recomputed day that differs is refused, never overwritten;
 * - journalEntries.countryId: the country an entry is booked in (postEntry has always been told it;
 *   now it is kept), so a country's day is one indexed query. Existing entries get the country of
 *   their loan account, else of their fiscal period, else the only country with their currency.
 */
/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('netsuiteSubsidiaries', {
      id: id(Sequelize),
      countryId: fk(Sequelize, 'countries', { onDelete: 'RESTRICT' }),
      subsidiaryId: { type: Sequelize.STRING(50), allowNull: false },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('netsuiteSubsidiaries', ['countryId'], { name: 'netsuiteSubsidiaries_country', unique: true });
    await queryInterface.createTable('netsuiteAccountMappings', {
      id: id(Sequelize),
      countryId: fk(Sequelize, 'countries', { onDelete: 'RESTRICT' }),
      ledgerCode: { type: Sequelize.STRING(20), allowNull: false },
      netsuiteAccountId: { type: Sequelize.STRING(50), allowNull: false },
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      version: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('netsuiteAccountMappings', ['countryId', 'ledgerCode'], { name: 'netsuiteAccountMappings_country_code', unique: true });
    await queryInterface.createTable('netsuiteJournals', {
      id: id(Sequelize),
      countryId: fk(Sequelize, 'countries', { onDelete: 'RESTRICT' }),
      businessDate: { type: Sequelize.DATEONLY, allowNull: false },
      externalId: { type: Sequelize.STRING(100), allowNull: false },
      linesHash: { type: Sequelize.CHAR(64), allowNull: false },
      lines: { type: Sequelize.JSON, allowNull: false },
      status: enumOf(Sequelize, ['sending', 'sent'], { defaultValue: 'sending' }),
      netsuiteId: { type: Sequelize.STRING(100), allowNull: true },
      sentAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('netsuiteJournals', ['countryId', 'businessDate'], { name: 'netsuiteJournals_country_date', unique: true });

    await queryInterface.addColumn('journalEntries', 'countryId', fk(Sequelize, 'countries', { allowNull: true, onDelete: 'RESTRICT' }));
    await queryInterface.addIndex('journalEntries', ['countryId', 'businessDate'], { name: 'journalEntries_country_date' });
    await queryInterface.sequelize.query(
      `UPDATE journalEntries SET countryId = COALESCE(
         (SELECT g.countryId FROM accounts a JOIN companyRegions g ON g.id = a.regionId WHERE a.id = journalEntries.accountId),
         (SELECT fp.countryId FROM fiscalPeriods fp WHERE fp.id = journalEntries.fiscalPeriodId),
         (SELECT MIN(c.id) FROM countries c WHERE c.currency = journalEntries.currency HAVING COUNT(*) = 1))
       WHERE countryId IS NULL`,
    );
  },
  async down(queryInterface) {
    if (dialectOf(queryInterface) === 'mysql') {
      const refs = /** @type {{ columnName: string, constraintName: string }[]} */ (await queryInterface.getForeignKeyReferencesForTable('journalEntries'));
      for (const r of refs.filter((x) => x.columnName === 'countryId')) await queryInterface.removeConstraint('journalEntries', r.constraintName);
    }
    await queryInterface.removeIndex('journalEntries', 'journalEntries_country_date');
    // SQLite rebuilds the table to drop a column: its guard trigger and indexes are put back.
    await keepingSqliteIndexes(queryInterface, 'journalEntries', () => queryInterface.removeColumn('journalEntries', 'countryId'));
    await queryInterface.dropTable('netsuiteJournals');
    await queryInterface.dropTable('netsuiteAccountMappings');
    await queryInterface.dropTable('netsuiteSubsidiaries');
  },
};
