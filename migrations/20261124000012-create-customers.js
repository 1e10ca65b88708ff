// @ts-check
// Customers and what hangs off them: addresses (with GPS), contacts, next of kin, KYC documents
// and decisions, notes, consents, referral rewards, and the blacklist.
//
// Depends on companyRegions and employees (20261124000001) and areas (20261124000010).
'use strict';
const { id, timestamps, money, fk, enumOf } = require('./lib/columns');

const GENDERS = ['male', 'female', 'other'];
const KYC_STATUSES = ['pending', 'verified', 'rejected'];
const KYC_DECISIONS = ['verified', 'rejected'];
const ADDRESS_TYPES = ['home', 'business', 'other'];
const CONTACT_TYPES = ['phone', 'email', 'whatsapp'];
const DOCUMENT_TYPES = ['national_id', 'passport', 'photo', 'proof_of_address', 'signature', 'contract', 'other'];
const REFERRAL_REWARD_STATUSES = ['pending', 'approved', 'paid', 'cancelled'];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('customers', {
      id: id(Sequelize),
      firstName: { type: Sequelize.STRING(255), allowNull: false },
      lastName: { type: Sequelize.STRING(255), allowNull: false },
      email: { type: Sequelize.STRING(255), allowNull: true, unique: true },
      phone: { type: Sequelize.STRING(50), allowNull: false },
      // Ciphertext; search goes through nationalIdHash (keyed blind index of the normalised value).
      nationalId: { type: Sequelize.STRING(512), allowNull: true },
      nationalIdHash: { type: Sequelize.CHAR(64), allowNull: true },
      dateOfBirth: { type: Sequelize.DATEONLY, allowNull: true },
      gender: enumOf(Sequelize, GENDERS, { allowNull: true }),
      kycStatus: enumOf(Sequelize, KYC_STATUSES, { defaultValue: 'pending' }),
      regionId: fk(Sequelize, 'companyRegions', { onDelete: 'RESTRICT' }),
      // Who onboarded the customer.
      agentId: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'SET NULL' }),
      referredBy: fk(Sequelize, 'customers', { allowNull: true, onDelete: 'SET NULL' }),
      preferredLanguage: { type: Sequelize.STRING(10), allowNull: false, defaultValue: 'en' },
      ...timestamps(Sequelize, { paranoid: true }),
    });
    await queryInterface.addIndex('customers', ['phone'], { name: 'customers_phone' });
    await queryInterface.addIndex('customers', ['nationalIdHash'], { name: 'customers_national_id_hash' });
    await queryInterface.addIndex('customers', ['createdAt'], { name: 'customers_created' });
    await queryInterface.addIndex('customers', ['regionId', 'kycStatus'], { name: 'customers_region_kyc' });
    await queryInterface.addIndex('customers', ['lastName', 'firstName'], { name: 'customers_name' });

    await queryInterface.createTable('customerAddresses', {
      id: id(Sequelize),
      customerId: fk(Sequelize, 'customers', { onDelete: 'CASCADE' }),
      addressType: enumOf(Sequelize, ADDRESS_TYPES, { defaultValue: 'home' }),
      addressLine: { type: Sequelize.STRING(255), allowNull: false },
      landmark: { type: Sequelize.STRING(255), allowNull: true },
      city: { type: Sequelize.STRING(100), allowNull: true },
      district: { type: Sequelize.STRING(100), allowNull: true },
      areaId: fk(Sequelize, 'areas', { allowNull: true, onDelete: 'SET NULL' }),
      latitude: { type: Sequelize.DECIMAL(10, 7), allowNull: true },
      longitude: { type: Sequelize.DECIMAL(10, 7), allowNull: true },
      isPrimary: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: false },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('customerAddresses', ['customerId', 'isPrimary'], { name: 'customerAddresses_customer_primary' });

    await queryInterface.createTable('customerContacts', {
      id: id(Sequelize),
      customerId: fk(Sequelize, 'customers', { onDelete: 'CASCADE' }),
      contactType: enumOf(Sequelize, CONTACT_TYPES),
      value: { type: Sequelize.STRING(255), allowNull: false },
      label: { type: Sequelize.STRING(100), allowNull: true },
      isPrimary: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: false },
      isVerified: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: false },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('customerContacts', ['customerId'], { name: 'customerContacts_customer' });
    await queryInterface.addIndex('customerContacts', ['value'], { name: 'customerContacts_value' });

    await queryInterface.createTable('nextOfKins', {
      id: id(Sequelize),
      customerId: fk(Sequelize, 'customers', { onDelete: 'CASCADE' }),
      name: { type: Sequelize.STRING(255), allowNull: false },
      relationship: { type: Sequelize.STRING(50), allowNull: false },
      phone: { type: Sequelize.STRING(50), allowNull: false },
      address: { type: Sequelize.TEXT, allowNull: true },
      ...timestamps(Sequelize),
    });

    await queryInterface.createTable('customerDocuments', {
      id: id(Sequelize),
      customerId: fk(Sequelize, 'customers', { onDelete: 'CASCADE' }),
      documentType: enumOf(Sequelize, DOCUMENT_TYPES),
      // Object-store key; the file itself is never in the database.
      storageKey: { type: Sequelize.STRING(512), allowNull: false },
      // SHA-256 hex of the file.
      checksum: { type: Sequelize.CHAR(64), allowNull: false },
      mimeType: { type: Sequelize.STRING(100), allowNull: false },
      sizeBytes: { type: Sequelize.INTEGER, allowNull: false },
      uploadedBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('customerDocuments', ['customerId', 'documentType'], { name: 'customerDocuments_customer_type' });

    // Every KYC decision with who and why: audit, never cascaded away.
    await queryInterface.createTable('kycChecks', {
      id: id(Sequelize),
      customerId: fk(Sequelize, 'customers', { onDelete: 'RESTRICT' }),
      decision: enumOf(Sequelize, KYC_DECISIONS),
      reason: { type: Sequelize.TEXT, allowNull: true },
      checkedBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      checkedAt: { type: Sequelize.DATE, allowNull: false },
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('kycChecks', ['customerId', 'checkedAt'], { name: 'kycChecks_customer_checked' });

    await queryInterface.createTable('customerNotes', {
      id: id(Sequelize),
      customerId: fk(Sequelize, 'customers', { onDelete: 'CASCADE' }),
      note: { type: Sequelize.TEXT, allowNull: false },
      createdBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('customerNotes', ['customerId', 'createdAt'], { name: 'customerNotes_customer_created' });

    // One row per customer and consent type; revoking sets revokedAt and granted = false.
    await queryInterface.createTable('customerConsents', {
      id: id(Sequelize),
      customerId: fk(Sequelize, 'customers', { onDelete: 'CASCADE' }),
      // e.g. terms, data_processing, credit_bureau, marketing_sms.
      consentType: { type: Sequelize.STRING(50), allowNull: false },
      granted: { type: Sequelize.BOOLEAN, allowNull: false },
      grantedAt: { type: Sequelize.DATE, allowNull: true },
      revokedAt: { type: Sequelize.DATE, allowNull: true },
      recordedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'SET NULL' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('customerConsents', ['customerId', 'consentType'], {
      unique: true,
      name: 'customerConsents_customer_type',
    });

    // Money rows: RESTRICT everywhere.
    await queryInterface.createTable('referralRewards', {
      id: id(Sequelize),
      referrerId: fk(Sequelize, 'customers', { onDelete: 'RESTRICT' }),
      refereeId: fk(Sequelize, 'customers', { onDelete: 'RESTRICT' }),
      amount: money(Sequelize),
      status: enumOf(Sequelize, REFERRAL_REWARD_STATUSES, { defaultValue: 'pending' }),
      approvedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      paidAt: { type: Sequelize.DATE, allowNull: true },
      ...timestamps(Sequelize),
    });
    // One reward per referred customer.
    await queryInterface.addIndex('referralRewards', ['refereeId'], { unique: true, name: 'referralRewards_referee' });
    await queryInterface.addIndex('referralRewards', ['referrerId', 'status'], { name: 'referralRewards_referrer_status' });

    // Matches by customer, national ID blind index or phone; kept when the customer row goes.
    await queryInterface.createTable('blacklistEntries', {
      id: id(Sequelize),
      customerId: fk(Sequelize, 'customers', { allowNull: true, onDelete: 'SET NULL' }),
      nationalIdHash: { type: Sequelize.CHAR(64), allowNull: true },
      phone: { type: Sequelize.STRING(50), allowNull: true },
      reason: { type: Sequelize.TEXT, allowNull: false },
      addedBy: fk(Sequelize, 'employees', { onDelete: 'RESTRICT' }),
      isActive: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      liftedAt: { type: Sequelize.DATE, allowNull: true },
      liftedBy: fk(Sequelize, 'employees', { allowNull: true, onDelete: 'RESTRICT' }),
      ...timestamps(Sequelize),
    });
    await queryInterface.addIndex('blacklistEntries', ['nationalIdHash'], { name: 'blacklistEntries_national_id_hash' });
    await queryInterface.addIndex('blacklistEntries', ['phone'], { name: 'blacklistEntries_phone' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('blacklistEntries');
    await queryInterface.dropTable('referralRewards');
    await queryInterface.dropTable('customerConsents');
    await queryInterface.dropTable('customerNotes');
    await queryInterface.dropTable('kycChecks');
    await queryInterface.dropTable('customerDocuments');
    await queryInterface.dropTable('nextOfKins');
    await queryInterface.dropTable('customerContacts');
    await queryInterface.dropTable('customerAddresses');
    await queryInterface.dropTable('customers');
  },
};
