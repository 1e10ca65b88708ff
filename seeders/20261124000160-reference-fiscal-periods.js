// @ts-check
'use strict';
const { QueryTypes } = require('sequelize');
const { stamped } = require('./lib/env');

/**
 * Monthly global fiscal periods (countryId NULL) for the current year and the next, all open.
 * Idempotent: a period already there (same startDate, global) is left alone. The unique index
 * (countryId, startDate) cannot see duplicates among NULL countryIds, hence the explicit check.
 */
function months() {
  const first = new Date().getUTCFullYear();
  /** @type {{ name: string, startDate: string, endDate: string }[]} */
  const periods = [];
  for (const year of [first, first + 1]) {
    for (let m = 1; m <= 12; m += 1) {
      const mm = String(m).padStart(2, '0');
      const lastDay = new Date(Date.UTC(year, m, 0)).getUTCDate();
      periods.push({ name: `${year}-${mm}`, startDate: `${year}-${mm}-01`, endDate: `${year}-${mm}-${String(lastDay).padStart(2, '0')}` });
    }
  }
  return periods;
}

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    const wanted = months();
    /** @type {{ startDate: string | Date }[]} */
    const existing = await queryInterface.sequelize.query('SELECT startDate FROM fiscalPeriods WHERE countryId IS NULL AND startDate IN (:dates)', {
      replacements: { dates: wanted.map((p) => p.startDate) },
      type: QueryTypes.SELECT,
    });
    const have = new Set(existing.map((r) => (r.startDate instanceof Date ? r.startDate.toISOString().slice(0, 10) : String(r.startDate).slice(0, 10))));
    const missing = wanted.filter((p) => !have.has(p.startDate));
    if (missing.length === 0) return;
    await queryInterface.bulkInsert('fiscalPeriods', stamped(missing.map((p) => ({ ...p, status: 'open', closedAt: null, closedBy: null, countryId: null }))), {
      ignoreDuplicates: true,
    });
  },
  async down(queryInterface) {
    // Refused by the database (RESTRICT) for periods that already hold journal entries.
    await queryInterface.bulkDelete('fiscalPeriods', { countryId: null, startDate: months().map((p) => p.startDate) });
  },
};
