// @ts-check
'use strict';
const { stamped } = require('./lib/env');

// SMS sent to customers, in English, Swahili and French (customers.preferredLanguage picks one;
// English is the fallback). Bodies use {{placeholders}} filled by the notifications service and
// stay within the GSM-7 alphabet (no characters that would force UCS-2 and halve the SMS length).
//
// Placeholders by code:
//   payment_received   customerName, currency, amount, accountNumber, token, creditDays, balance, receiptNumber
//   token_resend       customerName, accountNumber, token
//   reminder_due       customerName, currency, amount, accountNumber, daysBefore, dueDate
//   overdue_first_day  customerName, currency, amount, accountNumber, dueDate
//   account_suspended  customerName, currency, amount, accountNumber, daysPastDue
//   account_paid_off   customerName, accountNumber, token, productName

/** @type {Record<string, { description: string, en: string, sw: string, fr: string }>} */
const TEMPLATES = {
  payment_received: {
    description: 'Payment received, with the token it bought',
    en: 'Dear {{customerName}}, we received {{currency}} {{amount}} for account {{accountNumber}}. Token: {{token}} ({{creditDays}} days). Balance: {{currency}} {{balance}}. Ref {{receiptNumber}}',
    sw: 'Mpendwa {{customerName}}, tumepokea {{currency}} {{amount}} kwa akaunti {{accountNumber}}. Tokeni: {{token}} (siku {{creditDays}}). Salio: {{currency}} {{balance}}. Kumb {{receiptNumber}}',
    fr: 'Cher(e) {{customerName}}, paiement de {{currency}} {{amount}} enregistré pour le compte {{accountNumber}}. Code: {{token}} ({{creditDays}} jours). Solde: {{currency}} {{balance}}. Ref {{receiptNumber}}',
  },
  token_resend: {
    description: 'The last token sent again on request',
    en: 'Dear {{customerName}}, your token for account {{accountNumber}} is {{token}}. Enter it on your device.',
    sw: 'Mpendwa {{customerName}}, tokeni yako ya akaunti {{accountNumber}} ni {{token}}. Iingize kwenye kifaa chako.',
    fr: 'Cher(e) {{customerName}}, votre code pour le compte {{accountNumber}} est {{token}}. Saisissez-le sur votre appareil.',
  },
  reminder_due: {
    description: 'Reminder some days before an instalment falls due',
    en: 'Dear {{customerName}}, your payment of {{currency}} {{amount}} for account {{accountNumber}} is due in {{daysBefore}} days, on {{dueDate}}.',
    sw: 'Mpendwa {{customerName}}, malipo yako ya {{currency}} {{amount}} kwa akaunti {{accountNumber}} yanatakiwa baada ya siku {{daysBefore}}, tarehe {{dueDate}}.',
    fr: 'Cher(e) {{customerName}}, votre paiement de {{currency}} {{amount}} pour le compte {{accountNumber}} est attendu dans {{daysBefore}} jours, le {{dueDate}}.',
  },
  overdue_first_day: {
    description: 'First day an instalment is overdue',
    en: 'Dear {{customerName}}, your payment of {{currency}} {{amount}} for account {{accountNumber}} was due on {{dueDate}}. Please pay today to keep your device working.',
    sw: 'Mpendwa {{customerName}}, malipo yako ya {{currency}} {{amount}} kwa akaunti {{accountNumber}} yalitakiwa tarehe {{dueDate}}. Tafadhali lipa leo ili kifaa chako kiendelee kufanya kazi.',
    fr: "Cher(e) {{customerName}}, votre paiement de {{currency}} {{amount}} pour le compte {{accountNumber}} était attendu le {{dueDate}}. Merci de payer aujourd'hui pour garder votre appareil actif.",
  },
  account_suspended: {
    description: 'Account suspended for non-payment',
    en: 'Dear {{customerName}}, account {{accountNumber}} is suspended after {{daysPastDue}} days without payment. Pay {{currency}} {{amount}} to reactivate your device.',
    sw: 'Mpendwa {{customerName}}, akaunti {{accountNumber}} imesimamishwa baada ya siku {{daysPastDue}} bila malipo. Lipa {{currency}} {{amount}} ili kuwasha kifaa chako tena.',
    fr: 'Cher(e) {{customerName}}, le compte {{accountNumber}} est suspendu après {{daysPastDue}} jours sans paiement. Payez {{currency}} {{amount}} pour réactiver votre appareil.',
  },
  account_paid_off: {
    description: 'Account fully paid: the unlock code',
    en: 'Congratulations {{customerName}}! Account {{accountNumber}} is fully paid. Your unlock code is {{token}}. The {{productName}} is now yours.',
    sw: 'Hongera {{customerName}}! Akaunti {{accountNumber}} imelipwa kikamilifu. Msimbo wa kufungua ni {{token}}. {{productName}} sasa ni mali yako.',
    fr: 'Félicitations {{customerName}} ! Le compte {{accountNumber}} est entièrement payé. Votre code de déblocage est {{token}}. Le {{productName}} est désormais à vous.',
  },
};

const LANGUAGES = /** @type {const} */ (['en', 'sw', 'fr']);

function rows() {
  return Object.entries(TEMPLATES).flatMap(([code, t]) =>
    LANGUAGES.map((language) => ({
      code,
      language,
      channel: 'sms',
      subject: null,
      body: t[language],
      description: t.description,
      isActive: true,
      version: 0,
    })),
  );
}

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    // Unique (code, language, channel): a re-run, or a template already edited by an operator, is left alone.
    await queryInterface.bulkInsert('notificationTemplates', stamped(rows()), { ignoreDuplicates: true });
  },
  async down(queryInterface) {
    await queryInterface.bulkDelete('notificationTemplates', {
      code: Object.keys(TEMPLATES),
      language: [...LANGUAGES],
      channel: 'sms',
    });
  },
};
