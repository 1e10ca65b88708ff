// @ts-check
'use strict';
const { stamped } = require('./lib/env');

// The kinds of asset AMT finances. Reference data: seeded in every environment; re-running inserts
// only what is missing (productTypes.code is unique).
const PRODUCT_TYPES = [
  { code: 'SOLAR_HOME_SYSTEM', name: 'Solar home system', description: 'Solar panel, battery and lights, with PAYG lock.' },
  { code: 'PHONE', name: 'Phone', description: 'Feature phone or smartphone, locked until paid off.' },
  { code: 'E_BIKE', name: 'Electric motorbike', description: 'Electric two-wheeler with PAYG immobiliser.' },
  { code: 'WATER_PUMP', name: 'Solar water pump', description: 'Solar-powered irrigation pump.' },
  { code: 'TV', name: 'Television', description: 'DC television for solar home systems.' },
  { code: 'FRIDGE', name: 'Refrigerator', description: 'DC refrigerator or freezer.' },
  { code: 'COOKSTOVE', name: 'Clean cookstove', description: 'Electric pressure cooker or LPG stove.' },
  { code: 'ACCESSORY', name: 'Accessory', description: 'Radio, fan, extra lamp or other add-on.' },
];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    await queryInterface.bulkInsert('productTypes', stamped(PRODUCT_TYPES.map((t) => ({ ...t, isActive: true, version: 0 }))), {
      ignoreDuplicates: true,
    });
  },
  async down(queryInterface) {
    await queryInterface.bulkDelete('productTypes', { code: PRODUCT_TYPES.map((t) => t.code) });
  },
};
