// @ts-check
// Database guards shared by migrations: triggers that refuse writes (append-only tables,
// maker-checker, closed periods) on MySQL/MariaDB and SQLite alike, and a helper that keeps
// SQLite's indexes and triggers through a table rebuild.
'use strict';
const { QueryTypes } = require('sequelize');

/** @typedef {import('sequelize').QueryInterface} QI */

/** @param {QI} qi */
function dialectOf(qi) {
  const d = qi.sequelize.getDialect();
  if (d === 'mysql' || d === 'mariadb') return 'mysql';
  if (d === 'sqlite') return 'sqlite';
  return 'other';
}

/**
 * A trigger that refuses a write when `when` (SQL over NEW/OLD that MySQL and SQLite both read)
 * holds, or always when `when` is omitted. Messages stay under 128 characters (MySQL's MESSAGE_TEXT limit).
 * @param {QI} qi
 * @param {{ name: string, table: string, timing: 'BEFORE INSERT'|'BEFORE UPDATE'|'BEFORE DELETE', when?: string, message: string }} t
 */
async function createGuard(qi, { name, table, timing, when, message }) {
  const msg = message.replace(/'/g, "''");
  const dialect = dialectOf(qi);
  if (dialect === 'mysql') {
    const action = when
      ? `BEGIN IF ${when} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${msg}'; END IF; END`
      : `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${msg}'`;
    await qi.sequelize.query(`CREATE TRIGGER \`${name}\` ${timing} ON \`${table}\` FOR EACH ROW ${action}`);
  } else if (dialect === 'sqlite') {
    await qi.sequelize.query(
      `CREATE TRIGGER "${name}" ${timing} ON "${table}" FOR EACH ROW ${when ? `WHEN ${when} ` : ''}BEGIN SELECT RAISE(ABORT, '${msg}'); END`,
    );
  }
}

/** @param {QI} qi @param {string} name */
async function dropGuard(qi, name) {
  const dialect = dialectOf(qi);
  if (dialect === 'mysql') await qi.sequelize.query(`DROP TRIGGER IF EXISTS \`${name}\``);
  else if (dialect === 'sqlite') await qi.sequelize.query(`DROP TRIGGER IF EXISTS "${name}"`);
}

/** Maker-checker: whoever decides must not be whoever asked. @param {QI} qi @param {string} table @param {string} maker @param {string} checker */
async function createFourEyes(qi, table, maker, checker) {
  const when = `NEW.${checker} IS NOT NULL AND NEW.${checker} = NEW.${maker}`;
  const message = `${table}: ${checker} must be a different employee from ${maker}`;
  await createGuard(qi, { name: `${table}_four_eyes_insert`, table, timing: 'BEFORE INSERT', when, message });
  await createGuard(qi, { name: `${table}_four_eyes_update`, table, timing: 'BEFORE UPDATE', when, message });
}

/** @param {QI} qi @param {string} table */
async function dropFourEyes(qi, table) {
  await dropGuard(qi, `${table}_four_eyes_update`);
  await dropGuard(qi, `${table}_four_eyes_insert`);
}

/**
 * On SQLite, addConstraint/removeConstraint rebuild the table from its CREATE TABLE text, which
 * silently drops the table's separate indexes and triggers: re-create them afterwards.
 * @param {QI} qi @param {string} table @param {() => Promise<unknown>} change
 */
async function keepingSqliteIndexes(qi, table, change) {
  if (qi.sequelize.getDialect() !== 'sqlite') {
    await change();
    return;
  }
  const objects = /** @type {{ type: string, sql: string }[]} */ (
    await qi.sequelize.query("SELECT type, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL", {
      replacements: [table],
      type: QueryTypes.SELECT,
    })
  );
  await change();
  for (const { type, sql } of objects) {
    const again =
      type === 'index'
        ? sql.replace(/^CREATE (UNIQUE )?INDEX /i, 'CREATE $1INDEX IF NOT EXISTS ')
        : sql.replace(/^CREATE TRIGGER /i, 'CREATE TRIGGER IF NOT EXISTS ');
    await qi.sequelize.query(again);
  }
}

module.exports = { dialectOf, createGuard, dropGuard, createFourEyes, dropFourEyes, keepingSqliteIndexes };
