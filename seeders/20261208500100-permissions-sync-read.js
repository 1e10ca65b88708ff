// @ts-check
'use strict';
const { permissionSeeder } = require('./lib/permissions');

/**
 * Permission code of the offline change feed (issue 14, GET /sync/changes), for databases seeded
 * before it existed: the code, and the grants the catalog gives it (agents and supervisors; admin's
 * '*' included). Idempotent: existing rows are left alone.
 *  - sync:read: read the change feed of one's regions.
 */
const CODES = ['sync:read'];

module.exports = permissionSeeder(CODES);
