// @ts-check
'use strict';
const { stamped } = require('./lib/env');

// Markets AMT lends in: currency, timezone (due dates and the nightly close) and phone code.
const COUNTRIES = [
  { name: 'Kenya', code: 'KE', currency: 'KES', phoneCode: '+254', timezone: 'Africa/Nairobi' },
  { name: 'Uganda', code: 'UG', currency: 'UGX', phoneCode: '+256', timezone: 'Africa/Kampala' },
  { name: 'Tanzania', code: 'TZ', currency: 'TZS', phoneCode: '+255', timezone: 'Africa/Dar_es_Salaam' },
  { name: 'Nigeria', code: 'NG', currency: 'NGN', phoneCode: '+234', timezone: 'Africa/Lagos' },
  { name: 'Zambia', code: 'ZM', currency: 'ZMW', phoneCode: '+260', timezone: 'Africa/Lusaka' },
];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    await queryInterface.bulkInsert('countries', stamped(COUNTRIES.map((c) => ({ ...c, isActive: true }))), {
      ignoreDuplicates: true,
    });
  },
  async down(queryInterface) {
    await queryInterface.bulkDelete('countries', { code: COUNTRIES.map((c) => c.code) });
  },
};
