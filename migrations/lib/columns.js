// @ts-check
// Column builders shared by migrations, so every table spells ids, money and timestamps the same
// way. Deliberately independent of the app's models: a migration must keep meaning what it meant
// when it was written.
'use strict';

/** @typedef {typeof import('sequelize')} S The module sequelize-cli hands to migrations */
/** @typedef {import('sequelize').ModelAttributeColumnOptions} Column */

/** @param {S} Sequelize @returns {Column} */
const id = (Sequelize) => ({ type: Sequelize.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false });

/** createdAt/updatedAt (and deletedAt for paranoid tables). @param {S} Sequelize */
function timestamps(Sequelize, { paranoid = false } = {}) {
  /** @type {Record<string, Column>} */
  const cols = {
    createdAt: { type: Sequelize.DATE, allowNull: false },
    updatedAt: { type: Sequelize.DATE, allowNull: false },
  };
  if (paranoid) cols.deletedAt = { type: Sequelize.DATE, allowNull: true };
  return cols;
}

/** DECIMAL(14,2) money. @param {S} Sequelize @returns {Column} */
function money(Sequelize, { allowNull = false, defaultValue = /** @type {string|undefined} */ (undefined) } = {}) {
  return { type: Sequelize.DECIMAL(14, 2), allowNull, ...(defaultValue !== undefined ? { defaultValue } : {}) };
}

/**
 * An INTEGER foreign key. onDelete is always stated: money and audit rows use RESTRICT (never
 * cascaded away); child rows that mean nothing alone use CASCADE; optional links use SET NULL.
 * @param {S} Sequelize
 * @param {string} table
 * @param {{ allowNull?: boolean, onDelete: 'RESTRICT'|'CASCADE'|'SET NULL' }} opts
 * @returns {Column}
 */
function fk(Sequelize, table, { allowNull = false, onDelete }) {
  return {
    type: Sequelize.INTEGER,
    allowNull,
    references: { model: table, key: 'id' },
    onUpdate: 'CASCADE',
    onDelete,
  };
}

/** @param {S} Sequelize @param {string[]} values @returns {Column} */
function enumOf(Sequelize, values, { allowNull = false, defaultValue = /** @type {string|undefined} */ (undefined) } = {}) {
  return { type: Sequelize.ENUM(...values), allowNull, ...(defaultValue !== undefined ? { defaultValue } : {}) };
}

module.exports = { id, timestamps, money, fk, enumOf };
