// @ts-check
'use strict';

/** Demo data is for development only: never in production, never in the test database. */
function demoDataWanted() {
  const env = process.env.NODE_ENV || 'development';
  return env === 'development' && process.env.AMT_SEED_DEMO !== 'false';
}

/** Adds createdAt/updatedAt to seed rows. @template T @param {T[]} rows */
function stamped(rows) {
  const now = new Date();
  return rows.map((r) => ({ ...r, createdAt: now, updatedAt: now }));
}

module.exports = { demoDataWanted, stamped };
