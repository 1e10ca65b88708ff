// @ts-check
'use strict';
const { enumOf } = require('./lib/columns');

const TYPES = ['national_id', 'passport', 'photo', 'proof_of_address', 'signature', 'contract', 'other'];
const ADDED = ['id_front', 'id_back', 'selfie', 'signed_contract'];

/**
 * KYC documents as the field app takes them: the ID's front and back, a selfie and the signed
 * contract join customerDocuments.documentType. On SQLite (demo) an ENUM is a plain TEXT column, so
 * there is nothing to change there.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    if (queryInterface.sequelize.getDialect() === 'sqlite') return;
    await queryInterface.changeColumn('customerDocuments', 'documentType', enumOf(Sequelize, [...TYPES, ...ADDED]));
  },
  async down(queryInterface, Sequelize) {
    if (queryInterface.sequelize.getDialect() === 'sqlite') return;
    // Rows written since keep their meaning as closely as the old values allow.
    await queryInterface.sequelize.query(
      "UPDATE customerDocuments SET documentType = CASE documentType WHEN 'selfie' THEN 'photo' WHEN 'signed_contract' THEN 'contract' ELSE 'national_id' END WHERE documentType IN ('id_front', 'id_back', 'selfie', 'signed_contract')",
    );
    await queryInterface.changeColumn('customerDocuments', 'documentType', enumOf(Sequelize, TYPES));
  },
};
