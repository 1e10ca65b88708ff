// @ts-check
'use strict';
const { stamped } = require('./lib/env');

// Gapless number sequences: account, receipt, invoice and credit-note numbers.
const SEQUENCES = [
  { name: 'account', prefix: 'AC', padding: 8 },
  { name: 'receipt', prefix: 'RC', padding: 9 },
  { name: 'invoice', prefix: 'INV', padding: 8 },
  { name: 'creditNote', prefix: 'CN', padding: 8 },
];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    await queryInterface.bulkInsert('numberSequences', stamped(SEQUENCES.map((s) => ({ ...s, nextValue: 1 }))), { ignoreDuplicates: true });
  },
  async down(queryInterface) {
    await queryInterface.bulkDelete('numberSequences', { name: SEQUENCES.map((s) => s.name) });
  },
};
