// @ts-check
'use strict';
const { permissionSeeder } = require('./lib/permissions');

/**
 * Permission codes added with repossession and recovery (issue 15), for databases seeded before
 * they existed: the codes, and the grants the catalog gives them (admin's '*' included).
 * Idempotent: existing rows are left alone.
 *  - repossessions:read: see repossessions (agents, supervisors, back office, collections).
 *  - repossessions:assign: assign them to field agents (supervisors, back office).
 *  - repossessions:record: record the outcome, recovered or failed (agents, supervisors).
 */
const CODES = ['repossessions:read', 'repossessions:assign', 'repossessions:record'];

module.exports = permissionSeeder(CODES);
