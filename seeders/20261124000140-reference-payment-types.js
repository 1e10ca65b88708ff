// @ts-check
'use strict';
const { stamped } = require('./lib/env');

// How money reaches AMT. payments.channel says which family a payment belongs to; the type names
// the rail. (paymentTypeId, transactionRef) is unique on payments, so references are per rail.
const PAYMENT_TYPES = [
  { code: 'MPESA', name: 'M-Pesa', description: 'Safaricom M-Pesa paybill and STK push (Kenya, Tanzania)' },
  { code: 'AIRTEL', name: 'Airtel Money', description: 'Airtel Money collections' },
  { code: 'MTN', name: 'MTN Mobile Money', description: 'MTN MoMo collections (Uganda, Zambia, Nigeria)' },
  { code: 'CASH', name: 'Cash', description: 'Cash collected by a field agent or paid at an office' },
  { code: 'BANK', name: 'Bank transfer', description: 'Bank deposit or transfer' },
  { code: 'ADJUSTMENT', name: 'Adjustment', description: 'Internal adjustment (no money moved), approved in the back office' },
];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    await queryInterface.bulkInsert('paymentTypes', stamped(PAYMENT_TYPES.map((t) => ({ ...t, isActive: true, version: 0 }))), {
      ignoreDuplicates: true,
    });
  },
  async down(queryInterface) {
    await queryInterface.bulkDelete('paymentTypes', { code: PAYMENT_TYPES.map((t) => t.code) });
  },
};
