// @ts-check
'use strict';
const { dialectOf } = require('./lib/guards');

/**
 * The change log's payments UPDATE trigger (20261208500000-change-log.js) logged the receipt number
 * being set, which every payment does in its own transaction right after the INSERT: a second log
 * row per payment, inside the hot path, for nothing (the feed reads the payment's state when it
 * answers, after the commit, receipt included). It now logs a change of status only (a reversal,
 * a failure), which is what changes a payment the phone already has.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface) {
    await replaceTrigger(queryInterface, ['status']);
  },
  async down(queryInterface) {
    await replaceTrigger(queryInterface, ['status', 'receiptNumber', 'completedAt']);
  },
};

/** @param {import('sequelize').QueryInterface} qi @param {string[]} columns */
async function replaceTrigger(qi, columns) {
  const mysql = dialectOf(qi) === 'mysql';
  const differs = (/** @type {string} */ c) => (mysql ? `NOT (NEW.${c} <=> OLD.${c})` : `NEW.${c} IS NOT OLD.${c}`);
  const now = mysql ? 'NOW(3)' : `strftime('%Y-%m-%d %H:%M:%f +00:00', 'now')`;
  const insert =
    `INSERT INTO changeLog (entityType, entityId, regionId, op, changedAt) ` +
    `SELECT 'payment', NEW.id, NEW.regionId, 'upsert', ${now}${mysql ? ' FROM DUAL' : ''} WHERE ${columns.map(differs).join(' OR ')}`;
  if (mysql) {
    await qi.sequelize.query('DROP TRIGGER IF EXISTS `changeLog_payments_update`');
    await qi.sequelize.query(`CREATE TRIGGER \`changeLog_payments_update\` AFTER UPDATE ON \`payments\` FOR EACH ROW ${insert}`);
  } else {
    await qi.sequelize.query('DROP TRIGGER IF EXISTS "changeLog_payments_update"');
    await qi.sequelize.query(`CREATE TRIGGER "changeLog_payments_update" AFTER UPDATE ON "payments" FOR EACH ROW BEGIN ${insert}; END`);
  }
}
