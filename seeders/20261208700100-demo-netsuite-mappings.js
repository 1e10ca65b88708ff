// @ts-check
'use strict';
const { QueryTypes } = require('sequelize');
const { demoDataWanted, stamped } = require('./lib/env');

// DEMO DATA (development only): the NetSuite reference data finance would otherwise enter by hand
// (/netsuite-subsidiaries, /netsuite-account-mappings), so a demo pointed at `npm run fakes` syncs
// customers, day journals and commission bills with no dead items. Each country books into a
// subsidiary of its own; every seeded ledger code maps to a GL account whose internal id is
// `<subsidiary>0<code>` (made-up ids: the fake accepts any). Rows that exist are left alone.
// Skipped in production and in the test database, like the other demo seeders.
const SUBSIDIARIES = { KE: '1', UG: '2', TZ: '3', NG: '4', ZM: '5' };

/** @param {string} subsidiaryId @param {string} code */
const glAccount = (subsidiaryId, code) => `${subsidiaryId}0${code}`;

/** @param {import('sequelize').Sequelize} sequelize */
async function demoRows(sequelize) {
  /** @type {{id:number, code:keyof typeof SUBSIDIARIES}[]} */
  const countries = await sequelize.query('SELECT id, code FROM countries WHERE code IN (:codes)', {
    replacements: { codes: Object.keys(SUBSIDIARIES) },
    type: QueryTypes.SELECT,
  });
  /** @type {{code:string}[]} */
  const ledger = await sequelize.query('SELECT code FROM ledgerAccounts ORDER BY code', { type: QueryTypes.SELECT });
  const subsidiaries = countries.map((c) => ({ countryId: c.id, subsidiaryId: SUBSIDIARIES[c.code] }));
  const mappings = countries.flatMap((c) =>
    ledger.map((l) => ({ countryId: c.id, ledgerCode: l.code, netsuiteAccountId: glAccount(SUBSIDIARIES[c.code], l.code) })),
  );
  return { subsidiaries, mappings };
}

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    if (!demoDataWanted()) return;
    const { subsidiaries, mappings } = await demoRows(queryInterface.sequelize);
    const rows = (/** @type {object[]} */ r) => stamped(r.map((x) => ({ ...x, isActive: true, version: 0 })));
    if (subsidiaries.length) await queryInterface.bulkInsert('netsuiteSubsidiaries', rows(subsidiaries), { ignoreDuplicates: true });
    if (mappings.length) await queryInterface.bulkInsert('netsuiteAccountMappings', rows(mappings), { ignoreDuplicates: true });
  },

  async down(queryInterface) {
    if (!demoDataWanted()) return;
    // Only the rows this seeder would write (a country's own subsidiary or mapping is kept).
    const { subsidiaries, mappings } = await demoRows(queryInterface.sequelize);
    for (const s of subsidiaries) await queryInterface.bulkDelete('netsuiteSubsidiaries', s);
    for (const m of mappings) await queryInterface.bulkDelete('netsuiteAccountMappings', m);
  },
};
