// @ts-check
'use strict';
const { QueryTypes } = require('sequelize');
const { dialectOf } = require('./lib/guards');

/**
 * The change log's triggers (20261208500000-change-log.js) on MySQL/MariaDB wrote their rows with
 * one `INSERT INTO changeLog ... SELECT ... FROM DUAL [WHERE ...] [UNION ALL ...]`. To InnoDB an
 * INSERT ... SELECT is a "bulk insert" (innodb_autoinc_lock_mode 1, MariaDB's default): it takes
 * changeLog's table-level AUTO-INC lock and keeps it to the end of the statement that fired the
 * trigger, and while one is held or waited for every other insert into the table waits too. A
 * payment fires four of them (UPDATE accounts twice, INSERT payments, INSERT deviceTokens), so
 * every payment and callback of the company queued on that one table lock, statement after
 * statement (issue 17: under load the most waited-for lock of a callback, ahead of the receipt
 * number). The same rows written by plain `INSERT ... VALUES`, each under `IF <its condition>`,
 * take an id under InnoDB's short auto-increment mutex instead: no table lock, nothing held to
 * the end of the statement. Same rows, same order, same transaction.
 *
 * Rewritten from the triggers as they stand (information_schema), so every later change to them is
 * kept; a trigger of another shape fails the migration rather than being left as it was. SQLite
 * (the demo) has no such lock (one writer at a time) and keeps its triggers.
 * @type {import('sequelize-cli').Migration}
 */
module.exports = {
  async up(queryInterface) {
    if (dialectOf(queryInterface) !== 'mysql') return;
    for (const t of await changeLogTriggers(queryInterface)) {
      await replace(queryInterface, t, simpleInserts(t.name, t.statement));
    }
  },

  async down(queryInterface) {
    if (dialectOf(queryInterface) !== 'mysql') return;
    for (const t of await changeLogTriggers(queryInterface)) {
      await replace(queryInterface, t, insertSelect(t.name, t.statement));
    }
  },
};

/** @typedef {{ name: string, timing: string, event: string, table: string, statement: string }} Trigger */

/** @param {import('sequelize').QueryInterface} qi @returns {Promise<Trigger[]>} */
async function changeLogTriggers(qi) {
  return qi.sequelize.query(
    `SELECT TRIGGER_NAME AS name, ACTION_TIMING AS timing, EVENT_MANIPULATION AS event, EVENT_OBJECT_TABLE AS \`table\`, ACTION_STATEMENT AS statement
       FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'changeLog\\_%' ORDER BY TRIGGER_NAME`,
    { type: QueryTypes.SELECT },
  );
}

/**
 * Drop and create, not CREATE OR REPLACE TRIGGER (MariaDB only; MySQL 8 has no OR REPLACE for
 * triggers). Migrations run with the application stopped, as every other trigger migration.
 * @param {import('sequelize').QueryInterface} qi @param {Trigger} t @param {string} body
 */
async function replace(qi, t, body) {
  await qi.sequelize.query(`DROP TRIGGER IF EXISTS \`${t.name}\``);
  await qi.sequelize.query(`CREATE TRIGGER \`${t.name}\` ${t.timing} ${t.event} ON \`${t.table}\` FOR EACH ROW ${body}`);
}

const INSERT = /^INSERT INTO changeLog \(entityType, entityId, regionId, op, changedAt\) /;
const COLUMNS = 'INSERT INTO changeLog (entityType, entityId, regionId, op, changedAt)';

/**
 * `INSERT INTO changeLog (...) SELECT <values> FROM DUAL [WHERE <when>] [UNION ALL ...]` as
 * `BEGIN [IF <when> THEN] INSERT INTO changeLog (...) VALUES (<values>); [END IF;] ... END`, one
 * line per row. The values' own subqueries read `FROM accounts a` / `FROM customers c`, never
 * `FROM DUAL`, so " FROM DUAL" ends each row's values. @param {string} name @param {string} statement
 */
function simpleInserts(name, statement) {
  const s = statement.trim();
  if (s.startsWith('BEGIN')) return s; // already rewritten
  if (!INSERT.test(s)) throw new Error(`changeLog trigger ${name} is not an INSERT ... SELECT of changeLog's columns: ${s.slice(0, 200)}`);
  const rows = s
    .replace(INSERT, '')
    .split(' UNION ALL ')
    .map((row) => {
      const m = /^SELECT (.+) FROM DUAL(?: WHERE (.+))?$/s.exec(row.trim());
      if (!m || m[1].includes(' FROM DUAL')) throw new Error(`changeLog trigger ${name}: unexpected row ${row.slice(0, 200)}`);
      const insert = `${COLUMNS} VALUES (${m[1]});`;
      return m[2] ? `IF ${m[2]} THEN ${insert} END IF;` : insert;
    });
  return `BEGIN\n${rows.join('\n')}\nEND`;
}

/** The reverse of simpleInserts (down). @param {string} name @param {string} statement */
function insertSelect(name, statement) {
  const s = statement.trim();
  if (!s.startsWith('BEGIN')) return s;
  const lines = s.split('\n').slice(1, -1);
  const rows = lines.map((line) => {
    const m = /^(?:IF (.+) THEN )?INSERT INTO changeLog \(entityType, entityId, regionId, op, changedAt\) VALUES \((.+)\);(?: END IF;)?$/s.exec(line);
    if (!m) throw new Error(`changeLog trigger ${name}: unexpected line ${line.slice(0, 200)}`);
    return `SELECT ${m[2]} FROM DUAL${m[1] ? ` WHERE ${m[1]}` : ''}`;
  });
  return `${COLUMNS} ${rows.join(' UNION ALL ')}`;
}
