// @ts-check
'use strict';
const { stamped } = require('./lib/env');

// The SMS the new owner of an account gets when its transfer is approved (issue 16,
// src/modules/account-transfers). Placeholders: customerName, accountNumber. GSM-7 only.
const CODE = 'account_transferred';
const DESCRIPTION = 'An account was transferred to this customer';
/** @type {Record<'en' | 'sw' | 'fr', string>} */
const BODIES = {
  en: 'Dear {{customerName}}, account {{accountNumber}} is now in your name. Payments and tokens for it now come to you.',
  sw: 'Mpendwa {{customerName}}, akaunti {{accountNumber}} sasa iko kwa jina lako. Malipo na tokeni zake sasa ni zako.',
  fr: 'Cher(e) {{customerName}}, le compte {{accountNumber}} est maintenant a votre nom. Ses paiements et codes vous reviennent.',
};

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    const rows = Object.entries(BODIES).map(([language, body]) => ({
      code: CODE,
      language,
      channel: 'sms',
      subject: null,
      body,
      description: DESCRIPTION,
      isActive: true,
      version: 0,
    }));
    // Unique (code, language, channel): a re-run, or a template already edited by an operator, is left alone.
    await queryInterface.bulkInsert('notificationTemplates', stamped(rows), { ignoreDuplicates: true });
  },
  async down(queryInterface) {
    await queryInterface.bulkDelete('notificationTemplates', { code: CODE, language: Object.keys(BODIES), channel: 'sms' });
  },
};
